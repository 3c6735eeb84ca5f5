//! The audit trail: every write appends exactly one event in its own transaction, to its PO's
//! chain (or the server-wide chain 0), refused writes append none, `pcmh audit verify` finds any
//! edit, deletion, reordering or move between chains done behind the server's back and names
//! the chain and the event, two servers on one database keep every chain gapless, the list is
//! scoped to the caller, and the server's log never carries bodies, patient references or tokens.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{organization_with_practice, pcmh_on, repo_root, try_http, try_http_with, Backend, Response, Server};
use serde_json::{json, Value};

both_backends! {
    every_write_appends_one_event_and_refused_writes_none => every_write_appends_one_event_and_refused_writes_none;
    an_intact_trail_verifies => an_intact_trail_verifies;
    an_edited_event_is_found => an_edited_event_is_found;
    an_edited_column_is_found => an_edited_column_is_found;
    a_rehashed_event_is_found_at_the_next_one => a_rehashed_event_is_found_at_the_next_one;
    a_deleted_middle_event_is_found => a_deleted_middle_event_is_found;
    a_deleted_last_event_is_found => a_deleted_last_event_is_found;
    reordered_events_are_found => reordered_events_are_found;
    an_event_moved_to_another_chain_is_found => an_event_moved_to_another_chain_is_found;
    a_truncated_or_deleted_head_is_found => a_truncated_or_deleted_head_is_found;
    a_head_without_its_events_is_found => a_head_without_its_events_is_found;
    the_admin_page_verifies_each_chain => the_admin_page_verifies_each_chain;
    two_servers_on_one_database_keep_gapless_chains => two_servers_on_one_database_keep_gapless_chains;
    the_trail_is_filtered_and_scoped_to_the_caller => the_trail_is_filtered_and_scoped_to_the_caller;
    the_log_carries_no_bodies_patient_references_or_tokens => the_log_carries_no_bodies_patient_references_or_tokens;
    the_demo_records_are_audited_once => the_demo_records_are_audited_once;
    concurrent_updates_of_one_record_chain_their_before_and_after => concurrent_updates_of_one_record_chain_their_before_and_after;
    every_instant_of_the_trail_has_its_offset_and_filters_read_offsets => every_instant_of_the_trail_has_its_offset_and_filters_read_offsets;
    an_event_stored_before_instants_had_offsets_still_verifies => an_event_stored_before_instants_had_offsets_still_verifies;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// The id of a token: the number after `pcmh_`.
fn token_id(token: &str) -> i64 {
    token
        .strip_prefix("pcmh_")
        .and_then(|rest| rest.split('_').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a token of the form pcmh_<id>_<secret>"))
}

/// Every event of the trail in chain order, read as the test's admin.
fn all_events(server: &Server) -> Vec<Value> {
    events_from(server, 0)
}

/// The events after the first `skip`, in chain order.
fn events_from(server: &Server, skip: usize) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let response = server.get(&format!(
            "/api/v1/audit-events?limit=500&offset={}",
            skip + events.len()
        ));
        assert_eq!(response.status, 200, "{}", response.text());
        let page = response.json();
        let items = page["items"].as_array().expect("items").clone();
        if items.is_empty() {
            return events;
        }
        events.extend(items);
    }
}

/// How many events the trail has.
fn event_total(server: &Server) -> usize {
    let response = server.get("/api/v1/audit-events?limit=1");
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["total"].as_u64().expect("a total") as usize
}

/// What an event is expected to say.
struct Expected<'a> {
    action: &'a str,
    kind: &'a str,
    record_id: Option<i64>,
    organization: Option<i64>,
    practice: Option<i64>,
    before: Option<&'a Value>,
}

/// The chain an event is in: the one its content names (chain 0 for events that name none).
fn chain_of(event: &Value) -> i64 {
    event
        .get("chain")
        .map_or(0, |c| c.as_i64().unwrap_or_else(|| panic!("a chain: {event:#}")))
}

/// How many events each chain has.
fn per_chain(events: &[Value]) -> HashMap<i64, i64> {
    let mut counts = HashMap::new();
    for event in events {
        *counts.entry(chain_of(event)).or_insert(0) += 1;
    }
    counts
}

/// Follows the trail of one server: each write must append exactly the event expected, next
/// in its PO's chain (or the server-wide one).
struct Trail<'a> {
    server: &'a Server,
    token_id: i64,
    seen: usize,
    chains: HashMap<i64, i64>,
}

impl<'a> Trail<'a> {
    fn new(server: &'a Server) -> Self {
        let events = all_events(server);
        Trail {
            server,
            token_id: token_id(&server.admin_token),
            seen: events.len(),
            chains: per_chain(&events),
        }
    }

    /// The write whose answer is `response` appended exactly one event, saying `expected`
    /// and carrying the answer as `after`; returns the answer.
    fn one(&mut self, response: Response, expected: Expected<'_>) -> Value {
        assert!(
            (200..300).contains(&response.status),
            "{} {}",
            response.status,
            response.text()
        );
        let answer = response.json();
        let new = events_from(self.server, self.seen);
        assert_eq!(
            new.len(),
            1,
            "one event for a {} of a {}: {new:#?}",
            expected.action,
            expected.kind
        );
        let event = &new[0];
        self.seen += 1;
        let chain = expected.organization.unwrap_or(0);
        assert_eq!(event["chain"], chain, "an event is in its PO's chain: {event:#}");
        let in_chain = self.chains.entry(chain).or_insert(0);
        *in_chain += 1;
        assert_eq!(event["seq"], *in_chain, "the next event of chain {chain}: {event:#}");
        assert_eq!(event["action"], expected.action, "{event:#}");
        assert_eq!(event["record_kind"], expected.kind, "{event:#}");
        assert_eq!(event["record_id"], json!(expected.record_id), "{event:#}");
        assert_eq!(event["organization_id"], json!(expected.organization), "{event:#}");
        assert_eq!(event["practice_id"], json!(expected.practice), "{event:#}");
        assert_eq!(event["token_id"], self.token_id, "{event:#}");
        assert_eq!(event["after"], answer, "the event's after is what the API returned");
        assert_eq!(
            event["before"],
            expected.before.cloned().unwrap_or(Value::Null),
            "{event:#}"
        );
        assert_eq!(event["hash"].as_str().map(str::len), Some(64), "{event:#}");
        answer
    }

    /// The refused write appended nothing.
    fn none(&self, response: Response, status: u16) {
        assert_eq!(response.status, status, "{}", response.text());
        assert_eq!(
            event_total(self.server),
            self.seen,
            "a refused write ({status}) appended an event: {:#?}",
            events_from(self.server, self.seen)
        );
    }
}

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("an id: {value}"))
}

/// What `pcmh audit verify` said: its exit code, standard output and standard error.
///
/// A PostgreSQL server shared by many test processes may run out of connections for a
/// moment; that is retried, as it says nothing about the trail.
fn verify(server: &Server) -> (i32, String, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let output = Command::new(env!("CARGO_BIN_EXE_pcmh"))
            .args(["audit", "verify", "--database-url", &server.database_url])
            .arg("--data-dir")
            .arg(server.data_dir.path())
            .env_remove("PCMH_DATABASE_URL")
            .output()
            .expect("pcmh audit verify runs");
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        if stderr.contains("too many clients") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(500));
            continue;
        }
        return (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            stderr,
        );
    }
}

/// A direct connection to PostgreSQL, retried while the server has no connection to spare.
fn postgres(url: &str) -> diesel::PgConnection {
    use diesel::Connection;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match diesel::PgConnection::establish(url) {
            Ok(conn) => return conn,
            Err(e) if e.to_string().contains("too many clients") && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => panic!("PostgreSQL answers: {e}"),
        }
    }
}

/// `pcmh audit verify` says every chain is intact, and `events` events in all.
fn assert_intact(server: &Server, events: usize) {
    let (code, stdout, stderr) = verify(server);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let chains = lines.len() - 1;
    assert_eq!(
        lines.last().copied(),
        Some(format!("audit chain intact: {events} events in {chains} chains").as_str()),
        "{stdout}\n{stderr}"
    );
    assert!(
        lines[..chains]
            .iter()
            .all(|l| l.starts_with("chain ") && l.contains(": intact, ")),
        "{stdout}"
    );
}

