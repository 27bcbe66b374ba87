-- The single window: what was submitted, and the status view kept from every result event.
CREATE TABLE applications (
    application_id  uuid PRIMARY KEY,
    status          text NOT NULL,
    status_rank     int NOT NULL,
    submission      jsonb NOT NULL,
    trace_id        text,
    payment         jsonb,
    notification    jsonb,
    rejection       jsonb,
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applications_by_status ON applications (status, submitted_at);

CREATE TABLE decisions (
    application_id uuid NOT NULL REFERENCES applications(application_id),
    layer          int NOT NULL,
    department     text NOT NULL,
    program        text NOT NULL,
    outcome        text NOT NULL,
    amount_fen     bigint NOT NULL,
    recurring      text NOT NULL,
    reason         text NOT NULL,
    PRIMARY KEY (application_id, layer)
);

-- Idempotency-Key: the same key and body give the first answer; kept at least 24 h.
CREATE TABLE idempotency_keys (
    key            text PRIMARY KEY,
    request_hash   text NOT NULL,
    application_id uuid NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
