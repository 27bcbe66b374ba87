"""The annual review (年审): every recipient due by as_of re-decided on fresh registry facts.

- `aid.review.requested` (one per as_of, intake) is taken up once: a `reviews` row, nothing else, so the
  consumer's batch stays short whatever the caseload's size.
- The review worker then passes over the due households in chunks of CHUNK, each chunk in one transaction
  of one statement per step (select and lock the due rows, one registry query for all their members, the
  outcomes, the recipients' new terms, their history, the counts, the events). A crash loses at most the
  chunk in flight, which the next pass does again; `review_outcomes`' unique key and next_review_on moving
  past as_of mean nobody is reviewed twice. The chunk that finds fewer than CHUNK due finishes the review.
- Each reviewed household gets an `aid.recipient.changed` (key recipient_id) with its outcome, effective
  period and reason; notification writes to those whose status or amount changed.
"""
from __future__ import annotations

import logging
import time
from datetime import date

from opentelemetry import trace

from contracts.events import HouseholdFacts, RecipientChanged, ReviewRequested
from services.caseload import amounts, review_rules, review_store
from services.kit import outbox
from services.kit.consumer import Tx
from services.kit.worker import BackgroundWorker

log = logging.getLogger(__name__)
tracer = trace.get_tracer("jointaid.caseload")
CHUNK = 5_000  # households per transaction: row locks and the outbox insert stay bounded (measured in README)


async def on_review_requested(tx: Tx, event, requested: ReviewRequested) -> None:
    policy = review_rules.review_policy(requested.as_of)
    if await review_store.start_review(tx.conn, requested, policy.version):
        log.info("review %s as of %s taken up (policy %s)", requested.review_id, requested.as_of, policy.version)


HANDLERS = {"aid.review.requested.v1": on_review_requested}


def changed_event(review_id, row, outcome: review_rules.Outcome, next_review_on: date) -> RecipientChanged:
    facts = outcome.facts or HouseholdFacts.model_validate_json(row["facts"])
    return RecipientChanged(
        recipient_id=row["recipient_id"], change=outcome.change, status=outcome.status,
        monthly_amount_fen=outcome.monthly_amount_fen, members=len(facts.members), region_code=row["region_code"],
        enrolled_on=row["enrolled_on"], next_review_on=next_review_on, effective_period=outcome.effective_period,
        reason=outcome.reason, reason_zh=outcome.reason_zh, application_id=row["application_id"], language=row["language"],
        review_id=review_id, prior_status=outcome.prior_status, prior_monthly_amount_fen=outcome.prior_amount_fen,
    )


async def review_chunk(conn, review_id, as_of: date, limit: int = CHUNK) -> tuple[int, bool]:
    """One chunk of one review, inside the caller's transaction: (households reviewed, review finished)."""
    policy, period = review_rules.review_policy(as_of), review_rules.effective_period(as_of)
    next_review_on, enrolled_by = amounts.review_due_on(as_of), amounts.add_months(as_of, -amounts.REVIEW_AFTER_MONTHS)
    due = await review_store.due_recipients(conn, review_id, as_of, enrolled_by, limit)
    finished = len(due) < limit
    if not due:
        await review_store.count(conn, review_id, [], finished)
        return 0, finished
    members = {row["recipient_id"]: review_store.members_of(row) for row in due}
    people = await review_store.registry_people(conn, [m["id_number"] for ms in members.values() for m in ms])
    rows, events = [], []
    tx = Tx(conn, "caseload", review_id, events)
    for row in due:
        outcome = review_rules.review(row["status"], HouseholdFacts.model_validate_json(row["facts"]), members[row["recipient_id"]],
                                      row["applicant_id_number"], people, as_of, policy)
        rows.append((row["recipient_id"], outcome.change.value, outcome.prior_status.value, outcome.prior_amount_fen,
                     outcome.status.value, outcome.monthly_amount_fen, review_store.facts_json(outcome.facts),
                     outcome.reason, outcome.reason_zh))
        await tx.emit("aid.recipient.changed.v1", changed_event(review_id, row, outcome, next_review_on),
                      key=row["recipient_id"])
    await review_store.record_outcomes(conn, review_id, period, next_review_on, rows)
    await review_store.count(conn, review_id, [r[1] for r in rows], finished)
    await outbox.insert(conn, events)
    return len(due), finished


class ReviewWorker(BackgroundWorker):
    """Runs the chunks of every unfinished review, woken when a review is taken up (and on a poll)."""

    def __init__(self, chunk: int = CHUNK):
        self.chunk = chunk
        super().__init__("review worker")

    async def round(self, ctx) -> bool:
        return await self.pass_once(ctx)

    async def pass_once(self, ctx) -> bool:
        """One chunk of the oldest running review; True when there may be more to do."""
        started = time.perf_counter()
        with tracer.start_as_current_span("caseload.review chunk") as span:
            async with ctx.pool.acquire() as conn, conn.transaction():
                review = await review_store.running_review(conn)
                if review is None:
                    return False
                reviewed, finished = await review_chunk(conn, review["review_id"], review["as_of"], self.chunk)
            span.set_attributes({"review_id": str(review["review_id"]), "reviewed": reviewed})
        ctx.relay.wake()
        log.info("review %s: %d households in %.2f s%s", review["review_id"], reviewed, time.perf_counter() - started,
                 "; done" if finished else "")
        return True
