-- Every index is paid on every COPY of spans (the largest statement per application in make bench).
-- The reads: an application's trace by trace_id (spans_by_trace), the console's last hour and the retention
-- delete by start_ts. Spans arrive in start order, give or take a flush interval, so a BRIN index serves the
-- time ranges at a fraction of a b-tree's upkeep. Nothing reads spans by application_id (intake keeps each
-- application's trace_id), so that index goes.
DROP INDEX spans_by_application;
DROP INDEX spans_by_start;
CREATE INDEX spans_by_start ON spans USING brin (start_ts);
