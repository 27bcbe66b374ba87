-- Payment runs operators asked for: one row per (kind, period), whose run_id is derived from them
-- (contracts.payment_runs.run_id_of). The row and the run's requested event are written in one
-- transaction, only when the row is new: asking again, even at the same instant, names the same run.
CREATE TABLE payment_runs (
    run_id          uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('monthly', 'price_subsidy')),
    period          text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    cpi_yoy_bp      int,
    food_cpi_yoy_bp int,
    requested_by    text NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, period)
);
