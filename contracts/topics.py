"""Kafka topic names (contract: DESIGN.md). Every message is keyed by application_id."""

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
)
