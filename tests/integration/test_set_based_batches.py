"""Set-based handlers (`handler.many`): a consumer batch applied through them ends exactly where the same
events applied one by one end (real PostgreSQL, the consumer's own `apply_batch`)."""
from __future__ import annotations

import json
import random
from datetime import datetime, timezone
import uuid

from aiokafka.structs import ConsumerRecord

from contracts.envelope import new_envelope
from contracts.events import NotificationSent, PaymentIssued, PaymentKind, PaymentLine
from services.disbursement.handlers import handlers as disbursement_handlers
from services.disbursement.rail import InProcessRail
from services.disbursement.settler import Settler
from services.intake.status_view import HANDLERS as STATUS_VIEW
from services.kit.consumer import Delivery, apply_batch, handle, topic_of
from tests.integration.conftest import direct
from tests.integration.test_disbursement import ANSWERS, TOTAL, decision, verified


def traceparent(trace_id: int) -> str:
    return f"00-{trace_id:032x}-{1:016x}-01"


def delivery(table, event, data, offset: int, trace_id: int) -> Delivery:
    """What the consumer builds from a record: the record carries the publisher's trace context."""
    record = ConsumerRecord(topic_of(event.event_type), 0, offset, 0, 0, None, event.model_dump_json().encode(), None,
                            0, 0, [("traceparent", traceparent(trace_id).encode())])
    return Delivery(record, event, data, table[event.event_type])


def no_batch_fell_back(caplog) -> bool:
    """The consumer applies a failed batch again one by one, which ends in the same place: the set-based form must
    not have failed for the comparison to test it."""
    return not [r for r in caplog.records if "applying its events one by one" in r.getMessage()]


def in_batches(deliveries: list, size: int):
    return [deliveries[i:i + size] for i in range(0, len(deliveries), size)]


async def test_batched_decisions_pay_each_application_once_under_its_own_trace(settings, caplog):
    rng = random.Random(11)
    table = disbursement_handlers(3600)
    assert hasattr(table["aid.decision.made.v1"], "many") and hasattr(table["aid.application.verified.v1"], "many")
    async with direct("disbursement", settings) as ctx:
        applications, events = [], []
        for n in range(40):
            application_id = uuid.uuid4()
            applications.append((application_id, n + 1))
            mine = [decision(application_id, layer) for layer in range(1, 6)] + [verified(application_id)]
            mine.append(decision(application_id, rng.randrange(1, 6)))  # a copy with a new event id: never paid
            mine.append(rng.choice(mine))  # a redelivery: the same event id
            events += [(event, data, n + 1) for event, data in mine]
        rng.shuffle(events)
        deliveries = [delivery(table, e, d, offset, trace) for offset, (e, d, trace) in enumerate(events)]
        for batch in in_batches(deliveries, 37):
            await apply_batch(ctx, batch)
        settler = Settler(InProcessRail(), attempts=3, backoff_seconds=0)
        while await settler.settle_due(ctx, limit=50):
            pass
        for application_id, trace_id in applications:
            payments = await ctx.pool.fetch("SELECT total_fen, status FROM payments WHERE application_id = $1", application_id)
            assert [tuple(p) for p in payments] == [(TOTAL, "settled")]
            stored = await ctx.pool.fetch("SELECT layer, amount_fen, trace_headers FROM decisions WHERE application_id = $1"
                                          " ORDER BY layer", application_id)
            assert [(r["layer"], r["amount_fen"]) for r in stored] == [(n, a[3]) for n, a in enumerate(ANSWERS, start=1)]
            # each decision keeps its own event's trace, though stored in one statement with others'
            assert {json.loads(r["trace_headers"])["traceparent"].split("-")[1] for r in stored} == {f"{trace_id:032x}"}
        copies = await ctx.pool.fetchval("SELECT count(*) FROM decision_copies WHERE application_id = ANY($1::uuid[])",
                                         [a for a, _ in applications])
        assert copies == 40
        assert no_batch_fell_back(caplog)


async def add_application(conn, application_id) -> None:
    await conn.execute("INSERT INTO applications(application_id, status, status_rank, submission) VALUES ($1, 'submitted',"
                       " 0, '{}')", application_id)


