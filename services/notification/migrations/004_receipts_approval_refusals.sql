-- An advance's own short receipt (aid first, paperwork after): one per payment. The application's one
-- full notice stays in `messages`, which now may also be an approval's refusal.
CREATE TABLE receipts (
    payment_id     uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('advance')),
    channel        text NOT NULL,
    language       text NOT NULL,
    text           text NOT NULL,
    sent_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipts_by_application ON receipts (application_id);

ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check CHECK (kind IN ('payment', 'rejection', 'approval_refused'));
