//! Operating the server: a log line per request that carries ids and never what was sent (in text
//! and in JSON), Prometheus metrics on an address of their own, `/readyz` naming what is
//! missing, and a PostgreSQL that goes away under load and comes back.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{organization_with_practice, pcmh_on, try_http, try_http_with, Backend, Response, Server};
use serde_json::{json, Value};

both_backends! {
    each_request_has_one_log_line_of_ids_only => each_request_has_one_log_line_of_ids_only;
    metrics_are_served_apart_and_count_what_happened => metrics_are_served_apart_and_count_what_happened;
    readiness_names_what_is_missing => readiness_names_what_is_missing;
}

/// A form body.
fn form(fields: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        out.append_pair(name, value);
    }
    out.finish()
}

/// Posts a form from the server's own pages (its `Origin`), with a session cookie if given.
fn post_form(server: &Server, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Response {
    let origin = format!("http://{}", server.address);
    let cookie = cookie.map(|c| format!("pcmh_session={c}"));
    let mut headers = vec![("Origin", origin.as_str())];
    if let Some(c) = cookie.as_deref() {
        headers.push(("Cookie", c));
    }
    try_http_with(
        &server.address,
        "POST",
        path,
        &headers,
        Some("application/x-www-form-urlencoded"),
        form(fields).as_bytes(),
    )
    .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// The session cookie an answer sets.
fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, value)| value.strip_prefix("pcmh_session="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .filter(|secret| !secret.is_empty())
}

/// What one round of requests sent that no log line may carry, and the request id it chose.
struct Sent {
    secrets: Vec<String>,
    request_id: String,
}

/// Requests of every kind: API reads and writes with a staff member's name and a patient
/// reference in bodies and query strings, a chosen and a malformed `X-Request-Id`, an unknown
/// token, an invitation accepted, a wrong and a right password, and a page read in the session.
fn a_round_of_requests(server: &Server, round: &str) -> Sent {
    let (_, practice) = organization_with_practice(server, &format!("Maple Street {round}"));
    let p = format!("/api/v1/practices/{practice}");
    let staff_name = format!("Zephyrine Quillfeather{round}");
    let patient = format!("PT-LOG-5573{round}");
    let provider = server.create(
        &format!("{p}/staff"),
        &json!({"name": staff_name, "role": "physician", "started_on": "2019-03-04"}),
    );
    server.create(
        &format!("{p}/care-plans"),
        &json!({"kind": "advance_care_plan", "patient_ref": patient, "initiating_provider": provider["id"],
                "discussed_on": "2026-05-01", "established_on": "2026-05-01", "documented_in_record": true}),
    );
    let refused = server.post(&format!("{p}/staff"), &json!({"name": staff_name, "role": "wizard"}));
    assert_eq!(refused.status, 422, "{}", refused.text());
    server.get(&format!("{p}/staff?name={}", staff_name.replace(' ', "+")));
    server.get(&format!("{p}/care-plans?patient_ref={patient}"));

    // A request id a proxy set comes back and names the line; one that is not a plain short
    // token is replaced.
    let request_id = format!("edge-{round}-7f3a9c");
    let token = format!("Bearer {}", server.admin_token);
    let traced = try_http_with(
        &server.address,
        "GET",
        &format!("{p}/staff"),
        &[("Authorization", &token), ("X-Request-Id", &request_id)],
        None,
        b"",
    )
    .expect("an answer");
    assert_eq!(traced.status, 200);
    assert_eq!(traced.header("x-request-id"), Some(request_id.as_str()));
    let odd = "not a <plain> id";
    let replaced =
        try_http_with(&server.address, "GET", "/healthz", &[("X-Request-Id", odd)], None, b"").expect("an answer");
    let given = replaced
        .header("x-request-id")
        .expect("every answer has an X-Request-Id");
    assert!(!given.is_empty() && given != odd, "{given}");
    let unknown_token = format!("pcmh_77{round}_{}", "cd".repeat(32));
    assert_eq!(
        try_http(&server.address, Some(&unknown_token), "GET", &p, None, b"")
            .expect("an answer")
            .status,
        401
    );

    // A person is invited, sets a password, mistypes it once, then signs in and reads a page.
    let email = format!("quinn{round}@example.org");
    let link = pcmh_on(
        server,
        &[
            "user",
            "invite",
            "--email",
            &email,
            "--role",
            "admin",
            "--public-url",
            "http://x.test",
        ],
    );
    let invitation = link.strip_prefix("http://x.test").expect("a link").to_owned();
    let password = format!("Corr3ct-Horse-{round}-Battery");
    let accepted = post_form(
        server,
        &invitation,
        None,
        &[("password", &password), ("password_confirm", &password)],
    );
    assert_eq!(accepted.status, 303, "{}", accepted.text());
    let wrong_password = format!("Wr0ng-Staple-{round}");
    let failed = post_form(
        server,
        "/sign-in",
        None,
        &[("email", &email), ("password", &wrong_password), ("next", "/")],
    );
    assert_eq!(failed.status, 422);
    let signed_in = post_form(
        server,
        "/sign-in",
        None,
        &[("email", &email), ("password", &password), ("next", "/")],
    );
    assert_eq!(signed_in.status, 303, "{}", signed_in.text());
    let session = session_cookie(&signed_in).expect("a session cookie");
    let cookie = format!("pcmh_session={session}");
    let page = try_http_with(&server.address, "GET", "/", &[("Cookie", &cookie)], None, b"").expect("an answer");
    assert_eq!(page.status, 200, "the home page in the session");

    let secret = |token: &str| token.rsplit('_').next().unwrap_or_default().to_owned();
    let invitation_secret = invitation.rsplit('/').next().unwrap_or_default().to_owned();
    Sent {
        secrets: vec![
            staff_name.clone(),
            "Quillfeather".into(),
            "Zephyrine".into(),
            patient,
            "patient_ref=".into(),
            "name=".into(),
            server.admin_token.clone(),
            secret(&server.admin_token),
            unknown_token.clone(),
            secret(&unknown_token),
            password,
            wrong_password,
            session,
            invitation_secret,
            email,
            odd.into(),
        ],
        request_id,
    }
}

fn assert_carries_none(what: &str, log: &str, sent: &Sent) {
    for needle in &sent.secrets {
        assert!(!log.contains(needle.as_str()), "{what} carries `{needle}`:\n{log}");
    }
    assert!(!log.contains("panicked"), "{what}:\n{log}");
}

fn each_request_has_one_log_line_of_ids_only(backend: Backend) {
    let mut server = Server::start(backend);
    let sent = a_round_of_requests(&server, "1");
    let text = server.log_text();
    assert_carries_none("the text log", &text, &sent);
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("pcmh::request")).collect();
    let traced: Vec<&&str> = lines.iter().filter(|l| l.contains(&sent.request_id)).collect();
    assert_eq!(traced.len(), 1, "one line for the request with a chosen id: {lines:#?}");
    let line = traced[0];
    for part in [
        "method=GET",
        "route=\"/api/v1/practices/{practice_id}/staff\"",
        "status=200",
        "duration_ms=",
        "token_id=",
    ] {
        assert!(line.contains(part), "`{part}` in {line}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("route=\"/sign-in\"") && l.contains("status=422")),
        "the failed sign-in has its line: {lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("route=\"/\"") && l.contains("user_id=")),
        "a page read in a session names the account: {lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("route=\"/healthz\"")),
        "every request has its line: {lines:#?}"
    );

    // The same as JSON: one object per line, every line.
    server.kill();
    server.launch(&["--log-format", "json"]);
    let sent = a_round_of_requests(&server, "2");
    let json_log = server.log_text()[text.len()..].to_owned();
    assert_carries_none("the JSON log", &json_log, &sent);
    let lines: Vec<Value> = json_log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a log line that is no JSON object ({e}): {l}")))
        .collect();
    assert!(lines.iter().all(Value::is_object), "{json_log}");
    let requests: Vec<&Value> = lines.iter().filter(|l| l["target"] == "pcmh::request").collect();
    let traced: Vec<&&Value> = requests.iter().filter(|l| l["request_id"] == sent.request_id).collect();
    assert_eq!(traced.len(), 1, "{requests:#?}");
    let line = traced[0];
    assert_eq!(line["method"], "GET");
    assert_eq!(line["route"], "/api/v1/practices/{practice_id}/staff");
    assert_eq!(line["status"], 200);
    assert!(line["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{line}");
    assert!(line["token_id"].as_i64().is_some(), "{line}");
    assert!(
        requests
            .iter()
            .any(|l| l["route"] == "/" && l["user_id"].as_i64().is_some()),
        "{requests:#?}"
    );
}

