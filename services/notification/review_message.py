"""The short message of an annual review's outcome (pure), for a household whose status or amount changed:
"年审结果：自2027年2月起，您家的低保金调整为每月 1,110.00 元（原 920.00 元）。原因：…".
A continued household gets none. The reason is the one the review wrote, with its figures.
"""
from __future__ import annotations

from contracts.events import Language, Program, RecipientChange, RecipientChanged
from services.kit.money import format_yuan
from services.notification.message import LABELS, _lang
from services.notification.run_message import MONTHS_EN, PAID_AS

NOTIFIED = frozenset({RecipientChange.adjusted, RecipientChange.changed, RecipientChange.exited})

TEXT: dict[Language, dict[str, str]] = {
    Language.zh: {
        "head": "年审结果：自{year}年{month}月起，",
        "adjusted": "您家的{what}调整为每月 {amount} 元（原 {prior} 元）。",
        "changed": "您家由{prior_label}改为{label}，每月 {amount} 元（{was}）。",
        "changed_no_cash": "您家由{prior_label}改为{label}，不再按月发放生活费（原每月 {prior} 元），可继续享受医疗救助等帮扶。",
        "exited": "您家不再享受{prior_label}。",
        "was": "原每月 {prior} 元",
        "was_none": "原无按月生活费",
        "reason": "原因：{reason}",
    },
    Language.en: {
        "head": "Annual review: from {month_name} {year}, ",
        "adjusted": "your household's {what} is {amount} yuan a month (was {prior} yuan).",
        "changed": "your household's status changes from {prior_label} to {label}: {amount} yuan a month ({was}).",
        "changed_no_cash": ("your household's status changes from {prior_label} to {label}: no monthly payment any more "
                            "(was {prior} yuan a month); medical assistance and other help continue."),
        "exited": "your household no longer receives {prior_label}.",
        "was": "was {prior} yuan a month",
        "was_none": "no monthly payment before",
        "reason": " Reason: {reason}",
    },
}


def render_review(event: RecipientChanged, language: Language | str = Language.zh) -> str | None:
    """The household's message, or None when the review changed nothing for it (or the event is no review's)."""
    if event.review_id is None or event.change not in NOTIFIED or event.prior_status is None:
        return None
    lang = _lang(language)
    text, programs = TEXT[lang], LABELS[lang]["program"]
    year, month = (int(part) for part in event.effective_period.split("-"))
    prior_fen = event.prior_monthly_amount_fen or 0
    figures = {"amount": format_yuan(event.monthly_amount_fen), "prior": format_yuan(prior_fen),
               "prior_label": programs[Program(event.prior_status.value)]}
    if event.change == RecipientChange.adjusted:
        body = text["adjusted"].format(what=PAID_AS[lang][Program(event.status.value)], **figures)
    elif event.change == RecipientChange.exited:
        body = text["exited"].format(**figures)
    elif event.monthly_amount_fen == 0:
        body = text["changed_no_cash"].format(label=programs[Program(event.status.value)], **figures)
    else:
        was = text["was"].format(**figures) if prior_fen else text["was_none"]
        body = text["changed"].format(label=programs[Program(event.status.value)], was=was, **figures)
    reason = event.reason_zh if lang == Language.zh and event.reason_zh else event.reason
    return (text["head"].format(year=year, month=month, month_name=MONTHS_EN[month - 1]) + body
            + text["reason"].format(reason=reason))
