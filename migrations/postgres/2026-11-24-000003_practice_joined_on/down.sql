ALTER TABLE practices DROP COLUMN joined_on;
