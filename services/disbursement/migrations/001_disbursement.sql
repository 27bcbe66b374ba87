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
CREATE INDEX applications_open ON applications (deadline_at) WHERE settled_at IS NULL AND escalated_at IS NULL;

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
    trace_headers  jsonb NOT NULL DEFAULT '{}',
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
-- pending -> settled, or pending -> failed after the last retry (then escalated).
CREATE TABLE payments (
    payment_id      uuid PRIMARY KEY,
    application_id  uuid NOT NULL UNIQUE,
    total_fen       bigint NOT NULL CHECK (total_fen > 0),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'settled', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    rail_reference  text,
    trace_headers   jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    settled_at      timestamptz
);
CREATE INDEX payments_due ON payments (next_attempt_at) WHERE status = 'pending';
CREATE TABLE payment_lines (
    payment_id  uuid NOT NULL REFERENCES payments(payment_id),
    department  text NOT NULL,
    program     text NOT NULL,
    amount_fen  bigint NOT NULL CHECK (amount_fen > 0),
    PRIMARY KEY (payment_id, department, program)
);

-- Double-entry ledger: every posting's debits equal its credits.
-- Approval: debit fund:<department>, credit payable:citizen. Settlement: debit payable:citizen, credit bank:settlement.
CREATE TABLE ledger_entries (
    id          bigserial PRIMARY KEY,
    payment_id  uuid NOT NULL REFERENCES payments(payment_id),
    posting     text NOT NULL CHECK (posting IN ('approval', 'settlement')),
    account     text NOT NULL,
    debit_fen   bigint NOT NULL DEFAULT 0 CHECK (debit_fen >= 0),
    credit_fen  bigint NOT NULL DEFAULT 0 CHECK (credit_fen >= 0),
    program     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((debit_fen = 0) <> (credit_fen = 0))
);
CREATE INDEX ledger_by_payment ON ledger_entries (payment_id);

-- The in-process payment rail's own book (stands in for the bank): one settlement per payment_id.
CREATE TABLE rail_settlements (
    payment_id  uuid PRIMARY KEY,
    reference   text NOT NULL,
    amount_fen  bigint NOT NULL,
    settled_at  timestamptz NOT NULL DEFAULT now()
);
