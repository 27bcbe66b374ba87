-- Every payment of an application as the view lists it (`payments`): the advance (written at submission,
-- pending), the main payment (from disbursement's events), later supplements. Kept from events, like the
-- rest of the status view.
CREATE TABLE application_payments (
    payment_id     uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications(application_id),
    kind           text NOT NULL,
    total_fen      bigint NOT NULL CHECK (total_fen >= 0),
    status         text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_payments_by_application ON application_payments (application_id, created_at);

-- Who handled an application besides its registrar (e.g. marked it urgent, recorded a lead's consent):
-- none of them may approve its payment (four eyes).
CREATE TABLE application_handlers (
    application_id uuid NOT NULL REFERENCES applications(application_id),
    subject        text NOT NULL,
    what           text NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, subject, what)
);

-- Payments above the threshold waiting for a second person, and each decision: who, when, the note.
CREATE TABLE approvals (
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    payment_id     uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications(application_id),
    total_fen      bigint NOT NULL CHECK (total_fen > 0),
    threshold_fen  bigint NOT NULL,
    lines          jsonb NOT NULL,
    requested_at   timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
    decided_by     text,
    decided_role   text,
    decided_at     timestamptz,
    note           text,
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX approvals_by_status ON approvals (status, seq);
CREATE INDEX approvals_by_application ON approvals (application_id);
