"""Tokens signed with the embedded key of a data directory (`jointaid token`, the demo, bench and tests)."""
from __future__ import annotations

import re
from pathlib import Path

from services.intake import tokens

TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def keys_dir(data_dir: str | Path) -> Path:
    return Path(data_dir).resolve() / "keys"


def parse_ttl(text: str) -> int:
    """'8h' -> 28800; units s, m, h, d; a bare number is seconds."""
    found = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"--ttl must look like 30m, 8h or 7d, not {text!r}")
    return int(found.group(1)) * TTL_UNITS[found.group(2) or "s"]


def staff_token(data_dir: str | Path, role: str, subject: str, ttl_seconds: int = 8 * 3600) -> str:
    """A token for a staff role, signed with the data directory's key (made there if missing)."""
    if role == "citizen":
        raise ValueError("citizen tokens come with their application (POST /v1/applications answers one)")
    folder = keys_dir(data_dir)
    tokens.ensure_keys(folder)
    return tokens.mint(tokens.load_signing_key(folder), role, subject, ttl_seconds)
