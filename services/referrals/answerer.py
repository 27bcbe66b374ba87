"""The provider worker: hand each referral made to its provider and announce the answer (as the rail worker
settles payments). The answer and its event are written in one transaction, so each referral is answered once."""
from __future__ import annotations

import json
import logging

from contracts.events import ReferralAnswered, ReferralService
from services.kit import tracing
from services.kit.consumer import Tx
from services.kit.worker import BackgroundWorker
from services.referrals import store
from services.referrals.provider import Provider

log = logging.getLogger(__name__)


class Answerer(BackgroundWorker):
    def __init__(self, provider: Provider):
        self.provider = provider
        super().__init__("provider worker")

    async def round(self, ctx) -> bool:
        return await self.answer_due(ctx) > 0

    async def answer_due(self, ctx, limit: int = 50) -> int:
        async with ctx.pool.acquire() as conn, conn.transaction():
            due = await store.unanswered(conn, limit)
            for referral in due:
                with tracing.resumed(json.loads(referral["trace_headers"])):
                    await self.answer_one(Tx(conn, "referrals", referral["application_id"]), referral)
        if due:
            ctx.relay.wake()
        return len(due)

    async def answer_one(self, tx: Tx, referral) -> None:
        service = ReferralService(referral["service"])
        answer = await self.provider.answer(service, referral["provider"], referral["region_code"])
        row = await store.answered(tx.conn, referral["referral_id"], answer)
        log.info("provider: referral %s (%s) %s", referral["referral_id"], service.value, answer.status.value)
        await tx.emit("aid.referral.answered.v1", ReferralAnswered(
            referral_id=referral["referral_id"], service=service, provider=referral["provider"], status=answer.status,
            reason=answer.reason, reason_zh=answer.reason_zh, answered_at=row["answered_at"]))
