-- awaiting_approval now ranks above escalated (an application escalated while a department was late
-- and then decided waits for its approver: the later state is the one to show), so paid and rejected
-- move up one (services/intake/status_view.py RANK).
UPDATE applications SET status_rank = 5 WHERE status IN ('paid', 'rejected');
UPDATE applications SET status_rank = 4 WHERE status = 'awaiting_approval';
