-- An annual review's message: at most one per household per review (the key refuses a second), and
-- only to a household whose status or amount changed.
CREATE TABLE review_messages (
    review_id    uuid NOT NULL,
    recipient_id uuid NOT NULL,
    change       text NOT NULL CHECK (change IN ('adjusted', 'changed', 'exited')),
    channel      text NOT NULL,
    language     text NOT NULL,
    text         text NOT NULL,
    sent_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (review_id, recipient_id)
);
