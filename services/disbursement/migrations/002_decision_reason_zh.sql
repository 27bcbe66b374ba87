-- Each decision's reason in plain Chinese for the citizen's message (null for decisions made without one).
ALTER TABLE decisions ADD COLUMN reason_zh text;
