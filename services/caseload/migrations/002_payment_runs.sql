-- Payment runs: what each run owes each household, and how far it has got.

-- One row per run (run_id derived from kind and period by intake: one run per kind and period).
CREATE TABLE payment_runs (
    run_id          uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('monthly', 'price_subsidy')),
    period          text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    policy_version  text NOT NULL,   -- the version in force on the period's first day
    cpi_yoy_bp      int,
    food_cpi_yoy_bp int,
    per_person_fen  bigint,          -- price_subsidy: S x the CPI rise
    households      int NOT NULL DEFAULT 0 CHECK (households >= 0),   -- entitlements this run made
    paid            int NOT NULL DEFAULT 0 CHECK (paid >= 0),
    failed          int NOT NULL DEFAULT 0 CHECK (failed >= 0),       -- the rail refused after its last retry
    total_fen       bigint NOT NULL DEFAULT 0 CHECK (total_fen >= 0), -- paid so far
    requested_by    text NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,     -- when paid + failed reached households (at once for none)
    UNIQUE (kind, period),
    CHECK (paid + failed <= households)
);

-- At most one payment per (household, period, kind), however often a run is started: the unique key
-- makes a second entitlement impossible, and disbursement pays entitlements, never runs.
-- entitlement_id = uuid5(recipient, period, kind) (services.caseload.runs.entitlement_id_of); disbursement
-- pays it under the same id, which is also the rail's idempotency key.
CREATE TABLE entitlements (
    entitlement_id uuid PRIMARY KEY,
    run_id         uuid NOT NULL REFERENCES payment_runs,
    recipient_id   uuid NOT NULL REFERENCES recipients,
    period         text NOT NULL,
    kind           text NOT NULL,
    program        text NOT NULL,    -- the status paid by in that period
    amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
    members        int NOT NULL CHECK (members >= 1),
    paid_at        timestamptz,
    failed_at      timestamptz,
    payment_id     uuid,
    UNIQUE (recipient_id, period, kind),
    CHECK (paid_at IS NULL OR failed_at IS NULL)
);
CREATE INDEX entitlements_by_run ON entitlements (run_id);

-- Operators' progress, read by intake for GET /v1/payment-runs/{run_id} (read-only: intake decides
-- nothing from it; caseload alone writes these rows).
CREATE VIEW payment_run_progress AS
    SELECT run_id, kind, period, CASE WHEN finished_at IS NULL THEN 'running' ELSE 'done' END AS status,
           households, paid, failed, total_fen, started_at, finished_at
    FROM payment_runs;
