-- Spans are a picture, not state (001): they skip the write-ahead log. They were ~18 kB of the ~120 kB
-- of WAL written per application (make bench). The price: a PostgreSQL crash (not a clean stop)
-- empties the table; production exports spans by OTLP to its collector anyway.
ALTER TABLE spans SET UNLOGGED;
