-- A record entered by mistake is voided, never deleted: when, by whom (the person or the token
-- the audit trail names, and their name as shown then), and why. A correction is a new record
-- that names the one it `replaces`; the voided one names it back in `replaced_by`. These
-- columns are set once, in the void's own transaction; nothing else of a record changes.

ALTER TABLE staff ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE staff ADD COLUMN voided_by_user BIGINT;
ALTER TABLE staff ADD COLUMN voided_by_token BIGINT;
ALTER TABLE staff ADD COLUMN voided_by TEXT;
ALTER TABLE staff ADD COLUMN void_reason TEXT;
ALTER TABLE staff ADD COLUMN replaces BIGINT;
ALTER TABLE staff ADD COLUMN replaced_by BIGINT;

ALTER TABLE documents ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE documents ADD COLUMN voided_by_user BIGINT;
ALTER TABLE documents ADD COLUMN voided_by_token BIGINT;
ALTER TABLE documents ADD COLUMN voided_by TEXT;
ALTER TABLE documents ADD COLUMN void_reason TEXT;
ALTER TABLE documents ADD COLUMN replaces BIGINT;
ALTER TABLE documents ADD COLUMN replaced_by BIGINT;

ALTER TABLE training_records ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE training_records ADD COLUMN voided_by_user BIGINT;
ALTER TABLE training_records ADD COLUMN voided_by_token BIGINT;
ALTER TABLE training_records ADD COLUMN voided_by TEXT;
ALTER TABLE training_records ADD COLUMN void_reason TEXT;
ALTER TABLE training_records ADD COLUMN replaces BIGINT;
ALTER TABLE training_records ADD COLUMN replaced_by BIGINT;

ALTER TABLE team_meetings ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE team_meetings ADD COLUMN voided_by_user BIGINT;
ALTER TABLE team_meetings ADD COLUMN voided_by_token BIGINT;
ALTER TABLE team_meetings ADD COLUMN voided_by TEXT;
ALTER TABLE team_meetings ADD COLUMN void_reason TEXT;
ALTER TABLE team_meetings ADD COLUMN replaces BIGINT;
ALTER TABLE team_meetings ADD COLUMN replaced_by BIGINT;

ALTER TABLE meeting_follow_ups ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE meeting_follow_ups ADD COLUMN voided_by_user BIGINT;
ALTER TABLE meeting_follow_ups ADD COLUMN voided_by_token BIGINT;
ALTER TABLE meeting_follow_ups ADD COLUMN voided_by TEXT;
ALTER TABLE meeting_follow_ups ADD COLUMN void_reason TEXT;
ALTER TABLE meeting_follow_ups ADD COLUMN replaces BIGINT;
ALTER TABLE meeting_follow_ups ADD COLUMN replaced_by BIGINT;

ALTER TABLE care_plans ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE care_plans ADD COLUMN voided_by_user BIGINT;
ALTER TABLE care_plans ADD COLUMN voided_by_token BIGINT;
ALTER TABLE care_plans ADD COLUMN voided_by TEXT;
ALTER TABLE care_plans ADD COLUMN void_reason TEXT;
ALTER TABLE care_plans ADD COLUMN replaces BIGINT;
ALTER TABLE care_plans ADD COLUMN replaced_by BIGINT;

ALTER TABLE care_plan_shares ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE care_plan_shares ADD COLUMN voided_by_user BIGINT;
ALTER TABLE care_plan_shares ADD COLUMN voided_by_token BIGINT;
ALTER TABLE care_plan_shares ADD COLUMN voided_by TEXT;
ALTER TABLE care_plan_shares ADD COLUMN void_reason TEXT;
ALTER TABLE care_plan_shares ADD COLUMN replaces BIGINT;
ALTER TABLE care_plan_shares ADD COLUMN replaced_by BIGINT;

ALTER TABLE survey_results ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE survey_results ADD COLUMN voided_by_user BIGINT;
ALTER TABLE survey_results ADD COLUMN voided_by_token BIGINT;
ALTER TABLE survey_results ADD COLUMN voided_by TEXT;
ALTER TABLE survey_results ADD COLUMN void_reason TEXT;
ALTER TABLE survey_results ADD COLUMN replaces BIGINT;
ALTER TABLE survey_results ADD COLUMN replaced_by BIGINT;

ALTER TABLE periodic_reports ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE periodic_reports ADD COLUMN voided_by_user BIGINT;
ALTER TABLE periodic_reports ADD COLUMN voided_by_token BIGINT;
ALTER TABLE periodic_reports ADD COLUMN voided_by TEXT;
ALTER TABLE periodic_reports ADD COLUMN void_reason TEXT;
ALTER TABLE periodic_reports ADD COLUMN replaces BIGINT;
ALTER TABLE periodic_reports ADD COLUMN replaced_by BIGINT;

-- Follow-up items are recorded with their meeting; from now on each keeps its own moment too
-- (an evaluation "as known on" a day leaves out what was recorded later).
ALTER TABLE meeting_follow_ups ADD COLUMN recorded_at TIMESTAMP;
UPDATE meeting_follow_ups SET recorded_at = (SELECT m.recorded_at FROM team_meetings m WHERE m.id = meeting_follow_ups.meeting_id);
