-- Aid first, paperwork after: an urgent application has an advance (kind 'advance') besides its main
-- payment (kind 'application'): at most one of each per application. Supplements (a later migration)
-- have their own uniqueness, so they are left out of this index.
ALTER TABLE payments DROP CONSTRAINT payments_application_id_key;
CREATE UNIQUE INDEX payments_one_per_application_kind ON payments (application_id, kind)
    WHERE kind IN ('application', 'advance');

-- A payment above the approval threshold waits (not picked by the rail) until an approver releases it
-- (-> pending) or refuses it (-> refused, its approval posting reversed).
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('pending', 'settled', 'failed', 'awaiting_approval', 'refused'));
CREATE INDEX payments_awaiting_approval ON payments (created_at) WHERE status = 'awaiting_approval';

-- Waiver: the part of an advance above the final temporary assistance (debit waived:<department>, credit
-- fund:<department>). Reversal: a refused payment's approval undone (debit payable:citizen, credit fund).
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_posting_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_posting_check
    CHECK (posting IN ('approval', 'settlement', 'waiver', 'reversal'));

-- advance_fen: the advance intake requested (from the verified event): the final payment waits for it to
-- be settled or finally failed. Once the final payment is made: what the advance paid of the temporary
-- assistance (deducted) and what it paid above it (waived). deducted + waived = the settled advance.
ALTER TABLE applications
    ADD COLUMN advance_fen bigint NOT NULL DEFAULT 0 CHECK (advance_fen >= 0),
    ADD COLUMN advance_deducted_fen bigint NOT NULL DEFAULT 0 CHECK (advance_deducted_fen >= 0),
    ADD COLUMN waived_fen bigint NOT NULL DEFAULT 0 CHECK (waived_fen >= 0);
