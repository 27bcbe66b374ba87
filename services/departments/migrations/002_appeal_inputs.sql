-- Appeals: a department decides a layer again on the facts it decided on, changed by the appeal. So each
-- decision now keeps the facts and the trail it announced (null for decisions made before this migration),
-- and an appeal round's decisions are kept apart from the first ones, one per (application, layer, appeal).
ALTER TABLE decisions ADD COLUMN facts jsonb, ADD COLUMN trail jsonb;

CREATE TABLE appeal_decisions (
    application_id uuid NOT NULL,
    layer          int NOT NULL CHECK (layer BETWEEN 1 AND 5),
    appeal_id      uuid NOT NULL,
    program        text NOT NULL,
    outcome        text NOT NULL,
    amount_fen     bigint NOT NULL CHECK (amount_fen >= 0),
    reason         text NOT NULL,
    facts          jsonb NOT NULL,
    trail          jsonb NOT NULL,
    decided_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (application_id, layer, appeal_id)
);
