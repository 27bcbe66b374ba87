-- Who may do what: who registered an application, every read of personal data, anonymous submission counts.
ALTER TABLE applications ADD COLUMN registered_by text, ADD COLUMN registered_role text;

-- Append-only: rows are added, never changed or removed (the trigger refuses it, whoever asks).
CREATE TABLE access_log (
    entry_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    subject        text NOT NULL,
    role           text NOT NULL,
    application_id uuid NOT NULL,
    what           text NOT NULL,
    purpose        text
);
CREATE INDEX access_log_by_application ON access_log (application_id, entry_id);

CREATE FUNCTION access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();

-- Fixed windows per bucket ('address:<ip>' or 'applicant:<sha256 of the ID number>', never the number itself),
-- shared by every intake replica.
CREATE TABLE submit_counts (
    bucket       text NOT NULL,
    window_start timestamptz NOT NULL,
    count        int NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
