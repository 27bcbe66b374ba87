-- An appeal's one notice: the layer decided again and the supplement, or that the decision stands. One per
-- appeal (the key refuses a second); the application's one notice stays in `messages`.
CREATE TABLE appeal_messages (
    appeal_id      uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('upheld', 'revised')),
    channel        text NOT NULL,
    language       text NOT NULL,
    text           text NOT NULL,
    sent_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appeal_messages_of_application ON appeal_messages (application_id);
