"""Appeals in disbursement: wait for the round's answers, then pay only the difference (a supplement) or nothing.

An appeal round is opened by aid.appeal.filed (the layers it decides again: contracts.appeal.redecided_layers)
and its answers are the departments' aid.decision.made carrying its appeal_id, kept in appeal_decisions apart
from the first decisions. Events of the two topics can come in any order: both check completeness, under
the appeal row's lock. The supplement goes through the same payments, lines, ledger, approval and rail as
any payment (the settler announces it as aid.payment.issued, kind supplement); `payments_one_supplement_per_appeal`
makes a second one impossible. aid.appeal.decided (intake, notification) is written in the same transaction.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta, timezone

from contracts.appeal import redecided_layers
from contracts.events import AppealDecided, AppealFiled, CaseEscalated, Decision, DecisionMade, Language, PaymentIssued, PaymentKind, PaymentLine
from services.disbursement import appeal_rules, approvals, ledger, settlement, store
from services.kit import tracing
from services.kit.consumer import Tx
from services.kit.policy import current_policy
from services.kit.worker import Wakeable

log = logging.getLogger(__name__)
SWEEP_PAGE = 100


async def on_appeal_filed(tx: Tx, event, filed: AppealFiled) -> None:
    application = await store.application(tx.conn, tx.application_id)
    if application is None:
        log.warning("appeal %s of an application disbursement does not hold", filed.appeal_id)
        return
    deadline = filed.filed_at + timedelta(days=current_policy().appeals.decide_within_days)
    await tx.conn.execute(
        "INSERT INTO appeals(appeal_id, application_id, layer, expected_layers, filed_at, deadline_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        filed.appeal_id, tx.application_id, filed.layer, list(redecided_layers(filed.layer, application["expected_layers"])),
        filed.filed_at, deadline)
    await decide_if_complete(tx, filed.appeal_id)


async def on_appeal_decision(tx: Tx, event, made: DecisionMade) -> None:
    d = made.decision
    stored = await tx.conn.fetchval(
        f"INSERT INTO appeal_decisions(appeal_id, application_id, {store.DECISION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7,"
        " $8, $9, $10) ON CONFLICT DO NOTHING RETURNING true",
        made.appeal_id, tx.application_id, d.department.value, d.program.value, d.layer, d.outcome.value, d.amount_fen,
        d.recurring.value, d.reason, d.reason_zh)
    if stored:
        await decide_if_complete(tx, made.appeal_id)


async def decide_if_complete(tx: Tx, appeal_id) -> None:
    appeal = await tx.conn.fetchrow(
        "SELECT a.*, ARRAY(SELECT layer FROM appeal_decisions d WHERE d.appeal_id = a.appeal_id) AS answered"
        " FROM appeals a WHERE a.appeal_id = $1 AND a.decided_at IS NULL FOR UPDATE", appeal_id)
    if appeal is None or settlement.missing_layers(appeal["expected_layers"], appeal["answered"]):
        return  # not filed here yet, decided already, or an answer still missing
    round_ = await round_decisions(tx.conn, appeal_id)
    current = appeal_rules.latest_decisions(await store.decisions_of(tx.conn, tx.application_id),
                                            [*await earlier_rounds(tx.conn, tx.application_id), round_])
    paid = await paid_lines(tx.conn, tx.application_id)
    supplement_fen, lines = appeal_rules.supplement(settlement.payment_lines(current), paid)
    payment_id = await pay_supplement(tx, appeal_id, lines) if supplement_fen else None
    outcome = appeal_rules.outcome(supplement_fen)
    decided_at = await tx.conn.fetchval(
        "UPDATE appeals SET decided_at = now(), outcome = $2, supplement_fen = $3, payment_id = $4 WHERE appeal_id = $1"
        " RETURNING decided_at", appeal_id, outcome.value, supplement_fen, payment_id)
    application = await store.application(tx.conn, tx.application_id)
    await tx.emit("aid.appeal.decided.v1", AppealDecided(
        appeal_id=appeal_id, layer=appeal["layer"], outcome=outcome, supplement_fen=supplement_fen, payment_id=payment_id,
        paid_before_fen=sum(line.amount_fen for line in paid),
        total_fen=sum(line.amount_fen for line in settlement.payment_lines(current)), lines=tuple(lines),
        decisions=tuple(round_), account_kind=application["account_kind"],
        account_last4=settlement.last4(application["account_number"]), language=Language(application["language"]),
        decided_at=decided_at.astimezone(timezone.utc)))


async def round_decisions(conn, appeal_id) -> list[Decision]:
    rows = await conn.fetch(f"SELECT {store.DECISION_COLUMNS} FROM appeal_decisions WHERE appeal_id = $1 ORDER BY layer", appeal_id)
    return [store.decision_of(r) for r in rows]


async def earlier_rounds(conn, application_id) -> list[list[Decision]]:
    """The decided appeals' rounds of the application, oldest first."""
    ids = await conn.fetch("SELECT appeal_id FROM appeals WHERE application_id = $1 AND decided_at IS NOT NULL"
                           " ORDER BY decided_at", application_id)
    return [await round_decisions(conn, row["appeal_id"]) for row in ids]


