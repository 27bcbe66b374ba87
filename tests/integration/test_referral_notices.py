"""Referrals on the real database: made once from layer 1's decision, answered once by the provider worker,
and listed in the one notice, which waits (bounded) for answers still out. Handlers are called directly."""
from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timezone

from contracts.envelope import new_envelope
from contracts.events import (CareLevel, Decision, DecisionMade, Department, HouseholdFacts, HouseholdStatus, LayerTrail,
                              MemberFacts, Outcome, PaymentIssued, Program, Recurring, ReferralAnswered, ReferralMade,
                              ReferralService, ReferralStatus, Residence)
from services.kit.consumer import handle
from services.notification.channels import StoredChannel
from services.notification.handlers import deliver, handlers as notification_handlers
from services.notification.message import render_payment
from services.notification.referrals import Releaser
from services.referrals.answerer import Answerer
from services.referrals.handlers import HANDLERS as REFERRAL_HANDLERS
from services.referrals.provider import InProcessProvider
from tests.integration.conftest import direct

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def layer1(application_id: uuid.UUID, status: HouseholdStatus, care: CareLevel | None, asked=()):
    facts = HouseholdFacts(submitted_on=date(2026, 11, 20), region_code="330106", residence=Residence.hukou,
                           members=(MemberFacts(age=70, monthly_income_fen=0, care_level=care),), monthly_income_fen=0,
                           financial_assets_fen=0, owns_vehicle=False, has_supporter=False, covered_oop_fen=0, oop_fen=0,
                           emergency_loss_fen=0, services_requested=asked)
    decision = Decision(department=Department.civil_affairs, program=Program.extreme_poverty, layer=1,
                        outcome=Outcome.approved, amount_fen=112_000, recurring=Recurring.monthly, reason="r")
    made = DecisionMade(decision=decision, facts=facts, trail=LayerTrail(status=status, living_fen=112_000))
    return new_envelope("aid.decision.made.v1", application_id, "civil_affairs", made), made


def payment(application_id: uuid.UUID):
    issued = PaymentIssued(payment_id=uuid.uuid4(), total_fen=112_000, lines=(), decisions=(),
                           account_kind="social_security_card", account_last4="1111")
    return new_envelope("aid.payment.issued.v1", application_id, "disbursement", issued), issued


def made_event(application_id, service=ReferralService.counselling):
    made = ReferralMade(referral_id=uuid.uuid5(application_id, service.value), service=service,
                        provider=f"x-{service.value}", region_code="330106", made_at=NOW)
    return new_envelope("aid.referral.made.v1", application_id, "referrals", made), made


def answered_event(made: ReferralMade, application_id, status=ReferralStatus.fulfilled):
    answered = ReferralAnswered(referral_id=made.referral_id, service=made.service, provider=made.provider,
                                status=status, reason="full" if status is ReferralStatus.refused else "", answered_at=NOW)
    return new_envelope("aid.referral.answered.v1", application_id, "referrals", answered), answered


async def test_layer_one_makes_each_referral_once_and_the_provider_answers_each_once(settings):
    application_id = uuid.uuid4()
    provider = InProcessProvider(frozenset({"home_repair"}))
    async with direct("referrals", settings) as ctx:
        handler = REFERRAL_HANDLERS["aid.decision.made.v1"]
        event, made = layer1(application_id, HouseholdStatus.extreme_poverty, CareLevel.disabled, ("home_repair",))
        await handle(ctx, handler, event, made)
        again, _ = layer1(application_id, HouseholdStatus.extreme_poverty, CareLevel.disabled, ("home_repair",))
        await handle(ctx, handler, again, made)  # the same decision again under a new event id (an appeal's redo)
        rows = await ctx.pool.fetch("SELECT service, automatic, status FROM referrals WHERE application_id = $1"
                                    " ORDER BY service", application_id)
        assert [tuple(r) for r in rows] == [("care", True, "made"), ("home_repair", False, "made")]
        announced = await ctx.pool.fetchval("SELECT count(*) FROM outbox WHERE application_id = $1"
                                            " AND topic = 'aid.referral.made'", application_id)
        assert announced == 2

        answerer = Answerer(provider)
        while await answerer.answer_due(ctx):
            pass
        assert await answerer.answer_due(ctx) == 0  # nothing answered twice
        rows = await ctx.pool.fetch("SELECT service, status, reason FROM referrals WHERE application_id = $1"
                                    " ORDER BY service", application_id)
        assert [(r["service"], r["status"]) for r in rows] == [("care", "fulfilled"), ("home_repair", "refused")]
        assert "no capacity" in rows[1]["reason"]
        answers = await ctx.pool.fetchval("SELECT count(*) FROM outbox WHERE application_id = $1"
                                          " AND topic = 'aid.referral.answered'", application_id)
        assert answers == 2


