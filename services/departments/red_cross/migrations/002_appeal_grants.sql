-- An appeal that raises the relief reserves only the increase over what was granted, under the same lock.
CREATE TABLE appeal_grants (
    appeal_id      uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    year           int NOT NULL REFERENCES fund(year),
    amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
    granted_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appeal_grants_of_application ON appeal_grants (application_id);
