"""services/kit/money.py: fen arithmetic, half-up rounding, yuan formatting."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kit.money import BASIS_POINTS, apply_ratio, format_yuan, yuan_to_fen


@pytest.mark.parametrize(("amount_fen", "ratio_bp", "expected"), [
    (1, 5000, 1),        # 0.5 fen rounds up
    (1, 4999, 0),        # 0.4999 fen rounds down
    (1, 4900, 0),        # 0.49 fen rounds down
    (101, 4900, 49),     # 49.49 fen rounds down
    (101, 5000, 51),     # 50.5 fen rounds up
    (3, 5000, 2),        # 1.5 -> 2
    (10, 6500, 7),       # 6.5 -> 7
    (13, 6500, 8),       # 8.45 -> 8
    (450000, 6500, 292500),
    (907500, 7000, 635250),
    (0, 9000, 0),
    (12345, 0, 0),
    (12345, BASIS_POINTS, 12345),
    (85500, 15000, 128250),
])
def test_apply_ratio_rounds_half_up(amount_fen: int, ratio_bp: int, expected: int) -> None:
    assert apply_ratio(amount_fen, ratio_bp) == expected


@pytest.mark.parametrize(("amount_fen", "ratio_bp"), [(-1, 5000), (100, -1)])
def test_apply_ratio_refuses_negatives(amount_fen: int, ratio_bp: int) -> None:
    with pytest.raises(ValueError):
        apply_ratio(amount_fen, ratio_bp)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=BASIS_POINTS))
def test_apply_ratio_is_nearest_fen_and_never_above_amount(amount_fen: int, ratio_bp: int) -> None:
    result = apply_ratio(amount_fen, ratio_bp)
    exact_times_bp = amount_fen * ratio_bp
    assert 0 <= result <= amount_fen
    assert -BASIS_POINTS // 2 < result * BASIS_POINTS - exact_times_bp <= BASIS_POINTS // 2


def test_yuan_to_fen() -> None:
    assert yuan_to_fen(855) == 85500
    assert yuan_to_fen(0) == 0


@pytest.mark.parametrize(("amount_fen", "text"), [
    (0, "0.00"),
    (5, "0.05"),
    (100, "1.00"),
    (92000, "920.00"),
    (1119750, "11,197.50"),
    (123456789, "1,234,567.89"),
    (-150, "-1.50"),
])
def test_format_yuan(amount_fen: int, text: str) -> None:
    assert format_yuan(amount_fen) == text
