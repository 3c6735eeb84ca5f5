//! Voiding and correcting records over real HTTP, on SQLite and PostgreSQL, for every kind a
//! practice or a PO keeps: a voided record stays stored and listed (flagged), the criterion it
//! supported changes, a correction names the record it replaces (and is named back), voiding
//! twice is a 409, another practice's record a 404, an auditor a 403, the packet's logs mark
//! the void, `as_known_on` gives the view of an earlier day, and a correction whose new record
//! is refused leaves the old one as it was.

mod common;

use std::io::{Cursor, Read};

use common::{Backend, Server};
use serde_json::{json, Value};

both_backends! {
    a_training_is_voided_and_corrected => a_training_is_voided_and_corrected;
    a_staff_member_is_voided_only_without_records => a_staff_member_is_voided_only_without_records;
    a_meeting_and_a_follow_up_are_voided => a_meeting_and_a_follow_up_are_voided;
    a_care_plan_is_voided_and_corrected => a_care_plan_is_voided_and_corrected;
    a_share_is_voided_and_corrected => a_share_is_voided_and_corrected;
    a_survey_result_is_voided_and_corrected => a_survey_result_is_voided_and_corrected;
    documents_are_voided_and_corrected => documents_are_voided_and_corrected;
    a_report_is_voided_and_corrected => a_report_is_voided_and_corrected;
}

/// The day every view is evaluated for.
const AS_OF: &str = "2026-11-20";

/// A day before which the records of a test are backdated, and the days around it.
const RECORDED_ON: &str = "2026-10-01 09:00:00";
const BEFORE_RECORDED: &str = "2026-09-15";
const AFTER_RECORDED: &str = "2026-10-15";

/// The twelve months a monthly requirement evaluated on [`AS_OF`] looks at.
const TWELVE_MONTHS: [(i32, u32); 12] = [
    (2025, 11),
    (2025, 12),
    (2026, 1),
    (2026, 2),
    (2026, 3),
    (2026, 4),
    (2026, 5),
    (2026, 6),
    (2026, 7),
    (2026, 8),
    (2026, 9),
    (2026, 10),
];

/// A PO and a practice assessed against 1.0.0; returns (organization, practice).
fn practice(server: &Server, name: &str) -> (i64, i64) {
    let po = server.create("/api/v1/organizations", &json!({"name": format!("{name} PO")}));
    let po = id_of(&po);
    let practice = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": name, "initial_focus_population": "adults with diabetes", "catalog_version": "1.0.0"}),
    );
    (po, id_of(&practice))
}

fn id_of(record: &Value) -> i64 {
    record["id"].as_i64().unwrap_or_else(|| panic!("an id in {record}"))
}

fn staff(server: &Server, practice: i64, name: &str, role: &str) -> i64 {
    id_of(&server.create(
        &format!("/api/v1/practices/{practice}/staff"),
        &json!({"name": name, "role": role, "started_on": "2025-01-06"}),
    ))
}

/// A `multipart/form-data` upload of a small document with `metadata`.
fn upload(server: &Server, path: &str, metadata: &Value) -> common::Response {
    let boundary = "pcmh-voids-boundary-5d1e";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"doc.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 {metadata}\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    server.request(
        "POST",
        path,
        Some(&format!("multipart/form-data; boundary={boundary}")),
        &body,
    )
}

fn document(server: &Server, path: &str, document_type: &str, criteria: &[&str], replaces: Option<Value>) -> Value {
    let mut metadata = json!({
        "title": format!("{document_type} for {}", criteria.join(" ")), "document_type": document_type,
        "criteria": criteria, "effective_on": "2026-06-01"
    });
    if let Some(replaces) = replaces {
        metadata["replaces"] = replaces;
    }
    let response = upload(server, path, &metadata);
    assert_eq!(response.status, 201, "POST {path}: {}", response.text());
    response.json()
}

/// The practice's (or, for a path under /organizations, the PO's) compliance view with `query`.
fn view(server: &Server, base: &str, query: &str) -> Value {
    let response = server.get(&format!("{base}/compliance?as_of={AS_OF}{query}"));
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// Criterion `id` of a view: a practice's criteria, or a PO's own.
fn criterion(view: &Value, id: &str) -> Value {
    let list = view
        .get("organization_criteria")
        .unwrap_or(&view["criteria"])
        .as_array()
        .expect("criteria");
    list.iter()
        .find(|c| c["criterion"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} is in the view"))
}

/// Whether `criterion` names the record (kind, id) among its supporting records or what falls due.
fn names(criterion: &Value, kind: &str, id: i64) -> bool {
    let in_list = |list: &Value| {
        list.as_array()
            .is_some_and(|l| l.iter().any(|r| r["kind"] == kind && r["id"] == id))
    };
    in_list(&criterion["records"])
        || criterion["due"]
            .as_array()
            .is_some_and(|due| due.iter().any(|d| in_list(&d["records"])))
}

fn void(server: &Server, record: &str, reason: &str) -> common::Response {
    server.post(&format!("{record}/void"), &json!({"reason": reason}))
}

fn void_as(server: &Server, token: &str, record: &str, reason: &str) -> common::Response {
    server.request_as(
        Some(token),
        "POST",
        &format!("{record}/void"),
        Some("application/json"),
        json!({"reason": reason}).to_string().as_bytes(),
    )
}

/// The tables of the records a practice or PO keeps.
const TABLES: [&str; 9] = [
    "staff",
    "documents",
    "training_records",
    "team_meetings",
    "meeting_follow_ups",
    "care_plans",
    "care_plan_shares",
    "survey_results",
    "periodic_reports",
];

/// Sets when every record stored so far was recorded to [`RECORDED_ON`], as if they had been
/// entered that day.
fn backdate(server: &Server) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let sql: String = TABLES
        .iter()
        .map(|table| format!("UPDATE {table} SET recorded_at = '{RECORDED_ON}';"))
        .collect();
    match server.backend {
        Backend::Sqlite => {
            let path = server.database_url.trim_start_matches("sqlite://");
            let mut conn = diesel::SqliteConnection::establish(path).expect("the test database");
            conn.batch_execute(&sql).expect("backdated");
        }
        Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(&server.database_url).expect("the test database");
            conn.batch_execute(&sql).expect("backdated");
        }
    }
}