/// The address of the metrics, as the server logged it.
fn metrics_address(server: &Server) -> String {
    let log = server.log_text();
    let at = log
        .find("metrics at http://")
        .unwrap_or_else(|| panic!("the metrics address in the log:\n{log}"));
    let rest = &log[at + "metrics at http://".len()..];
    rest[..rest.find("/metrics").expect("a path")].to_owned()
}

/// The value of the series `series` (its name and labels, exactly as exposed), if shown.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|value| value.trim().parse().ok())
}

fn metrics_are_served_apart_and_count_what_happened(backend: Backend) {
    let server = Server::start_with(backend, &["--metrics-bind", "127.0.0.1:0"]);
    let metrics = metrics_address(&server);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let staff = format!("/api/v1/practices/{practice}/staff");
    for _ in 0..3 {
        assert_eq!(server.get(&staff).status, 200);
    }
    assert_eq!(server.get("/api/v1/practices/999999/staff").status, 404);
    let failed = post_form(
        &server,
        "/sign-in",
        None,
        &[("email", "nobody@example.org"), ("password", "not it"), ("next", "/")],
    );
    assert_eq!(failed.status, 422);
    let scrape = try_http(&metrics, None, "GET", "/metrics", None, b"").expect("the metrics answer");
    assert_eq!(scrape.status, 200);
    assert!(
        scrape
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain")),
        "{:?}",
        scrape.headers
    );
    let text = scrape.text();
    let route = "/api/v1/practices/{practice_id}/staff";
    let expect = |series: String, value: f64| {
        assert_eq!(sample(&text, &series), Some(value), "{series} in:\n{text}");
    };
    expect(
        format!("pcmh_http_requests_total{{method=\"GET\",route=\"{route}\",status=\"200\"}}"),
        3.0,
    );
    expect(
        format!("pcmh_http_requests_total{{method=\"GET\",route=\"{route}\",status=\"404\"}}"),
        1.0,
    );
    expect(
        format!("pcmh_http_request_duration_seconds_count{{method=\"GET\",route=\"{route}\"}}"),
        4.0,
    );
    assert!(
        text.contains(&format!(
            "pcmh_http_request_duration_seconds_bucket{{method=\"GET\",route=\"{route}\",le=\"0.1\"}}"
        )),
        "{text}"
    );
    expect(
        "pcmh_writes_total{method=\"POST\",route=\"/api/v1/organizations\"}".into(),
        1.0,
    );
    expect(
        "pcmh_writes_total{method=\"POST\",route=\"/api/v1/organizations/{organization_id}/practices\"}".into(),
        1.0,
    );
    expect("pcmh_sign_ins_total{outcome=\"refused\"}".into(), 1.0);
    expect("pcmh_sign_ins_total{outcome=\"locked_out\"}".into(), 0.0);
    expect("pcmh_database_up".into(), 1.0);
    let idle = sample(&text, "pcmh_database_connections{state=\"idle\"}").expect("idle connections");
    let in_use = sample(&text, "pcmh_database_connections{state=\"in_use\"}").expect("connections in use");
    let max = sample(&text, "pcmh_database_connections_max").expect("the pool's size");
    assert!(idle >= 1.0 && in_use >= 0.0 && idle + in_use <= max, "{text}");
    let events = server.get("/api/v1/audit-events?limit=1").json()["total"]
        .as_f64()
        .expect("a total");
    expect("pcmh_audit_chain_length".into(), events);
    assert!(events >= 4.0, "a token, a PO, a practice, a failed sign-in: {events}");
    let current = sample(&text, "pcmh_kept_evaluations{state=\"current\"}").expect("kept evaluations");
    let stale = sample(&text, "pcmh_kept_evaluations{state=\"stale\"}").expect("stale kept evaluations");
    assert!(current >= 0.0 && stale >= 0.0, "{text}");

    // The API's address has no metrics, and the metrics' address nothing else.
    assert_eq!(server.get("/metrics").status, 404);
    let elsewhere = try_http(&metrics, None, "GET", "/api/v1/organizations", None, b"").expect("an answer");
    assert_eq!(elsewhere.status, 404);
}

