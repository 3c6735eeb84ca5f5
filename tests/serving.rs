//! Serving over the network: HTTPS with a certificate made here, rate limits per token and per
//! address, stopping on SIGTERM without losing or half-writing a write, and clients that send
//! their request too slowly.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{organization_with_practice, parse_response, pcmh_on, try_http, Backend, Response, Server};
use serde_json::{json, Value};

both_backends! {
    sigterm_lets_requests_in_flight_finish_and_exits_0 => sigterm_lets_requests_in_flight_finish_and_exits_0;
    sigterm_under_load_loses_no_acknowledged_write_and_half_writes_none => sigterm_under_load_loses_no_acknowledged_write_and_half_writes_none;
}

mod any_backend {
    #[test]
    fn https_serves_the_api_and_the_pages_with_secure_cookies() {
        super::https_serves_the_api_and_the_pages_with_secure_cookies();
    }

    #[test]
    fn unreadable_tls_files_stop_the_start_naming_the_file() {
        super::unreadable_tls_files_stop_the_start_naming_the_file();
    }

    #[test]
    fn each_token_and_each_address_has_its_own_rate_limit() {
        super::each_token_and_each_address_has_its_own_rate_limit();
    }

    #[test]
    fn ctrl_c_stops_the_server_as_sigterm_does() {
        super::ctrl_c_stops_the_server_as_sigterm_does();
    }

    #[test]
    fn slow_clients_are_cut_off_and_hold_up_nobody() {
        super::slow_clients_are_cut_off_and_hold_up_nobody();
    }
}

// ---------------------------------------------------------------------------------------------
// HTTPS

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files into `dir`;
/// returns the paths and the certificate for a client to trust.
fn certificate(dir: &Path) -> (String, String, rustls::pki_types::CertificateDer<'static>) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("a certificate is made");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, made.cert.pem()).expect("the certificate is written");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("the key is written");
    (
        cert.display().to_string(),
        key.display().to_string(),
        made.cert.der().clone(),
    )
}

/// One HTTPS exchange with a client that trusts only `trusted`.
fn https(
    server: &Server,
    trusted: &rustls::pki_types::CertificateDer<'static>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted.clone()).expect("the certificate is a trust anchor");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("a server name");
    let connection = rustls::ClientConnection::new(Arc::new(config), name).map_err(std::io::Error::other)?;
    let socket = TcpStream::connect(&server.address)?;
    socket.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut stream = rustls::StreamOwned::new(connection, socket);
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        server.address,
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) => {}
        // A peer that closes without TLS's close_notify has still sent its whole answer.
        Err(e) if e.kind() == ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => return Err(e),
    }
    Ok(parse_response(&raw))
}

