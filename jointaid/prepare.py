"""Before the services start: topics, every schema's migrations, and redrive after a broker reset."""
from __future__ import annotations

import logging

import asyncpg

from jointaid.registry import MODULES, spec_of
from jointaid.topics import ensure_topics
from services.kit.db import migrate
from services.kit.kafka_security import security
from services.kit.policy import check_policies
from services.kit.settings import Settings
from services.kit.span_store import migrate_telemetry

log = logging.getLogger(__name__)


async def prepare(settings: Settings, *, redrive_unfinished: bool) -> None:
    check_policies(log)  # every version validated and logged; a bad one stops start-up here, naming file and rule
    await ensure_topics(settings.kafka_bootstrap_servers, settings.partitions, security=security(settings))
    for name in MODULES:
        await migrate(settings.database_url, name, spec_of(name, settings).migrations)
    await migrate_telemetry(settings.database_url)  # shared operational schema: spans
    if redrive_unfinished:
        count = await redrive(settings.database_url, None)
        if count:
            log.info("redrive: %d outbox events of unfinished applications queued again for the fresh broker", count)


async def unfinished_caseload_keys(conn) -> list:
    """Keys of caseload work not finished: runs and reviews asked for and not done (their request
    events are keyed by run or review), and the households a running run has not paid yet."""
    rows = await conn.fetch(
        "SELECT r.run_id FROM intake.payment_runs r LEFT JOIN caseload.payment_runs c USING (run_id)"
        " WHERE c.finished_at IS NULL"
        " UNION SELECT r.review_id FROM intake.reviews r LEFT JOIN caseload.reviews c USING (review_id)"
        " WHERE c.finished_at IS NULL"
        " UNION SELECT e.recipient_id FROM caseload.entitlements e JOIN caseload.payment_runs c USING (run_id)"
        " WHERE c.finished_at IS NULL AND e.paid_at IS NULL AND e.failed_at IS NULL")
    return [r[0] for r in rows]


async def redrive(database_url: str, application_id) -> int:
    """Mark every service's published outbox events of unfinished applications (or one) for publishing again.

    The inboxes make the replay harmless. Operator tooling: the only place that reads across schemas.
    """
    conn = await asyncpg.connect(database_url)
    try:
        if application_id is None:
            ids = [r[0] for r in await conn.fetch("SELECT application_id FROM intake.applications WHERE status <> 'notified'")]
            ids += await unfinished_caseload_keys(conn)
        else:
            ids = [application_id]
        total = 0
        for name in MODULES:
            result = await conn.execute(
                f'INSERT INTO "{name}".outbox_pending(id) SELECT id FROM "{name}".outbox'
                ' WHERE application_id = ANY($1::uuid[]) ON CONFLICT DO NOTHING',
                ids,
            )
            total += int(result.split()[-1])
        return total
    finally:
        await conn.close()
