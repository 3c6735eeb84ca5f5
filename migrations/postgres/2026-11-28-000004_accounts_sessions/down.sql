ALTER TABLE tokens DROP COLUMN user_id;
ALTER TABLE audit_events DROP COLUMN user_id;
ALTER TABLE practices DROP COLUMN time_zone;
DROP TABLE sign_in_failures;
DROP TABLE sessions;
DROP TABLE users;
