-- Exactly one message per application: the primary key refuses a second.
CREATE TABLE messages (
    application_id uuid PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('payment', 'rejection')),
    channel        text NOT NULL,
    language       text NOT NULL,
    text           text NOT NULL,
    sent_at        timestamptz NOT NULL DEFAULT now()
);