/// A chain in the words of `pcmh audit verify`.
fn chain_name(chain: i64) -> String {
    pcmh_core::store::audit::chain_name(chain)
}

/// `pcmh audit verify` exits 1 naming, for `chain`, `event` as the first that does not fit,
/// for `why`; returns what it said.
fn assert_broken_at(server: &Server, chain: i64, event: i64, why: &str) -> String {
    let (code, stdout, stderr) = verify(server);
    assert_eq!(code, 1, "verify must fail: {stdout}\n{stderr}");
    let prefix = format!("{}: broken at event {event}: ", chain_name(chain));
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("expected `{prefix}...{why}...`, got: {stderr}"));
    assert!(line.contains(why), "expected `{why}` in: {line}");
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("audit chain broken: ")),
        "{stderr}"
    );
    stderr
}

/// Runs SQL directly on the server's database, behind its back.
fn tamper(server: &Server, sql: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    match server.backend {
        Backend::Sqlite => {
            let path = server.database_url.strip_prefix("sqlite://").expect("a sqlite:// URL");
            let mut conn = diesel::SqliteConnection::establish(path).expect("the SQLite file opens");
            conn.batch_execute(&format!("PRAGMA busy_timeout = 10000; {sql}"))
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        Backend::Postgres => {
            let mut conn = postgres(&server.database_url);
            conn.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

/// Reads one text column of event `seq` of `chain` directly from the database.
fn event_column(server: &Server, chain: i64, seq: i64, column: &str) -> String {
    use diesel::sql_types::Text;
    use diesel::{Connection, QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct One {
        #[diesel(sql_type = Text)]
        value: String,
    }
    let sql = format!("SELECT {column} AS value FROM audit_events WHERE chain = {chain} AND seq = {seq}");
    let row: One = match server.backend {
        Backend::Sqlite => {
            let path = server.database_url.strip_prefix("sqlite://").expect("sqlite://");
            let mut conn = diesel::SqliteConnection::establish(path).expect("the SQLite file opens");
            diesel::sql_query(&sql).get_result(&mut conn).expect("the event")
        }
        Backend::Postgres => {
            let mut conn = postgres(&server.database_url);
            diesel::sql_query(&sql).get_result(&mut conn).expect("the event")
        }
    };
    row.value
}

/// A server with six events in two chains: the admin token (event 1 of the server-wide chain
/// 0), then in the PO's chain a PO (1), a practice (2), Ana Lopez (3), Ben Okafor (4) and a
/// training of Ana's (5). Returns the server and the PO (its chain).
fn six_events(backend: Backend) -> (Server, i64) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let staff = format!("/api/v1/practices/{practice}/staff");
    let ana = server.create(
        &staff,
        &json!({"name": "Ana Lopez", "role": "physician", "started_on": "2019-03-04"}),
    );
    server.create(
        &staff,
        &json!({"name": "Ben Okafor", "role": "nurse", "started_on": "2020-01-06"}),
    );
    server.create(
        &format!("/api/v1/practices/{practice}/trainings"),
        &json!({"staff_id": id(&ana), "topic": "chronic_care_model", "completed_on": "2026-03-02", "hours": 1.5}),
    );
    assert_intact(&server, 6);
    (server, po)
}

/// A `multipart/form-data` upload: a metadata part (JSON) and, if given, a file part.
fn upload(server: &Server, path: &str, metadata: Option<&Value>, file: Option<&[u8]>) -> Response {
    let boundary = "pcmh-audit-boundary-4d1e0b";
    let mut body = Vec::new();
    if let Some(metadata) = metadata {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\
                 Content-Type: application/json\r\n\r\n{metadata}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some(bytes) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"evidence.pdf\"\r\n\
                 Content-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    server.request(
        "POST",
        path,
        Some(&format!("multipart/form-data; boundary={boundary}")),
        &body,
    )
}

// ---------------------------------------------------------------------------------------------
// (a) One event per write, none per refused write

fn every_write_appends_one_event_and_refused_writes_none(backend: Backend) {
    let server = Server::start(backend);
    // The admin token was made with `pcmh token create`: the trail's first event, by no token.
    let first = all_events(&server);
    assert_eq!(first.len(), 1, "{first:#?}");
    assert_eq!(first[0]["action"], "create");
    assert_eq!(first[0]["record_kind"], "token");
    assert_eq!(first[0]["record_id"], token_id(&server.admin_token));
    assert_eq!(first[0]["token_id"], Value::Null);
    assert!(
        !first[0].to_string().contains(&server.admin_token),
        "a token's secret is never in the trail"
    );

    let mut trail = Trail::new(&server);
    let v1 = "/api/v1";

    // Organizations and practices: in scope for the new PO.
    let response = server.post(&format!("{v1}/organizations"), &json!({"name": "Lakeside PO"}));
    let po_id = response.json()["id"].as_i64().expect("a PO id");
    trail.one(
        response,
        Expected {
            action: "create",
            kind: "organization",
            record_id: Some(po_id),
            organization: Some(po_id),
            practice: None,
            before: None,
        },
    );
    trail.none(
        server.post(&format!("{v1}/organizations"), &json!({"name": "Lakeside PO"})),
        409,
    );
    trail.none(server.post(&format!("{v1}/organizations"), &json!({"name": ""})), 422);

    let practices = format!("{v1}/organizations/{po_id}/practices");
    let practice_body = json!({"name": "Maple Street", "initial_focus_population": "adults with diabetes"});
    let response = server.post(&practices, &practice_body);
    let practice_id = response.json()["id"].as_i64().expect("a practice id");
    let practice = trail.one(
        response,
        Expected {
            action: "create",
            kind: "practice",
            record_id: Some(practice_id),
            organization: Some(po_id),
            practice: Some(practice_id),
            before: None,
        },
    );
    trail.none(server.post(&practices, &practice_body), 409);
    trail.none(
        server.post(&format!("{v1}/organizations/999999/practices"), &practice_body),
        404,
    );

    let p = format!("{v1}/practices/{practice_id}");
    let scoped = |kind: &'static str, action: &'static str, record_id: i64| Expected {
        action,
        kind,
        record_id: Some(record_id),
        organization: Some(po_id),
        practice: Some(practice_id),
        before: None,
    };
    let response = server.patch(&p, &json!({"initial_focus_population": "children with asthma"}));
    trail.one(
        response,
        Expected {
            before: Some(&practice),
            ..scoped("practice", "update", practice_id)
        },
    );
    trail.none(server.patch(&p, &json!({"initial_focus_population": "   "})), 422);

    // Staff.
    let staff = format!("{p}/staff");
    let response = server.post(
        &staff,
        &json!({"name": "Ana Lopez", "role": "physician", "started_on": "2019-03-04"}),
    );
    let ana_id = response.json()["id"].as_i64().unwrap();
    let ana = trail.one(response, scoped("staff", "create", ana_id));
    let response = server.post(
        &staff,
        &json!({"name": "Gus Hale", "role": "care_manager", "started_on": "2020-02-03"}),
    );
    let gus_id = response.json()["id"].as_i64().unwrap();
    trail.one(response, scoped("staff", "create", gus_id));
    trail.none(
        server.post(
            &staff,
            &json!({"name": "Ana Lopez", "role": "wizard", "started_on": "2019-03-04"}),
        ),
        422,
    );
    let response = server.patch(&format!("{staff}/{ana_id}"), &json!({"ended_on": "2026-12-31"}));
    let ana_after = trail.one(
        response,
        Expected {
            before: Some(&ana),
            ..scoped("staff", "update", ana_id)
        },
    );
    assert_eq!(ana_after["ended_on"], "2026-12-31");
    trail.none(
        server.patch(&format!("{staff}/{ana_id}"), &json!({"ended_on": "2001-01-01"})),
        422,
    );
    trail.none(
        server.patch(&format!("{staff}/999999"), &json!({"ended_on": "2026-12-31"})),
        404,
    );

    // Trainings, one at a time and imported.
    let response = server.post(
        &format!("{p}/trainings"),
        &json!({"staff_id": ana_id, "topic": "chronic_care_model", "completed_on": "2026-03-02", "hours": 1.5}),
    );
    let training_id = response.json()["id"].as_i64().unwrap();
    trail.one(response, scoped("training", "create", training_id));
    trail.none(
        server.post(
            &format!("{p}/trainings"),
            &json!({"staff_id": ana_id, "topic": "juggling", "completed_on": "2026-03-02", "hours": 1.5}),
        ),
        422,
    );
    let csv = format!(
        "staff_id,topic,completed_on,hours,trainer\n\
         {ana_id},pcmh_n_model,2026-03-02,1.5,\"Lee, RN\"\n\
         {gus_id},practice_transformation,2026-03-03,1,\n"
    );
    let import = format!("{p}/trainings/import");
    let response = server.request("POST", &import, Some("text/csv"), csv.as_bytes());
    let imported = trail.one(
        response,
        Expected {
            record_id: None,
            ..scoped("training", "import", 0)
        },
    );
    assert_eq!(imported["imported"], 2);
    let refused_csv = format!(
        "staff_id,topic,completed_on,hours\n{ana_id},pcmh_n_model,2026-03-02,1.5\n{ana_id},juggling,2026-03-02,1\n"
    );
    trail.none(
        server.request("POST", &import, Some("text/csv"), refused_csv.as_bytes()),
        422,
    );

    // Surveys.
    let survey =
        json!({"kind": "patient_satisfaction", "conducted_on": "2026-05-10", "respondents": 212, "score": 87.5});
    let response = server.post(&format!("{p}/surveys"), &survey);
    let survey_id = response.json()["id"].as_i64().unwrap();
    trail.one(response, scoped("survey", "create", survey_id));
    trail.none(
        server.post(
            &format!("{p}/surveys"),
            &json!({"kind": "patient_satisfaction", "conducted_on": "1850-01-01", "respondents": 212, "score": 87.5}),
        ),
        422,
    );

    // Meetings and their follow-ups.
    let meeting_body = json!({
        "held_on": "2026-04-01",
        "kind": "case_conference",
        "attendees": [{"role": "physician", "staff_id": ana_id}, {"role": "care_manager", "staff_id": gus_id}],
        "patients_reviewed": 6,
        "documented_in_chart": true,
        "follow_ups": [{"description": "Call the cardiology office", "owner": gus_id, "due_on": "2026-04-10"}]
    });
    let response = server.post(&format!("{p}/meetings"), &meeting_body);
    let meeting_id = response.json()["id"].as_i64().unwrap();
    let meeting = trail.one(response, scoped("meeting", "create", meeting_id));
    let follow_up = meeting["follow_ups"][0]["id"].as_i64().expect("a follow-up id");
    let follow_up_path = format!("{p}/meetings/{meeting_id}/follow-ups/{follow_up}");
    trail.none(
        server.patch(&follow_up_path, &json!({"completed_on": "2026-03-01"})),
        422,
    );
    trail.none(
        server.patch(
            &format!("{p}/meetings/{meeting_id}/follow-ups/999999"),
            &json!({"completed_on": "2026-04-05"}),
        ),
        404,
    );
    let response = server.patch(&follow_up_path, &json!({"completed_on": "2026-04-05"}));
    trail.one(
        response,
        Expected {
            before: Some(&meeting),
            ..scoped("follow_up", "update", follow_up)
        },
    );

    // Care plans, their updates and shares.
    let plans = format!("{p}/care-plans");
    let response = server.post(
        &plans,
        &json!({"kind": "advance_care_plan", "patient_ref": "PT-00042", "initiating_provider": ana_id,
                "discussed_on": "2026-05-01", "documented_in_record": false,
                "care_partners": ["Cardiology, Lakeside Regional"]}),
    );
    let plan_id = response.json()["id"].as_i64().unwrap();
    let plan = trail.one(response, scoped("care_plan", "create", plan_id));
    trail.none(
        server.post(
            &plans,
            &json!({"kind": "advance_care_plan", "patient_ref": "PT-00043", "initiating_provider": 999_999,
                    "discussed_on": "2026-05-01", "documented_in_record": true}),
        ),
        422,
    );
    let response = server.patch(
        &format!("{plans}/{plan_id}"),
        &json!({"established_on": "2026-05-02", "documented_in_record": true}),
    );
    let plan = trail.one(
        response,
        Expected {
            before: Some(&plan),
            ..scoped("care_plan", "update", plan_id)
        },
    );
    let partner = plan["care_partners"][0]["id"].as_i64().unwrap();
    let shares = format!("{plans}/{plan_id}/shares");
    trail.none(
        server.post(
            &shares,
            &json!({"partner_id": partner, "shared_on": "2026-04-30", "method": "fax"}),
        ),
        422,
    );
    let response = server.post(
        &shares,
        &json!({"partner_id": partner, "shared_on": "2026-05-03", "method": "fax"}),
    );
    let share_id = response.json()["id"].as_i64().unwrap();
    trail.one(response, scoped("care_plan_share", "share", share_id));
    // Shared: its established_on can no longer change.
    trail.none(
        server.patch(&format!("{plans}/{plan_id}"), &json!({"established_on": "2026-05-03"})),
        409,
    );

    // Attestations and their corrections.
    let attestation = |status: &str, supersedes: Option<i64>| {
        json!({"criterion": "4.3", "status": status, "effective_on": "2026-06-01", "signer": "Olga Berg",
               "signer_role": "Office manager", "statement": "Guidelines are used at the point of care.",
               "supersedes": supersedes})
    };
    let attestations = format!("{p}/attestations");
    let response = server.post(&attestations, &attestation("partially_in_place", None));
    let first_id = response.json()["id"].as_i64().unwrap();
    let first = trail.one(response, scoped("attestation", "create", first_id));
    assert_eq!(first["superseded_by"], Value::Null);
    let response = server.post(&attestations, &attestation("in_place", Some(first_id)));
    let second_id = response.json()["id"].as_i64().unwrap();
    trail.one(
        response,
        Expected {
            before: Some(&first),
            ..scoped("attestation", "supersede", second_id)
        },
    );
    trail.none(
        server.post(&attestations, &attestation("not_in_place", Some(first_id))),
        409,
    );
    trail.none(server.post(&attestations, &attestation("in_place", Some(999_999))), 422);
    let po_scoped = |kind: &'static str, action: &'static str, record_id: i64| Expected {
        action,
        kind,
        record_id: Some(record_id),
        organization: Some(po_id),
        practice: None,
        before: None,
    };
    let po_attestation = json!({"criterion": "4.24", "status": "in_place", "effective_on": "2026-04-01",
        "signer": "Mara Quinn", "signer_role": "PO care management director", "statement": "Confirmed."});
    let response = server.post(&format!("{v1}/organizations/{po_id}/attestations"), &po_attestation);
    let po_attestation_id = response.json()["id"].as_i64().unwrap();
    trail.one(response, po_scoped("attestation", "create", po_attestation_id));
    trail.none(
        server.post(
            &format!("{v1}/organizations/{po_id}/attestations"),
            &json!({"criterion": "4.3", "status": "in_place", "effective_on": "2026-04-01",
                    "signer": "Mara Quinn", "signer_role": "director", "statement": "Confirmed."}),
        ),
        422,
    );

    // Reports: PO-wide, and about one practice (then the practice is concerned too).
    let reports = format!("{v1}/organizations/{po_id}/reports");
    let response = server.post(
        &reports,
        &json!({"report_type": "member_list", "period_start": "2026-01-01", "period_end": "2026-01-31"}),
    );
    let report_id = response.json()["id"].as_i64().unwrap();
    trail.one(response, po_scoped("report", "create", report_id));
    let response = server.post(
        &reports,
        &json!({"report_type": "member_list", "period_start": "2026-02-01", "period_end": "2026-02-28",
                "practice_id": practice_id}),
    );
    let report_id = response.json()["id"].as_i64().unwrap();
    trail.one(
        response,
        Expected {
            practice: Some(practice_id),
            ..po_scoped("report", "create", report_id)
        },
    );
    trail.none(
        server.post(
            &reports,
            &json!({"report_type": "member_list", "period_start": "2026-02-01", "period_end": "2026-01-01"}),
        ),
        422,
    );

    // Documents.
    let metadata = json!({"title": "PCMH-N training deck", "document_type": "training_material",
                          "criteria": ["4.1"], "effective_on": "2026-03-02"});
    let response = upload(
        &server,
        &format!("{p}/documents"),
        Some(&metadata),
        Some(b"%PDF-1.7 deck"),
    );
    let document_id = response.json()["id"].as_i64().unwrap();
    trail.one(response, scoped("document", "upload", document_id));
    trail.none(
        upload(&server, &format!("{p}/documents"), None, Some(b"%PDF-1.7 deck")),
        422,
    );
    let po_metadata = json!({"title": "PO workflow", "document_type": "care_management_workflow",
                             "criteria": ["4.24"], "effective_on": "2026-04-01"});
    let response = upload(
        &server,
        &format!("{v1}/organizations/{po_id}/documents"),
        Some(&po_metadata),
        Some(b"%PDF-1.7 workflow"),
    );
    let document_id = response.json()["id"].as_i64().unwrap();
    trail.one(response, po_scoped("document", "upload", document_id));
    trail.none(
        upload(
            &server,
            &format!("{v1}/organizations/{po_id}/documents"),
            Some(&json!({"title": "PO workflow", "document_type": "no_such_type", "criteria": ["4.24"], "effective_on": "2026-04-01"})),
            Some(b"%PDF-1.7 workflow"),
        ),
        422,
    );

    // Reads append nothing.
    for path in [
        format!("{p}/compliance"),
        format!("{p}/staff"),
        format!("{v1}/organizations"),
    ] {
        assert_eq!(server.get(&path).status, 200);
    }
    assert_eq!(event_total(&server), trail.seen);

    // The chains of all these are intact, and each event follows the one before in its chain.
    let events = all_events(&server);
    for chain in trail.chains.keys() {
        let in_chain: Vec<&Value> = events.iter().filter(|e| chain_of(e) == *chain).collect();
        assert_eq!(
            in_chain[0]["prev_hash"],
            "0000000000000000000000000000000000000000000000000000000000000000"
        );
        for pair in in_chain.windows(2) {
            assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
        }
    }
    assert_intact(&server, trail.seen);
}

// ---------------------------------------------------------------------------------------------
// (b, c) Verification, and tampering behind the server's back

fn an_intact_trail_verifies(backend: Backend) {
    let (server, po) = six_events(backend);
    let events = all_events(&server);
    let places: Vec<(i64, i64)> = events
        .iter()
        .map(|e| (chain_of(e), e["seq"].as_i64().unwrap()))
        .collect();
    assert_eq!(places, [(0, 1), (po, 1), (po, 2), (po, 3), (po, 4), (po, 5)]);
    let genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    assert_eq!(events[0]["prev_hash"], genesis, "chain 0 starts from zeros");
    assert_eq!(events[1]["prev_hash"], genesis, "so does the PO's chain");
    for pair in events[1..].windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
    }
    let (_, stdout, _) = verify(&server);
    assert_eq!(
        stdout,
        format!(
            "chain 0 (server-wide): intact, 1 events\nchain {po} (PO {po}): intact, 5 events\naudit chain intact: 6 events in 2 chains"
        )
    );
    // One chain, in its order.
    let response = server.get(&format!("/api/v1/audit-events?chain={po}"));
    assert_eq!(response.status, 200, "{}", response.text());
    let listed: Vec<i64> = response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [1, 2, 3, 4, 5]);
    assert_eq!(server.get("/api/v1/audit-events?chain=-1").status, 422);
}

fn an_edited_event_is_found(backend: Backend) {
    let (server, po) = six_events(backend);
    assert!(event_column(&server, po, 3, "content").contains("Ana Lopez"));
    tamper(
        &server,
        &format!("UPDATE audit_events SET content = REPLACE(content, 'Ana Lopez', 'Ann Lopes') WHERE chain = {po} AND seq = 3"),
    );
    assert!(event_column(&server, po, 3, "content").contains("Ann Lopes"));
    let said = assert_broken_at(
        &server,
        po,
        3,
        "event 3 was altered: its content no longer gives its hash",
    );
    assert!(said.contains("chain 0 (server-wide): intact, 1 events"), "{said}");
}

fn an_edited_column_is_found(backend: Backend) {
    let (server, po) = six_events(backend);
    tamper(
        &server,
        &format!("UPDATE audit_events SET record_id = 424242 WHERE chain = {po} AND seq = 4"),
    );
    assert_broken_at(
        &server,
        po,
        4,
        "event 4 was altered: its columns differ from its hashed content",
    );
}

/// Someone who edits an event and computes its hash again breaks the link to the next event.
fn a_rehashed_event_is_found_at_the_next_one(backend: Backend) {
    let (server, po) = six_events(backend);
    let prev_hash = event_column(&server, po, 3, "prev_hash");
    let content = event_column(&server, po, 3, "content").replace("Ana Lopez", "Ann Lopes");
    let hash = pcmh_core::store::audit::chain_hash(&prev_hash, &content);
    tamper(
        &server,
        &format!(
            "UPDATE audit_events SET content = '{}', hash = '{hash}' WHERE chain = {po} AND seq = 3",
            content.replace('\'', "''")
        ),
    );
    assert_broken_at(&server, po, 4, "event 4 does not follow event 3: its prev_hash differs");
}

fn a_deleted_middle_event_is_found(backend: Backend) {
    let (server, po) = six_events(backend);
    tamper(
        &server,
        &format!("DELETE FROM audit_events WHERE chain = {po} AND seq = 2"),
    );
    assert_broken_at(&server, po, 2, "event 2 is missing (the next one is 3)");
}

fn a_deleted_last_event_is_found(backend: Backend) {
    let (server, po) = six_events(backend);
    tamper(
        &server,
        &format!("DELETE FROM audit_events WHERE chain = {po} AND seq = 5"),
    );
    assert_broken_at(
        &server,
        po,
        5,
        "the chain ends at event 4 but 5 events were written: the last ones were deleted",
    );
    // The server-wide chain's only event, too: its head remains without it.
    tamper(&server, "DELETE FROM audit_events WHERE chain = 0");
    assert_broken_at(
        &server,
        0,
        1,
        "the chain ends at event 0 but 1 events were written: the last ones were deleted",
    );
}

fn reordered_events_are_found(backend: Backend) {
    let (server, po) = six_events(backend);
    // Swap events 2 and 3 of the PO's chain ((chain, seq) is the key, so through a free number).
    tamper(
        &server,
        &format!(
            "UPDATE audit_events SET seq = -2 WHERE chain = {po} AND seq = 2; \
             UPDATE audit_events SET seq = 2 WHERE chain = {po} AND seq = 3; \
             UPDATE audit_events SET seq = 3 WHERE chain = {po} AND seq = -2;"
        ),
    );
    assert_broken_at(&server, po, 2, "event 2 does not follow event 1: its prev_hash differs");
}

/// An event moved into another chain, numbered and linked to look like that chain's next event
/// with its head moved along, is found in both chains: where it went, by the chain its hashed
/// content names; where it was, by the gap.
fn an_event_moved_to_another_chain_is_found(backend: Backend) {
    let (server, po) = six_events(backend);
    let hash = event_column(&server, po, 4, "hash");
    tamper(
        &server,
        &format!(
            "UPDATE audit_events SET chain = 0, seq = 2 WHERE chain = {po} AND seq = 4; \
             UPDATE audit_chain_head SET seq = 2, hash = '{hash}' WHERE chain = 0;"
        ),
    );
    let said = assert_broken_at(
        &server,
        0,
        2,
        &format!("event 2 was moved: its hashed content puts it in chain {po} as event 4"),
    );
    assert!(
        said.contains(&format!(
            "{}: broken at event 4: event 4 is missing (the next one is 5)",
            chain_name(po)
        )),
        "{said}"
    );
}

/// A chain's head deleted, or moved back to an earlier event, is found: the chain names it.
fn a_truncated_or_deleted_head_is_found(backend: Backend) {
    let (server, po) = six_events(backend);
    let third = event_column(&server, po, 3, "hash");
    tamper(
        &server,
        &format!("UPDATE audit_chain_head SET seq = 3, hash = '{third}' WHERE chain = {po}"),
    );
    assert_broken_at(
        &server,
        po,
        4,
        "the chain's head is event 3 but it goes on to event 5: its head was moved back or events were added behind it",
    );
    tamper(&server, &format!("DELETE FROM audit_chain_head WHERE chain = {po}"));
    assert_broken_at(
        &server,
        po,
        5,
        "the chain has 5 events but no head: its head was deleted",
    );
}

/// A head whose events are all gone (a whole chain deleted) is found.
fn a_head_without_its_events_is_found(backend: Backend) {
    let (server, po) = six_events(backend);
    tamper(&server, &format!("DELETE FROM audit_events WHERE chain = {po}"));
    assert_broken_at(
        &server,
        po,
        1,
        "the chain ends at event 0 but 5 events were written: the last ones were deleted",
    );
}

/// An admin signed in to the web pages (invited on the command line): the session cookie.
fn admin_session(server: &Server) -> String {
    let link = pcmh_on(
        server,
        &[
            "user",
            "invite",
            "--email",
            "chains@example.test",
            "--role",
            "admin",
            "--public-url",
            "http://example.test",
        ],
    );
    let path = link
        .strip_prefix("http://example.test")
        .expect("the link names the public URL");
    let password = "a long enough passphrase 7";
    let body = format!(
        "password={}&password_confirm={}",
        password.replace(' ', "+"),
        password.replace(' ', "+")
    );
    let response = try_http_with(
        &server.address,
        "POST",
        path,
        &[],
        Some("application/x-www-form-urlencoded"),
        body.as_bytes(),
    )
    .expect("the invitation is accepted");
    assert_eq!(response.status, 303, "{}", response.text());
    response
        .headers
        .iter()
        .find_map(|(name, value)| {
            let value = value.strip_prefix("pcmh_session=")?;
            name.eq_ignore_ascii_case("set-cookie")
                .then(|| value.split(';').next().unwrap_or_default().to_owned())
        })
        .expect("a session cookie")
}

/// The audit trail page's check lists each chain with what it found and its head; a broken
/// chain is named with its first event that does not fit.
fn the_admin_page_verifies_each_chain(backend: Backend) {
    let (server, po) = six_events(backend);
    let session = admin_session(&server);
    let page = |path: &str| {
        let cookie = format!("pcmh_session={session}");
        let response = try_http_with(&server.address, "GET", path, &[("Cookie", &cookie)], None, b"")
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(response.status, 200, "{}", response.text());
        response.text()
    };
    let verified = page("/audit/verify");
    assert!(
        verified.contains("The trail is intact: 8 events in 2 chains"),
        "{verified}"
    );
    assert!(verified.contains(&format!("id=\"chain-{po}\"")), "{verified}");
    assert!(verified.contains(&format!("chain {po} (PO {po})")), "{verified}");
    let head = event_column(&server, po, 5, "hash");
    assert!(verified.contains(&head), "the PO chain's head hash is shown");
    let listed = page("/audit?order=chain");
    assert!(
        listed.contains(&format!("PO {po} #5")),
        "events are named by chain and place"
    );
    assert!(listed.contains("Server #1"), "{listed}");

    tamper(
        &server,
        &format!("DELETE FROM audit_events WHERE chain = {po} AND seq = 2"),
    );
    let broken = page("/audit/verify");
    assert!(
        broken.contains("The trail is broken: 1 of 2 chains do not verify."),
        "{broken}"
    );
    assert!(
        broken.contains("Broken at event 2: event 2 is missing (the next one is 3)."),
        "{broken}"
    );
}

// ---------------------------------------------------------------------------------------------
// (d) Two servers, one database, many writers

/// A second `pcmh serve` on the database and data folder of `server`, stopped when dropped.
struct SecondServer {
    child: Child,
    address: String,
    log: PathBuf,
}

impl SecondServer {
    fn launch(server: &Server) -> SecondServer {
        use std::io::{BufRead, BufReader};
        let log = server.data_dir.path().join("server2.log");
        let log_file = std::fs::File::create(&log).expect("a log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_pcmh"))
            .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &server.database_url])
            .arg("--data-dir")
            .arg(server.data_dir.path())
            .arg("--catalog-dir")
            .arg(repo_root().join("policy-catalog"))
            .env_remove("PCMH_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("a second pcmh starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let address = loop {
            assert!(Instant::now() < deadline, "the second server did not start");
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(at) = line.find("listening on http://") {
                        break line[at + "listening on http://".len()..].trim().to_owned();
                    }
                }
                _ => panic!(
                    "the second server exited before listening: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        SecondServer { child, address, log }
    }
}

impl Drop for SecondServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two servers, eight writers over two POs: each PO's chain is numbered without gaps and linked
/// throughout, and together they hold every acknowledged write.
fn two_servers_on_one_database_keep_gapless_chains(backend: Backend) {
    const WRITERS_PER_SERVER: usize = 4;
    const WRITES_PER_WRITER: usize = 20;
    let server = Server::start(backend);
    let pos = [
        organization_with_practice(&server, "Maple Street"),
        organization_with_practice(&server, "Riverside"),
    ];
    let second = SecondServer::launch(&server);
    let addresses = [server.address.clone(), second.address.clone()];
    let token = server.admin_token.clone();

    let writers: Vec<_> = (0..2 * WRITERS_PER_SERVER)
        .map(|writer| {
            let addresses = addresses.clone();
            let token = token.clone();
            let practice = pos[writer % 2].1;
            std::thread::spawn(move || {
                let post = |k: usize, path: String, body: Value| {
                    let address = &addresses[(writer + k) % 2];
                    let body = body.to_string();
                    try_http(address, Some(&token), "POST", &path, Some("application/json"), body.as_bytes())
                        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
                };
                let patch = |k: usize, path: String, body: Value| {
                    let address = &addresses[(writer + k) % 2];
                    let body = body.to_string();
                    try_http(address, Some(&token), "PATCH", &path, Some("application/json"), body.as_bytes())
                        .unwrap_or_else(|e| panic!("PATCH {path}: {e}"))
                };
                let p = format!("/api/v1/practices/{practice}");
                let mut written = 0;
                let mut refused = 0;
                let mut staff_id = 0;
                for k in 0..WRITES_PER_WRITER {
                    let response = match k % 5 {
                        0 => {
                            let response = post(
                                k,
                                format!("{p}/staff"),
                                json!({"name": format!("Writer {writer} #{k}"), "role": "nurse", "started_on": "2020-01-06"}),
                            );
                            staff_id = response.json()["id"].as_i64().unwrap_or_default();
                            response
                        }
                        1 => post(
                            k,
                            format!("{p}/trainings"),
                            json!({"staff_id": staff_id, "topic": "chronic_care_model", "completed_on": "2026-03-02", "hours": 1}),
                        ),
                        2 => patch(k, format!("{p}/staff/{staff_id}"), json!({"ended_on": "2026-12-31"})),
                        3 => post(k, format!("{p}/staff"), json!({"name": " ", "role": "nurse", "started_on": "2020-01-06"})),
                        _ => post(
                            k,
                            format!("{p}/surveys"),
                            json!({"kind": "office_efficiency", "conducted_on": "2026-05-10", "respondents": 40 + k, "score": 75.0}),
                        ),
                    };
                    match response.status {
                        200..=299 => written += 1,
                        422 if k % 5 == 3 => refused += 1,
                        other => panic!("writer {writer}, write {k}: {other} {}", response.text()),
                    }
                }
                (written, refused)
            })
        })
        .collect();
    // Verified while the writers write: heads and events are read in one snapshot, so events
    // committed meanwhile are never taken for tampering.
    while !writers.iter().all(|w| w.is_finished()) {
        let (code, stdout, stderr) = verify(&server);
        assert_eq!(code, 0, "verified during writes: {stdout}\n{stderr}");
    }
    let mut written = 0;
    let mut refused = 0;
    for writer in writers {
        let (w, r) = writer.join().expect("a writer finished");
        written += w;
        refused += r;
    }
    assert_eq!(written, 2 * WRITERS_PER_SERVER * WRITES_PER_WRITER * 4 / 5);
    assert_eq!(refused, 2 * WRITERS_PER_SERVER * WRITES_PER_WRITER / 5);

    // The admin token, the two POs and their practices, and every 2xx write: no more, no fewer.
    let expected = 1 + 2 * 2 + written;
    let events = all_events(&server);
    assert_eq!(events.len(), expected);
    for (chain, count) in [(0, 1), (pos[0].0, 2 + written / 2), (pos[1].0, 2 + written / 2)] {
        let response = server.get(&format!("/api/v1/audit-events?chain={chain}&limit=500"));
        let listed = response.json()["items"].as_array().expect("items").clone();
        let seqs: Vec<i64> = listed.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert_eq!(
            seqs,
            (1..=count as i64).collect::<Vec<_>>(),
            "chain {chain}: events numbered 1..N, no gaps"
        );
        assert!(listed.iter().all(|e| chain_of(e) == chain));
        for pair in listed.windows(2) {
            assert_eq!(
                pair[1]["prev_hash"], pair[0]["hash"],
                "event {} of chain {chain} follows",
                pair[1]["seq"]
            );
        }
    }
    assert_intact(&server, expected);
    let second_log = std::fs::read_to_string(&second.log).unwrap_or_default();
    assert!(!second_log.contains("error"), "{second_log}");
}

// ---------------------------------------------------------------------------------------------
// (e) Filters and scope

fn the_trail_is_filtered_and_scoped_to_the_caller(backend: Backend) {
    let server = Server::start(backend);
    let (po_a, practice_a) = organization_with_practice(&server, "Maple Street");
    let (po_b, practice_b) = organization_with_practice(&server, "Riverside");
    let mut staff_ids = Vec::new();
    for (practice, name) in [
        (practice_a, "Ana Lopez"),
        (practice_a, "Gus Hale"),
        (practice_b, "Helen Cho"),
    ] {
        let created = server.create(
            &format!("/api/v1/practices/{practice}/staff"),
            &json!({"name": name, "role": "physician", "started_on": "2019-03-04"}),
        );
        staff_ids.push(id(&created));
    }
    server.patch(
        &format!("/api/v1/practices/{practice_a}/staff/{}", staff_ids[0]),
        &json!({"ended_on": "2026-12-31"}),
    );
    server.create(
        &format!("/api/v1/organizations/{po_a}/reports"),
        &json!({"report_type": "member_list", "period_start": "2026-01-01", "period_end": "2026-01-31"}),
    );

    let list = |token: Option<&str>, query: &str| {
        let token = token.unwrap_or(&server.admin_token);
        server.request_as(Some(token), "GET", &format!("/api/v1/audit-events{query}"), None, b"")
    };
    let items = |response: Response| -> Vec<Value> {
        assert_eq!(response.status, 200, "{}", response.text());
        let body = response.json();
        let items = body["items"].as_array().unwrap().clone();
        assert_eq!(body["total"], items.len(), "{body:#}");
        items
    };

    // By kind.
    let staff_events = items(list(None, "?record_kind=staff"));
    assert_eq!(staff_events.len(), 4);
    assert!(staff_events.iter().all(|e| e["record_kind"] == "staff"));
    // By record: Ana's creation and her update.
    let ana = items(list(None, &format!("?record_kind=staff&record_id={}", staff_ids[0])));
    let actions: Vec<&str> = ana.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "update"]);
    assert_eq!(ana[1]["before"]["ended_on"], Value::Null);
    assert_eq!(ana[1]["after"]["ended_on"], "2026-12-31");
    // By practice: the practice's creation, two staff, one update.
    let in_a = items(list(None, &format!("?practice_id={practice_a}")));
    assert_eq!(in_a.len(), 4, "{in_a:#?}");
    assert!(in_a.iter().all(|e| e["practice_id"] == practice_a));
    // Paging.
    let page = list(None, "?limit=2&offset=1").json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["items"][0]["chain"], po_a,
        "after the admin token, PO A's creation"
    );
    assert_eq!(page["items"][0]["seq"], 1);
    assert_eq!(page["items"][1]["seq"], 2);
    // By chain: PO A's chain in its order, PO B's not mixed in.
    let chain_a = items(list(None, &format!("?chain={po_a}")));
    assert_eq!(
        chain_a.iter().map(|e| e["seq"].as_i64().unwrap()).collect::<Vec<_>>(),
        (1..=chain_a.len() as i64).collect::<Vec<_>>()
    );
    assert!(chain_a
        .iter()
        .all(|e| e["chain"] == po_a && e["organization_id"] == po_a));
    assert_eq!(list(None, "?chain=x").status, 400);
    // Bad filters.
    assert_eq!(list(None, "?record_kind=").status, 422);
    assert_eq!(list(None, "?limit=0").status, 422);
    assert_eq!(list(None, "?record_id=abc").status, 400);
    assert_eq!(list(None, "?who=me").status, 400);

    // A po_manager of PO B sees PO B's events (its own token's creation among them), none of A's.
    let manager_b = server.token(&["--role", "po_manager", "--organization", &po_b.to_string()]);
    let seen_by_b = items(list(Some(&manager_b), ""));
    assert!(!seen_by_b.is_empty());
    assert!(seen_by_b.iter().all(|e| e["organization_id"] == po_b), "{seen_by_b:#?}");
    assert!(seen_by_b
        .iter()
        .any(|e| e["record_kind"] == "staff" && e["practice_id"] == practice_b));
    assert!(seen_by_b.iter().any(|e| e["record_kind"] == "token"));
    assert_eq!(list(Some(&manager_b), &format!("?organization_id={po_a}")).status, 404);
    assert!(items(list(Some(&manager_b), &format!("?chain={po_a}"))).is_empty());
    assert!(
        items(list(Some(&manager_b), "?chain=0")).is_empty(),
        "the server-wide chain is not B's"
    );
    assert!(items(list(Some(&manager_b), &format!("?practice_id={practice_a}"))).is_empty());
    assert!(
        items(list(Some(&manager_b), "?record_kind=report")).is_empty(),
        "PO A's report"
    );
    assert_eq!(
        items(list(Some(&manager_b), &format!("?organization_id={po_b}"))).len(),
        seen_by_b.len()
    );

    // A practice_manager may not read the trail, nor may anyone without a token.
    let practice_manager = server.token(&["--role", "practice_manager", "--practice", &practice_a.to_string()]);
    assert_eq!(list(Some(&practice_manager), "").status, 403);
    let anonymous = server.request_as(None, "GET", "/api/v1/audit-events", None, b"");
    assert_eq!(anonymous.status, 401);
    // Nobody writes the trail through the API.
    let post = server.post("/api/v1/audit-events", &json!({"action": "create"}));
    assert!(matches!(post.status, 403..=405), "{} {}", post.status, post.text());
}

