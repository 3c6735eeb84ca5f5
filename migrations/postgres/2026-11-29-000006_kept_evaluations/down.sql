DROP TABLE kept_organization_evaluations;
DROP TABLE kept_practice_due_lists;
DROP TABLE kept_practice_evaluations;
ALTER TABLE organizations DROP COLUMN records_revision;
ALTER TABLE practices DROP COLUMN records_revision;
