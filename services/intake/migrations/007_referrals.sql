-- The application's service referrals, kept from aid.referral.made / .answered (no personal data).
CREATE TABLE referrals (
    referral_id    uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    service        text NOT NULL,
    provider       text NOT NULL,
    status         text NOT NULL CHECK (status IN ('made', 'fulfilled', 'refused'))
);
CREATE INDEX referrals_of_application ON referrals (application_id);
