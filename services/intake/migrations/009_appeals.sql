-- Appeals filed at the window: one open (filed or under review) per application at a time, by the
-- database's own key; the status view keeps each one's status, supplement and notice from the events.
CREATE TABLE appeals (
    appeal_id      uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications(application_id),
    layer          int NOT NULL CHECK (layer BETWEEN 1 AND 5),
    grounds        text NOT NULL,
    facts          jsonb NOT NULL,
    filed_by       text NOT NULL,
    filed_role     text NOT NULL,
    filed_at       timestamptz NOT NULL DEFAULT now(),
    status         text NOT NULL DEFAULT 'filed' CHECK (status IN ('filed', 'under_review', 'upheld', 'revised')),
    supplement_fen bigint NOT NULL DEFAULT 0 CHECK (supplement_fen >= 0),
    payment_id     uuid,
    decisions      jsonb,
    decided_at     timestamptz,
    notice         jsonb
);
CREATE UNIQUE INDEX appeals_one_open_per_application ON appeals (application_id) WHERE status IN ('filed', 'under_review');
CREATE INDEX appeals_of_application ON appeals (application_id, filed_at);
