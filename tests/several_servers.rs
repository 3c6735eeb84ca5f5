//! Several servers on one database, as a PO runs them behind a load balancer: they may start at
//! the same moment on an empty database (the migrations run once, and every server starts), and
//! with one data folder and one signing key they answer alike: a document uploaded through one
//! reads back through the other, and both sign the same packet byte for byte.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{fresh_postgres_database, make_token, try_http, Backend};
use serde_json::json;

both_backends! {
    servers_started_together_on_an_empty_database_all_start => started_together;
    servers_sharing_a_database_a_data_folder_and_a_key_answer_alike => sharing;
}

/// A database URL on `backend` for a test, with its data folder.
fn database(backend: Backend, data_dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", data_dir.join("pcmh.sqlite3").display()),
        Backend::Postgres => fresh_postgres_database(),
    }
}

/// A `pcmh serve` on `database_url` with `data_dir`, killed when dropped.
struct Running {
    child: Child,
    address: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `pcmh serve` without waiting for it to listen.
fn spawn(database_url: &str, data_dir: &Path, log: &str) -> Child {
    let log = std::fs::File::create(data_dir.join(log)).expect("a log file");
    Command::new(env!("CARGO_BIN_EXE_pcmh"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", database_url])
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--catalog-dir")
        .arg(common::repo_root().join("policy-catalog"))
        .arg("--signing-key")
        .arg(data_dir.join("shared-signing-key"))
        .env_remove("PCMH_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("pcmh starts")
}

/// Waits for a spawned server to say where it listens.
fn listening(mut child: Child) -> Result<Running, String> {
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(at) = line.find("listening on http://") {
                    let address = line[at + "listening on http://".len()..].trim().to_owned();
                    std::thread::spawn(move || for _ in lines {});
                    return Ok(Running { child, address });
                }
                seen.push(line);
            }
            _ => {
                let status = child.wait().ok();
                return Err(format!("exited ({status:?}) before listening: {seen:?}"));
            }
        }
    }
    let _ = child.kill();
    Err(format!("did not listen within a minute: {seen:?}"))
}

/// Writes the key every server of the test signs with.
fn shared_key(data_dir: &Path) {
    std::fs::write(data_dir.join("shared-signing-key"), "7".repeat(64)).expect("a key file");
}

fn started_together(backend: Backend) {
    let data_dir = tempfile::tempdir().expect("a temp dir");
    shared_key(data_dir.path());
    let url = database(backend, data_dir.path());
    // Four servers on one empty database at the same moment: each runs the migrations it finds
    // pending, so all of them race to create the same tables unless they take turns.
    let children: Vec<Child> = (0..4)
        .map(|i| spawn(&url, data_dir.path(), &format!("server-{i}.log")))
        .collect();
    let outcomes: Vec<Result<Running, String>> = children.into_iter().map(listening).collect();
    let logs = |i: usize| std::fs::read_to_string(data_dir.path().join(format!("server-{i}.log"))).unwrap_or_default();
    for (i, outcome) in outcomes.iter().enumerate() {
        if let Err(e) = outcome {
            panic!("server {i} of 4 did not start: {e}\n{}", logs(i));
        }
    }
    // And they serve one database: a PO made through the first is read through the last.
    let token = make_token(&url, data_dir.path(), &["--role", "admin", "--label", "several"]);
    let running: Vec<&Running> = outcomes.iter().flatten().collect();
    let body = json!({"name": "Harbor PO"}).to_string();
    let made = try_http(
        &running[0].address,
        Some(&token),
        "POST",
        "/api/v1/organizations",
        Some("application/json"),
        body.as_bytes(),
    )
    .expect("an answer");
    assert_eq!(made.status, 201, "{}", made.text());
    let id = made.json()["id"].as_i64().expect("an id");
    let read = try_http(
        &running[3].address,
        Some(&token),
        "GET",
        &format!("/api/v1/organizations/{id}"),
        None,
        b"",
    )
    .expect("an answer");
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["name"], "Harbor PO");
}

fn sharing(backend: Backend) {
    let data_dir = tempfile::tempdir().expect("a temp dir");
    shared_key(data_dir.path());
    let url = database(backend, data_dir.path());
    let token = make_token(&url, data_dir.path(), &["--role", "admin", "--label", "several"]);
    let a = listening(spawn(&url, data_dir.path(), "a.log")).expect("server a starts");
    let b = listening(spawn(&url, data_dir.path(), "b.log")).expect("server b starts");
    let send = |server: &Running, method: &str, path: &str, content_type: Option<&str>, body: &[u8]| {
        try_http(&server.address, Some(&token), method, path, content_type, body).expect("an answer")
    };
    let post = |server: &Running, path: &str, body: serde_json::Value| {
        let response = send(
            server,
            "POST",
            path,
            Some("application/json"),
            body.to_string().as_bytes(),
        );
        assert_eq!(response.status, 201, "POST {path}: {}", response.text());
        response.json()
    };
    let po = post(&a, "/api/v1/organizations", json!({"name": "Harbor PO"}));
    let practice = post(
        &b,
        &format!("/api/v1/organizations/{}/practices", po["id"]),
        json!({"name": "Harbor Family Medicine", "initial_focus_population": "adults with diabetes"}),
    );
    let practice = practice["id"].as_i64().expect("an id");

    // A document uploaded through a is stored in the shared folder and reads back through b.
    let content = b"Care management policy, signed by the medical director, 2026.";
    let boundary = "severalserversboundary";
    let metadata = json!({
        "title": "Care management policy",
        "document_type": "care_management_workflow",
        "effective_on": "2026-01-15",
        "criteria": ["4.1"]
    });
    let mut form = Vec::new();
    form.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n"
        )
        .as_bytes(),
    );
    form.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"policy.txt\"\r\nContent-Type: text/plain\r\n\r\n"
        )
        .as_bytes(),
    );
    form.extend_from_slice(content);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let uploaded = send(
        &a,
        "POST",
        &format!("/api/v1/practices/{practice}/documents"),
        Some(&format!("multipart/form-data; boundary={boundary}")),
        &form,
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.text());
    let document = uploaded.json()["id"].as_i64().expect("an id");
    let read = send(
        &b,
        "GET",
        &format!("/api/v1/practices/{practice}/documents/{document}/content"),
        None,
        b"",
    );
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.body, content, "b serves the bytes a stored");

    // Both sign with the one key, and the same records make the same packet.
    let key_a = send(&a, "GET", "/api/v1/signing-key", None, b"");
    let key_b = send(&b, "GET", "/api/v1/signing-key", None, b"");
    assert_eq!(key_a.status, 200, "{}", key_a.text());
    assert_eq!(key_a.body, key_b.body, "one signing key");
    let period = json!({"from": "2026-01-01", "to": "2026-06-30"}).to_string();
    let packets = format!("/api/v1/practices/{practice}/packets");
    let packet_a = send(&a, "POST", &packets, Some("application/json"), period.as_bytes());
    let packet_b = send(&b, "POST", &packets, Some("application/json"), period.as_bytes());
    assert_eq!(packet_a.status, 200, "{}", packet_a.text());
    assert_eq!(packet_b.status, 200, "{}", packet_b.text());
    assert!(packet_a.body.len() > 1000, "a packet: {} bytes", packet_a.body.len());
    assert!(packet_a.body == packet_b.body, "the two servers sign different packets");
}
