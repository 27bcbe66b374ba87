-- Discovery: monitoring signals in, leads out ("policy finds the person").
-- Personal data (ID numbers) lives here; the events carry none (LeadRaised counts members).

-- Every signal loaded once: `digest` is the md5 of the row's columns, so the same row again (in the same
-- file, a second import, the API) is a duplicate and inserts nothing. household_id is the registries'
-- household of the person when it was loaded; NULL: a person the registries did not know (kept and
-- counted for the report, never a lead).
CREATE TABLE signals (
    digest       uuid PRIMARY KEY,
    id_number    text COLLATE "C" NOT NULL,
    signal       text NOT NULL CHECK (signal IN ('medical_spending', 'income_drop', 'disability', 'death', 'report')),
    amount_fen   bigint CHECK (amount_fen >= 0),
    observed_on  date NOT NULL,
    source       text NOT NULL,
    grade        smallint CHECK (grade BETWEEN 1 AND 4),
    household_id text,
    row_no       int,                      -- its row in the file (or position in the API batch) that loaded it
    loaded_at    timestamptz NOT NULL DEFAULT now()
);
-- The medical-spending window of a household (the rule's sum, and lead_bills).
CREATE INDEX signals_spending ON signals (household_id, observed_on) WHERE signal = 'medical_spending';

-- A household a rule pointed to. At most one open lead per household (the partial unique index: two
-- imports racing cannot raise two); closed by the household's answer to the caseworker (consent).
CREATE TABLE leads (
    lead_id           uuid PRIMARY KEY,
    household_id      text NOT NULL,
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    outcome           text CHECK (outcome IN ('application', 'consent_refused')),
    person_id_number  text COLLATE "C" NOT NULL,  -- the person the first signal named
    member_id_numbers text[] NOT NULL,            -- the household's living members in the registries, when raised
    region_code       text NOT NULL,
    rules             jsonb NOT NULL,             -- [{"rule", "figures", "figures_zh"}] (contracts.events.LeadRule)
    as_of             date NOT NULL,              -- the day the rules were evaluated for
    bills_from        date,                       -- medical_spending fired: the first day of its window
    raised_at         timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    application_id    uuid,
    CHECK ((status = 'open') = (outcome IS NULL))
);
CREATE UNIQUE INDEX one_open_lead_per_household ON leads (household_id) WHERE status = 'open';
CREATE INDEX leads_by_status ON leads (status, raised_at, lead_id);

-- What each import or API batch did (counts only, no personal data): the report.
CREATE TABLE imports (
    id          bigserial PRIMARY KEY,
    origin      text NOT NULL,                    -- 'file' | 'api'
    as_of       date NOT NULL,
    policy      text NOT NULL,
    staged      int NOT NULL,
    loaded      int NOT NULL,
    duplicates  int NOT NULL,
    unknown     int NOT NULL,
    leads       int NOT NULL,
    skipped     jsonb NOT NULL,                   -- {"open_lead", "recipient", "application_in_progress"}
    at          timestamptz NOT NULL DEFAULT now()
);

-- Intake reads leads through these two views only (the interface of DESIGN.md "Leads"), never the tables.
CREATE VIEW lead_view AS
    SELECT lead_id, status, outcome, household_id, person_id_number, member_id_numbers, region_code, rules,
           raised_at, closed_at, application_id
    FROM leads;

-- The medical_spending bills that made a lead: its household's, inside the window, loaded by the time it was raised.
CREATE VIEW lead_bills AS
    SELECT l.lead_id, s.id_number AS member_id_number, s.amount_fen, s.observed_on
    FROM leads l
    JOIN signals s ON s.household_id = l.household_id AND s.signal = 'medical_spending'
     AND s.observed_on BETWEEN l.bills_from AND l.as_of AND s.loaded_at <= l.raised_at
    WHERE l.bills_from IS NOT NULL;