/// One kind of record under test: where it lives and what it supports.
struct Case<'a> {
    server: &'a Server,
    /// Where the record is read; its void is `{record}/void`.
    record: String,
    /// The practice's or PO's path, whose `/compliance` view the record counts in.
    owner: String,
    /// The criterion it supports, and whether voiding it changes the criterion's status.
    criterion: &'static str,
    status_changes: bool,
    /// How the views name it: its kind and id.
    kind: &'static str,
    id: i64,
    /// The same kind of record of another practice or PO, under this owner's path.
    foreign: String,
    /// A token of an auditor who reads the record.
    auditor: String,
}

/// What every kind answers: the auditor may not void (403), another practice's record is not
/// found (404), a blank reason is refused (422); the void is answered with the voided record
/// (who, when, why), which stays readable; a second void is a 409; the criterion no longer
/// counts it; a view as known before the void still does (as known before the record was
/// entered, it does not). Returns the criterion before and after the void.
fn void_checks(case: &Case, reason: &str) -> (Value, Value) {
    let server = case.server;
    backdate(server);
    let before = criterion(&view(server, &case.owner, ""), case.criterion);
    assert!(
        names(&before, case.kind, case.id),
        "{} names {} {} before the void: {before}",
        case.criterion,
        case.kind,
        case.id
    );

    let refused = void_as(server, &case.auditor, &case.record, reason);
    assert_eq!(refused.status, 403, "an auditor voids: {}", refused.text());
    let foreign = void(server, &case.foreign, reason);
    assert_eq!(foreign.status, 404, "another's record: {}", foreign.text());
    let blank = void(server, &case.record, "  ");
    assert_eq!(blank.status, 422, "{}", blank.text());
    assert_eq!(
        blank.error_fields(),
        vec![("reason".to_owned(), "not_blank".to_owned())]
    );
    let unread = server.get(&case.record).json();
    assert_eq!(unread["voided"], Value::Null, "refused voids wrote nothing: {unread}");

    let voided = void(server, &case.record, reason);
    assert_eq!(voided.status, 200, "{}", voided.text());
    let voided = voided.json();
    assert_eq!(voided["id"], case.id);
    assert_eq!(voided["voided"]["reason"], reason);
    assert!(
        voided["voided"]["by"].as_str().is_some_and(|by| by.contains("tests")),
        "the admin token's label: {voided}"
    );
    assert!(
        voided["voided"]["at"].as_str().is_some_and(|at| at.ends_with('Z')),
        "{voided}"
    );
    assert_eq!(
        server.get(&case.record).json(),
        voided,
        "the voided record stays readable"
    );

    let again = void(server, &case.record, "twice");
    assert_eq!(again.status, 409, "{}", again.text());
    assert!(again.text().contains("already voided"), "{}", again.text());

    let today = view(server, &case.owner, "");
    assert_eq!(today["basis"], json!({"records": "corrected", "as_known_on": null}));
    let after = criterion(&today, case.criterion);
    assert!(
        !names(&after, case.kind, case.id),
        "{} no longer counts the voided record: {after}",
        case.criterion
    );
    if case.status_changes {
        assert_ne!(before["status"], after["status"], "{before}\n{after}");
    }

    let known = view(server, &case.owner, &format!("&as_known_on={AFTER_RECORDED}"));
    assert_eq!(
        known["basis"],
        json!({"records": "as_known_on", "as_known_on": AFTER_RECORDED})
    );
    let known = criterion(&known, case.criterion);
    assert!(
        names(&known, case.kind, case.id),
        "as known on {AFTER_RECORDED}, before the void, the record counts: {known}"
    );
    assert_eq!(known["status"], before["status"]);
    let unknown = criterion(
        &view(server, &case.owner, &format!("&as_known_on={BEFORE_RECORDED}")),
        case.criterion,
    );
    assert!(
        !names(&unknown, case.kind, case.id),
        "as known on {BEFORE_RECORDED}, before it was entered, it does not: {unknown}"
    );
    (before, after)
}