def chain(application_id) -> list:
    """An application's events as the status view sees them, example A's answers, paid and notified."""
    events = [verified(application_id)]
    events += [decision(application_id, layer) for layer in range(1, 6)]
    payment = PaymentIssued(payment_id=uuid.uuid4(), total_fen=TOTAL, kind=PaymentKind.application,
                            lines=tuple(PaymentLine(department=a[0], program=a[1], amount_fen=a[3]) for a in ANSWERS if a[3]),
                            decisions=(), account_kind="social_security_card", account_last4="5678", language="zh")
    events.append((new_envelope("aid.payment.issued.v1", application_id, "disbursement", payment), payment))
    sent = NotificationSent(channel="sms", text="ok", sent_at=datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc))
    events.append((new_envelope("aid.notification.sent.v1", application_id, "notification", sent), sent))
    return events


VIEW = ("SELECT status, status_rank, registry_checks, payment - 'payment_id' AS payment, notification,"
        " ARRAY(SELECT (layer, department, program, outcome, amount_fen, recurring, reason)::text FROM decisions d"
        " WHERE d.application_id = a.application_id ORDER BY layer) AS decisions,"
        " ARRAY(SELECT (kind, total_fen, status)::text FROM application_payments p WHERE p.application_id = a.application_id)"
        " AS payments FROM applications a WHERE application_id = $1")


async def test_the_status_view_from_batches_is_the_view_from_single_events(settings):
    assert all(hasattr(STATUS_VIEW[t], "many") for t in ("aid.application.verified.v1", "aid.decision.made.v1",
                                                         "aid.payment.issued.v1", "aid.notification.sent.v1"))
    async with direct("intake", settings) as ctx:
        alone, batched = uuid.uuid4(), [uuid.uuid4() for _ in range(12)]
        for application_id in [alone, *batched]:
            await add_application(ctx.pool, application_id)
        for event, data in chain(alone):
            await handle(ctx, STATUS_VIEW[event.event_type], event, data)
        # the batched ones: every event type in runs of several applications, in the chain's order
        events = [e for step in zip(*(chain(a) for a in batched)) for e in step]
        events.insert(3, events[0])  # a redelivery inside the batch
        deliveries = [delivery(STATUS_VIEW, e, d, offset, 1) for offset, (e, d) in enumerate(events)]
        for batch in in_batches(deliveries, 30):
            await apply_batch(ctx, batch)
        expected = dict(await ctx.pool.fetchrow(VIEW, alone))
        assert expected["status"] == "notified" and len(expected["decisions"]) == 5 and expected["payments"]
        for application_id in batched:
            assert dict(await ctx.pool.fetchrow(VIEW, application_id)) == expected


async def test_a_department_decides_a_batch_as_one_by_one_each_event_under_its_own_trace(settings):
    from services.departments.civil_affairs.handlers import HANDLERS as CIVIL_AFFAIRS
    assert hasattr(CIVIL_AFFAIRS["aid.application.verified.v1"], "many")
    async with direct("civil_affairs", settings) as ctx:
        alone, batched = uuid.uuid4(), [uuid.uuid4() for _ in range(20)]
        await handle(ctx, CIVIL_AFFAIRS["aid.application.verified.v1"], *verified(alone))
        deliveries = [delivery(CIVIL_AFFAIRS, *verified(a), offset, n + 1) for offset, (n, a) in enumerate(enumerate(batched))]
        await apply_batch(ctx, deliveries)
        decided = ("SELECT layer, program, outcome, amount_fen, reason, facts, trail FROM decisions WHERE application_id = $1")
        expected = [dict(r) for r in await ctx.pool.fetch(decided, alone)]
        assert expected and expected[0]["layer"] == 1
        for n, application_id in enumerate(batched, start=1):
            assert [dict(r) for r in await ctx.pool.fetch(decided, application_id)] == expected
            (announced,) = await ctx.pool.fetch("SELECT trace_headers FROM outbox WHERE application_id = $1"
                                                " AND topic = 'aid.decision.made'", application_id)
            assert json.loads(announced["trace_headers"])["traceparent"].split("-")[1] == f"{n:032x}"


async def apply_steps(ctx, steps: list[list]) -> None:
    """Apply each step's deliveries, batch after batch."""
    for batches in steps:
        for batch in batches:
            await apply_batch(ctx, batch)