// ---------------------------------------------------------------------------------------------
// Privacy

fn the_log_carries_no_bodies_patient_references_or_tokens(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let p = format!("/api/v1/practices/{practice}");
    let staff_name = "Zephyrine Quillfeather";
    let patient = "PT-PRIVACY-77310";
    let statement = "Quintessential privacy statement 8842 signed by the board";
    let provider = server.create(
        &format!("{p}/staff"),
        &json!({"name": staff_name, "role": "physician", "started_on": "2019-03-04"}),
    );
    // Refused bodies carrying the same strings.
    assert_eq!(
        server
            .post(
                &format!("{p}/staff"),
                &json!({"name": staff_name, "role": "wizard", "started_on": "2019-03-04"})
            )
            .status,
        422
    );
    let refused_body = format!("{{\"name\": \"{staff_name}\", \"role\": ");
    assert_eq!(
        server
            .request(
                "POST",
                &format!("{p}/staff"),
                Some("application/json"),
                refused_body.as_bytes()
            )
            .status,
        400
    );
    let plan = json!({"kind": "advance_care_plan", "patient_ref": patient, "initiating_provider": id(&provider),
                      "discussed_on": "2026-05-01", "established_on": "2026-05-01", "documented_in_record": true});
    server.create(&format!("{p}/care-plans"), &plan);
    let mut bad_plan = plan.clone();
    bad_plan["discussed_on"] = json!("1850-01-01");
    assert_eq!(server.post(&format!("{p}/care-plans"), &bad_plan).status, 422);
    bad_plan["initiating_provider"] = json!(999_999);
    bad_plan["discussed_on"] = json!("2026-05-01");
    assert_eq!(server.post(&format!("{p}/care-plans"), &bad_plan).status, 422);
    let attestation = json!({"criterion": "4.3", "status": "in_place", "effective_on": "2026-06-01",
                             "signer": staff_name, "signer_role": "Office manager", "statement": statement});
    server.create(&format!("{p}/attestations"), &attestation);
    let mut bad_attestation = attestation.clone();
    bad_attestation["criterion"] = json!("9.99");
    assert_eq!(server.post(&format!("{p}/attestations"), &bad_attestation).status, 422);
    bad_attestation["criterion"] = json!("4.24");
    assert_eq!(
        server
            .post(&format!("/api/v1/organizations/{po}/attestations"), &bad_attestation)
            .status,
        201
    );
    // A NUL byte in a name (PostgreSQL cannot store it): whatever the answer, the log that
    // the failure may leave does not carry the value.
    let nul_name = "{\"name\": \"Quillfeather\\u0000Zephyrine\", \"role\": \"nurse\", \"started_on\": \"2020-01-06\"}";
    server.request(
        "POST",
        &format!("{p}/staff"),
        Some("application/json"),
        nul_name.as_bytes(),
    );
    // Tokens: the admin's, a made-up one, a revoked one.
    let made_up = format!("pcmh_{}_{}", 424_242, "ab".repeat(32));
    assert_eq!(
        server
            .request_as(Some(&made_up), "GET", "/api/v1/organizations", None, b"")
            .status,
        401
    );
    let manager = server.token(&["--role", "po_manager", "--organization", &po.to_string()]);
    assert_eq!(
        server
            .request_as(
                Some(&manager),
                "POST",
                &format!("{p}/staff"),
                Some("application/json"),
                refused_body.as_bytes()
            )
            .status,
        400
    );
    let revoke = server.request("DELETE", &format!("/api/v1/tokens/{}", token_id(&manager)), None, b"");
    assert!((200..300).contains(&revoke.status), "{}", revoke.text());
    assert_eq!(
        server
            .request_as(Some(&manager), "GET", "/api/v1/organizations", None, b"")
            .status,
        401
    );

    let log = server.log_text();
    let secret = |token: &str| token.rsplit('_').next().unwrap_or_default().to_owned();
    for needle in [
        staff_name.to_owned(),
        "Quillfeather".to_owned(),
        "Zephyrine".to_owned(),
        patient.to_owned(),
        statement.to_owned(),
        server.admin_token.clone(),
        secret(&server.admin_token),
        made_up.clone(),
        secret(&made_up),
        manager.clone(),
        secret(&manager),
    ] {
        assert!(!log.contains(&needle), "the server's log carries `{needle}`:\n{log}");
    }
}

