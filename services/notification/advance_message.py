"""The advance's own receipt and an approval's refusal notice (pure).

Receipt: "临时救助预付金 4,000.00 元已发放到尾号1111的社保卡；其余救助待各部门审核后一并通知。"
Refusal: the application's one full notice when an approver refused its payment, naming the note.
"""
from __future__ import annotations

from contracts.events import ApprovalDecided, Language, PaymentIssued
from services.kit.money import format_yuan
from services.notification.message import APPEAL_DAYS, TEXT as NOTICE, _account_kind, _lang

TEXT = {
    Language.zh: {
        "receipt": "临时救助预付金 {amount} 元已发放到尾号{last4}的{account}（先救助后补材料）；其余救助待各部门审核后，将在一份通知中一并说明。",
        "refused": "很抱歉，您的救助申请经审批未予支付（{amount} 元）。",
        "note": "审批意见：{note}",
    },
    Language.en: {
        "receipt": ("An advance of {amount} yuan of temporary assistance was paid to the {account} ending {last4} (aid first, "
                    "paperwork after); one notice will explain every department's decision."),
        "refused": "We are sorry: the payment of your application ({amount} yuan) was not approved.",
        "note": "Approver's note: {note}",
    },
}
APPEAL = {
    Language.zh: "如对本决定有异议，可自收到本通知之日起{days}日内向受理窗口申请复核。",
    Language.en: "If you disagree with this decision, you may appeal within {days} days of receiving this message at the window where you applied.",
}


def render_receipt(event: PaymentIssued, language: Language | str = Language.zh) -> str:
    lang = _lang(language)
    return TEXT[lang]["receipt"].format(amount=format_yuan(event.total_fen), last4=event.account_last4[-4:],
                                        account=_account_kind(event.account_kind, lang))


def render_approval_refusal(event: ApprovalDecided, language: Language | str = Language.zh) -> str:
    lang = _lang(language)
    text = TEXT[lang]
    return "\n".join([NOTICE[lang]["greeting"], text["refused"].format(amount=format_yuan(event.total_fen)),
                      text["note"].format(note=event.note), APPEAL[lang].format(days=APPEAL_DAYS)]) + "\n"