async def verification_ends(ctx, application_ids: list) -> list[tuple]:
    """Each application's outcome, outbox topics, how many traces its rows carry, and whether it holds its applicant."""
    ends = []
    for application_id in application_ids:
        row = await ctx.pool.fetchrow("SELECT outcome, rule FROM verifications WHERE application_id = $1", application_id)
        out = await ctx.pool.fetch("SELECT topic, trace_headers FROM outbox WHERE application_id = $1 ORDER BY id", application_id)
        traces = {json.loads(r["trace_headers"]).get("traceparent", "-").split("-")[1] for r in out}
        holding = await ctx.pool.fetchval("SELECT count(*) FROM active_applicants WHERE application_id = $1", application_id)
        ends.append((tuple(row) if row else None, [r["topic"] for r in out], len(traces), holding))
    return ends


async def test_verification_in_batches_ends_where_one_by_one_ends(settings, caplog):
    """Submissions (one invalid, two by one applicant), the registries' answers (one twice, under a new event id), then
    the notices: through the set-based forms in batches, and one by one, the same outcomes, each under its own trace."""
    from contracts.events import ApplicationSubmitted, RegistryAnswered, RegistryPerson
    from jointaid.bench import make_applications
    from services.verification.handlers import HANDLERS as VERIFICATION

    assert all(hasattr(handler, "many") for handler in VERIFICATION.values())
    bodies = make_applications(12, seed=5)
    bodies.insert(4, json.loads(json.dumps(bodies[2])))  # the same applicant again, while the first is in progress
    bodies.insert(7, {"applicant_id_number": "not one"})  # fails intake's rules
    now = datetime.now(timezone.utc)

    def events_for(application_ids):
        submitted = [new_envelope("aid.application.submitted.v1", a, "intake", ApplicationSubmitted(submission=b, submitted_at=now))
                     for a, b in zip(application_ids, bodies)]
        answers = []
        for a, body in zip(application_ids, bodies):
            people = tuple(RegistryPerson(id_number=m["id_number"], known=False) for m in body.get("household", {}).get("members", ()))
            answers.append(new_envelope("aid.registry.answered.v1", a, "registries", RegistryAnswered(people=people or (
                RegistryPerson(id_number="x", known=False),), answered_at=now)))
        answers.append(answers[0].model_copy(update={"event_id": uuid.uuid4()}))  # answered twice: verified once
        notices = [new_envelope("aid.notification.sent.v1", a, "notification",
                                NotificationSent(channel="stored", text="done", sent_at=now)) for a in application_ids]
        return [submitted, answers, notices]

    async def run(batch_size: int):
        application_ids = [uuid.uuid4() for _ in bodies]
        trace_of = {a: n + 1 for n, a in enumerate(application_ids)}
        steps = []
        for k, events in enumerate(events_for(application_ids)):
            deliveries = [delivery(VERIFICATION, e, _data(e), 1000 * k + i, trace_of[e.application_id])
                          for i, e in enumerate(events)]
            steps.append(in_batches(deliveries, batch_size))
        await apply_steps(ctx, steps[:2])
        before_notices = await verification_ends(ctx, application_ids)
        await apply_steps(ctx, steps[2:])
        return before_notices, await verification_ends(ctx, application_ids)

    async with direct("verification", settings) as ctx:
        one_by_one = await run(batch_size=1)
        batched = await run(batch_size=5)
    assert batched == one_by_one and no_batch_fell_back(caplog)
    before, after = batched
    assert before[2][0] == ("verified", None) and before[4][0] == ("rejected", "application_in_progress")
    assert before[7][0] == ("rejected", "invalid_submission")
    assert before[0][1] == ["aid.registry.query", "aid.application.verified"]  # once, though answered twice
    assert all(traces == 1 for _, _, traces, _ in before)  # every row under its own application's trace
    assert [holding for *_, holding in before].count(1) == len(bodies) - 2 and all(end[3] == 0 for end in after)


def _data(event):
    from services.kit.consumer import parse

    return parse(event.model_dump_json().encode())[1]


