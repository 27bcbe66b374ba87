"""Consumer rebalance: two replicas of one department in the same group; one leaves mid-run;
no application is decided twice or lost (real broker, real database).

Two in-process civil_affairs replicas share group_id "civil_affairs" and the schema
civil_affairs, as two containers of one service would. Replica B is stopped in the worst
state a replica can leave: its last events are applied and committed in the database but their
offsets are not committed (its offset commit hangs, as if it crashed between the two). After
the rebalance those events are delivered to replica A again, and the inbox must make them
change nothing; everything published after B left is decided by A.

The observation hooks are deliberately outside the consumer's own code (which may batch or not):
each replica's handlers are wrapped through its ServiceSpec (so every call is attributed to A or
B), `inbox.claim` and `inbox.claim_many` are wrapped to see redeliveries, and B's Kafka consumer's `commit` is wrapped
to hold its acknowledgement.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
import uuid
from collections import Counter

from contracts.envelope import new_envelope
from contracts.events import ApplicationVerified, HouseholdFacts, MemberFacts, PayoutAccount, Residence
from services.departments.civil_affairs import main as civil_affairs_main
from services.kit import broker, inbox
from tests.integration.conftest import eventually, running

log = logging.getLogger(__name__)

N = 120
VERIFIED = "aid.application.verified.v1"
VERIFIED_TOPIC = "aid.application.verified"

FACTS = HouseholdFacts(submitted_on="2026-11-20", region_code="610630", residence=Residence.hukou,
                       members=(MemberFacts(age=40, monthly_income_fen=0),), monthly_income_fen=0, financial_assets_fen=0,
                       owns_vehicle=False, has_supporter=True, covered_oop_fen=0, oop_fen=0, emergency_loss_fen=0)


def verified(application_id):
    data = ApplicationVerified(facts=FACTS, payout_account=PayoutAccount(kind="social_security_card",
                                                                         number="6217000012345678"))
    return new_envelope(VERIFIED, application_id, "verification", data)


@dataclasses.dataclass(frozen=True)
class Call:
    replica: str  # "A" or "B"
    event_type: str
    application_id: uuid.UUID


def kafka_consumers(ctx) -> list:
    return broker.kafka_consumers(ctx.broker)


def verified_partitions(ctx) -> set[int]:
    """The partitions of the verified topic this replica owns right now (empty while rebalancing)."""
    return {tp.partition for kafka in kafka_consumers(ctx) for tp in kafka.assignment() if tp.topic == VERIFIED_TOPIC}


async def test_a_replica_leaving_mid_run_loses_nothing_and_decides_nothing_twice(settings, publish, db, monkeypatch):
    ids = [uuid.uuid4() for _ in range(N)]
    ours = set(ids)
    events = [verified(application_id) for application_id in ids]
    first, second = events[: N // 2], events[N // 2:]
    application_of = {event.event_id: event.application_id for event in events}

    # --- observation hooks ------------------------------------------------------------------------------
    calls: list[Call] = []      # handler calls that completed (inside their transaction)
    errors: list[tuple[str, str, BaseException]] = []
    claims: list[tuple[uuid.UUID, bool, float]] = []  # (event_id, claimed, when)

    def observed(replica, handler):
        async def wrapped(tx, event, data):
            try:
                await handler(tx, event, data)
            except Exception as exc:  # a redelivery past the inbox would fail here, on the decisions PK
                errors.append((replica, event.event_type, exc))
                raise
            calls.append(Call(replica, event.event_type, event.application_id))
        return wrapped

    replicas = iter("AB")
    original_spec = civil_affairs_main.spec

    def labelled_spec(settings):
        spec = original_spec(settings)
        replica = next(replicas)
        return dataclasses.replace(spec, handlers={t: observed(replica, h) for t, h in spec.handlers.items()})

    monkeypatch.setattr(civil_affairs_main, "spec", labelled_spec)

    original_claim = inbox.claim

    async def observed_claim(conn, consumer_name, event_id):
        claimed = await original_claim(conn, consumer_name, event_id)
        claims.append((event_id, claimed, time.monotonic()))
        return claimed

    original_claim_many = inbox.claim_many

    async def observed_claim_many(conn, consumer_name, event_ids):
        fresh = await original_claim_many(conn, consumer_name, event_ids)
        claims.extend((event_id, event_id in fresh, time.monotonic()) for event_id in event_ids)
        return fresh

    monkeypatch.setattr(inbox, "claim", observed_claim)
    monkeypatch.setattr(inbox, "claim_many", observed_claim_many)

    def applied_by(replica) -> set[uuid.UUID]:
        return {c.application_id for c in calls if c.replica == replica and c.event_type == VERIFIED
                and c.application_id in ours}

    holding = asyncio.Event()
    held: set[uuid.UUID] = set()

    def hold_acknowledgements(kafka):
        """B's first offset commit after it applied one of our events never completes: cancelled when B stops."""
        commit = kafka.commit

        async def held_commit(*args, **kwargs):
            if holding.is_set() or applied_by("B"):
                if not holding.is_set():
                    held.update(applied_by("B"))
                    holding.set()
                await asyncio.Event().wait()
            return await commit(*args, **kwargs)

        kafka.commit = held_commit

    async def decided(among=ids) -> int:
        return await db.fetchval("SELECT count(*) FROM civil_affairs.decisions"
                                 " WHERE layer = 1 AND application_id = ANY($1::uuid[])", list(among))

    # --- the run ----------------------------------------------------------------------------------------
    started = time.monotonic()
    async with running("civil_affairs", settings) as a:
        async with running("civil_affairs", settings) as b:
            (kafka_b,) = kafka_consumers(b)
            hold_acknowledgements(kafka_b)

            # 1. the group has rebalanced: both replicas own part of the verified topic, disjointly
            async def split():
                owned_a, owned_b = verified_partitions(a), verified_partitions(b)
                if owned_a and owned_b and not owned_a & owned_b and owned_a | owned_b == {0, 1, 2}:
                    return owned_a, owned_b
                return None

            partitions_a, partitions_b = await eventually(split, timeout=60)
            t_split = time.monotonic()
            log.info("split after %.1fs: A owns verified %s, B owns verified %s",
                     t_split - started, sorted(partitions_a), sorted(partitions_b))

            # 2. the first half; B applies some, then hangs on acknowledging them; A works too
            await asyncio.gather(*(publish(event) for event in first))

            async def both_worked():
                return holding.is_set() and len(applied_by("A")) > 0

            await eventually(both_worked, timeout=60, interval=0.02)
            before_a, before_b = applied_by("A"), applied_by("B")
            decided_at_stop = await decided()
            held_committed = await decided(held)
            b_owned_at_stop = verified_partitions(b)
            t_stop = time.monotonic()
            log.info("stopping B after %.1fs: A applied %d, B applied %d (held unacknowledged: %d), "
                     "%d/%d of the first half decided", t_stop - t_split, len(before_a), len(before_b), len(held),
                     decided_at_stop, len(first))
        # B is stopped here: its consume task cancelled in the held commit, its consumer left the group
        assert b_owned_at_stop, "replica B owned no partition when it was stopped"
        assert held and held_committed == len(held), "B's held events were not committed in the database"

        # 3. the second half, while the group rebalances onto A alone
        await asyncio.gather(*(publish(event) for event in second))

        async def a_owns_everything():
            return verified_partitions(a) == {0, 1, 2}

        await eventually(a_owns_everything, timeout=60)
        t_rebalanced = time.monotonic()

        async def all_decided():
            return await decided() == N

        await eventually(all_decided, timeout=60)
        t_done = time.monotonic()

        async def held_redelivered_and_refused():  # every event B left unacknowledged came back, and was a no-op
            refused = {application_of[e] for e, claimed, when in claims if not claimed and when > t_stop
                       and e in application_of}
            return held <= refused

        await eventually(held_redelivered_and_refused, timeout=30)

        async def all_announced():  # the decisions leave through the outbox too (A's relay; B's was cancelled)
            return await db.fetchval(
                "SELECT count(*) FROM civil_affairs.outbox WHERE topic = 'aid.decision.made'"
                " AND application_id = ANY($1::uuid[]) AND id IN (SELECT id FROM civil_affairs.outbox_pending)", ids) == 0

        await eventually(all_announced, timeout=30)

    # --- no application lost, none decided twice -------------------------------------------------------
    rows = await db.fetch("SELECT application_id, layer, program, outcome FROM civil_affairs.decisions"
                          " WHERE application_id = ANY($1::uuid[])", ids)
    assert len(rows) == N
    assert {r["application_id"] for r in rows} == ours  # every id present: none lost
    assert {r["layer"] for r in rows} == {1}
    assert len({(r["program"], r["outcome"]) for r in rows}) == 1  # same facts, same decision

    announced = await db.fetch("SELECT application_id, payload FROM civil_affairs.outbox"
                               " WHERE topic = 'aid.decision.made' AND application_id = ANY($1::uuid[])", ids)
    layer_1 = Counter()
    for row in announced:
        payload = json.loads(bytes(row["payload"]))
        assert payload["event_type"] == "aid.decision.made.v1"
        if payload["data"]["decision"]["layer"] == 1:
            layer_1[row["application_id"]] += 1
    assert layer_1 == Counter(ids)  # exactly one layer-1 announcement per application

    claimed_in_inbox = await db.fetchval(
        "SELECT count(*) FROM civil_affairs.inbox WHERE consumer = 'civil_affairs' AND event_id = ANY($1::uuid[])",
        [event.event_id for event in events])
    assert claimed_in_inbox == N

    # the handler ran once per application, across both replicas: the redeliveries never reached it
    handler_calls = Counter(c.application_id for c in calls if c.event_type == VERIFIED and c.application_id in ours)
    assert handler_calls == Counter(ids), {k: v for k, v in handler_calls.items() if v != 1}
    assert not errors, f"handler errors: {errors!r}"

    # --- who did what ------------------------------------------------------------------------------------
    after_a, after_b = applied_by("A"), applied_by("B")
    assert before_a and before_b  # both replicas did work before the stop
    assert after_b == before_b == held  # B applied nothing more; all of it was left unacknowledged
    assert not after_a & held  # A got B's held events again but did not apply them
    assert {event.application_id for event in second} <= after_a  # after the stop, only A
    refused = [application_of[e] for e, claimed, _ in claims if not claimed and e in application_of]
    log.warning(
        "rebalance: N=%d; B owned verified %s; applied A=%d B=%d (at stop: A=%d, decided %d/%d); "
        "B left %d committed-but-unacknowledged, redelivered to A and refused by the inbox %d times; "
        "split %.1fs after start, B stopped %.1fs after the split, A owned all %.1fs after the stop, "
        "all %d decided %.1fs after the stop",
        N, sorted(b_owned_at_stop), len(after_a), len(after_b), len(before_a), decided_at_stop, len(first),
        len(held), len(refused), t_split - started, t_stop - t_split, t_rebalanced - t_stop, N, t_done - t_stop)