/// Runs SQL on the server's database.
fn execute(server: &Server, sql: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    match server.backend {
        Backend::Sqlite => {
            let path = server.database_url.trim_start_matches("sqlite://");
            diesel::SqliteConnection::establish(path)
                .expect("the SQLite file opens")
                .batch_execute(sql)
                .expect("the SQL runs");
        }
        Backend::Postgres => diesel::PgConnection::establish(&server.database_url)
            .expect("PostgreSQL answers")
            .batch_execute(sql)
            .expect("the SQL runs"),
    }
}

fn readiness_names_what_is_missing(backend: Backend) {
    let server = Server::start(backend);
    let ready = server.get("/readyz");
    assert_eq!(ready.status, 200, "{}", ready.text());
    let body = ready.json();
    assert_eq!(body["status"], "ready");
    let names: Vec<&str> = body["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            assert_eq!(c["ok"], true, "{c}");
            c["name"].as_str().expect("a name")
        })
        .collect();
    assert_eq!(names, ["database", "migrations", "catalogs", "data_folder"]);

    let not_ready = |check: &str| {
        let answer = server.get("/readyz");
        assert_eq!(answer.status, 503, "{}", answer.text());
        assert!(answer.header("retry-after").is_some(), "{:?}", answer.headers);
        let body = answer.json();
        assert_eq!(body["error"]["code"], "not_ready", "{body}");
        let message = body["error"]["message"].as_str().expect("a reason").to_owned();
        assert!(message.starts_with(&format!("{check}: ")), "{message}");
        let failed: Vec<&str> = body["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .filter(|c| c["ok"] == false)
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(failed, [check], "{body}");
        message
    };

    // A migration the binary has but the database does not.
    let renamed = "UPDATE __diesel_schema_migrations SET version = version || 'x' \
                   WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)";
    execute(&server, renamed);
    let message = not_ready("migrations");
    assert!(message.contains("1 migration(s) are not applied"), "{message}");
    execute(
        &server,
        "UPDATE __diesel_schema_migrations SET version = substr(version, 1, length(version) - 1) WHERE version LIKE '%x'",
    );
    assert_eq!(server.get("/readyz").status, 200);

    // A data folder where no evidence file can be written.
    let evidence = server.data_dir.path().join("evidence");
    let aside = server.data_dir.path().join("evidence-aside");
    let had_folder = evidence.exists();
    if had_folder {
        std::fs::rename(&evidence, &aside).expect("the folder moves aside");
    }
    std::fs::write(&evidence, b"not a folder").expect("a file in its place");
    let message = not_ready("data_folder");
    assert!(message.contains("cannot be written"), "{message}");
    std::fs::remove_file(&evidence).expect("the file goes");
    if had_folder {
        std::fs::rename(&aside, &evidence).expect("the folder comes back");
    }
    assert_eq!(server.get("/readyz").status, 200);
    // Liveness does not depend on any of it.
    assert_eq!(server.get("/healthz").status, 200);
}

