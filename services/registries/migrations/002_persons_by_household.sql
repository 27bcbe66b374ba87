-- Discovery looks up the household of every signalled person (services/discovery/store.py): without this
-- index each load, even a small API batch, scans the whole table.
CREATE INDEX persons_by_household ON persons (household_id);