async def paid_lines(conn, application_id) -> list[PaymentLine]:
    """What the application's payments paid, by line: its own, its advance (unless it finally failed: then the
    final payment took nothing off), its supplements. A refused payment counts too: an appeal never re-pays
    what an approver refused (never pay twice)."""
    rows = await conn.fetch(
        "SELECT l.department, l.program, sum(l.amount_fen)::bigint AS amount_fen FROM payment_lines l JOIN payments p"
        " USING (payment_id) WHERE p.application_id = $1 AND p.kind IN ('application', 'advance', 'supplement')"
        " AND NOT (p.kind = 'advance' AND p.status = 'failed') GROUP BY l.department, l.program", application_id)
    return [PaymentLine(**dict(r)) for r in rows]


async def pay_supplement(tx: Tx, appeal_id, lines: list[PaymentLine]) -> uuid.UUID:
    """The supplement (pending for the rail, or awaiting an approver above the threshold), its lines and posting."""
    payment_id, total = uuid.uuid4(), sum(line.amount_fen for line in lines)
    threshold = approvals.threshold_fen()
    held = approvals.needs_approval(total, threshold)
    await tx.conn.execute(
        "INSERT INTO payments(payment_id, application_id, kind, appeal_id, total_fen, trace_headers, status)"
        " VALUES ($1, $2, 'supplement', $3, $4, $5, $6)",
        payment_id, tx.application_id, appeal_id, total, json.dumps(tracing.capture()),
        "awaiting_approval" if held else "pending")
    await tx.conn.executemany(
        "INSERT INTO payment_lines(payment_id, department, program, amount_fen) VALUES ($1, $2, $3, $4)",
        [(payment_id, l.department.value, l.program.value, l.amount_fen) for l in lines])
    await store.post(tx.conn, payment_id, "approval", ledger.approval(lines))
    if held:
        await approvals.hold(tx, payment_id, lines, threshold)
    return payment_id


async def issued(conn, payment) -> PaymentIssued:
    """The supplement's announcement once the rail settled it (the settler's kind-supplement branch)."""
    application = await store.application(conn, payment["application_id"])
    return PaymentIssued(
        payment_id=payment["payment_id"], total_fen=payment["total_fen"],
        lines=tuple(await store.lines_of(conn, payment["payment_id"])),
        decisions=tuple(await round_decisions(conn, payment["appeal_id"])), account_kind=application["account_kind"],
        account_last4=settlement.last4(application["account_number"]), language=Language(application["language"]),
        declared_only_members=tuple(application["declared_only"]), kind=PaymentKind.supplement)


async def sweep(ctx, limit: int = SWEEP_PAGE) -> int:
    """Escalate appeals not decided by their deadline (policy [appeals] decide_within_days); once each."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        late = await conn.fetch(
            "SELECT a.*, ARRAY(SELECT layer FROM appeal_decisions d WHERE d.appeal_id = a.appeal_id) AS answered"
            " FROM appeals a WHERE decided_at IS NULL AND escalated_at IS NULL AND deadline_at < now()"
            " ORDER BY deadline_at LIMIT $1 FOR UPDATE SKIP LOCKED", limit)
        for appeal in late:
            missing = settlement.missing_layers(appeal["expected_layers"], appeal["answered"])
            await conn.execute("UPDATE appeals SET escalated_at = now() WHERE appeal_id = $1", appeal["appeal_id"])
            await Tx(conn, "disbursement", appeal["application_id"]).emit("aid.case.escalated.v1", escalation(appeal, missing))
            log.warning("appeal %s escalated: layers %s not decided again", appeal["appeal_id"], missing)
    if late:
        ctx.relay.wake()
    return len(late)


def escalation(appeal, missing: list[int]) -> CaseEscalated:
    days = (appeal["deadline_at"] - appeal["filed_at"]).days
    return CaseEscalated(reason=f"appeal {appeal['appeal_id']} on layer {appeal['layer']} not decided within {days} days:"
                                f" layers {', '.join(map(str, missing))} not decided again", missing_layers=tuple(missing))


async def run_sweeper(ctx) -> None:
    """Every 30 s (a deadline counts in days); at once again while a full page was escalated."""
    async def round_() -> bool:
        return await sweep(ctx) == SWEEP_PAGE
    await Wakeable("appeal deadline sweeper", idle_seconds=30.0).loop(round_)


HANDLERS = {"aid.appeal.filed.v1": on_appeal_filed}
