"""The short message of a payment run's payment (pure): "2027年1月低保金 1,100.00 元已发放到尾号1111的社保卡".

What was paid is named by the run's kind and the line's program; the account only by its kind and last 4.
"""
from __future__ import annotations

from contracts.events import Language, PaymentIssued, PaymentKind, Program
from services.kit.money import format_yuan
from services.notification.message import _account_kind, _lang

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")

# what a month's payment is called, by program (monthly runs) or by kind (price subsidies)
PAID_AS: dict[Language, dict] = {
    Language.zh: {Program.mla: "低保金", Program.extreme_poverty: "特困供养金", PaymentKind.price_subsidy: "价格临时补贴"},
    Language.en: {Program.mla: "minimum living allowance", Program.extreme_poverty: "extreme-poverty support",
                  PaymentKind.price_subsidy: "temporary price subsidy"},
}
TEXT = {
    Language.zh: "{year}年{month}月{what} {amount} 元已发放到尾号{last4}的{account}",
    Language.en: "{month_name} {year} {what} of {amount} yuan paid to the {account} ending {last4}",
}


def paid_as(event: PaymentIssued, lang: Language) -> str:
    if event.kind is PaymentKind.price_subsidy:
        return PAID_AS[lang][PaymentKind.price_subsidy]
    return PAID_AS[lang][event.lines[0].program]


def render_run_payment(event: PaymentIssued, language: Language | str = Language.zh) -> str:
    lang = _lang(language)
    year, month = (int(part) for part in event.period.split("-"))
    return TEXT[lang].format(year=year, month=month, month_name=MONTHS_EN[month - 1], what=paid_as(event, lang),
                             amount=format_yuan(event.total_fen), last4=event.account_last4[-4:],
                             account=_account_kind(event.account_kind, lang))
