-- Every service's schema gets an outbox (events to publish, written in the same transaction
-- as the state change) and an inbox (events already applied, so a redelivery changes nothing).
CREATE TABLE outbox (
    id             bigserial PRIMARY KEY,
    event_id       uuid NOT NULL UNIQUE,
    application_id uuid NOT NULL,
    topic          text NOT NULL,
    payload        bytea NOT NULL,
    trace_headers  jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_by_application ON outbox (application_id);

CREATE TABLE inbox (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

