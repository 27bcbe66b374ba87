-- Each department keeps the decisions it made: one per (application, layer).
CREATE TABLE decisions (
    application_id uuid NOT NULL,
    layer          int NOT NULL CHECK (layer BETWEEN 1 AND 5),
    program        text NOT NULL,
    outcome        text NOT NULL,
    amount_fen     bigint NOT NULL CHECK (amount_fen >= 0),
    reason         text NOT NULL,
    decided_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, layer)
);