/// A correction: `create` posts a new record that `replaces` the old one; the answer names the
/// old, the old names the new and is voided with the reason, and the criterion counts the new.
fn correct(case: &Case, create: impl Fn(Value) -> common::Response, new_path: impl Fn(i64) -> String) -> Value {
    let server = case.server;
    let reason = "entered with the wrong day";
    let response = create(json!({"id": case.id, "reason": reason}));
    assert_eq!(response.status, 201, "{}", response.text());
    let new = response.json();
    let new_id = id_of(&new);
    assert_eq!(new["replaces"], case.id, "{new}");
    assert_eq!(new["voided"], Value::Null);
    let old = server.get(&case.record).json();
    assert_eq!(old["replaced_by"], new_id, "{old}");
    assert_eq!(old["voided"]["reason"], reason);
    let read = server.get(&new_path(new_id)).json();
    assert_eq!(read["replaces"], case.id);
    let now = criterion(&view(server, &case.owner, ""), case.criterion);
    assert!(names(&now, case.kind, new_id), "{now}");
    assert!(!names(&now, case.kind, case.id), "{now}");

    // The old record is voided now: correcting it again is a conflict, and writes nothing.
    let again = create(json!({"id": case.id, "reason": "again"}));
    assert_eq!(again.status, 409, "{}", again.text());
    // A record of another practice or PO is no record to correct here.
    let foreign_id: i64 = case
        .foreign
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("an id");
    let foreign = create(json!({"id": foreign_id, "reason": "not ours"}));
    assert_eq!(foreign.status, 422, "{}", foreign.text());
    assert_eq!(
        foreign.error_fields(),
        vec![("replaces.id".to_owned(), "same_owner".to_owned())]
    );
    new
}

/// A correction whose new record breaks a rule checked in its transaction: refused, and the
/// record it was to replace is not voided (both writes, or neither).
fn refused_correction_voids_nothing(server: &Server, record: &str, response: common::Response, field: &str) {
    assert_eq!(response.status, 422, "{}", response.text());
    assert!(
        response.error_fields().iter().any(|(f, _)| f == field),
        "{field}: {}",
        response.text()
    );
    let old = server.get(record).json();
    assert_eq!(
        old["voided"],
        Value::Null,
        "the refused correction voided nothing: {old}"
    );
    assert_eq!(old["replaced_by"], Value::Null);
}