async def test_registry_queries_in_batches_answer_as_one_by_one(settings, caplog):
    """Queries overlapping in who they ask, some people known: batched answers equal one-by-one answers, in the
    asked order, each under its own query's trace, and every answer logged."""
    from contracts.events import RegistryQuery
    from contracts.registry import RegistryRecord
    from jointaid.bench import make_applications
    from services.registries import store
    from services.registries.handlers import HANDLERS as REGISTRIES

    assert hasattr(REGISTRIES["aid.registry.query.v1"], "many")
    members = [m["id_number"] for body in make_applications(6, seed=9) for m in body["household"]["members"]]
    known = members[::2]
    queries = [tuple(members[i:i + 3]) for i in range(0, len(members) - 2, 2)] + [(members[1].lower(),)]

    async def answers(batch_size: int) -> list:
        application_ids = [uuid.uuid4() for _ in queries]
        events = [new_envelope("aid.registry.query.v1", a, "verification", RegistryQuery(id_numbers=q))
                  for a, q in zip(application_ids, queries)]
        deliveries = [delivery(REGISTRIES, e, _data(e), i, i + 1) for i, e in enumerate(events)]
        for batch in in_batches(deliveries, batch_size):
            await apply_batch(ctx, batch)
        found = []
        for application_id in application_ids:
            row = await ctx.pool.fetchrow("SELECT payload, trace_headers FROM outbox WHERE application_id = $1", application_id)
            people = json.loads(row["payload"])["data"]["people"]
            logged = await ctx.pool.fetchrow("SELECT asked, known FROM answers WHERE application_id = $1", application_id)
            found.append(([(p["id_number"], p["known"]) for p in people], tuple(logged),
                          json.loads(row["trace_headers"])["traceparent"].split("-")[1]))
        return found

    async with direct("registries", settings) as ctx:
        async with ctx.pool.acquire() as conn, conn.transaction():
            await store.load(conn, [store.staged_row(n, RegistryRecord(
                id_number=i, household_id="h", hukou_region="110101", alive=True, monthly_income_fen=0,
                financial_assets_fen=0, vehicles=0)) for n, i in enumerate(known, 1)])
        one_by_one, batched = await answers(1), await answers(4)
    assert [(people, logged) for people, logged, _ in batched] == [(people, logged) for people, logged, _ in one_by_one]
    assert no_batch_fell_back(caplog)
    assert [trace for *_, trace in batched] == [f"{n:032x}" for n in range(1, len(queries) + 1)]
    assert batched[0][0] == [(members[0], True), (members[1], False), (members[2], True)]
    assert batched[-1][1] == (1, 0)


async def test_caseload_parts_in_batches_enrol_as_one_by_one(settings, caplog):
    """Each application's three case-file parts (another layer's decision among them, ignored), shuffled: in batches
    through the set-based forms, and one by one, the same households enrolled once each, each event under its trace."""
    from contracts.events import ApplicationSubmitted
    from jointaid.bench import make_applications
    from services.caseload.handlers import HANDLERS as CASELOAD
    from tests.integration.test_disbursement import decision, verified

    assert all(hasattr(CASELOAD[t], "many") for t in ("aid.application.submitted.v1", "aid.application.verified.v1",
                                                      "aid.decision.made.v1"))
    bodies = make_applications(10, seed=13)
    now = datetime.now(timezone.utc)

    async def enrol(batch_size: int) -> list:
        application_ids = [uuid.uuid4() for _ in bodies]
        events = []
        for n, (a, body) in enumerate(zip(application_ids, bodies)):
            parts = [new_envelope("aid.application.submitted.v1", a, "intake", ApplicationSubmitted(submission=body, submitted_at=now)),
                     verified(a, account=f"62170000{n:08d}")[0], decision(a, 1)[0], decision(a, 2)[0]]
            events += [(e, n + 1) for e in parts]
        random.Random(batch_size).shuffle(events)
        deliveries = [delivery(CASELOAD, e, _data(e), i, trace) for i, (e, trace) in enumerate(events)]
        for batch in in_batches(deliveries, batch_size):
            await apply_batch(ctx, batch)
        ends = []
        for n, a in enumerate(application_ids):
            recipient = await ctx.pool.fetchrow("SELECT recipient_id, status, monthly_amount_fen, payout_number FROM recipients"
                                                " WHERE application_id = $1", a)
            kept = await ctx.pool.fetchrow("SELECT submission IS NULL AS forgotten, enrolled_at IS NOT NULL AS enrolled"
                                           " FROM case_files WHERE application_id = $1", a)
            changed = await ctx.pool.fetch("SELECT trace_headers FROM outbox WHERE topic = 'aid.recipient.changed'"
                                           " AND application_id = $1", recipient["recipient_id"])
            traces = {json.loads(r["trace_headers"])["traceparent"].split("-")[1] for r in changed}
            ends.append((recipient["status"], recipient["monthly_amount_fen"], recipient["payout_number"], tuple(kept),
                         len(changed), traces <= {f"{n + 1:032x}"}))
            await ctx.pool.execute("DELETE FROM recipient_history WHERE recipient_id = $1", recipient["recipient_id"])
            await ctx.pool.execute("DELETE FROM recipients WHERE recipient_id = $1", recipient["recipient_id"])
            await ctx.pool.execute("DELETE FROM outbox WHERE application_id = $1", recipient["recipient_id"])
        return ends

    async with direct("caseload", settings) as ctx:
        one_by_one, batched = await enrol(1), await enrol(7)
    assert batched == one_by_one and no_batch_fell_back(caplog)
    assert all(end[3] == (True, True) and end[4] == 1 and end[5] for end in batched)
    assert [end[2] for end in batched] == [f"62170000{n:08d}" for n in range(len(bodies))]


