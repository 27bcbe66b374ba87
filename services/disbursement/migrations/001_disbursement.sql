-- One row per application, created when verification passes it, with the answers it waits for.
CREATE TABLE applications (
    application_id  uuid PRIMARY KEY,
    expected_layers int[] NOT NULL,
    account_kind    text NOT NULL,
    account_number  text NOT NULL,
    language        text NOT NULL,
    deadline_at     timestamptz NOT NULL,
    settled_at      timestamptz,
    escalated_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applications_open ON applications (deadline_at) WHERE settled_at IS NULL;

-- Each layer's answer, stored once; later copies are counted in decision_copies, never paid.
CREATE TABLE decisions (
    application_id uuid NOT NULL,
    layer          int NOT NULL CHECK (layer BETWEEN 1 AND 5),
    department     text NOT NULL,
    program        text NOT NULL,
    outcome        text NOT NULL,
    amount_fen     bigint NOT NULL CHECK (amount_fen >= 0),
    recurring      text NOT NULL,
    reason         text NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, layer)
);
CREATE TABLE decision_copies (
    event_id       uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    layer          int NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);

-- At most one payment per application: the unique key makes a second one impossible.
CREATE TABLE payments (
    payment_id     uuid PRIMARY KEY,
    application_id uuid NOT NULL UNIQUE,
    total_fen      bigint NOT NULL CHECK (total_fen > 0),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE payment_lines (
    payment_id  uuid NOT NULL REFERENCES payments(payment_id),
    department  text NOT NULL,
    program     text NOT NULL,
    amount_fen  bigint NOT NULL CHECK (amount_fen > 0),
    PRIMARY KEY (payment_id, department, program)
);
