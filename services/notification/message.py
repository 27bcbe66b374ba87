"""The text of the one message each citizen receives (pure functions, no I/O).

Table-driven: every word shown to the citizen comes from LABELS / TEXT, per language, except each
decision's reason, which its department wrote: `reason_zh` (plain Chinese) in a Chinese message when
the decision has one, else `reason` (English, also the caseworkers' text).
No personal data: the payout account appears only as its kind and last 4 characters.
"""
from __future__ import annotations

from typing import Sequence

from contracts.events import (
    ApplicationRejected,
    Decision,
    Department,
    Language,
    Outcome,
    PaymentIssued,
    Program,
    Recurring,
)
from services.kit.money import format_yuan
from services.notification.referral_message import ReferralNote, referral_lines

APPEAL_DAYS = 60

LABELS: dict[Language, dict] = {
    Language.zh: {
        "department": {
            Department.civil_affairs: "民政",
            Department.medical_insurance: "医保",
            Department.red_cross: "红十字会",
        },
        "program": {
            Program.extreme_poverty: "特困供养",
            Program.mla: "最低生活保障",
            Program.low_income: "低收入（边缘）认定",
            Program.critical_illness_insurance: "大病保险",
            Program.medical_assistance: "医疗救助",
            Program.temporary_assistance: "临时救助",
            Program.major_illness_relief: "大病救助",
        },
        "outcome": {
            Outcome.approved: "批准",
            Outcome.denied: "不予批准",
            Outcome.not_applicable: "不适用",
        },
        "account": {"social_security_card": "社保卡", "bank_card": "银行卡", "bank_account": "银行账户"},
    },
    Language.en: {
        "department": {
            Department.civil_affairs: "Civil Affairs",
            Department.medical_insurance: "Medical Insurance",
            Department.red_cross: "Red Cross",
        },
        "program": {
            Program.extreme_poverty: "extreme-poverty support",
            Program.mla: "minimum living allowance",
            Program.low_income: "low-income (margin) status",
            Program.critical_illness_insurance: "critical-illness insurance",
            Program.medical_assistance: "medical assistance",
            Program.temporary_assistance: "temporary assistance",
            Program.major_illness_relief: "major-illness relief",
        },
        "outcome": {
            Outcome.approved: "approved",
            Outcome.denied: "not approved",
            Outcome.not_applicable: "not applicable",
        },
        "account": {"social_security_card": "social security card", "bank_card": "bank card",
                    "bank_account": "bank account"},
    },
}

TEXT: dict[Language, dict[str, str]] = {
    Language.zh: {
        "greeting": "您好！",
        "intro": "您的联合救助申请已办结，各部门的决定如下：",
        "decision": "{n}. {dept}｜{program}：{outcome}，{amount} 元{note}。理由：{reason}",
        "first_month": "（首月）",
        "total": "合计：{amount} 元",
        "payment": "支付编号：{payment_id}",
        "no_payment": "本次没有应付款项，因此不发生支付。",
        "account": "收款账户：{kind} 尾号 {last4}",
        "monthly_head": "按月发放：",
        "monthly": "- {program} 每月 {amount} 元，自下月起按月发放（本月已含在本次支付中）",
        "appeal": "如对上述决定有异议，可自收到本通知之日起{days}日内向{depts}申请复核。",
        "advance_paid": "其中临时救助已先行预付 {advance} 元，本次支付其余 {rest} 元。",
        "advance_waived": "预付金额超出核定临时救助的 {waived} 元予以免除，无需退还。",
        "declared_only": "第{members}位成员未在部门登记中查到，按申报信息认定。",
        "sep": "、",
        "rejected": "很抱歉，您的救助申请未被受理。",
        "reason": "原因：{reason}",
        "rule": "依据规则：{rule}",
        "reapply": ("情况变化或材料补齐后，您可以重新提交申请；如对本决定有异议，"
                    "可自收到本通知之日起{days}日内向受理窗口申请复核。"),
    },
    Language.en: {
        "greeting": "Hello,",
        "intro": "Your joint assistance application has been decided. Each department's decision:",
        "decision": "{n}. {dept} - {program}: {outcome}, {amount} yuan{note}. Reason: {reason}",
        "first_month": " (first month)",
        "total": "Total: {amount} yuan",
        "payment": "Payment reference: {payment_id}",
        "no_payment": "No payment is made because nothing is due.",
        "account": "Payout account: {kind} ending {last4}",
        "monthly_head": "Paid monthly:",
        "monthly": ("- {program} {amount} yuan per month from next month "
                    "(this month's amount is included in this payment)"),
        "appeal": ("If you disagree with a decision, you may appeal within {days} days "
                   "of receiving this message to: {depts}."),
        "advance_paid": "Of this, {advance} yuan of temporary assistance was advanced already; this payment is the remaining {rest} yuan.",
        "advance_waived": "The {waived} yuan advanced above the temporary assistance decided is waived: nothing to pay back.",
        "declared_only": "Member(s) {members}: in no registry; decided on what was declared.",
        "sep": ", ",
        "rejected": "We are sorry: your application for assistance was not accepted.",
        "reason": "Reason: {reason}",
        "rule": "Rule: {rule}",
        "reapply": ("You may apply again once your situation changes or the missing items are ready; "
                    "if you disagree with this decision, you may appeal within {days} days "
                    "of receiving this message at the window where you applied."),
    },
}


