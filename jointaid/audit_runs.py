"""`jointaid audit` for payment runs: each finished run's total = the sum of its payments = the ledger's
settlements, each paid household has one payment and one message, and no household is paid twice for one
period and kind. Only finished runs are reconciled: a running one's counts trail its payments by an event.
"""
from __future__ import annotations

FINISHED_RUNS = "SELECT run_id, total_fen, paid FROM caseload.payment_runs WHERE finished_at IS NOT NULL"

# each row: the thing named (as application_id, the audit's label column) and a figure n
RUN_ANOMALY_QUERIES = {
    "two payments for one household, period and kind": """
        SELECT recipient_id::text || ' ' || period || ' ' || kind AS application_id, count(*) AS n
        FROM disbursement.payments WHERE recipient_id IS NOT NULL GROUP BY recipient_id, period, kind HAVING count(*) > 1""",
    "finished run whose total is not the sum of its settled payments": f"""
        SELECT r.run_id AS application_id, r.total_fen - coalesce(sum(p.total_fen), 0) AS n FROM ({FINISHED_RUNS}) r
        LEFT JOIN disbursement.payments p ON p.run_id = r.run_id AND p.status = 'settled'
        GROUP BY r.run_id, r.total_fen, r.paid HAVING r.total_fen <> coalesce(sum(p.total_fen), 0) OR r.paid <> count(p.payment_id)""",
    "finished run whose total is not what the ledger settled": f"""
        SELECT r.run_id AS application_id, r.total_fen - coalesce(sum(e.credit_fen), 0) AS n FROM ({FINISHED_RUNS}) r
        LEFT JOIN disbursement.payments p ON p.run_id = r.run_id
        LEFT JOIN disbursement.ledger_entries e ON e.payment_id = p.payment_id AND e.posting = 'settlement' AND e.credit_fen > 0
        GROUP BY r.run_id, r.total_fen HAVING r.total_fen <> coalesce(sum(e.credit_fen), 0)""",
    "paid entitlement of a finished run without exactly one message": f"""
        SELECT n.entitlement_id AS application_id, count(m.recipient_id) AS n FROM caseload.entitlements n
        JOIN ({FINISHED_RUNS}) r USING (run_id)
        LEFT JOIN notification.run_messages m USING (recipient_id, period, kind)
        WHERE n.paid_at IS NOT NULL GROUP BY n.entitlement_id HAVING count(m.recipient_id) <> 1""",
    "entitlement paid for a different amount": """
        SELECT n.entitlement_id AS application_id, n.amount_fen - p.total_fen AS n FROM caseload.entitlements n
        JOIN disbursement.payments p ON p.payment_id = n.entitlement_id WHERE n.amount_fen <> p.total_fen""",
}


async def runs_of(conn) -> list[dict]:
    """Every run, newest first, as the audit lists them."""
    rows = await conn.fetch(
        "SELECT kind, period, status, households, paid, failed, total_fen FROM caseload.payment_run_progress"
        " ORDER BY started_at DESC")
    return [dict(r) for r in rows]
