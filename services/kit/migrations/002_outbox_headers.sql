-- Routing headers published with the event (contracts.routes.routing_headers): a consumer skips
-- what it does not act on from the headers alone, without decoding the body.
ALTER TABLE outbox ADD COLUMN headers jsonb NOT NULL DEFAULT '{}';
