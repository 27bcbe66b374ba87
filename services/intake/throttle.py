"""Anonymous submissions, counted per client address and per applicant in PostgreSQL (shared by replicas).

Fixed windows: a bucket's count for the current window is one upsert; over the limit answers how many
seconds are left in the window (Retry-After). Applicants are counted by a hash of their ID number, so the
table holds no personal data.
"""
from __future__ import annotations

import hashlib
import time

import asyncpg


def applicant_bucket(id_number: str) -> str:
    return "applicant:" + hashlib.sha256(id_number.strip().upper().encode()).hexdigest()


def address_bucket(address: str | None) -> str:
    return f"address:{address or 'unknown'}"


async def over_limit(conn: asyncpg.Connection, limits: list[tuple[str, int, int]], now: float | None = None) -> tuple[str, int] | None:
    """Count one request in each (bucket, limit, window_seconds); the first bucket over its limit and the
    seconds until its window ends, or None when every bucket is within its limit."""
    now = time.time() if now is None else now
    refused = None
    for bucket, limit, window in limits:
        start = int(now // window) * window
        count = await conn.fetchval(
            "INSERT INTO submit_counts(bucket, window_start, count) VALUES ($1, to_timestamp($2), 1)"
            " ON CONFLICT (bucket, window_start) DO UPDATE SET count = submit_counts.count + 1 RETURNING count",
            bucket, start,
        )
        if count == 1:  # a new window: the bucket's old ones are of no more use
            await conn.execute("DELETE FROM submit_counts WHERE bucket = $1 AND window_start < to_timestamp($2)", bucket, start)
        if count > limit and refused is None:
            refused = (bucket, max(1, int(start + window - now + 0.999)))
    return refused