/// The packet of `practice` for 2026, and the rows of its log `name`, each as (column, value) pairs.
fn packet_log(server: &Server, practice: i64, name: &str) -> (Vec<Vec<(String, String)>>, String) {
    let response = server.post(
        &format!("/api/v1/practices/{practice}/packets"),
        &json!({"from": "2026-01-01", "to": AS_OF}),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let mut archive = zip::ZipArchive::new(Cursor::new(response.body)).expect("a ZIP");
    let mut read = |entry: &str| {
        let mut text = String::new();
        archive
            .by_name(entry)
            .unwrap_or_else(|_| panic!("{entry} in the packet"))
            .read_to_string(&mut text)
            .expect("text");
        text
    };
    let log = read(name);
    let report = read("report.html");
    let mut lines = log.lines();
    let header: Vec<String> = lines.next().expect("a header").split(',').map(str::to_owned).collect();
    for column in ["voided_at", "voided_by", "void_reason", "replaces", "replaced_by"] {
        assert!(header.iter().any(|h| h == column), "{name} has {column}: {header:?}");
    }
    let rows = lines
        .map(|line| header.iter().cloned().zip(line.split(',').map(str::to_owned)).collect())
        .collect();
    (rows, report)
}

/// The value of `column` in the row of a log whose `id_column` is `id`.
fn cell(rows: &[Vec<(String, String)>], id_column: &str, id: i64, column: &str) -> String {
    let row = rows
        .iter()
        .find(|row| row.iter().any(|(c, v)| c == id_column && *v == id.to_string()))
        .unwrap_or_else(|| panic!("a row with {id_column} {id} in {rows:?}"));
    row.iter()
        .find(|(c, _)| c == column)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// An auditor of `practice`.
fn practice_auditor(server: &Server, practice: i64) -> String {
    server.token(&["--role", "auditor", "--practice", &practice.to_string()])
}

// ---------------------------------------------------------------------------------------------

fn a_training_is_voided_and_corrected(backend: Backend) {
    let server = Server::start(backend);
    let (_, p) = practice(&server, "Maple");
    let (_, other) = practice(&server, "Birch");
    let base = format!("/api/v1/practices/{p}");
    let leader = staff(&server, p, "Ana Lopez", "office_leader");
    let training = |topic: &str, replaces: Option<Value>| {
        let mut body = json!({"staff_id": leader, "topic": topic, "completed_on": "2026-06-01", "hours": 1.0});
        if let Some(replaces) = replaces {
            body["replaces"] = replaces;
        }
        server.post(&format!("{base}/trainings"), &body)
    };
    let mut ids = Vec::new();
    for topic in ["pcmh_n_model", "chronic_care_model", "practice_transformation"] {
        let created = training(topic, None);
        assert_eq!(created.status, 201, "{}", created.text());
        ids.push(id_of(&created.json()));
    }
    document(
        &server,
        &format!("{base}/documents"),
        "training_material",
        &["4.1"],
        None,
    );
    let other_staff = staff(&server, other, "Bo Birch", "office_leader");
    let foreign = server.create(
        &format!("/api/v1/practices/{other}/trainings"),
        &json!({"staff_id": other_staff, "topic": "pcmh_n_model", "completed_on": "2026-06-01", "hours": 1.0}),
    );
    let case = Case {
        server: &server,
        record: format!("{base}/trainings/{}", ids[0]),
        owner: base.clone(),
        criterion: "4.1",
        status_changes: true,
        kind: "training",
        id: ids[0],
        foreign: format!("{base}/trainings/{}", id_of(&foreign)),
        auditor: practice_auditor(&server, p),
    };
    let reason = "recorded for the wrong staff member";
    let (before, _) = void_checks(&case, reason);
    assert_eq!(before["status"], "met");

    // Lists keep listing the voided record, flagged.
    let listed = server.get(&format!("{base}/trainings")).json();
    let voided: Vec<&Value> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|t| !t["voided"].is_null())
        .collect();
    assert_eq!(voided.len(), 1, "{listed}");
    assert_eq!(voided[0]["id"], ids[0]);

    let (rows, report) = packet_log(&server, p, "logs/trainings.csv");
    assert_eq!(cell(&rows, "id", ids[0], "void_reason"), reason);
    assert!(cell(&rows, "id", ids[0], "voided_by").contains("tests"));
    assert!(cell(&rows, "id", ids[0], "voided_at").ends_with('Z'));
    assert_eq!(cell(&rows, "id", ids[1], "voided_at"), "");
    assert!(
        report.contains(&format!("training record {} voided on", ids[0])) && report.contains(reason),
        "the packet's report names the void"
    );

    // A correction of the second training: the record it replaces is voided with it.
    let case = Case {
        record: format!("{base}/trainings/{}", ids[1]),
        id: ids[1],
        ..case
    };
    refused_correction_voids_nothing(
        &server,
        &case.record,
        training("weather", Some(json!({"id": ids[1], "reason": "wrong day"}))),
        "topic",
    );
    let new = correct(
        &case,
        |replaces| training("chronic_care_model", Some(replaces)),
        |id| format!("{base}/trainings/{id}"),
    );
    let (rows, _) = packet_log(&server, p, "logs/trainings.csv");
    assert_eq!(cell(&rows, "id", id_of(&new), "replaces"), ids[1].to_string());
    assert_eq!(cell(&rows, "id", ids[1], "replaced_by"), id_of(&new).to_string());

    // The trail: the void of the old record (before and after) and the new record, written
    // together, one after the other; the chain stays intact.
    let events = |id: i64| -> Vec<Value> {
        let listed = server.get(&format!("/api/v1/audit-events?record_kind=training&record_id={id}"));
        assert_eq!(listed.status, 200, "{}", listed.text());
        listed.json()["items"].as_array().expect("items").clone()
    };
    let old_events = events(ids[1]);
    let actions: Vec<&str> = old_events.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["create", "void"], "{old_events:?}");
    let void_event = &old_events[1];
    assert_eq!(void_event["before"]["voided"], Value::Null);
    assert_eq!(void_event["after"]["voided"]["reason"], "entered with the wrong day");
    assert_eq!(void_event["after"]["replaced_by"], new["id"]);
    let new_events = events(id_of(&new));
    assert_eq!(new_events.len(), 1);
    assert_eq!(new_events[0]["action"], "create");
    assert_eq!(new_events[0]["seq"].as_i64(), void_event["seq"].as_i64().map(|s| s + 1));
    let voided_first = events(ids[0]);
    assert_eq!(voided_first.last().expect("events")["action"], "void");
    common::pcmh_on(&server, &["audit", "verify"]);
}

fn a_staff_member_is_voided_only_without_records(backend: Backend) {
    let server = Server::start(backend);
    let (_, p) = practice(&server, "Maple");
    let (_, other) = practice(&server, "Birch");
    let base = format!("/api/v1/practices/{p}");
    let physician = staff(&server, p, "Dr. Ruiz", "physician");
    staff(&server, p, "Kim Nurse", "nurse");
    let manager = staff(&server, p, "Cam Manager", "care_manager");
    document(
        &server,
        &format!("{base}/documents"),
        "care_management_workflow",
        &["4.2"],
        None,
    );
    server.create(
        &format!("{base}/trainings"),
        &json!({"staff_id": physician, "topic": "pcmh_n_model", "completed_on": "2026-06-01", "hours": 1.0}),
    );
    let case = Case {
        server: &server,
        record: format!("{base}/staff/{manager}"),
        owner: base.clone(),
        criterion: "4.2",
        status_changes: true,
        kind: "staff",
        id: manager,
        foreign: format!("{base}/staff/{}", staff(&server, other, "Bo Birch", "care_manager")),
        auditor: practice_auditor(&server, p),
    };
    let (before, _) = void_checks(&case, "entered twice");
    assert_eq!(before["status"], "met");
    // A voided staff member is named by no new record.
    let named = server.post(
        &format!("{base}/trainings"),
        &json!({"staff_id": manager, "topic": "pcmh_n_model", "completed_on": "2026-06-01", "hours": 1.0}),
    );
    assert_eq!(named.status, 422, "{}", named.text());
    assert_eq!(
        named.error_fields(),
        vec![("staff_id".to_owned(), "not_voided".to_owned())]
    );

    // A staff member with records is not voided: their last day is recorded instead.
    let refused = void(&server, &format!("{base}/staff/{physician}"), "left the practice");
    assert_eq!(refused.status, 409, "{}", refused.text());
    assert!(refused.text().contains("last day"), "{}", refused.text());
    assert_eq!(
        server.get(&format!("{base}/staff/{physician}")).json()["voided"],
        Value::Null
    );

    let create = |body: Value| server.post(&format!("{base}/staff"), &body);
    let spare = staff(&server, p, "Sam Spare", "care_manager");
    let case = Case {
        record: format!("{base}/staff/{spare}"),
        id: spare,
        ..case
    };
    refused_correction_voids_nothing(
        &server,
        &case.record,
        create(json!({
            "name": "Sam Spare", "role": "care_manager", "started_on": "2025-01-06", "ended_on": "2024-01-01",
            "replaces": {"id": spare, "reason": "wrong role"}
        })),
        "ended_on",
    );
    correct(
        &case,
        |replaces| {
            create(
                json!({"name": "Sam Spare", "role": "care_manager", "started_on": "2025-02-03", "replaces": replaces}),
            )
        },
        |id| format!("{base}/staff/{id}"),
    );
    // A correction of a staff member with records is refused as a void of them is.
    let refused = create(json!({
        "name": "Dr. Ruiz", "role": "physician", "started_on": "2025-01-06",
        "replaces": {"id": physician, "reason": "wrong first day"}
    }));
    assert_eq!(refused.status, 409, "{}", refused.text());
}

