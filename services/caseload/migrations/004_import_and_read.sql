-- `jointaid caseload import` (services/caseload/bulk.py) and intake's GET /v1/recipients.

-- What an imported household's terms were computed from (services.caseload.imported.digest): the same
-- line on the same registry facts, giving the same amount, has the same digest, so importing it again
-- leaves the row, its history and its events alone (and does not undo what a review changed since).
-- NULL for a household enrolled by application.
ALTER TABLE recipients ADD COLUMN import_digest text;

-- Intake shows caseworkers the caseload through these views, never through the tables: they carry only
-- what the API shows (no payout account, no facts, no digest), and nothing can be written through them
-- (intake decides nothing here; caseload alone writes recipients and their history).
CREATE VIEW recipients_read AS
    SELECT recipient_id, status, monthly_amount_fen, members, region_code, enrolled_on, next_review_on,
           first_period, exited_from, source
    FROM recipients;

CREATE VIEW recipient_history_read AS
    SELECT id, recipient_id, at, change, status, monthly_amount_fen, effective_period, reason, reason_zh
    FROM recipient_history;

CREATE FUNCTION refuse_write_through_read_view() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the view % is read-only: % refused (caseload alone writes recipients)', TG_TABLE_NAME, TG_OP;
END $$;
CREATE TRIGGER recipients_read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON recipients_read
    FOR EACH ROW EXECUTE FUNCTION refuse_write_through_read_view();
CREATE TRIGGER recipient_history_read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON recipient_history_read
    FOR EACH ROW EXECUTE FUNCTION refuse_write_through_read_view();
