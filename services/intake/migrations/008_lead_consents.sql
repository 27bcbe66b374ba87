-- A household's answer to a lead (policy finds the person), recorded by the caseworker who asked: one row per lead,
-- so a second answer is refused at once (before discovery has closed the lead). Given: the application it became,
-- registered in the same transaction. The console's application page shows it.
CREATE TABLE lead_consents (
    lead_id        uuid PRIMARY KEY,
    given          boolean NOT NULL,
    channel        text NOT NULL,
    at             timestamptz NOT NULL,            -- when the household answered
    recorded_by    text NOT NULL,                   -- the caseworker's subject
    recorded_role  text NOT NULL,
    application_id uuid UNIQUE REFERENCES applications(application_id),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (given = (application_id IS NOT NULL))
);
