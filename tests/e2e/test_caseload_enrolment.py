"""An application approved for a caseload program makes its household a recipient; others leave nothing."""
from __future__ import annotations

import asyncio
import time

import asyncpg

from services.caseload.amounts import next_period, recipient_id_of, review_due_on
from tests.e2e.conftest import EXAMPLES


async def recipients_and_files(url: str, application_ids: list[str]):
    """Recipients by household (another test may submit the same example again and re-enrol it)."""
    conn = await asyncpg.connect(url)
    try:
        households = [recipient_id_of(body["applicant_id_number"]) for body in EXAMPLES.values()]
        recipients = {r["recipient_id"]: r for r in await conn.fetch(
            "SELECT r.*, (SELECT array_agg(change ORDER BY id) FROM caseload.recipient_history h"
            "   WHERE h.recipient_id = r.recipient_id) AS changes"
            " FROM caseload.recipients r WHERE r.recipient_id = ANY($1::uuid[])", households)}
        files = {r["application_id"]: r for r in await conn.fetch(
            "SELECT application_id::text AS application_id, submission IS NULL AS forgotten, payout_number IS NULL AS"
            " no_account, enrolled_at FROM caseload.case_files WHERE application_id = ANY($1::uuid[])", application_ids)}
        return recipients, files
    finally:
        await conn.close()


def test_approved_living_status_enrols_the_household(system, worked_examples):
    ids = {name: view["application_id"] for name, view in worked_examples.items()}
    deadline = time.monotonic() + 30
    while True:
        recipients, files = asyncio.run(recipients_and_files(system.database_url, list(ids.values())))
        if len(recipients) == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    enrolled = {name: recipients[r] for name, body in EXAMPLES.items()
                if (r := recipient_id_of(body["applicant_id_number"])) in recipients}
    assert sorted(enrolled) == ["A", "C", "D"]  # mla, extreme_poverty, low_income; B has no living status
    assert (enrolled["A"]["status"], enrolled["A"]["monthly_amount_fen"]) == ("mla", 92000)
    assert (enrolled["C"]["status"], enrolled["C"]["monthly_amount_fen"]) == ("extreme_poverty", 130500)
    assert (enrolled["D"]["status"], enrolled["D"]["monthly_amount_fen"]) == ("low_income", 0)
    for name, row in enrolled.items():
        assert row["recipient_id"] == recipient_id_of(EXAMPLES[name]["applicant_id_number"])
        assert row["first_period"] == next_period(row["enrolled_on"])
        assert row["next_review_on"] == review_due_on(row["enrolled_on"])
        assert set(row["changes"]) == {"enrolled"}  # once per application that enrolled it
        assert row["payout_number"] == EXAMPLES[name]["payout_account"]["number"]
    # every case file forgets the submission's personal data once decided; B's was never enrolled
    assert all(files[i]["forgotten"] and files[i]["no_account"] for i in ids.values())
    assert files[ids["B"]]["enrolled_at"] is None