// ---------------------------------------------------------------------------------------------
// The demo

/// `--demo` loads its records with one event each (no token), in the same transaction; a
/// second start loads nothing and appends only the new demo tokens' events.
fn the_demo_records_are_audited_once(backend: Backend) {
    let mut server = Server::start_with(backend, &["--demo"]);
    let events = all_events(&server);
    let count = |kind: &str| events.iter().filter(|e| e["record_kind"] == kind).count();
    // The test's admin token, then the demo (one event per record), then four demo tokens.
    assert_eq!(events[0]["record_kind"], "token");
    assert_eq!(count("token"), 1 + 4);
    assert_eq!(count("organization"), 1);
    assert_eq!(count("practice"), 3);
    assert_eq!(count("staff"), 9 + 6 + 3);
    for kind in [
        "training",
        "meeting",
        "survey",
        "care_plan",
        "care_plan_share",
        "attestation",
        "report",
        "document",
    ] {
        assert!(count(kind) > 0, "no {kind} event: {events:#?}");
    }
    // Four demo accounts, each invited and given a password, both audited (never the password).
    assert_eq!(count("user"), 4 * 2);
    let po = events[1]["record_id"].as_i64().expect("the demo PO");
    for event in &events[1..] {
        assert_eq!(event["token_id"], Value::Null, "{event:#}");
        if event["record_kind"] == "user" {
            assert!(
                ["invite", "reset_password"].contains(&event["action"].as_str().unwrap_or_default()),
                "{event:#}"
            );
            assert!(event["after"].get("password_hash").is_none(), "{event:#}");
        } else if event["record_kind"] != "token" {
            assert_eq!(event["organization_id"], po, "{event:#}");
            let expected_action = match event["record_kind"].as_str() {
                Some("document") => "upload",
                Some("care_plan_share") => "share",
                _ => "create",
            };
            assert_eq!(event["action"], expected_action, "{event:#}");
        }
    }
    // Each listed record has its event, with the record as listed.
    let practices = server.get(&format!("/api/v1/organizations/{po}/practices")).json();
    let first = practices["items"][0]["id"].as_i64().unwrap();
    let staff = server.get(&format!("/api/v1/practices/{first}/staff")).json();
    for member in staff["items"].as_array().unwrap() {
        let found: Vec<&Value> = events
            .iter()
            .filter(|e| e["record_kind"] == "staff" && e["record_id"] == member["id"])
            .collect();
        assert_eq!(found.len(), 1, "{member}");
        assert_eq!(found[0]["after"], *member);
        assert_eq!(found[0]["practice_id"], first);
    }
    assert_intact(&server, events.len());

    server.kill();
    server.launch(&["--demo"]);
    let again = all_events(&server);
    assert_eq!(
        again.len(),
        events.len() + 4 + 4,
        "only the new demo tokens and passwords"
    );
    assert!(again[events.len()..]
        .iter()
        .all(|e| e["record_kind"] == "token" || (e["record_kind"] == "user" && e["action"] == "reset_password")));
    assert_intact(&server, again.len());
}

