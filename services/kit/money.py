"""Money is integer fen (1 yuan = 100 fen). Never float."""
from __future__ import annotations

BASIS_POINTS = 10_000  # 100% = 10,000 bp


def apply_ratio(amount_fen: int, ratio_bp: int) -> int:
    """amount × ratio, rounded half-up to whole fen (DOMAIN.md: once per program)."""
    if amount_fen < 0 or ratio_bp < 0:
        raise ValueError("apply_ratio takes non-negative amounts and ratios")
    return (amount_fen * ratio_bp + BASIS_POINTS // 2) // BASIS_POINTS


def yuan_to_fen(yuan: int) -> int:
    return yuan * 100


def format_yuan(amount_fen: int) -> str:
    """11,197.50 style: thousands separators, always two decimals."""
    sign = "-" if amount_fen < 0 else ""
    whole, cents = divmod(abs(amount_fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def format_yuan_zh(amount_fen: int) -> str:
    """The same figure with the Chinese unit, for citizen texts: "11,197.50 元"."""
    return f"{format_yuan(amount_fen)} 元"
