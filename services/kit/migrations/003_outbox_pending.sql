-- The rows still to publish are listed apart, in a narrow table: inserted with the outbox row (in the same
-- statement, services/kit/outbox.py), deleted once the broker has acknowledged it.
-- Before, the relay marked a published row with UPDATE outbox SET published_at = now(). The partial index on
-- published_at made every such update non-HOT: the whole row written again (payload included) and an entry added
-- to each of its other three indexes, ~17 kB of WAL per application (make bench), and a dead row left for vacuum.
-- The outbox itself is now written once and never updated. "Published" = not in outbox_pending.
CREATE TABLE outbox_pending (id bigint PRIMARY KEY);
INSERT INTO outbox_pending(id) SELECT id FROM outbox WHERE published_at IS NULL;
DROP INDEX outbox_unpublished;
ALTER TABLE outbox DROP COLUMN published_at;
