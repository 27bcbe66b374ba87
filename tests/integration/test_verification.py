"""Verification: a second application by the same applicant, while the first is in progress, is rejected."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from contracts.envelope import new_envelope
from contracts.events import ApplicationSubmitted, NotificationSent
from tests.conftest import EXAMPLES
from tests.integration.conftest import eventually, running


def submitted(body) -> tuple:
    event = new_envelope("aid.application.submitted.v1", uuid.uuid4(), "intake",
                         ApplicationSubmitted(submission=body, submitted_at=datetime.now(timezone.utc)))
    return event, event.application_id


async def outcome(db, application_id):
    return await db.fetchrow("SELECT outcome, rule FROM verification.verifications WHERE application_id = $1", application_id)


async def test_second_application_in_progress_is_rejected_then_allowed_after_notification(settings, publish, db):
    body = dict(EXAMPLES["D"])
    first, first_id = submitted(body)
    second, second_id = submitted(body)
    async with running("verification", settings), running("registries", settings):
        await publish(first)
        assert (await eventually(lambda: outcome(db, first_id)))["outcome"] == "verified"
        await publish(second)
        rejected = await eventually(lambda: outcome(db, second_id))
        assert tuple(rejected) == ("rejected", "application_in_progress")
        topics = await db.fetch("SELECT topic FROM verification.outbox WHERE application_id = ANY($1::uuid[]) ORDER BY id",
                                [first_id, second_id])
        assert [t["topic"] for t in topics] == ["aid.registry.query", "aid.application.verified", "aid.application.rejected"]

        # the first one's message goes out: the applicant may apply again
        await publish(new_envelope("aid.notification.sent.v1", first_id, "notification",
                                   NotificationSent(channel="stored", text="done", sent_at=datetime.now(timezone.utc))))
        # different topics keep no order between them: wait for the release before applying again
        await eventually(lambda: db.fetchval(
            "SELECT NOT EXISTS (SELECT 1 FROM verification.active_applicants WHERE application_id = $1)", first_id))
        third, third_id = submitted(body)
        await publish(third)
        assert (await eventually(lambda: outcome(db, third_id)))["outcome"] == "verified"
