-- Applications waiting for the registries' answer (the submission, personal data included, stays in this
-- schema only); a row older than the deadline is escalated once (escalated_at), and still completes when
-- the answer comes.
CREATE TABLE awaiting_registries (
    application_id uuid PRIMARY KEY,
    submitted      jsonb NOT NULL,
    trace_headers  text,
    asked_at       timestamptz NOT NULL DEFAULT now(),
    escalated_at   timestamptz
);
CREATE INDEX awaiting_registries_by_age ON awaiting_registries (asked_at) WHERE escalated_at IS NULL;
