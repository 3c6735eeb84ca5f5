-- The rows the PO matrix loads, as hand-written SQL: every table once, filtered on the PO.
-- PostgreSQL: psql -v org=ID -f benches/raw_rows.sql -o /dev/null DATABASE_URL
-- SQLite:     sed 's/:org/ID/g' benches/raw_rows.sql | sqlite3 FILE > /dev/null
SELECT * FROM organizations WHERE id = :org;
SELECT * FROM practices WHERE organization_id = :org ORDER BY id;
SELECT * FROM staff WHERE practice_id IN (SELECT id FROM practices WHERE organization_id = :org) ORDER BY id;
SELECT * FROM training_records WHERE practice_id IN (SELECT id FROM practices WHERE organization_id = :org) ORDER BY id;
SELECT * FROM team_meetings WHERE practice_id IN (SELECT id FROM practices WHERE organization_id = :org) ORDER BY held_on, id;
SELECT a.* FROM meeting_attendees a JOIN team_meetings m ON m.id = a.meeting_id
  WHERE m.practice_id IN (SELECT id FROM practices WHERE organization_id = :org) ORDER BY a.id;
SELECT f.* FROM meeting_follow_ups f JOIN team_meetings m ON m.id = f.meeting_id
  WHERE m.practice_id IN (SELECT id FROM practices WHERE organization_id = :org) ORDER BY f.id;
SELECT * FROM care_plans WHERE practice_id IN (SELECT id FROM practices WHERE organization_id = :org) ORDER BY discussed_on, id;
SELECT p.* FROM care_partners p JOIN care_plans c ON c.id = p.care_plan_id
  WHERE c.practice_id IN (SELECT id FROM practices WHERE organization_id = :org) ORDER BY p.id;
SELECT s.* FROM care_plan_shares s JOIN care_plans c ON c.id = s.care_plan_id
  WHERE c.practice_id IN (SELECT id FROM practices WHERE organization_id = :org) ORDER BY s.shared_on, s.id;
SELECT * FROM survey_results WHERE practice_id IN (SELECT id FROM practices WHERE organization_id = :org) ORDER BY id;
SELECT * FROM attestations WHERE organization_id = :org ORDER BY id;
SELECT * FROM documents WHERE organization_id = :org ORDER BY effective_on, id;
SELECT * FROM periodic_reports WHERE organization_id = :org ORDER BY id;
