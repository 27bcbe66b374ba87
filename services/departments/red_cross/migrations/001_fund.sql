-- The yearly relief fund: approvals reserve from it under a row lock, so it is never overspent.
CREATE TABLE fund (
    year         int PRIMARY KEY,
    budget_fen   bigint NOT NULL CHECK (budget_fen >= 0),
    balance_fen  bigint NOT NULL CHECK (balance_fen >= 0)
);
CREATE TABLE grants (
    application_id uuid PRIMARY KEY,
    year           int NOT NULL REFERENCES fund(year),
    amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
    granted_at     timestamptz NOT NULL DEFAULT now()
);
