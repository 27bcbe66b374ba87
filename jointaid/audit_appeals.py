"""`jointaid audit` for appeals: a revised appeal has exactly one supplement of exactly its difference, an upheld
one none, every supplement has its decided appeal, and every appeal intake shows decided has exactly one notice.
(The ledger, lines and settlement of supplements are checked with every payment by audit.py's own queries.)
"""
from __future__ import annotations

# each row: the thing named (as application_id, the audit's label column) and a figure n
APPEAL_ANOMALY_QUERIES = {
    "revised appeal without exactly one supplement of its difference": """
        SELECT a.appeal_id AS application_id, count(p.payment_id) AS n FROM disbursement.appeals a
        LEFT JOIN disbursement.payments p ON p.appeal_id = a.appeal_id AND p.kind = 'supplement'
        WHERE a.outcome = 'revised' GROUP BY a.appeal_id, a.supplement_fen
        HAVING count(p.payment_id) <> 1 OR coalesce(sum(p.total_fen), 0) <> a.supplement_fen""",
    "upheld appeal with a payment": """
        SELECT a.appeal_id AS application_id, count(p.payment_id) AS n FROM disbursement.appeals a
        JOIN disbursement.payments p ON p.appeal_id = a.appeal_id WHERE a.outcome = 'upheld' GROUP BY a.appeal_id""",
    "supplement without its decided appeal": """
        SELECT p.payment_id AS application_id, p.total_fen AS n FROM disbursement.payments p
        LEFT JOIN disbursement.appeals a ON a.appeal_id = p.appeal_id AND a.application_id = p.application_id
        WHERE p.kind = 'supplement' AND a.decided_at IS NULL""",
    "decided appeal without exactly one notice": """
        SELECT i.appeal_id AS application_id, count(m.appeal_id) AS n FROM intake.appeals i
        LEFT JOIN notification.appeal_messages m ON m.appeal_id = i.appeal_id
        WHERE i.status IN ('upheld', 'revised') GROUP BY i.appeal_id HAVING count(m.appeal_id) <> 1""",
}


async def appeals_of(conn) -> dict:
    """What the audit shows of appeals: how many by outcome (open ones too), and the supplements settled."""
    outcomes = dict(await conn.fetch("SELECT coalesce(outcome, 'open'), count(*) FROM disbursement.appeals GROUP BY 1"))
    settled = await conn.fetchrow("SELECT count(*) AS n, coalesce(sum(total_fen), 0)::bigint AS fen FROM disbursement.payments"
                                  " WHERE kind = 'supplement' AND status = 'settled'")
    return {"by_outcome": outcomes, "supplements": settled["n"], "supplement_fen": settled["fen"]}