// ---------------------------------------------------------------------------------------------
// The database goes away

/// The PostgreSQL cluster the fault tests may stop (`VERSION NAME` for `pg_ctlcluster`).
const FAULT_CLUSTER_ENV: &str = "PCMH_FAULT_POSTGRES_CLUSTER";
/// An admin URL of that cluster.
const FAULT_URL_ENV: &str = "PCMH_FAULT_POSTGRES_URL";

/// The cluster to stop and its admin URL; `None` (the test is skipped) when they are not set,
/// unless `PCMH_FAULT_TESTS=1` says the fault tests must run.
fn fault_cluster(test: &str) -> Option<(String, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (var(FAULT_CLUSTER_ENV), var(FAULT_URL_ENV)) {
        (Some(cluster), Some(url)) => Some((cluster, url)),
        _ => {
            assert!(
                var("PCMH_FAULT_TESTS").as_deref() != Some("1"),
                "PCMH_FAULT_TESTS=1 but {FAULT_CLUSTER_ENV} and {FAULT_URL_ENV} are not both set"
            );
            eprintln!(
                "SKIPPED {test}: set {FAULT_CLUSTER_ENV} (e.g. \"15 faults\") and {FAULT_URL_ENV} to a PostgreSQL cluster this test may stop"
            );
            None
        }
    }
}

