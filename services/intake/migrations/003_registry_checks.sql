-- What the registries said of each member (by position, no personal data), kept from the verified event.
ALTER TABLE applications ADD COLUMN registry_checks jsonb;
