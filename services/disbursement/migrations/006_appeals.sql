-- Appeals: each appeal round, the decisions it made again (kept apart from the first ones), and its one
-- supplement (kind 'supplement': only the difference, at most one per appeal).
CREATE TABLE appeals (
    appeal_id       uuid PRIMARY KEY,
    application_id  uuid NOT NULL,
    layer           int NOT NULL CHECK (layer BETWEEN 1 AND 5),
    expected_layers int[] NOT NULL,          -- the layers this round decides again
    filed_at        timestamptz NOT NULL,
    deadline_at     timestamptz NOT NULL,    -- decided by then, or escalated
    decided_at      timestamptz,
    escalated_at    timestamptz,
    outcome         text CHECK (outcome IN ('upheld', 'revised')),
    supplement_fen  bigint NOT NULL DEFAULT 0 CHECK (supplement_fen >= 0),
    payment_id      uuid,
    CHECK ((decided_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX appeals_of_application ON appeals (application_id, decided_at);
CREATE INDEX appeals_open ON appeals (deadline_at) WHERE decided_at IS NULL AND escalated_at IS NULL;

CREATE TABLE appeal_decisions (
    appeal_id      uuid NOT NULL,
    application_id uuid NOT NULL,
    layer          int NOT NULL CHECK (layer BETWEEN 1 AND 5),
    department     text NOT NULL,
    program        text NOT NULL,
    outcome        text NOT NULL,
    amount_fen     bigint NOT NULL CHECK (amount_fen >= 0),
    recurring      text NOT NULL,
    reason         text NOT NULL,
    reason_zh      text,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (appeal_id, layer)
);

-- An application may now have several payments (its own, an advance, supplements): the first migration's
-- one-per-application key goes (005 drops it too; IF EXISTS keeps this one independent of it), each kind
-- keeps its own uniqueness: a supplement names its appeal, and an appeal has at most one.
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_application_id_key;
CREATE UNIQUE INDEX IF NOT EXISTS payments_one_per_application_kind ON payments (application_id, kind)
    WHERE kind IN ('application', 'advance');  -- 005's index, the same name: a no-op after it
ALTER TABLE payments ADD COLUMN appeal_id uuid,
    ADD CONSTRAINT supplements_name_their_appeal CHECK (kind <> 'supplement' OR (appeal_id IS NOT NULL AND application_id IS NOT NULL));
CREATE UNIQUE INDEX payments_one_supplement_per_appeal ON payments (appeal_id) WHERE kind = 'supplement';