async def test_mla_household_asking_nothing_gets_no_referral(settings):
    application_id = uuid.uuid4()
    async with direct("referrals", settings) as ctx:
        event, made = layer1(application_id, HouseholdStatus.mla, CareLevel.disabled)
        await handle(ctx, REFERRAL_HANDLERS["aid.decision.made.v1"], event, made)
        assert await ctx.pool.fetchval("SELECT count(*) FROM referrals WHERE application_id = $1", application_id) == 0


async def test_the_notice_waits_for_the_answer_then_lists_it_once(settings):
    application_id = uuid.uuid4()
    channel = StoredChannel()
    handlers = notification_handlers(channel, referral_wait_seconds=30)
    async with direct("notification", settings) as ctx:
        event, made = made_event(application_id)
        await handle(ctx, handlers["aid.referral.made.v1"], event, made)
        event, issued = payment(application_id)
        await handle(ctx, handlers["aid.payment.issued.v1"], event, issued)
        releaser = Releaser(channel, deliver)
        assert await releaser.release_due(ctx) == 0  # still with the provider, within the wait
        assert await ctx.pool.fetchval("SELECT count(*) FROM messages WHERE application_id = $1", application_id) == 0

        event, answered = answered_event(made, application_id)
        await handle(ctx, handlers["aid.referral.answered.v1"], event, answered)
        assert await releaser.release_due(ctx) == 1
        assert await releaser.release_due(ctx) == 0
        text = await ctx.pool.fetchval("SELECT text FROM messages WHERE application_id = $1", application_id)
        assert "- 心理疏导：已安排，由 x-counselling 提供" in text
        sent = await ctx.pool.fetchval("SELECT count(*) FROM outbox WHERE application_id = $1"
                                       " AND topic = 'aid.notification.sent'", application_id)
        assert sent == 1


async def test_a_notice_whose_wait_is_over_goes_with_the_referral_still_referred(settings):
    application_id = uuid.uuid4()
    channel = StoredChannel()
    handlers = notification_handlers(channel, referral_wait_seconds=0.2)
    async with direct("notification", settings) as ctx:
        event, made = made_event(application_id, ReferralService.employment)
        await handle(ctx, handlers["aid.referral.made.v1"], event, made)
        event, issued = payment(application_id)
        await handle(ctx, handlers["aid.payment.issued.v1"], event, issued)
        await asyncio.sleep(0.3)
        assert await Releaser(channel, deliver).release_due(ctx) == 1
        text = await ctx.pool.fetchval("SELECT text FROM messages WHERE application_id = $1", application_id)
        assert "- 就业培训：已转介 x-employment，服务机构将与您联系" in text
        # the late answer is kept (the view shows it) but sends nothing more: one message
        event, answered = answered_event(made, application_id, ReferralStatus.refused)
        await handle(ctx, handlers["aid.referral.answered.v1"], event, answered)
        assert await Releaser(channel, deliver).release_due(ctx) == 0
        assert await ctx.pool.fetchval("SELECT count(*) FROM messages WHERE application_id = $1", application_id) == 1


async def test_an_answer_before_its_referral_is_not_undone_and_no_referral_means_no_wait(settings):
    application_id = uuid.uuid4()
    channel = StoredChannel()
    handlers = notification_handlers(channel, referral_wait_seconds=30)
    async with direct("notification", settings) as ctx:
        made_env, made = made_event(application_id, ReferralService.home_repair)
        event, answered = answered_event(made, application_id, ReferralStatus.refused)
        await handle(ctx, handlers["aid.referral.answered.v1"], event, answered)
        await handle(ctx, handlers["aid.referral.made.v1"], made_env, made)  # other topic, later
        assert await ctx.pool.fetchval("SELECT status FROM referrals WHERE referral_id = $1", made.referral_id) == "refused"
        event, issued = payment(application_id)
        await handle(ctx, handlers["aid.payment.issued.v1"], event, issued)  # every referral answered: sent at once
        text = await ctx.pool.fetchval("SELECT text FROM messages WHERE application_id = $1", application_id)
        assert "- 居家改造：未能安排（full），可向受理窗口另行申请" in text

        plain_id = uuid.uuid4()
        event, issued = payment(plain_id)
        await handle(ctx, handlers["aid.payment.issued.v1"], event, issued)
        text = await ctx.pool.fetchval("SELECT text FROM messages WHERE application_id = $1", plain_id)
        assert text == render_payment(issued)  # no referrals: the notice as it always was
