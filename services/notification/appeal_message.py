"""The one notice of an appeal (pure): the layers decided again, written as the application's notice writes
them (message._decision_line), then the supplement paid, or that the decision stands and nothing is paid back."""
from __future__ import annotations

from contracts.events import AppealDecided, AppealOutcome, Language
from services.kit.money import format_yuan
from services.notification.message import LABELS, TEXT as NOTICE, _account_kind, _decision_line, _lang

TEXT = {
    Language.zh: {
        "intro": "您对{layer}（{dept}｜{program}）提出的复核申请已办结，重新决定如下：",
        "total": "复核后各项救助合计 {total} 元，此前已支付 {paid} 元。",
        "revised": "现补发差额 {supplement} 元（补充支付编号：{payment_id}），收款账户：{account} 尾号 {last4}。",
        "upheld": "复核后的金额未高于已支付的金额，原决定维持：不补发，已发放的款项也无需退还。",
        "layer": "第{layer}层",
    },
    Language.en: {
        "intro": "Your appeal on {layer} ({dept} - {program}) has been decided. The decisions made again:",
        "total": "After the appeal the assistance totals {total} yuan; {paid} yuan was paid before.",
        "revised": ("The difference of {supplement} yuan is paid as a supplement (payment reference {payment_id}) "
                    "to the {account} ending {last4}."),
        "upheld": ("The amount after the appeal is not higher than what was paid, so the decision stands: nothing more "
                   "is paid, and nothing paid needs to be returned."),
        "layer": "layer {layer}",
    },
}


def render_appeal(event: AppealDecided, language: Language | str = Language.zh) -> str:
    lang = _lang(language)
    text, labels = TEXT[lang], LABELS[lang]
    decisions = sorted(event.decisions, key=lambda d: d.layer)
    appealed = next((d for d in decisions if d.layer == event.layer), decisions[0])
    lines = [NOTICE[lang]["greeting"],
             text["intro"].format(layer=text["layer"].format(layer=event.layer), dept=labels["department"][appealed.department],
                                  program=labels["program"][appealed.program])]
    lines += [_decision_line(d.layer, d, lang) for d in decisions]
    lines.append(text["total"].format(total=format_yuan(event.total_fen), paid=format_yuan(event.paid_before_fen)))
    if event.outcome is AppealOutcome.revised:
        lines.append(text["revised"].format(supplement=format_yuan(event.supplement_fen), payment_id=event.payment_id,
                                            account=_account_kind(event.account_kind, lang), last4=event.account_last4[-4:]))
    else:
        lines.append(text["upheld"])
    return "\n".join(lines) + "\n"
