-- One row per (application, service): the referral, then the provider's answer. No personal data:
-- a provider is told the region and the service only.
CREATE TABLE referrals (
    referral_id    uuid PRIMARY KEY,  -- uuid5(application_id, service)
    application_id uuid NOT NULL,
    service        text NOT NULL,
    provider       text NOT NULL,
    region_code    text NOT NULL,
    automatic      boolean NOT NULL DEFAULT false,
    status         text NOT NULL DEFAULT 'made' CHECK (status IN ('made', 'fulfilled', 'refused')),
    reason         text NOT NULL DEFAULT '',
    reason_zh      text NOT NULL DEFAULT '',
    trace_headers  text NOT NULL DEFAULT '{}',
    made_at        timestamptz NOT NULL DEFAULT now(),
    answered_at    timestamptz,
    UNIQUE (application_id, service)
);
-- what the provider worker picks up
CREATE INDEX referrals_unanswered ON referrals (made_at) WHERE status = 'made';
