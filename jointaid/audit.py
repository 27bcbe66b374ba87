"""`jointaid audit`: reconcile applications, payments, ledger and notifications across services.

Operator tooling: the one place (with redrive) that reads every service's schema. An anomaly is
anything that breaks "one payment, one message": a finished application without exactly one
message, a paid one without exactly one payment, lines that do not add up, an unbalanced posting.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import asyncpg

from jointaid.audit_advances import ADVANCE_ANOMALY_QUERIES, advances_of
from jointaid.audit_appeals import APPEAL_ANOMALY_QUERIES, appeals_of
from jointaid.audit_runs import RUN_ANOMALY_QUERIES, runs_of
from services.kit.money import format_yuan

ANOMALY_QUERIES = {
    "notified application without exactly one message": """
        SELECT a.application_id, count(m.application_id) AS n FROM intake.applications a
        LEFT JOIN notification.messages m ON m.application_id = a.application_id
        WHERE a.status = 'notified' GROUP BY a.application_id HAVING count(m.application_id) <> 1""",
    "application with more than one message": """
        SELECT application_id, count(*) AS n FROM notification.messages GROUP BY application_id HAVING count(*) > 1""",
    "paid application without exactly one payment": """
        SELECT a.application_id, count(p.payment_id) AS n FROM intake.applications a
        LEFT JOIN disbursement.payments p ON p.application_id = a.application_id AND p.kind = 'application'
        WHERE a.payment IS NOT NULL GROUP BY a.application_id HAVING count(p.payment_id) <> 1""",
    "application with more than one payment": """
        SELECT application_id, count(*) AS n FROM disbursement.payments WHERE application_id IS NOT NULL
        AND kind IN ('application', 'advance') GROUP BY application_id, kind HAVING count(*) > 1""",
    "payment whose lines do not add up to its total": """
        SELECT coalesce(p.application_id, p.recipient_id) AS application_id, p.total_fen - coalesce(sum(l.amount_fen), 0) AS n
        FROM disbursement.payments p LEFT JOIN disbursement.payment_lines l ON l.payment_id = p.payment_id
        GROUP BY p.payment_id, p.total_fen HAVING p.total_fen <> coalesce(sum(l.amount_fen), 0)""",
    "unbalanced ledger posting": """
        SELECT coalesce(p.application_id, p.recipient_id) AS application_id, sum(e.debit_fen) - sum(e.credit_fen) AS n
        FROM disbursement.ledger_entries e JOIN disbursement.payments p ON p.payment_id = e.payment_id
        GROUP BY p.application_id, p.recipient_id, e.payment_id, e.posting HAVING sum(e.debit_fen) <> sum(e.credit_fen)""",
    "settled payment never announced to the status view": """
        SELECT p.application_id, 0 AS n FROM disbursement.payments p JOIN intake.applications a USING (application_id)
        WHERE p.status = 'settled' AND p.kind = 'application' AND a.status = 'notified' AND a.payment IS NULL""",
    **RUN_ANOMALY_QUERIES,
    **ADVANCE_ANOMALY_QUERIES,
    **APPEAL_ANOMALY_QUERIES,
}


@dataclass
class Report:
    by_status: dict[str, int] = field(default_factory=dict)
    payments: dict[str, int] = field(default_factory=dict)
    paid_total_fen: int = 0
    messages: int = 0
    by_department_fen: dict[str, int] = field(default_factory=dict)
    anomalies: dict[str, list[str]] = field(default_factory=dict)
    runs: list[dict] = field(default_factory=list)
    advances: dict = field(default_factory=dict)
    appeals: dict = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not any(self.anomalies.values())


async def audit(database_url: str) -> Report:
    conn = await asyncpg.connect(database_url)
    try:
        report = Report()
        report.by_status = dict(await conn.fetch("SELECT status, count(*) FROM intake.applications GROUP BY status ORDER BY status"))
        report.payments = dict(await conn.fetch("SELECT status, count(*) FROM disbursement.payments GROUP BY status ORDER BY status"))
        report.paid_total_fen = await conn.fetchval("SELECT coalesce(sum(total_fen), 0)::bigint FROM disbursement.payments WHERE status = 'settled'")
        report.messages = await conn.fetchval("SELECT count(*) FROM notification.messages")
        report.by_department_fen = dict(await conn.fetch(
            "SELECT l.department, sum(l.amount_fen)::bigint FROM disbursement.payment_lines l JOIN disbursement.payments p"
            " USING (payment_id) WHERE p.status = 'settled' GROUP BY l.department ORDER BY l.department"))
        report.runs = await runs_of(conn)
        report.advances = await advances_of(conn)
        report.appeals = await appeals_of(conn)
        for name, query in ANOMALY_QUERIES.items():
            report.anomalies[name] = [f"{r['application_id']} ({r['n']})" for r in await conn.fetch(query)]
        return report
    finally:
        await conn.close()


def render(report: Report) -> str:
    lines = ["jointaid audit",
             f"  applications : {sum(report.by_status.values())} ({', '.join(f'{s} {n}' for s, n in report.by_status.items()) or 'none'})",
             f"  payments     : {sum(report.payments.values())} ({', '.join(f'{s} {n}' for s, n in report.payments.items()) or 'none'}),"
             f" settled total {format_yuan(report.paid_total_fen)} yuan",
             f"  notifications: {report.messages}"]
    lines += [f"  paid by {department:<18}: {format_yuan(fen)} yuan" for department, fen in report.by_department_fen.items()]
    lines += [f"  run {r['kind']} {r['period']}: {r['status']}, {r['paid']} paid + {r['failed']} failed of {r['households']},"
              f" {format_yuan(r['total_fen'])} yuan" for r in report.runs]
    if report.advances.get("advances") or report.advances.get("awaiting_approval"):
        a = report.advances
        lines.append(f"  advances     : {a['advances']} settled, {format_yuan(a['advanced_fen'])} yuan;"
                     f" waived {format_yuan(a['waived_fen'])} yuan ({len(a['waivers'])} applications);"
                     f" {a['awaiting_approval']} payments awaiting approval")
        lines += [f"    waived {w['application_id']}: advance {format_yuan(w['advance_fen'])}, temporary assistance"
                  f" {format_yuan(w['advance_deducted_fen'])}, waived {format_yuan(w['waived_fen'])}" for w in a["waivers"][:20]]
    if report.appeals.get("by_outcome"):
        a = report.appeals
        lines.append(f"  appeals      : {', '.join(f'{o} {n}' for o, n in sorted(a['by_outcome'].items()))};"
                     f" {a['supplements']} supplements settled, {format_yuan(a['supplement_fen'])} yuan")
    found = {name: rows for name, rows in report.anomalies.items() if rows}
    if not found:
        lines.append("  anomalies    : none")
    for name, rows in found.items():
        lines.append(f"  ANOMALY {name}: {len(rows)}")
        lines += [f"    {row}" for row in rows[:20]]
    return "\n".join(lines)


def as_json(report: Report) -> str:
    return json.dumps({**report.__dict__, "clean": report.clean}, indent=2, sort_keys=True)


def run(database_url: str, machine_readable: bool) -> int:
    report = asyncio.run(audit(database_url))
    print(as_json(report) if machine_readable else render(report))
    return 0 if report.clean else 1
