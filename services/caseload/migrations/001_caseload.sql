-- The caseload: households receiving aid month after month, and what each run owes them.
-- Personal data (ID numbers, names, accounts) lives here and in the application's services only.

-- What an application brought, until its living decision enrols it (or not): the submission
-- (ID numbers, account), the verified facts and the layer-1 decision may arrive in any order.
CREATE TABLE case_files (
    application_id uuid PRIMARY KEY,
    submission     jsonb,          -- the application as submitted (personal data)
    facts          jsonb,          -- HouseholdFacts as verified (no personal data)
    payout_kind    text,
    payout_number  text,
    language       text NOT NULL DEFAULT 'zh',
    decision       jsonb,          -- the layer-1 (living) decision
    enrolled_at    timestamptz
);

-- One row per household; recipient_id is derived from the applicant's ID number, so an
-- application and an import of the same household meet in the same row.
CREATE TABLE recipients (
    recipient_id        uuid PRIMARY KEY,
    applicant_id_number text COLLATE "C" NOT NULL UNIQUE,
    status              text NOT NULL CHECK (status IN ('extreme_poverty', 'mla', 'low_income', 'exited')),
    monthly_amount_fen  bigint NOT NULL CHECK (monthly_amount_fen >= 0),
    members             jsonb NOT NULL,  -- [{"id_number", "name", "relation"}] (personal data)
    facts               jsonb NOT NULL,  -- HouseholdFacts the amount was decided on (no personal data)
    region_code         text NOT NULL,
    payout_kind         text NOT NULL,
    payout_number       text NOT NULL,
    language            text NOT NULL DEFAULT 'zh',
    enrolled_on         date NOT NULL,
    next_review_on      date NOT NULL,
    first_period        text NOT NULL CHECK (first_period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),  -- first period a run pays
    exited_from         text CHECK (exited_from ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),            -- first period not paid
    -- A review's outcome takes effect from a later period: until `changed_from`, runs pay by the
    -- prior status and facts (services.caseload.amounts.terms_for_period).
    prior_status        text CHECK (prior_status IN ('extreme_poverty', 'mla', 'low_income')),
    prior_facts         jsonb,
    changed_from        text CHECK (changed_from ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    source              text NOT NULL CHECK (source IN ('application', 'import')),
    application_id      uuid,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recipients_by_status ON recipients (status, region_code);
CREATE INDEX recipients_by_review ON recipients (next_review_on) WHERE status <> 'exited';

-- Every change of a recipient, with its reason and figures: the history the API shows.
CREATE TABLE recipient_history (
    id                 bigserial PRIMARY KEY,
    recipient_id       uuid NOT NULL REFERENCES recipients,
    at                 timestamptz NOT NULL DEFAULT now(),
    change             text NOT NULL,
    status             text NOT NULL,
    monthly_amount_fen bigint NOT NULL,
    effective_period   text,
    reason             text NOT NULL DEFAULT '',
    reason_zh          text NOT NULL DEFAULT ''
);
CREATE INDEX recipient_history_by_recipient ON recipient_history (recipient_id, id);
