"""Annual reviews at the window: refuse a day no policy covers, record the request once, show the progress.

The progress (reviewed, and how many continued, adjusted, changed, exited) is caseload's: intake reads it
through the read-only view `caseload.review_progress` for operators and decides nothing from it.
"""
from __future__ import annotations

import uuid

import asyncpg

from contracts.events import ReviewRequested
from contracts.reviews import ReviewIn, effective_period, review_id_of
from services.intake import caseload_requests
from services.kit.policy import PolicyError, policy_for_period

COUNTS = ("reviewed", "continued", "adjusted", "changed", "exited")


def refusals(review: ReviewIn, policy_of=policy_for_period) -> list[dict]:
    """[] when the review may run: its outcomes take effect from the next period, which needs a policy version."""
    period = effective_period(review.as_of)
    try:
        policy_of(period)
    except PolicyError as exc:
        return [{"field": "as_of", "message": f"no policy in force for {period}, when the outcomes would take effect: {exc}"}]
    return []


async def request(conn: asyncpg.Connection, review: ReviewIn, requested_by: str) -> tuple[uuid.UUID, bool]:
    """(review_id, created). Call inside a transaction: the row and its event commit together, or neither.
    A concurrent request for the same day waits on the key, then finds it taken."""
    review_id = review_id_of(review.as_of)
    created = await caseload_requests.request_once(
        conn, "INSERT INTO reviews(review_id, as_of, requested_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true",
        (review_id, review.as_of, requested_by), "aid.review.requested.v1", review_id,
        ReviewRequested(review_id=review_id, as_of=review.as_of, requested_by=requested_by))
    return review_id, created


async def view(conn: asyncpg.Connection, review_id: uuid.UUID) -> dict | None:
    """The review as operators see it; `running` with nothing counted until caseload has taken it up."""
    row = await conn.fetchrow("SELECT review_id, as_of FROM reviews WHERE review_id = $1", review_id)
    if row is None:
        return None
    progress = await caseload_requests.progress(conn, "review_progress", "review_id", review_id)
    return {"review_id": str(row["review_id"]), "as_of": row["as_of"].isoformat(),
            "status": progress["status"] if progress else "running",
            **{name: progress[name] if progress else 0 for name in COUNTS}}
