-- Shared observability schema "telemetry": finished spans written by every service
-- (services/kit/span_store.py), read by intake's GET /v1/applications/{id}/trace and /console.
-- Operational data, not service state: no service decides anything from it, it may be lost
-- or truncated at any time, and rows older than JOINTAID_SPAN_RETENTION_DAYS are deleted.
-- No personal data: attributes hold message ids, keys (= application_id), sizes, offsets.
CREATE TABLE spans (
    trace_id       text NOT NULL,
    span_id        text NOT NULL,
    parent_id      text,
    service        text NOT NULL,
    name           text NOT NULL,
    start_ts       timestamptz NOT NULL,
    end_ts         timestamptz NOT NULL,
    application_id uuid,
    attributes     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX spans_by_trace ON spans (trace_id, start_ts);
CREATE INDEX spans_by_application ON spans (application_id) WHERE application_id IS NOT NULL;
CREATE INDEX spans_by_start ON spans (start_ts);
