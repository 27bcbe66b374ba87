-- A payment run's short message: exactly one per household, period and kind (the key refuses a second).
CREATE TABLE run_messages (
    recipient_id uuid NOT NULL,
    period       text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('monthly', 'price_subsidy')),
    payment_id   uuid NOT NULL,
    channel      text NOT NULL,
    language     text NOT NULL,
    text         text NOT NULL,
    sent_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recipient_id, period, kind)
);
