-- One application in progress per applicant: the key is a hash of the ID number, never the number.
CREATE TABLE active_applicants (
    applicant_key  text PRIMARY KEY,
    application_id uuid NOT NULL UNIQUE,
    since          timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE verifications (
    application_id uuid PRIMARY KEY,
    outcome        text NOT NULL CHECK (outcome IN ('verified', 'rejected')),
    rule           text,
    decided_at     timestamptz NOT NULL DEFAULT now()
);