fn https_serves_the_api_and_the_pages_with_secure_cookies() {
    let files = tempfile::tempdir().expect("a temp dir");
    let (cert, key, trusted) = certificate(files.path());
    let server = Server::start_with(Backend::Sqlite, &["--tls-cert", &cert, "--tls-key", &key]);
    assert!(server.https, "the server says it listens on https://");

    let health = https(&server, &trusted, "GET", "/healthz", &[], b"").expect("an HTTPS answer");
    assert_eq!(health.status, 200, "{}", health.text());
    assert_eq!(health.json()["status"], "ok");

    let admin = format!("Bearer {}", server.admin_token);
    let list = https(
        &server,
        &trusted,
        "GET",
        "/api/v1/organizations",
        &[("Authorization", &admin)],
        b"",
    )
    .expect("an HTTPS answer");
    assert_eq!(list.status, 200, "{}", list.text());

    // Plain HTTP on the HTTPS port is not served.
    if let Ok(plain) = try_http(&server.address, None, "GET", "/healthz", None, b"") {
        assert_ne!(plain.status, 200, "plain HTTP was served on the HTTPS port");
    }

    let page = https(&server, &trusted, "GET", "/sign-in", &[], b"").expect("an HTTPS answer");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("password"), "the sign-in page");

    // A person invited on the command line sets a password over HTTPS and signs in: the
    // session's cookie travels only over HTTPS.
    let link = pcmh_on(
        &server,
        &[
            "user",
            "invite",
            "--email",
            "ana@example.org",
            "--role",
            "admin",
            "--public-url",
            "https://example.test",
        ],
    );
    let invitation = link.strip_prefix("https://example.test").expect("the public URL");
    let origin = format!("https://{}", server.address);
    let form = "password=a+long+password+1&password_confirm=a+long+password+1";
    let set = https(
        &server,
        &trusted,
        "POST",
        invitation,
        &[
            ("Origin", &origin),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    )
    .expect("an HTTPS answer");
    assert_eq!(set.status, 303, "{}", set.text());
    let signed_in = https(
        &server,
        &trusted,
        "POST",
        "/sign-in",
        &[
            ("Origin", &origin),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"email=ana%40example.org&password=a+long+password+1&next=%2F",
    )
    .expect("an HTTPS answer");
    assert_eq!(signed_in.status, 303, "{}", signed_in.text());
    for response in [&set, &signed_in] {
        let cookie = response
            .headers
            .iter()
            .find(|(n, v)| n.eq_ignore_ascii_case("set-cookie") && v.starts_with("pcmh_session="))
            .map(|(_, v)| v.clone())
            .expect("a session cookie");
        let attributes: Vec<String> = cookie.split(';').map(|a| a.trim().to_ascii_lowercase()).collect();
        assert!(attributes.contains(&"secure".to_owned()), "a Secure cookie: {cookie}");
        assert!(
            attributes.contains(&"httponly".to_owned()),
            "an HttpOnly cookie: {cookie}"
        );
    }
}

/// `pcmh serve` with `args` on a fresh SQLite database: its exit status and standard error.
fn serve_fails(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_pcmh"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--catalog-dir")
        .arg(common::repo_root().join("policy-catalog"))
        .args(args)
        .env_remove("PCMH_DATABASE_URL")
        .env_remove("PCMH_TLS_CERT")
        .env_remove("PCMH_TLS_KEY")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("pcmh runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn unreadable_tls_files_stop_the_start_naming_the_file() {
    let files = tempfile::tempdir().expect("a temp dir");
    let (cert, key, _) = certificate(files.path());
    let missing = files.path().join("no-such-key.pem").display().to_string();
    let garbage = files.path().join("garbage.pem");
    std::fs::write(&garbage, "this is no key\n").expect("written");
    let garbage = garbage.display().to_string();
    let other_key = files.path().join("other-key.pem");
    let other = rcgen::KeyPair::generate().expect("a key");
    std::fs::write(&other_key, other.serialize_pem()).expect("written");
    let other_key = other_key.display().to_string();

    let (code, stderr) = serve_fails(&["--tls-cert", &cert, "--tls-key", &missing]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot read the TLS key") && stderr.contains(&missing),
        "{stderr}"
    );

    let (code, stderr) = serve_fails(&["--tls-cert", &cert, "--tls-key", &garbage]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("holds no private key") && stderr.contains(&garbage),
        "{stderr}"
    );

    let (code, stderr) = serve_fails(&["--tls-cert", &garbage, "--tls-key", &key]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("holds no certificate") && stderr.contains(&garbage),
        "{stderr}"
    );

    let (code, stderr) = serve_fails(&["--tls-cert", &cert, "--tls-key", &other_key]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("does not fit the certificate"), "{stderr}");

    // One without the other is a usage error.
    let (code, stderr) = serve_fails(&["--tls-cert", &cert]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--tls-key"), "{stderr}");
    let (code, stderr) = serve_fails(&["--tls-key", &key]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--tls-cert"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// Rate limits

fn each_token_and_each_address_has_its_own_rate_limit() {
    let server = Server::start_with(Backend::Sqlite, &["--rate-limit-per-minute", "5"]);
    let other = server.token(&["--role", "admin", "--label", "another client"]);
    for n in 1..=5 {
        let ok = server.get("/api/v1/organizations");
        assert_eq!(ok.status, 200, "request {n} of 5: {}", ok.text());
    }
    let refused = server.get("/api/v1/organizations");
    assert_eq!(refused.status, 429, "the 6th request in a minute: {}", refused.text());
    let retry_after: u64 = refused
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .expect("whole seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(refused.json()["error"]["code"], "too_many_requests");
    // A write is refused alike, and writes nothing.
    let write = server.post("/api/v1/organizations", &json!({"name": "Too Fast PO"}));
    assert_eq!(write.status, 429, "{}", write.text());

    // Another token is counted apart.
    let theirs = server.request_as(Some(&other), "GET", "/api/v1/organizations", None, b"");
    assert_eq!(theirs.status, 200, "{}", theirs.text());
    assert_eq!(theirs.json()["total"], 0, "the refused write wrote nothing");

    // Requests without a token are counted by their address: 401 until the limit, then 429.
    for n in 1..=5 {
        let anonymous = server.request_as(None, "GET", "/api/v1/organizations", None, b"");
        assert_eq!(anonymous.status, 401, "anonymous request {n}: {}", anonymous.text());
    }
    let anonymous = server.request_as(None, "GET", "/api/v1/organizations", None, b"");
    assert_eq!(anonymous.status, 429, "{}", anonymous.text());
    // The service's own checks and the pages are not the API's to limit.
    assert_eq!(server.request_as(None, "GET", "/healthz", None, b"").status, 200);

    // Made-up tokens do not get around the limit: each address has an allowance for all its
    // requests, tokens or not.
    let guarded = Server::start_with(
        Backend::Sqlite,
        &[
            "--rate-limit-per-minute",
            "100",
            "--rate-limit-per-address-per-minute",
            "8",
        ],
    );
    for n in 1..=8 {
        let made_up = format!("pcmh_madeup{n:04}");
        let answer = guarded.request_as(Some(&made_up), "GET", "/api/v1/organizations", None, b"");
        assert_eq!(answer.status, 401, "made-up token {n}: {}", answer.text());
    }
    let ninth = guarded.request_as(Some("pcmh_madeup0009"), "GET", "/api/v1/organizations", None, b"");
    assert_eq!(ninth.status, 429, "the address's 9th request: {}", ninth.text());
    assert!(ninth.header("retry-after").is_some());

    // 0 turns the limit off.
    let unlimited = Server::start_with(
        Backend::Sqlite,
        &[
            "--rate-limit-per-minute",
            "0",
            "--rate-limit-per-address-per-minute",
            "0",
        ],
    );
    for n in 1..=40 {
        let ok = unlimited.get("/api/v1/organizations");
        assert_eq!(ok.status, 200, "request {n} without a limit: {}", ok.text());
    }
}

// ---------------------------------------------------------------------------------------------
// Stopping

/// Sends a request's head and the first part of its body, and leaves the rest for later.
fn half_sent_write(server: &Server, path: &str, body: &[u8], sent: usize) -> TcpStream {
    let mut stream = TcpStream::connect(&server.address).expect("a connection");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.address,
        server.admin_token,
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("the head is sent");
    stream.write_all(&body[..sent]).expect("a part of the body is sent");
    stream
}

/// Sends the rest of a half-sent write and reads its answer.
fn finish_write(mut stream: TcpStream, rest: &[u8]) -> Response {
    stream.write_all(rest).expect("the rest of the body is sent");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw)
}

fn sigterm_lets_requests_in_flight_finish_and_exits_0(backend: Backend) {
    let mut server = Server::start_with(backend, &["--shutdown-timeout", "20"]);
    let body = json!({"name": "Written While Stopping PO"}).to_string().into_bytes();
    let in_flight = half_sent_write(&server, "/api/v1/organizations", &body, 10);
    // The server has the request before it is told to stop.
    std::thread::sleep(Duration::from_millis(500));
    let pid = server.pid().expect("a running server");
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    std::thread::sleep(Duration::from_millis(700));
    // No new connection is taken once it stops...
    assert!(
        TcpStream::connect(&server.address).is_err(),
        "a connection after SIGTERM was accepted"
    );
    // ...but the one in flight is.
    let answer = finish_write(in_flight, &body[10..]);
    assert_eq!(answer.status, 201, "{}", answer.text());
    let id = answer.json()["id"].as_i64().expect("an id");

    let status = server.wait_exit(Duration::from_secs(25));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "the server exits 0 within the shutdown timeout:\n{}",
        server.log_text()
    );
    assert!(server.log_text().contains("stopping"), "{}", server.log_text());

    server.launch(&[]);
    let read = server.get(&format!("/api/v1/organizations/{id}"));
    assert_eq!(read.status, 200, "the acknowledged write is there: {}", read.text());
    pcmh_on(&server, &["audit", "verify"]);
}

fn ctrl_c_stops_the_server_as_sigterm_does() {
    let mut server = Server::start(Backend::Sqlite);
    let pid = server.pid().expect("a running server");
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let status = server.wait_exit(Duration::from_secs(25));
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", server.log_text());
}

/// What the writers of the load test saw.
#[derive(Default)]
struct Outcomes {
    /// Trainings answered 201, by id.
    acknowledged: Vec<i64>,
    /// Requests answered with something else than 201 or not answered at all.
    unacknowledged: usize,
}

fn sigterm_under_load_loses_no_acknowledged_write_and_half_writes_none(backend: Backend) {
    let mut server = Server::start_with(backend, &["--shutdown-timeout", "20"]);
    let (_, practice) = organization_with_practice(&server, "Under Load");
    let staff = server.create(
        &format!("/api/v1/practices/{practice}/staff"),
        &json!({"name": "Ana Lopez", "role": "physician", "started_on": "2019-03-04"}),
    )["id"]
        .as_i64()
        .expect("an id");
    let path = format!("/api/v1/practices/{practice}/trainings");
    let body = json!({"staff_id": staff, "topic": "chronic_care_model", "completed_on": "2026-03-02", "hours": 1.5})
        .to_string();
    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..6)
        .map(|_| {
            let (address, token, path, body) = (
                server.address.clone(),
                server.admin_token.clone(),
                path.clone(),
                body.clone(),
            );
            let (outcomes, stop) = (outcomes.clone(), stop.clone());
            std::thread::spawn(move || {
                // Each writer goes on until the server no longer takes its connections.
                while !stop.load(Ordering::SeqCst) {
                    match try_http(
                        &address,
                        Some(&token),
                        "POST",
                        &path,
                        Some("application/json"),
                        body.as_bytes(),
                    ) {
                        Ok(r) if r.status == 201 => {
                            let id = r.json()["id"].as_i64().expect("an id");
                            outcomes.lock().expect("outcomes").acknowledged.push(id);
                        }
                        Ok(_) => outcomes.lock().expect("outcomes").unacknowledged += 1,
                        Err(_) => {
                            outcomes.lock().expect("outcomes").unacknowledged += 1;
                            if TcpStream::connect(&address).is_err() {
                                return;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    // Let the load build up, then stop the server in the middle of it.
    let started = Instant::now();
    while outcomes.lock().expect("outcomes").acknowledged.len() < 30 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let signalled = Instant::now();
    let status = server.terminate(Duration::from_secs(25));
    let stopped_within = signalled.elapsed();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().expect("a writer");
    }
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "the server exits 0 within the shutdown timeout under load:\n{}",
        server.log_text()
    );
    let outcomes = outcomes.lock().expect("outcomes");
    assert!(outcomes.acknowledged.len() >= 30, "the load ran");
    eprintln!(
        "SIGTERM under load: {} writes acknowledged, {} not; the server exited {stopped_within:?} after SIGTERM",
        outcomes.acknowledged.len(),
        outcomes.unacknowledged
    );

    server.launch(&[]);
    let mut stored = Vec::new();
    loop {
        let page = server.get(&format!("{path}?limit=500&offset={}", stored.len())).json();
        let items = page["items"].as_array().expect("items").clone();
        if items.is_empty() {
            break;
        }
        stored.extend(items.iter().map(|t| t["id"].as_i64().expect("an id")));
    }
    for id in &outcomes.acknowledged {
        assert!(stored.contains(id), "training {id} was acknowledged and is gone");
    }
    assert!(
        stored.len() <= outcomes.acknowledged.len() + outcomes.unacknowledged,
        "more trainings ({}) than requests ({} acknowledged, {} not)",
        stored.len(),
        outcomes.acknowledged.len(),
        outcomes.unacknowledged
    );
    // Every stored training has its audit event and every event its training: none half-written.
    let mut events: Vec<Value> = Vec::new();
    loop {
        let page = server
            .get(&format!(
                "/api/v1/audit-events?record_kind=training&limit=500&offset={}",
                events.len()
            ))
            .json();
        let items = page["items"].as_array().expect("items").clone();
        if items.is_empty() {
            break;
        }
        events.extend(items);
    }
    let mut audited: Vec<i64> = events.iter().filter_map(|e| e["record_id"].as_i64()).collect();
    audited.sort_unstable();
    let mut written = stored.clone();
    written.sort_unstable();
    assert_eq!(
        audited, written,
        "the trainings and their audit events match one to one"
    );
    let verified = pcmh_on(&server, &["audit", "verify"]);
    assert!(verified.contains("intact"), "{verified}");
}

// ---------------------------------------------------------------------------------------------
// Slow clients

/// How a slow client's connection ended.
#[derive(Debug)]
struct Cut {
    /// Whether the server closed it (rather than the client giving up).
    by_server: bool,
    /// The status the server answered before closing, if any.
    status: Option<u16>,
    /// When, from the client's start.
    after: Duration,
}

/// Sends `head`, then `trickle` one byte every 100 ms, until the server closes the connection or
/// `give_up` passes.
fn trickle(address: &str, head: &[u8], trickle: &[u8], give_up: Duration) -> Cut {
    let start = Instant::now();
    let mut stream = TcpStream::connect(address).expect("a connection");
    stream
        .set_read_timeout(Some(Duration::from_millis(1)))
        .expect("a timeout");
    let mut answer = Vec::new();
    let closed = |answer: &[u8], start: Instant| Cut {
        by_server: true,
        status: (!answer.is_empty()).then(|| parse_response(answer).status),
        after: start.elapsed(),
    };
    if stream.write_all(head).is_err() {
        return closed(&answer, start);
    }
    for byte in trickle.iter().cycle() {
        if start.elapsed() > give_up {
            return Cut {
                by_server: false,
                status: None,
                after: start.elapsed(),
            };
        }
        if stream.write_all(&[*byte]).is_err() {
            return closed(&answer, start);
        }
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => return closed(&answer, start),
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                Err(_) => return closed(&answer, start),
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    unreachable!("a cycle never ends")
}

fn slow_clients_are_cut_off_and_hold_up_nobody() {
    let header_timeout = 4;
    let server = Server::start_with(
        Backend::Sqlite,
        &[
            "--header-timeout",
            &header_timeout.to_string(),
            "--body-timeout",
            &header_timeout.to_string(),
        ],
    );
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let slow_heads = 2 * workers + 40;
    let slow_bodies = 10;
    let give_up = Duration::from_secs(90);
    let mut clients = Vec::new();
    for n in 0..slow_heads + slow_bodies {
        let address = server.address.clone();
        let (head, rest) = if n < slow_heads {
            (
                b"GET /healthz HTTP/1.1\r\n".to_vec(),
                b"X-Slow: abcdefghijklmnopqrstuvwxyz\r\n".to_vec(),
            )
        } else {
            let head = format!(
                "POST /api/v1/organizations HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"name\": \"",
                server.admin_token
            );
            (head.into_bytes(), b"slow".to_vec())
        };
        clients.push(std::thread::spawn(move || trickle(&address, &head, &rest, give_up)));
    }
    // Every slow client is connected and sending.
    std::thread::sleep(Duration::from_millis(500));
    let asked = Instant::now();
    let health = try_http(&server.address, None, "GET", "/healthz", None, b"").expect("an answer");
    assert_eq!(health.status, 200);
    let list = server.get("/api/v1/organizations");
    assert_eq!(list.status, 200, "{}", list.text());
    let answered_within = asked.elapsed();
    let still_open = clients.iter().filter(|c| !c.is_finished()).count();
    assert!(
        still_open > 0,
        "the normal requests were answered only after the slow clients were gone ({answered_within:?})"
    );

    let cuts: Vec<Cut> = clients.into_iter().map(|c| c.join().expect("a slow client")).collect();
    for (n, cut) in cuts.iter().enumerate() {
        assert!(cut.by_server, "slow client {n} was never cut off: {cut:?}");
        assert!(
            cut.after < Duration::from_secs(header_timeout + 20),
            "slow client {n} was cut off late: {cut:?}"
        );
        assert!(
            cut.after >= Duration::from_secs(header_timeout) - Duration::from_millis(600),
            "slow client {n} was cut off before its time: {cut:?}"
        );
    }
    let span = |cuts: &[Cut]| {
        let times = cuts.iter().map(|c| c.after.as_millis());
        (times.clone().min().unwrap_or(0), times.max().unwrap_or(0))
    };
    eprintln!(
        "slow clients: the normal requests answered in {answered_within:?}; {slow_heads} slow heads cut after {:?} ms, {slow_bodies} slow bodies after {:?} ms",
        span(&cuts[..slow_heads]),
        span(&cuts[slow_heads..])
    );
    let heads_answered: Vec<Option<u16>> = cuts[..slow_heads].iter().map(|c| c.status).collect();
    assert!(
        heads_answered.iter().all(|s| matches!(s, None | Some(408))),
        "a slow head is answered 408 if at all: {heads_answered:?}"
    );
    let bodies_answered: Vec<Option<u16>> = cuts[slow_heads..].iter().map(|c| c.status).collect();
    assert!(
        bodies_answered.iter().all(|s| matches!(s, None | Some(400 | 408))),
        "a slow body is refused if answered: {bodies_answered:?}"
    );
    // Nothing of the slow writes was stored.
    assert_eq!(server.get("/api/v1/organizations").json()["total"], 0);
}