/// `pg_ctlcluster VERSION NAME action`.
fn pg_ctlcluster(cluster: &str, action: &str) {
    let output = Command::new("pg_ctlcluster")
        .args(cluster.split_whitespace())
        .arg(action)
        .output()
        .expect("pg_ctlcluster runs");
    assert!(
        output.status.success(),
        "pg_ctlcluster {cluster} {action}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Stops the writers however the test ends.
struct StopWriters(Arc<AtomicBool>);

impl Drop for StopWriters {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Starts the cluster again however the test ends.
struct Restart(String);

impl Drop for Restart {
    fn drop(&mut self) {
        let _ = Command::new("pg_ctlcluster")
            .args(self.0.split_whitespace())
            .arg("start")
            .output();
    }
}

/// A fresh database on the fault cluster; returns its URL and name.
fn fault_database(admin: &str) -> (String, String) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let name = format!(
        "pcmh_fault_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    diesel::PgConnection::establish(admin)
        .expect("the fault cluster answers")
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a database is made");
    let cut = admin.rfind('/').expect("a database in the URL");
    (format!("{}/{name}", &admin[..cut]), name)
}

/// What one write over HTTP came to.
#[derive(Debug)]
struct Attempt {
    status: u16,
    took: Duration,
    id: Option<i64>,
    body: String,
    retry_after: Option<String>,
}

#[test]
fn the_database_goes_away_and_comes_back() {
    let Some((cluster, admin)) = fault_cluster("the_database_goes_away_and_comes_back") else {
        return;
    };
    let (url, name) = fault_database(&admin);
    // Dropped in reverse: the server stops, the cluster starts again, the database goes.
    let _database = FaultDatabase { admin, name };
    let restart = Restart(cluster.clone());
    let server = Server::start_on(&url, &["--database-timeout", "3"]);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let staff = server.create(
        &format!("/api/v1/practices/{practice}/staff"),
        &json!({"name": "Ana Lopez", "role": "physician", "started_on": "2019-03-04"}),
    )["id"]
        .as_i64()
        .expect("an id");
    let trainings = format!("/api/v1/practices/{practice}/trainings");

    // Writers record trainings for the whole test.
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_writers = StopWriters(stop.clone());
    let attempts = Arc::new(Mutex::new(Vec::<Attempt>::new()));
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let (address, token) = (server.address.clone(), server.admin_token.clone());
            let (stop, attempts, trainings) = (stop.clone(), attempts.clone(), trainings.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let body = json!({"staff_id": staff, "topic": "chronic_care_model", "completed_on": "2026-03-02", "hours": 1.0});
                    let started = Instant::now();
                    let answer = try_http(
                        &address,
                        Some(&token),
                        "POST",
                        &trainings,
                        Some("application/json"),
                        body.to_string().as_bytes(),
                    );
                    // No answer at all (status 0) fails the test below, unless it is ending.
                    let answer = match answer {
                        Ok(answer) => answer,
                        Err(_) if stop.load(Ordering::SeqCst) => break,
                        Err(e) => Response {
                            status: 0,
                            headers: Vec::new(),
                            body: e.to_string().into_bytes(),
                        },
                    };
                    let attempt = Attempt {
                        status: answer.status,
                        took: started.elapsed(),
                        id: (answer.status == 201).then(|| answer.json()["id"].as_i64()).flatten(),
                        body: answer.text(),
                        retry_after: answer.header("retry-after").map(str::to_owned),
                    };
                    attempts.lock().expect("the list").push(attempt);
                    std::thread::sleep(Duration::from_millis(30));
                }
            })
        })
        .collect();
    let acknowledged = |attempts: &Mutex<Vec<Attempt>>| {
        attempts
            .lock()
            .expect("the list")
            .iter()
            .filter(|a| a.status == 201)
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged(&attempts) < 10 {
        assert!(
            Instant::now() < deadline,
            "writes before the outage: {:#?}",
            attempts
                .lock()
                .expect("the list")
                .iter()
                .rev()
                .take(3)
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // PostgreSQL stops for 10 seconds.
    pg_ctlcluster(&cluster, "stop");
    let outage = Instant::now();
    let mut reasons = Vec::new();
    while outage.elapsed() < Duration::from_secs(10) {
        let started = Instant::now();
        let ready = server.get("/readyz");
        assert!(started.elapsed() < Duration::from_secs(10), "/readyz answers quickly");
        if ready.status == 503 {
            reasons.push(ready.json()["error"]["message"].as_str().unwrap_or_default().to_owned());
        }
        // Liveness reads no database: a supervisor watching it leaves the server be.
        assert_eq!(server.get("/healthz").status, 200, "/healthz during the outage");
        std::thread::sleep(Duration::from_millis(500));
    }
    let during = attempts.lock().expect("the list").len();
    pg_ctlcluster(&cluster, "start");
    assert!(
        reasons.iter().any(|r| r == "database: the database is not reachable"),
        "/readyz says why: {reasons:?}"
    );

    // The server recovers by itself.
    let back = Instant::now();
    loop {
        let ready = server.get("/readyz");
        if ready.status == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "ready again: {}",
            ready.text()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let after_restart = acknowledged(&attempts);
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged(&attempts) < after_restart + 10 {
        assert!(Instant::now() < deadline, "writes succeed again");
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().expect("a writer");
    }

    let attempts = std::mem::take(&mut *attempts.lock().expect("the list"));
    let unavailable: Vec<&Attempt> = attempts.iter().filter(|a| a.status == 503).collect();
    assert!(
        !unavailable.is_empty() && during > 0,
        "writes during the outage were refused: {attempts:#?}"
    );
    for attempt in &attempts {
        assert!(
            attempt.took < Duration::from_secs(30),
            "no answer waits 30 s: {attempt:?}"
        );
        match attempt.status {
            201 => assert!(attempt.id.is_some(), "{attempt:?}"),
            503 => {
                let body: Value =
                    serde_json::from_str(&attempt.body).unwrap_or_else(|e| panic!("JSON ({e}): {attempt:?}"));
                assert_eq!(body["error"]["code"], "database_unavailable", "{attempt:?}");
                assert!(attempt.retry_after.is_some(), "{attempt:?}");
            }
            // A rate limit's answer is no write either.
            429 => {}
            _ => panic!("a write during the outage got neither 201 nor 503: {attempt:?}"),
        }
    }
    // Every acknowledged write is there.
    for id in attempts.iter().filter_map(|a| a.id) {
        let read = server.get(&format!("{trainings}/{id}"));
        assert_eq!(read.status, 200, "training {id} was acknowledged: {}", read.text());
    }
    let log = server.log_text();
    assert!(!log.contains("panicked"), "{log}");
    assert!(
        !log.contains("storage failure"),
        "the outage is no fault of the server's: {log}"
    );
    let slowest = attempts.iter().map(|a| a.took).max().unwrap_or_default();
    eprintln!(
        "{} writes acknowledged, {} refused with 503 (slowest answer {slowest:?})",
        attempts.iter().filter(|a| a.status == 201).count(),
        unavailable.len()
    );

    drop(server);
    drop(restart);
}

/// The test's database on the fault cluster, dropped however the test ends (best effort).
struct FaultDatabase {
    admin: String,
    name: String,
}

impl Drop for FaultDatabase {
    fn drop(&mut self) {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}
