"""Kafka topic names (contract: DESIGN.md). Keyed by application_id, except where a comment says otherwise
(the envelope's application_id field then carries that key)."""

APPLICATION_SUBMITTED = "aid.application.submitted"
APPLICATION_VERIFIED = "aid.application.verified"
APPLICATION_REJECTED = "aid.application.rejected"
DECISION_MADE = "aid.decision.made"
PAYMENT_ISSUED = "aid.payment.issued"
PAYMENT_FAILED = "aid.payment.failed"
NOTIFICATION_SENT = "aid.notification.sent"
CASE_ESCALATED = "aid.case.escalated"
DLQ = "aid.dlq"
REGISTRY_QUERY = "aid.registry.query"
REGISTRY_ANSWERED = "aid.registry.answered"
REGISTRY_RECORDS = "aid.registry.records"  # records posted through the API, on their way to the registries
RECIPIENT_CHANGED = "aid.recipient.changed"  # key: recipient_id
PAYMENT_RUN_REQUESTED = "aid.payment_run.requested"  # key: run_id
ENTITLEMENT_MADE = "aid.entitlement.made"  # key: recipient_id
REVIEW_REQUESTED = "aid.review.requested"  # key: review_id
LEAD_RAISED = "aid.lead.raised"  # key: lead_id
LEAD_CLOSED = "aid.lead.closed"  # key: lead_id
LEAD_CONSENTED = "aid.lead.consented"  # key: lead_id
SIGNALS_SUBMITTED = "aid.signals.submitted"  # key: a batch id; signals posted through the API
REFERRAL_MADE = "aid.referral.made"  # a service referral, to a provider
REFERRAL_ANSWERED = "aid.referral.answered"  # the provider's answer: fulfilled or refused
ADVANCE_REQUESTED = "aid.advance.requested"  # an urgent application's advance (payout account: disbursement only)
APPROVAL_REQUESTED = "aid.approval.requested"
APPROVAL_DECIDED = "aid.approval.decided"
APPEAL_FILED = "aid.appeal.filed"  # an appeal on one layer, with its new facts
APPEAL_DECIDED = "aid.appeal.decided"  # its outcome: upheld, or revised with a supplement

ALL_TOPICS = (
    APPLICATION_SUBMITTED,
    APPLICATION_VERIFIED,
    APPLICATION_REJECTED,
    DECISION_MADE,
    PAYMENT_ISSUED,
    PAYMENT_FAILED,
    NOTIFICATION_SENT,
    CASE_ESCALATED,
    DLQ,
    REGISTRY_QUERY,
    REGISTRY_ANSWERED,
    REGISTRY_RECORDS,
    RECIPIENT_CHANGED,
    PAYMENT_RUN_REQUESTED,
    ENTITLEMENT_MADE,
    REVIEW_REQUESTED,
    LEAD_RAISED,
    LEAD_CLOSED,
    LEAD_CONSENTED,
    SIGNALS_SUBMITTED,
    REFERRAL_MADE,
    REFERRAL_ANSWERED,
    ADVANCE_REQUESTED,
    APPROVAL_REQUESTED,
    APPROVAL_DECIDED,
    APPEAL_FILED,
    APPEAL_DECIDED,
)
