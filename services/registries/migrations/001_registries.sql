-- What the departments' registries hold, one row per person (contracts.registry.RegistryRecord);
-- recorded_at: when this row's facts last changed here (a re-import of the same facts keeps it).
CREATE TABLE persons (
    id_number            text COLLATE "C" PRIMARY KEY,  -- digits and X: byte order, the fastest to sort and index
    household_id         text NOT NULL,
    hukou_region         text NOT NULL,
    alive                boolean NOT NULL,
    disability_grade     smallint CHECK (disability_grade BETWEEN 1 AND 4),
    monthly_income_fen   bigint NOT NULL CHECK (monthly_income_fen >= 0),
    financial_assets_fen bigint NOT NULL CHECK (financial_assets_fen >= 0),
    vehicles             int NOT NULL CHECK (vehicles BETWEEN 0 AND 100),
    recorded_at          timestamptz NOT NULL DEFAULT now()
);
-- Every answered query, without whom it was about: how many were asked, how many known.
CREATE TABLE answers (
    id             bigserial PRIMARY KEY,
    application_id uuid NOT NULL,
    asked          int NOT NULL,
    known          int NOT NULL,
    answered_at    timestamptz NOT NULL
);
CREATE INDEX answers_by_application ON answers (application_id);
