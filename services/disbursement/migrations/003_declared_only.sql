-- Members (1-based) no registry knew: the notice says they were decided on the declaration.
ALTER TABLE applications ADD COLUMN declared_only int[] NOT NULL DEFAULT '{}';
