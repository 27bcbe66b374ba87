-- Payment runs' payments: one per entitlement (a household, a period, a kind), through the same
-- payments, lines, ledger and rail as an application's. Such a payment has no application: it is
-- the household's (recipient_id), and its payment_id is the entitlement's id.
ALTER TABLE payments ALTER COLUMN application_id DROP NOT NULL;
ALTER TABLE payments
    ADD COLUMN kind text NOT NULL DEFAULT 'application'
        CHECK (kind IN ('application', 'monthly', 'price_subsidy', 'advance', 'supplement')),
    ADD COLUMN recipient_id uuid,
    ADD COLUMN period text CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    ADD COLUMN run_id uuid,
    ADD CONSTRAINT payments_have_a_payee CHECK (application_id IS NOT NULL OR recipient_id IS NOT NULL),
    ADD CONSTRAINT payments_of_runs_name_their_entitlement
        CHECK (kind NOT IN ('monthly', 'price_subsidy') OR (recipient_id IS NOT NULL AND period IS NOT NULL AND run_id IS NOT NULL)),
    -- At most one payment per household, period and kind: a second is refused by the database itself.
    -- (An application's payment has no recipient_id, and NULLs never collide.)
    ADD CONSTRAINT payments_one_per_household_period_kind UNIQUE (recipient_id, period, kind);

-- Where a run's payment goes (personal data: the account, as applications.account_number holds it).
CREATE TABLE entitlement_payees (
    payment_id     uuid PRIMARY KEY REFERENCES payments(payment_id),
    account_kind   text NOT NULL,
    account_number text NOT NULL,
    language       text NOT NULL
);