// ---------------------------------------------------------------------------------------------
// Concurrent updates of one record

/// Many writers change the same staff member at once: each update's `before` is exactly the
/// `after` of the update before it in the chain (no update is told a state it did not change).
fn concurrent_updates_of_one_record_chain_their_before_and_after(backend: Backend) {
    const WRITERS: usize = 6;
    const UPDATES: usize = 8;
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let staff = server.create(
        &format!("/api/v1/practices/{practice}/staff"),
        &json!({"name": "Ana Lopez", "role": "physician", "started_on": "2019-03-04"}),
    );
    let path = format!("/api/v1/practices/{practice}/staff/{}", id(&staff));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (address, token, path) = (server.address.clone(), server.admin_token.clone(), path.clone());
            std::thread::spawn(move || {
                for k in 0..UPDATES {
                    let day = format!("2026-{:02}-{:02}", writer + 1, k + 1);
                    let body = json!({"ended_on": day}).to_string();
                    let response = try_http(
                        &address,
                        Some(&token),
                        "PATCH",
                        &path,
                        Some("application/json"),
                        body.as_bytes(),
                    )
                    .unwrap_or_else(|e| panic!("PATCH {path}: {e}"));
                    assert_eq!(response.status, 200, "{}", response.text());
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("a writer finished");
    }
    let events = all_events(&server);
    let history: Vec<&Value> = events
        .iter()
        .filter(|e| e["record_kind"] == "staff" && e["record_id"] == staff["id"])
        .collect();
    assert_eq!(history.len(), 1 + WRITERS * UPDATES);
    assert_eq!(history[0]["after"], staff);
    for pair in history.windows(2) {
        assert_eq!(
            pair[1]["before"], pair[0]["after"],
            "event {} says the record was {} but event {} had left it {}",
            pair[1]["seq"], pair[1]["before"], pair[0]["seq"], pair[0]["after"]
        );
    }
    assert_intact(&server, events.len());
}

// ---------------------------------------------------------------------------------------------
// Instants

/// An instant of an answer: RFC 3339 with its offset, which is UTC written `Z`.
fn instant(value: &Value) -> chrono::DateTime<chrono::Utc> {
    let text = value.as_str().unwrap_or_else(|| panic!("an instant: {value}"));
    assert!(text.ends_with('Z'), "{text} is in UTC, written with Z");
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .to_utc()
}

/// `at` written with the offset `offset` (e.g. "+02:00"), for a query string.
fn with_offset(at: chrono::DateTime<chrono::Utc>, offset: &str) -> String {
    let zone: chrono::FixedOffset = offset.parse().expect("an offset");
    at.with_timezone(&zone)
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
        .replace('+', "%2B")
}

fn every_instant_of_the_trail_has_its_offset_and_filters_read_offsets(backend: Backend) {
    let (server, _) = six_events(backend);
    let events = all_events(&server);
    assert_eq!(events.len(), 6);
    for event in &events {
        let at = instant(&event["occurred_at"]);
        // The hashed content keeps the instant in UTC without its offset, as it always did.
        let naive = at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string();
        let seq = event["seq"].as_i64().expect("a seq");
        let content = event_column(&server, chain_of(event), seq, "content");
        assert!(
            content.contains(&format!("\"occurred_at\":\"{naive}\"")),
            "{naive} in {content}"
        );
    }
    // The token made on the command line: its `after` carries its instants with offsets.
    instant(&events[0]["after"]["created_at"]);

    let list = |query: &str| server.get(&format!("/api/v1/audit-events?limit=500&{query}"));
    // Events by their place: (chain, seq).
    let place = |e: &Value| (chain_of(e), e["seq"].as_i64().expect("a seq"));
    let seqs = |response: Response| -> Vec<(i64, i64)> {
        assert_eq!(response.status, 200, "{}", response.text());
        let body = response.json();
        body["items"].as_array().expect("items").iter().map(place).collect()
    };
    // The fourth event written in two other offsets is the same instant: `since` includes it,
    // `until` excludes it.
    let fourth = instant(&events[3]["occurred_at"]);
    let fourth_place = place(&events[3]);
    let east = with_offset(fourth, "+02:00");
    let west = with_offset(fourth, "-05:00");
    assert!(east.contains("%2B02:00"), "{east}");
    let from_fourth: Vec<(i64, i64)> = events
        .iter()
        .filter(|e| instant(&e["occurred_at"]) >= fourth)
        .map(place)
        .collect();
    assert!(from_fourth.contains(&fourth_place), "{from_fourth:?}");
    assert_eq!(seqs(list(&format!("since={east}"))), from_fourth);
    assert_eq!(seqs(list(&format!("since={west}"))), from_fourth);
    let before_fourth: Vec<(i64, i64)> = events
        .iter()
        .filter(|e| instant(&e["occurred_at"]) < fourth)
        .map(place)
        .collect();
    assert_eq!(seqs(list(&format!("until={east}"))), before_fourth);
    let just_after = with_offset(fourth + chrono::Duration::microseconds(1), "+05:30");
    assert!(seqs(list(&format!("since={east}&until={just_after}"))).contains(&fourth_place));
    // 2026-01-01T00:00:00+02:00 is 2025-12-31T22:00:00Z: every event is later.
    assert_eq!(seqs(list("since=2026-01-01T00:00:00%2B02:00")).len(), 6);
    assert_eq!(
        seqs(list("until=2026-01-01T00:00:00%2B02:00")),
        Vec::<(i64, i64)>::new()
    );

    // Without an offset (or with a `+` left unescaped, which a URL reads as a space): 400
    // naming the parameter and the rule.
    let naive = fourth.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string();
    for (name, value) in [
        ("since", naive.as_str()),
        ("until", naive.as_str()),
        ("since", "2026-01-01T00:00:00+02:00"),
        ("until", "2026-01-01"),
        ("since", "yesterday"),
    ] {
        let response = list(&format!("{name}={value}"));
        assert_eq!(response.status, 400, "{name}={value}: {}", response.text());
        assert_eq!(
            response.error_fields(),
            [(name.to_owned(), "format".to_owned())],
            "{}",
            response.text()
        );
        assert!(
            response.text().contains("date-time with an offset"),
            "{}",
            response.text()
        );
    }
}

/// An event as the trail stored it before instants carried their offset on the wire and before
/// POs had chains of their own (its content writes `occurred_at` without an offset and names no
/// chain: it is in chain 0) still verifies, lists with its offset, and new server-wide events
/// chain after it while the PO's events start its own chain. Moved into the PO's chain, it is
/// found by the chain its content implies.
fn an_event_stored_before_instants_had_offsets_still_verifies(backend: Backend) {
    let server = Server::start(backend);
    let events = all_events(&server);
    assert_eq!(events.len(), 1);
    let prev_hash = events[0]["hash"].as_str().expect("a hash").to_owned();
    let content = r#"{"action":"create","after":{"id":424242,"name":"Old PO"},"before":null,"occurred_at":"2026-11-28T16:55:01.507162","organization_id":424242,"practice_id":null,"record_id":424242,"record_kind":"organization","seq":2,"token_id":null}"#;
    let hash = pcmh_core::store::audit::chain_hash(&prev_hash, content);
    tamper(
        &server,
        &format!(
            "INSERT INTO audit_events (chain, seq, occurred_at, token_id, action, record_kind, record_id, \
             organization_id, practice_id, content, prev_hash, hash, user_id) VALUES (0, 2, \
             '2026-11-28 16:55:01.507162', NULL, 'create', 'organization', 424242, 424242, NULL, \
             '{content}', '{prev_hash}', '{hash}', NULL); \
             UPDATE audit_chain_head SET seq = 2, hash = '{hash}' WHERE chain = 0;"
        ),
    );
    assert_intact(&server, 2);
    let chain_zero = |server: &Server| -> Vec<Value> {
        server.get("/api/v1/audit-events?chain=0&limit=500").json()["items"]
            .as_array()
            .expect("items")
            .clone()
    };
    let stored = &chain_zero(&server)[1];
    assert_eq!(stored["occurred_at"], "2026-11-28T16:55:01.507162Z", "{stored:#}");
    assert_eq!(stored["hash"], hash.as_str());
    assert!(stored.get("chain").is_none(), "its content names no chain: {stored:#}");
    assert_eq!(
        server
            .get("/api/v1/audit-events?since=2026-11-28T18:55:01.507162%2B02:00&until=2026-11-28T16:55:01.507163Z")
            .json()["items"][0]["seq"],
        2
    );
    let (po, _) = organization_with_practice(&server, "Maple Street");
    server.token(&["--role", "admin"]);
    assert_intact(&server, 5);
    assert_eq!(
        event_column(&server, 0, 2, "content"),
        content,
        "the stored event is untouched"
    );
    let after = chain_zero(&server);
    assert_eq!(after.len(), 3);
    assert_eq!(
        after[2]["prev_hash"],
        hash.as_str(),
        "the next server-wide event follows it"
    );
    assert_eq!(after[2]["chain"], 0);
    let po_chain = server.get(&format!("/api/v1/audit-events?chain={po}")).json();
    assert_eq!(po_chain["items"][0]["seq"], 1, "the PO's chain starts at 1");
    assert_eq!(
        po_chain["items"][0]["prev_hash"],
        "0000000000000000000000000000000000000000000000000000000000000000"
    );

    // Moved to the end of the PO's chain with its head, it is found there.
    tamper(
        &server,
        &format!(
            "UPDATE audit_events SET chain = {po}, seq = 3 WHERE chain = 0 AND seq = 2; \
             UPDATE audit_chain_head SET seq = 3, hash = '{hash}' WHERE chain = {po};"
        ),
    );
    assert_broken_at(
        &server,
        po,
        3,
        "event 3 was moved: its hashed content puts it in chain 0 as event 2",
    );
}
