-- Each application's service referrals as the providers answer them, for the one notice to list.
CREATE TABLE referrals (
    referral_id    uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    service        text NOT NULL,
    provider       text NOT NULL,
    automatic      boolean NOT NULL DEFAULT false,
    status         text NOT NULL CHECK (status IN ('made', 'fulfilled', 'refused')),
    reason         text NOT NULL DEFAULT '',
    reason_zh      text NOT NULL DEFAULT ''
);
CREATE INDEX referrals_of_application ON referrals (application_id);

-- A payment notice waiting for the providers' answers (at most referral_wait_seconds), then sent once.
CREATE TABLE held_notices (
    application_id uuid PRIMARY KEY,
    issued         text NOT NULL,          -- the aid.payment.issued data
    language       text NOT NULL,
    trace_headers  text NOT NULL DEFAULT '{}',
    hold_until     timestamptz NOT NULL
);