def _lang(language: Language | str | None) -> Language:
    """English only when asked for; Chinese otherwise."""
    return Language.en if language in (Language.en, "en") else Language.zh


def _is_monthly(d: Decision) -> bool:
    return d.recurring == Recurring.monthly and d.amount_fen > 0


def _account_kind(kind: str, lang: Language) -> str:
    return LABELS[lang]["account"].get(kind, kind.replace("_", " "))


def _reason(d: Decision, lang: Language) -> str:
    """The department's plain Chinese reason for a Chinese message when it wrote one; else the English one."""
    return d.reason_zh if lang == Language.zh and d.reason_zh else d.reason


def _decision_line(n: int, d: Decision, lang: Language) -> str:
    labels, text = LABELS[lang], TEXT[lang]
    return text["decision"].format(
        n=n,
        dept=labels["department"][d.department],
        program=labels["program"][d.program],
        outcome=labels["outcome"][d.outcome],
        amount=format_yuan(d.amount_fen),
        reason=_reason(d, lang),
        note=text["first_month"] if _is_monthly(d) else "",
    )


def _monthly_lines(decisions: list[Decision], lang: Language) -> list[str]:
    monthly = [d for d in decisions if _is_monthly(d)]
    if not monthly:
        return []
    text, programs = TEXT[lang], LABELS[lang]["program"]
    return [text["monthly_head"]] + [
        text["monthly"].format(program=programs[d.program], amount=format_yuan(d.amount_fen))
        for d in monthly
    ]


def _departments(decisions: list[Decision], lang: Language) -> str:
    names = LABELS[lang]["department"]
    seen = list(dict.fromkeys(d.department for d in decisions)) or list(Department)
    return TEXT[lang]["sep"].join(names[dep] for dep in seen)


def render_payment(event: PaymentIssued, language: Language = Language.zh, referrals: Sequence[ReferralNote] = ()) -> str:
    """One consolidated message explaining every decision, the single payment and the services referred."""
    lang = _lang(language)
    text = TEXT[lang]
    decisions = sorted(event.decisions, key=lambda d: d.layer)
    lines = [text["greeting"], text["intro"]]
    lines += [_decision_line(n, d, lang) for n, d in enumerate(decisions, start=1)]
    lines.append(text["total"].format(amount=format_yuan(event.total_fen + event.advance_fen)))
    lines += _advance_lines(event, text)
    if event.payment_id is None:
        lines.append(text["no_payment"])
    else:
        lines.append(text["payment"].format(payment_id=event.payment_id))
    lines.append(text["account"].format(kind=_account_kind(event.account_kind, lang),
                                        last4=event.account_last4[-4:]))
    lines += _monthly_lines(decisions, lang)
    if event.declared_only_members:
        lines.append(text["declared_only"].format(members=text["sep"].join(map(str, event.declared_only_members))))
    lines += referral_lines(referrals, lang)
    lines.append(text["appeal"].format(days=APPEAL_DAYS, depts=_departments(decisions, lang)))
    return "\n".join(lines) + "\n"


def _advance_lines(event: PaymentIssued, text: dict[str, str]) -> list[str]:
    """Aid first: what the advance already paid of the total, and what of it is waived (nothing without one)."""
    lines = []
    if event.advance_fen:
        lines.append(text["advance_paid"].format(advance=format_yuan(event.advance_fen), rest=format_yuan(event.total_fen)))
    if event.waived_fen:
        lines.append(text["advance_waived"].format(waived=format_yuan(event.waived_fen)))
    return lines


def render_rejection(event: ApplicationRejected, language: Language = Language.zh) -> str:
    """One message: not accepted, why, by which rule, and how to re-apply or appeal."""
    text = TEXT[_lang(language)]
    return "\n".join([
        text["greeting"],
        text["rejected"],
        text["reason"].format(reason=event.reason),
        text["rule"].format(rule=event.rule),
        text["reapply"].format(days=APPEAL_DAYS),
    ]) + "\n"