fn a_meeting_and_a_follow_up_are_voided(backend: Backend) {
    let server = Server::start(backend);
    let (_, p) = practice(&server, "Maple");
    let (_, other) = practice(&server, "Birch");
    let base = format!("/api/v1/practices/{p}");
    let manager = staff(&server, p, "Cam Manager", "care_manager");
    let meeting_body = |held_on: &str, kind: &str, replaces: Option<Value>| {
        let mut body = json!({
            "held_on": held_on, "kind": kind,
            "attendees": [{"role": "physician"}, {"role": "care_manager", "staff_id": manager}],
            "patients_reviewed": 4, "documented_in_chart": true,
            "follow_ups": [{"description": "call the cardiology office", "owner": manager, "due_on": "2026-11-25"}]
        });
        if let Some(replaces) = replaces {
            body["replaces"] = replaces;
        }
        body
    };
    let mut meetings = Vec::new();
    for (year, month) in TWELVE_MONTHS {
        let created = server.create(
            &format!("{base}/meetings"),
            &meeting_body(&format!("{year}-{month:02}-10"), "case_conference", None),
        );
        meetings.push(created);
    }
    let last = &meetings[11];
    let foreign = server.create(
        &format!("/api/v1/practices/{other}/meetings"),
        &json!({
            "held_on": "2026-11-10", "kind": "case_conference",
            "attendees": [{"role": "physician"}, {"role": "nurse"}],
            "patients_reviewed": 1, "documented_in_chart": true,
            "follow_ups": [{"description": "fax the plan", "due_on": "2026-11-25"}]
        }),
    );
    let auditor = practice_auditor(&server, p);

    // The follow-up of the last meeting falls due: voided, it falls due no more.
    let follow_up = last["follow_ups"][0]["id"].as_i64().expect("a follow-up id");
    let follow_up_path = format!("{base}/meetings/{}/follow-ups/{follow_up}", id_of(last));
    let due = |view: &Value| {
        criterion(view, "4.21")["due"]
            .as_array()
            .expect("due")
            .iter()
            .filter(|d| d["what"].as_str().is_some_and(|w| w.starts_with("follow-up")))
            .count()
    };
    let before = view(&server, &base, "");
    let open = due(&before);
    assert!(open >= 1, "{}", criterion(&before, "4.21"));
    assert_eq!(
        void_as(&server, &auditor, &follow_up_path, "done elsewhere").status,
        403
    );
    let foreign_follow_up = format!(
        "{base}/meetings/{}/follow-ups/{}",
        id_of(last),
        foreign["follow_ups"][0]["id"]
    );
    assert_eq!(void(&server, &foreign_follow_up, "not ours").status, 404);
    let voided = void(&server, &follow_up_path, "agreed by mistake");
    assert_eq!(voided.status, 200, "{}", voided.text());
    assert_eq!(voided.json()["id"], follow_up);
    assert_eq!(voided.json()["voided"]["reason"], "agreed by mistake");
    assert_eq!(void(&server, &follow_up_path, "twice").status, 409);
    let meeting = server.get(&format!("{base}/meetings/{}", id_of(last))).json();
    assert_eq!(
        meeting["follow_ups"][0]["voided"]["reason"], "agreed by mistake",
        "{meeting}"
    );
    assert_eq!(due(&view(&server, &base, "")), open - 1);
    let completed = server.patch(&follow_up_path, &json!({"completed_on": "2026-11-18"}));
    assert_eq!(
        completed.status,
        409,
        "a voided follow-up is not completed: {}",
        completed.text()
    );

    // The meeting of July: voided, July has no case conference.
    let july = id_of(&meetings[8]);
    let case = Case {
        server: &server,
        record: format!("{base}/meetings/{july}"),
        owner: base.clone(),
        criterion: "4.21",
        status_changes: true,
        kind: "team_meeting",
        id: july,
        foreign: format!("{base}/meetings/{}", id_of(&foreign)),
        auditor,
    };
    let reason = "entered twice";
    let (before, _) = void_checks(&case, reason);
    assert_eq!(before["status"], "met");
    let (rows, _) = packet_log(&server, p, "logs/meetings.csv");
    assert_eq!(cell(&rows, "id", july, "void_reason"), reason);

    let june = id_of(&meetings[7]);
    let case = Case {
        record: format!("{base}/meetings/{june}"),
        id: june,
        ..case
    };
    let create = |body: Value| server.post(&format!("{base}/meetings"), &body);
    refused_correction_voids_nothing(
        &server,
        &case.record,
        create(meeting_body(
            "2026-06-11",
            "weather",
            Some(json!({"id": june, "reason": "wrong day"})),
        )),
        "kind",
    );
    correct(
        &case,
        |replaces| create(meeting_body("2026-06-11", "case_conference", Some(replaces))),
        |id| format!("{base}/meetings/{id}"),
    );
}

