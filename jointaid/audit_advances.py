"""`jointaid audit` for advances, waivers and approvals.

Each application whose final payment is made reconciles its advance: the settled advance = what it paid of
the temporary assistance (deducted from the final payment) + what it paid above it (waived); the waiver's
ledger posting = the waived amount; and civil affairs' temporary-assistance fund, over every payment of the
application, = the temporary assistance decided (unless the approver refused the final payment, whose
approval posting is then reversed). A refused payment must have its reversal, and nobody is paid it.
"""
from __future__ import annotations

SETTLED_ADVANCES = """
    SELECT a.application_id, p.payment_id, p.total_fen AS advance_fen, a.advance_deducted_fen, a.waived_fen
    FROM disbursement.applications a JOIN disbursement.payments p ON p.application_id = a.application_id
    AND p.kind = 'advance' AND p.status = 'settled' WHERE a.settled_at IS NOT NULL"""

# each row: the thing named (as application_id, the audit's label column) and a figure n
ADVANCE_ANOMALY_QUERIES = {
    "advance not reconciled with the final payment (advance - deducted - waived)": f"""
        SELECT application_id, advance_fen - advance_deducted_fen - waived_fen AS n FROM ({SETTLED_ADVANCES}) s
        WHERE advance_fen <> advance_deducted_fen + waived_fen""",
    "waiver posting differs from the waived amount": f"""
        SELECT s.application_id, s.waived_fen - coalesce(sum(e.debit_fen), 0) AS n FROM ({SETTLED_ADVANCES}) s
        LEFT JOIN disbursement.ledger_entries e ON e.payment_id = s.payment_id AND e.posting = 'waiver'
        GROUP BY s.application_id, s.waived_fen HAVING s.waived_fen <> coalesce(sum(e.debit_fen), 0)""",
    "temporary assistance paid other than decided (advance + final)": """
        SELECT a.application_id, coalesce(d.amount_fen, 0) - coalesce(sum(e.debit_fen - e.credit_fen), 0) AS n
        FROM disbursement.applications a
        LEFT JOIN disbursement.decisions d ON d.application_id = a.application_id AND d.layer = 4 AND d.outcome = 'approved'
        LEFT JOIN disbursement.payments p ON p.application_id = a.application_id
             AND p.kind IN ('application', 'advance')  -- an appeal's supplement pays against its own decisions
        LEFT JOIN disbursement.ledger_entries e ON e.payment_id = p.payment_id AND e.account = 'fund:civil_affairs'
             AND e.program = 'temporary_assistance'
        WHERE a.settled_at IS NOT NULL AND a.advance_fen > 0
          AND EXISTS (SELECT 1 FROM disbursement.payments v WHERE v.application_id = a.application_id
                      AND v.kind = 'advance' AND v.status = 'settled')
          AND NOT EXISTS (SELECT 1 FROM disbursement.payments r WHERE r.application_id = a.application_id AND r.status = 'refused')
        GROUP BY a.application_id, d.amount_fen
        HAVING coalesce(d.amount_fen, 0) <> coalesce(sum(e.debit_fen - e.credit_fen), 0)""",
    "refused payment without its reversal, or paid": """
        SELECT p.application_id, count(e.id) AS n FROM disbursement.payments p
        LEFT JOIN disbursement.ledger_entries e ON e.payment_id = p.payment_id AND e.posting IN ('reversal', 'settlement')
        WHERE p.status = 'refused' GROUP BY p.payment_id, p.application_id
        HAVING coalesce(sum(e.credit_fen) FILTER (WHERE e.posting = 'reversal'), 0) <> p.total_fen
            OR count(e.id) FILTER (WHERE e.posting = 'settlement') > 0""",
}


async def advances_of(conn) -> dict:
    """What the audit shows of advances: how many and how much were paid, waived, and each waiver."""
    paid = await conn.fetchrow("SELECT count(*) AS n, coalesce(sum(total_fen), 0)::bigint AS fen FROM disbursement.payments"
                               " WHERE kind = 'advance' AND status = 'settled'")
    waivers = await conn.fetch(f"SELECT application_id::text, advance_fen, advance_deducted_fen, waived_fen"
                               f" FROM ({SETTLED_ADVANCES}) s WHERE waived_fen > 0 ORDER BY application_id")
    waiting = await conn.fetchval("SELECT count(*) FROM disbursement.payments WHERE status = 'awaiting_approval'")
    return {"advances": paid["n"], "advanced_fen": paid["fen"], "waived_fen": sum(w["waived_fen"] for w in waivers),
            "waivers": [dict(w) for w in waivers], "awaiting_approval": waiting}
