"""Referrals: after layer 1 has decided, refer the household to a provider for each service it gets.

Layer 1's decision carries the facts (the services asked for, each member's care level) and the status,
so one event is enough; the routing header lets the other layers' decisions pass undecoded.
"""
from __future__ import annotations

import json

from contracts.events import DecisionMade, ReferralMade
from services.departments.decisions import made_by_layer
from services.kit import tracing
from services.kit.consumer import Tx
from services.referrals import rules, store


@made_by_layer(1)
async def on_living_decided(tx: Tx, event, made: DecisionMade) -> None:
    region = made.facts.region_code
    for referral in rules.referrals_for(made.facts, made.trail.status):
        referral_id = rules.referral_id(tx.application_id, referral.service)
        provider = rules.provider_for(referral.service, region)
        row = await store.make(tx.conn, referral_id, tx.application_id, referral.service.value, provider, region,
                               referral.automatic, json.dumps(tracing.capture()))
        if row is not None:
            await tx.emit("aid.referral.made.v1", ReferralMade(
                referral_id=referral_id, service=referral.service, provider=provider, region_code=region,
                automatic=referral.automatic, made_at=row["made_at"]))


# Most applications get no referral: their decision is skipped before any transaction (no inbox row either).
on_living_decided.accepts = lambda made: made.decision.layer == 1 and bool(rules.referrals_for(made.facts, made.trail.status))

HANDLERS = {"aid.decision.made.v1": on_living_decided}