/// A practice with an advance care plan shared with its one partner; returns (plan, share).
fn shared_plan(server: &Server, practice: i64, provider: i64) -> (Value, Value) {
    let base = format!("/api/v1/practices/{practice}");
    let plan = server.create(
        &format!("{base}/care-plans"),
        &json!({
            "kind": "advance_care_plan", "patient_ref": "PT-00042", "initiating_provider": provider,
            "discussed_on": "2026-06-01", "established_on": "2026-06-01", "documented_in_record": true,
            "care_partners": ["Cardiology"]
        }),
    );
    let share = server.create(
        &format!("{base}/care-plans/{}/shares", id_of(&plan)),
        &json!({"partner_id": plan["care_partners"][0]["id"], "shared_on": "2026-06-05", "method": "fax"}),
    );
    (plan, share)
}

fn a_care_plan_is_voided_and_corrected(backend: Backend) {
    let server = Server::start(backend);
    let (_, p) = practice(&server, "Maple");
    let (_, other) = practice(&server, "Birch");
    let base = format!("/api/v1/practices/{p}");
    let provider = staff(&server, p, "Dr. Ruiz", "physician");
    let (plan, _) = shared_plan(&server, p, provider);
    let other_provider = staff(&server, other, "Dr. Birch", "physician");
    let (foreign, _) = shared_plan(&server, other, other_provider);
    let case = Case {
        server: &server,
        record: format!("{base}/care-plans/{}", id_of(&plan)),
        owner: base.clone(),
        criterion: "4.16",
        status_changes: true,
        kind: "care_plan",
        id: id_of(&plan),
        foreign: format!("{base}/care-plans/{}", id_of(&foreign)),
        auditor: practice_auditor(&server, p),
    };
    let (before, _) = void_checks(&case, "another patient's plan");
    assert_eq!(before["status"], "met");
    // A voided plan is shared no more.
    let share = server.post(
        &format!("{}/shares", case.record),
        &json!({"partner_id": plan["care_partners"][0]["id"], "shared_on": "2026-06-06", "method": "fax"}),
    );
    assert_eq!(share.status, 409, "{}", share.text());

    let (second, _) = shared_plan(&server, p, provider);
    let case = Case {
        record: format!("{base}/care-plans/{}", id_of(&second)),
        id: id_of(&second),
        ..case
    };
    let body = |provider: i64, replaces: Value| {
        json!({
            "kind": "advance_care_plan", "patient_ref": "PT-00043", "initiating_provider": provider,
            "discussed_on": "2026-06-02", "established_on": "2026-06-02", "documented_in_record": true,
            "care_partners": ["Cardiology"], "replaces": replaces
        })
    };
    let create = |body: Value| server.post(&format!("{base}/care-plans"), &body);
    refused_correction_voids_nothing(
        &server,
        &case.record,
        create(body(other_provider, json!({"id": case.id, "reason": "wrong patient"}))),
        "initiating_provider",
    );
    correct(
        &case,
        |replaces| create(body(provider, replaces)),
        |id| format!("{base}/care-plans/{id}"),
    );
}

