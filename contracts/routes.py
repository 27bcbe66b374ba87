"""Who sends and who receives each event type (feeds the AsyncAPI document).

PRODUCERS is declared here (a service emits through its outbox, which has no table to read).
Who consumes each event type is read from the services themselves (jointaid/registry.py `consumers`): each
service's ServiceSpec.handlers, keyed by event_type, is exactly what its consumer subscribes to.
"""
from __future__ import annotations

DEPARTMENTS = ("civil_affairs", "medical_insurance", "red_cross")

# Kafka filters nothing on the broker: every member of a group reads every message of its topics.
# These headers let a consumer skip what it does not act on without decoding the body (every
# department reads aid.decision.made, but each acts on one layer's decisions only).
EVENT_TYPE_HEADER = "aid-event-type"
LAYER_HEADER = "aid-layer"


def routing_headers(event_type: str, data) -> dict[str, str]:
    """The headers published with an event (documented per message in the AsyncAPI document)."""
    headers = {EVENT_TYPE_HEADER: event_type}
    if event_type == "aid.decision.made.v1":
        headers[LAYER_HEADER] = str(data.decision.layer)
    return headers

# event_type -> the services that emit it
PRODUCERS: dict[str, tuple[str, ...]] = {
    "aid.application.submitted.v1": ("intake",),
    "aid.application.verified.v1": ("verification",),
    "aid.application.rejected.v1": ("verification",),
    "aid.decision.made.v1": DEPARTMENTS,
    "aid.payment.issued.v1": ("disbursement",),
    "aid.payment.failed.v1": ("disbursement",),
    "aid.case.escalated.v1": ("disbursement", "verification"),  # verification: a registry that did not answer
    "aid.notification.sent.v1": ("notification",),
    "aid.registry.query.v1": ("verification",),
    "aid.registry.answered.v1": ("registries",),
    "aid.registry.records.v1": ("intake",),
    "aid.recipient.changed.v1": ("caseload",),
    "aid.payment_run.requested.v1": ("intake",),
    "aid.entitlement.made.v1": ("caseload",),
    "aid.review.requested.v1": ("intake",),
    "aid.lead.raised.v1": ("discovery",),
    "aid.lead.closed.v1": ("discovery",),
    "aid.lead.consented.v1": ("intake",),
    "aid.signals.submitted.v1": ("intake",),
    "aid.referral.made.v1": ("referrals",),
    "aid.referral.answered.v1": ("referrals",),  # its provider simulator; a real provider's adapter would answer the same
    "aid.advance.requested.v1": ("intake",),
    "aid.approval.requested.v1": ("disbursement",),
    "aid.approval.decided.v1": ("intake",),
    "aid.appeal.filed.v1": ("intake",),
    "aid.appeal.decided.v1": ("disbursement",),
}