def paid(application_id) -> tuple:
    """Example A's payment announcement (chain's), as notification receives it."""
    return chain(application_id)[6]


async def test_payment_notices_in_batches_are_the_notices_one_by_one(settings, caplog):
    from services.notification.channels import StoredChannel
    from services.notification.handlers import handlers as notification_handlers

    table = notification_handlers(StoredChannel(), "zh", referral_wait_seconds=30)
    assert hasattr(table["aid.payment.issued.v1"], "many")
    async with direct("notification", settings) as ctx:
        alone, batched, held = uuid.uuid4(), [uuid.uuid4() for _ in range(15)], uuid.uuid4()
        for application_id in (alone, *batched):  # a referral answered: listed in the notice
            await ctx.pool.execute("INSERT INTO referrals(referral_id, application_id, service, provider, automatic, status)"
                                   " VALUES ($1, $2, 'care', 'Provider', true, 'fulfilled')", uuid.uuid4(), application_id)
        await ctx.pool.execute("INSERT INTO referrals(referral_id, application_id, service, provider, automatic, status)"
                               " VALUES ($1, $2, 'care', 'Provider', true, 'made')", uuid.uuid4(), held)  # unanswered
        await handle(ctx, table["aid.payment.issued.v1"], *paid(alone))
        events = [paid(a) for a in (*batched, held)]
        events.insert(4, paid(batched[0]))  # the same application's announcement again, a new event id
        deliveries = [delivery(table, e, d, offset, n + 1) for n, (offset, (e, d)) in enumerate(enumerate(events))]
        await apply_batch(ctx, deliveries)
        # each notice names its own payment: compared with the payment ids left out
        message = ("SELECT kind, channel, language, regexp_replace(text, '[0-9a-f-]{36}', '<payment>') AS text"
                   " FROM messages WHERE application_id = $1")
        expected = [dict(r) for r in await ctx.pool.fetch(message, alone)]
        assert len(expected) == 1 and "Provider" in expected[0]["text"] and "<payment>" in expected[0]["text"]
        for application_id in batched:
            assert [dict(r) for r in await ctx.pool.fetch(message, application_id)] == expected
            (sent,) = await ctx.pool.fetch("SELECT trace_headers FROM outbox WHERE application_id = $1"
                                           " AND topic = 'aid.notification.sent'", application_id)
            first = next(n for n, (e, _) in enumerate(events, start=1) if e.application_id == application_id)
            assert json.loads(sent["trace_headers"])["traceparent"].split("-")[1] == f"{first:032x}"  # its own event's
        assert await ctx.pool.fetch(message, held) == []  # held for the provider's answer, as alone
        assert await ctx.pool.fetchval("SELECT count(*) FROM held_notices WHERE application_id = $1", held) == 1
        assert no_batch_fell_back(caplog)