fn a_share_is_voided_and_corrected(backend: Backend) {
    let server = Server::start(backend);
    let (_, p) = practice(&server, "Maple");
    let (_, other) = practice(&server, "Birch");
    let base = format!("/api/v1/practices/{p}");
    let provider = staff(&server, p, "Dr. Ruiz", "physician");
    let (plan, share) = shared_plan(&server, p, provider);
    let (_, foreign) = shared_plan(&server, other, staff(&server, other, "Dr. Birch", "physician"));
    let shares = format!("{base}/care-plans/{}/shares", id_of(&plan));
    let case = Case {
        server: &server,
        record: format!("{shares}/{}", id_of(&share)),
        owner: base.clone(),
        criterion: "4.22",
        status_changes: true,
        kind: "care_plan_share",
        id: id_of(&share),
        foreign: format!("{shares}/{}", id_of(&foreign)),
        auditor: practice_auditor(&server, p),
    };
    // A share is read with its plan.
    let share_of = |id: i64| -> Value {
        let plan = server.get(&format!("{base}/care-plans/{}", id_of(&plan))).json();
        plan["shares"]
            .as_array()
            .expect("shares")
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("share {id} in {plan}"))
    };
    let reason = "recorded for the wrong partner";
    backdate(&server);
    let before = criterion(&view(&server, &base, ""), "4.22");
    assert!(names(&before, "care_plan_share", case.id), "{before}");
    assert_eq!(before["status"], "met");
    assert_eq!(void_as(&server, &case.auditor, &case.record, reason).status, 403);
    assert_eq!(void(&server, &case.foreign, reason).status, 404);
    let voided = void(&server, &case.record, reason);
    assert_eq!(voided.status, 200, "{}", voided.text());
    assert_eq!(voided.json(), share_of(case.id));
    assert_eq!(voided.json()["voided"]["reason"], reason);
    assert_eq!(void(&server, &case.record, reason).status, 409);
    let after = criterion(&view(&server, &base, ""), "4.22");
    assert_ne!(after["status"], before["status"], "{after}");
    assert!(!names(&after, "care_plan_share", case.id));
    let known = criterion(&view(&server, &base, &format!("&as_known_on={AFTER_RECORDED}")), "4.22");
    assert_eq!(known["status"], before["status"], "{known}");
    let (rows, _) = packet_log(&server, p, "logs/care-plan-shares.csv");
    assert_eq!(cell(&rows, "share_id", case.id, "void_reason"), reason);

    let create = |body: Value| server.post(&shares, &body);
    let partner = plan["care_partners"][0]["id"].clone();
    let second = server.create(
        &shares,
        &json!({"partner_id": partner, "shared_on": "2026-06-06", "method": "mail"}),
    );
    let case = Case {
        record: format!("{shares}/{}", id_of(&second)),
        id: id_of(&second),
        ..case
    };
    refused_correction_voids_nothing_in_plan(
        &server,
        &share_of,
        case.id,
        create(json!({
            "partner_id": partner, "shared_on": "2026-05-01", "method": "fax",
            "replaces": {"id": case.id, "reason": "wrong day"}
        })),
    );
    let response = create(json!({
        "partner_id": partner, "shared_on": "2026-06-07", "method": "fax",
        "replaces": {"id": case.id, "reason": "wrong method"}
    }));
    assert_eq!(response.status, 201, "{}", response.text());
    let new = response.json();
    assert_eq!(new["replaces"], case.id);
    assert_eq!(share_of(case.id)["replaced_by"], new["id"]);
    let now = criterion(&view(&server, &base, ""), "4.22");
    assert_eq!(now["status"], "met", "{now}");
    let again = create(json!({
        "partner_id": partner, "shared_on": "2026-06-08", "method": "fax",
        "replaces": {"id": case.id, "reason": "again"}
    }));
    assert_eq!(again.status, 409, "{}", again.text());
}

/// [`refused_correction_voids_nothing`] for a share, read within its plan.
fn refused_correction_voids_nothing_in_plan(
    _server: &Server,
    share_of: &dyn Fn(i64) -> Value,
    id: i64,
    response: common::Response,
) {
    assert_eq!(response.status, 422, "{}", response.text());
    assert_eq!(
        response.error_fields(),
        vec![("shared_on".to_owned(), "not_before_established_on".to_owned())]
    );
    let old = share_of(id);
    assert_eq!(old["voided"], Value::Null, "{old}");
}

fn a_survey_result_is_voided_and_corrected(backend: Backend) {
    let server = Server::start(backend);
    let (_, p) = practice(&server, "Maple");
    let (_, other) = practice(&server, "Birch");
    let base = format!("/api/v1/practices/{p}");
    let survey = |practice: i64, kind: &str, on: &str, replaces: Option<Value>| {
        let mut body = json!({"kind": kind, "conducted_on": on, "respondents": 40, "score": 81.5});
        if let Some(replaces) = replaces {
            body["replaces"] = replaces;
        }
        server.post(&format!("/api/v1/practices/{practice}/surveys"), &body)
    };
    let mut ids = Vec::new();
    for on in ["2025-06-10", "2026-06-10"] {
        for kind in ["patient_satisfaction", "office_efficiency"] {
            let created = survey(p, kind, on, None);
            assert_eq!(created.status, 201, "{}", created.text());
            ids.push(id_of(&created.json()));
        }
    }
    let foreign = id_of(&survey(other, "office_efficiency", "2026-06-10", None).json());
    let case = Case {
        server: &server,
        record: format!("{base}/surveys/{}", ids[3]),
        owner: base.clone(),
        criterion: "4.4",
        status_changes: true,
        kind: "survey_result",
        id: ids[3],
        foreign: format!("{base}/surveys/{foreign}"),
        auditor: practice_auditor(&server, p),
    };
    let (before, _) = void_checks(&case, "a typo in its date");
    assert_eq!(before["status"], "met");

    let case = Case {
        record: format!("{base}/surveys/{}", ids[2]),
        id: ids[2],
        ..case
    };
    refused_correction_voids_nothing(
        &server,
        &case.record,
        survey(
            p,
            "weather",
            "2026-06-11",
            Some(json!({"id": ids[2], "reason": "typo"})),
        ),
        "kind",
    );
    correct(
        &case,
        |replaces| survey(p, "patient_satisfaction", "2026-06-11", Some(replaces)),
        |id| format!("{base}/surveys/{id}"),
    );
}

