"""The body of POST /v1/leads/{lead_id}/consent: the household's answer, recorded by the caseworker who asked.

`given`, `channel`, `at`, `phone`, `payout_account` are the contract's (DESIGN.md "Leads"). Ours, because the
registries hold no names and no family ties: `applicant_id_number` (who applies for the household; default the
person the lead names), `applicant_name`, `names` ([{"id_number", "name"}], a list so that a refusal's field is
a position, never an ID number) and `has_supporter` (an able legal supporter; default false, as the registries
do not know it). A member nobody named is registered as "待核实" (to be verified): names are never decided on,
and the notice does not show them.

Given: the application needs a phone to notify and an account to pay. Refused: only given, channel and at —
nothing more about the household is taken or kept.
"""
from __future__ import annotations

from datetime import datetime

from pydantic import Field, StrictBool, ValidationInfo, field_validator, model_validator

from contracts.application import (MAX_MEMBERS, Channel, IdNumber, Name, PayoutAccount, Phone, _In, _fail,
                                   consent_time)

PLACEHOLDER_NAME = "待核实"  # "to be verified": a Name the contract accepts
ONLY_WHEN_GIVEN = ("phone", "payout_account", "applicant_id_number", "applicant_name", "names", "has_supporter")


class MemberName(_In):
    id_number: IdNumber
    name: Name


class LeadConsentIn(_In):
    given: StrictBool
    channel: Channel = Field(description="how the household answered: outreach (a visit), hotline (by phone), window...")
    at: datetime = Field(description="when the household answered (not in the future)")
    phone: Phone | None = Field(default=None, description="given: where the notice goes")
    payout_account: PayoutAccount | None = Field(default=None, description="given: where the aid is paid")
    applicant_id_number: IdNumber | None = Field(
        default=None, description="who applies for the household (a living member); default: the person the lead names")
    applicant_name: Name | None = None
    names: list[MemberName] = Field(default_factory=list, max_length=MAX_MEMBERS,
                                    description="other members' names, by ID number; unnamed: 待核实")
    has_supporter: StrictBool | None = Field(default=None, description="an able legal supporter (default false)")

    @field_validator("at")
    @classmethod
    def _not_future(cls, value: datetime, info: ValidationInfo) -> datetime:
        return consent_time(value, info)

    @model_validator(mode="after")
    def _fits_the_answer(self) -> "LeadConsentIn":
        if self.given:
            problems = [((name,), "consent_details_missing",
                         f"consent given: the application needs the household's {what}")
                        for name, what in (("phone", "phone to send the notice to"),
                                           ("payout_account", "payout account to pay the aid into"))
                        if getattr(self, name) is None]
        else:
            problems = [((name,), "consent_refused_keeps_nothing",
                         "consent refused: nothing more about the household is taken; send only given, channel and at")
                        for name in ONLY_WHEN_GIVEN if getattr(self, name) not in (None, [])]
        seen: set[str] = set()
        for index, member in enumerate(self.names):
            if member.id_number in seen:
                problems.append((("names", index, "id_number"), "member_duplicate", "the same ID number is named twice"))
            seen.add(member.id_number)
        if problems:
            raise _fail("LeadConsentIn", problems)
        return self
