-- The annual review (年审): one row per review (review_id derived from as_of by intake: one review per
-- day), and one outcome per household it re-decided.

CREATE TABLE reviews (
    review_id      uuid PRIMARY KEY,
    as_of          date NOT NULL UNIQUE,
    policy_version text NOT NULL,   -- the version the households were re-decided under
    requested_by   text NOT NULL,
    reviewed       int NOT NULL DEFAULT 0 CHECK (reviewed >= 0),
    continued      int NOT NULL DEFAULT 0 CHECK (continued >= 0),
    adjusted       int NOT NULL DEFAULT 0 CHECK (adjusted >= 0),
    changed        int NOT NULL DEFAULT 0 CHECK (changed >= 0),
    exited         int NOT NULL DEFAULT 0 CHECK (exited >= 0),
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,     -- set by the pass that found nobody left to review
    CHECK (reviewed = continued + adjusted + changed + exited)
);
CREATE INDEX reviews_running ON reviews (started_at) WHERE finished_at IS NULL;

-- The unique key is what makes a household reviewed at most once per review, however often the pass
-- runs (a crash between chunks, a second replica).
CREATE TABLE review_outcomes (
    review_id          uuid NOT NULL REFERENCES reviews,
    recipient_id       uuid NOT NULL REFERENCES recipients,
    outcome            text NOT NULL CHECK (outcome IN ('continued', 'adjusted', 'changed', 'exited')),
    prior_status       text NOT NULL,
    prior_amount_fen   bigint NOT NULL CHECK (prior_amount_fen >= 0),
    status             text NOT NULL,
    monthly_amount_fen bigint NOT NULL CHECK (monthly_amount_fen >= 0),
    effective_period   text NOT NULL CHECK (effective_period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    reason             text NOT NULL,
    reason_zh          text NOT NULL,
    reviewed_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (review_id, recipient_id)
);
CREATE INDEX review_outcomes_by_recipient ON review_outcomes (recipient_id);

-- Operators' progress, read by intake for GET /v1/reviews/{review_id}. A view, not the table: intake
-- reads counts through this fixed shape and never caseload's tables, so caseload may change them; it
-- holds no personal data, and nothing is written through it (intake decides nothing from it).
CREATE VIEW review_progress AS
    SELECT review_id, as_of, CASE WHEN finished_at IS NULL THEN 'running' ELSE 'done' END AS status,
           reviewed, continued, adjusted, changed, exited, started_at, finished_at
    FROM reviews;
-- A one-table view is updatable in PostgreSQL by default: refuse writes through it outright.
CREATE FUNCTION refuse_write_through_review_progress() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the view review_progress is read-only: % refused (caseload alone writes reviews)', TG_OP;
END $$;
CREATE TRIGGER review_progress_read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON review_progress
    FOR EACH ROW EXECUTE FUNCTION refuse_write_through_review_progress();