fn documents_are_voided_and_corrected(backend: Backend) {
    let server = Server::start(backend);
    let (po, p) = practice(&server, "Maple");
    let (other_po, other) = practice(&server, "Birch");
    let base = format!("/api/v1/practices/{p}");
    staff(&server, p, "Dr. Ruiz", "physician");
    staff(&server, p, "Kim Nurse", "nurse");
    staff(&server, p, "Cam Manager", "care_manager");
    let workflow = document(
        &server,
        &format!("{base}/documents"),
        "care_management_workflow",
        &["4.2"],
        None,
    );
    let foreign = document(
        &server,
        &format!("/api/v1/practices/{other}/documents"),
        "care_management_workflow",
        &["4.2"],
        None,
    );
    let case = Case {
        server: &server,
        record: format!("{base}/documents/{}", id_of(&workflow)),
        owner: base.clone(),
        criterion: "4.2",
        status_changes: true,
        kind: "document",
        id: id_of(&workflow),
        foreign: format!("{base}/documents/{}", id_of(&foreign)),
        auditor: practice_auditor(&server, p),
    };
    let reason = "uploaded to the wrong practice";
    let (before, _) = void_checks(&case, reason);
    assert_eq!(before["status"], "met");
    // The file stays stored and downloadable.
    assert_eq!(server.get(&format!("{}/content", case.record)).status, 200);
    let (rows, report) = packet_log(&server, p, "logs/documents.csv");
    assert_eq!(cell(&rows, "id", case.id, "void_reason"), reason);
    assert!(report.contains(&format!("document {} voided on", case.id)), "{report}");

    // A correction: the metadata of the new upload names the document it replaces.
    let second = document(
        &server,
        &format!("{base}/documents"),
        "care_management_workflow",
        &["4.2"],
        None,
    );
    let case = Case {
        record: format!("{base}/documents/{}", id_of(&second)),
        id: id_of(&second),
        ..case
    };
    let upload_with = |replaces: Value| {
        upload(
            &server,
            &format!("{base}/documents"),
            &json!({
                "title": "Workflow, signed", "document_type": "care_management_workflow",
                "criteria": ["4.2"], "effective_on": "2026-06-02", "replaces": replaces
            }),
        )
    };
    correct(&case, upload_with, |id| format!("{base}/documents/{id}"));

    // PO-level documents are voided by their PO, not by one of its practices.
    let organization = format!("/api/v1/organizations/{po}");
    // Effective after the practice's, so that it is the PO's current workflow.
    let po_document = upload(
        &server,
        &format!("{organization}/documents"),
        &json!({
            "title": "PO workflow", "document_type": "care_management_workflow",
            "criteria": ["4.24"], "effective_on": "2026-07-01"
        }),
    )
    .json();
    let seen_from_practice = void(&server, &format!("{base}/documents/{}", id_of(&po_document)), reason);
    assert_eq!(seen_from_practice.status, 404, "{}", seen_from_practice.text());
    let other_po_document = document(
        &server,
        &format!("/api/v1/organizations/{other_po}/documents"),
        "care_management_workflow",
        &["4.24"],
        None,
    );
    let case = Case {
        server: &server,
        record: format!("{organization}/documents/{}", id_of(&po_document)),
        owner: organization.clone(),
        criterion: "4.24",
        status_changes: false,
        kind: "document",
        id: id_of(&po_document),
        foreign: format!("{organization}/documents/{}", id_of(&other_po_document)),
        auditor: server.token(&["--role", "auditor", "--organization", &po.to_string()]),
    };
    void_checks(&case, "a draft, not the signed workflow");
}

fn a_report_is_voided_and_corrected(backend: Backend) {
    let server = Server::start(backend);
    let (po, _) = practice(&server, "Maple");
    let (other_po, _) = practice(&server, "Birch");
    let organization = format!("/api/v1/organizations/{po}");
    let report = |po: i64, (year, month): (i32, u32), replaces: Option<Value>| {
        let mut body = json!({
            "report_type": "member_list",
            "period_start": format!("{year}-{month:02}-01"), "period_end": format!("{year}-{month:02}-28")
        });
        if let Some(replaces) = replaces {
            body["replaces"] = replaces;
        }
        server.post(&format!("/api/v1/organizations/{po}/reports"), &body)
    };
    let mut ids = Vec::new();
    for month in TWELVE_MONTHS {
        let created = report(po, month, None);
        assert_eq!(created.status, 201, "{}", created.text());
        ids.push(id_of(&created.json()));
    }
    let foreign = id_of(&report(other_po, (2026, 5), None).json());
    let case = Case {
        server: &server,
        record: format!("{organization}/reports/{}", ids[4]),
        owner: organization.clone(),
        criterion: "4.27",
        status_changes: true,
        kind: "periodic_report",
        id: ids[4],
        foreign: format!("{organization}/reports/{foreign}"),
        auditor: server.token(&["--role", "auditor", "--organization", &po.to_string()]),
    };
    let (before, _) = void_checks(&case, "filed for the wrong month");
    assert_eq!(before["status"], "met");

    let case = Case {
        record: format!("{organization}/reports/{}", ids[5]),
        id: ids[5],
        ..case
    };
    let bad = server.post(
        &format!("{organization}/reports"),
        &json!({
            "report_type": "member_list", "period_start": "2026-06-01", "period_end": "2026-05-01",
            "replaces": {"id": ids[5], "reason": "wrong period"}
        }),
    );
    refused_correction_voids_nothing(&server, &case.record, bad, "period_end");
    correct(
        &case,
        |replaces| report(po, (2026, 4), Some(replaces)),
        |id| format!("{organization}/reports/{id}"),
    );
}
