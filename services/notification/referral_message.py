"""The referrals part of the one notice (pure): what was arranged, what was refused, what is still with a
provider. An application without referrals gets no such part, so its notice is unchanged."""
from __future__ import annotations

from dataclasses import dataclass

from contracts.events import Language, ReferralService, ReferralStatus

SERVICE = {
    Language.zh: {ReferralService.care: "照料护理", ReferralService.counselling: "心理疏导",
                  ReferralService.employment: "就业培训", ReferralService.home_repair: "居家改造",
                  ReferralService.companionship: "关爱陪伴"},
    Language.en: {ReferralService.care: "care", ReferralService.counselling: "counselling",
                  ReferralService.employment: "employment training", ReferralService.home_repair: "home repair",
                  ReferralService.companionship: "companionship"},
}
TEXT = {
    Language.zh: {
        "head": "服务转介：",
        ReferralStatus.fulfilled: "- {service}：已安排，由 {provider} 提供{automatic}",
        ReferralStatus.refused: "- {service}：未能安排（{reason}），可向受理窗口另行申请{automatic}",
        ReferralStatus.made: "- {service}：已转介 {provider}，服务机构将与您联系{automatic}",
        "automatic": "（依规定主动安排）",
    },
    Language.en: {
        "head": "Services beside the payment:",
        ReferralStatus.fulfilled: "- {service}: arranged, provided by {provider}{automatic}",
        ReferralStatus.refused: "- {service}: could not be arranged ({reason}); ask at the window for another provider{automatic}",
        ReferralStatus.made: "- {service}: referred to {provider}, who will contact you{automatic}",
        "automatic": " (arranged by rule, without asking)",
    },
}


@dataclass(frozen=True)
class ReferralNote:
    service: ReferralService
    provider: str
    status: ReferralStatus
    automatic: bool = False
    reason: str = ""
    reason_zh: str = ""


def referral_lines(referrals: list[ReferralNote] | tuple[ReferralNote, ...], lang: Language) -> list[str]:
    if not referrals:
        return []
    text, names = TEXT[lang], SERVICE[lang]
    order = list(ReferralService)
    lines = [text["head"]]
    for note in sorted(referrals, key=lambda n: order.index(n.service)):
        reason = (note.reason_zh if lang == Language.zh and note.reason_zh else note.reason) or "—"
        lines.append(text[note.status].format(service=names[note.service], provider=note.provider, reason=reason,
                                              automatic=text["automatic"] if note.automatic else ""))
    return lines
