//! The harness of the end-to-end tests: the real `pcmh` binary serving on a free port over a
//! real database, and a small HTTP/1.1 client that can also send what no polite client would
//! (bad UTF-8, wrong content types, oversized bodies).
//!
//! Every test runs on SQLite. It runs on PostgreSQL too when `PCMH_TEST_POSTGRES_URL` names a
//! server the tests may create databases on (`.ci/run` sets it); without it the PostgreSQL
//! variant says it is skipped.

#![allow(dead_code, reason = "each test file uses a part of the harness")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod python;

/// The environment variable naming a PostgreSQL server for the tests.
pub const POSTGRES_ENV: &str = "PCMH_TEST_POSTGRES_URL";

/// Which database a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `test` once per backend: `both_backends!(name, body_fn)` makes `name_sqlite` and `name_postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident => $body:ident;)*) => {
        mod sqlite {
            $(#[test] fn $name() { super::$body($crate::common::Backend::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $name() {
                if $crate::common::postgres_url().is_none() {
                    eprintln!("SKIPPED {}: set {} to run it on PostgreSQL", stringify!($name), $crate::common::POSTGRES_ENV);
                    return;
                }
                super::$body($crate::common::Backend::Postgres)
            })*
        }
    };
}

/// The PostgreSQL server for tests, if one is configured.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())
}

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh, empty PostgreSQL database for one test, named uniquely; returns its URL.
pub fn fresh_postgres_database() -> String {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin = postgres_url().expect("a PostgreSQL server for the tests");
    let name = format!(
        "pcmh_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let mut conn = diesel::PgConnection::establish(&admin).expect("the test PostgreSQL server answers");
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a test database is created");
    // Replace the database part of the admin URL.
    let (base, query) = admin
        .split_once('?')
        .map_or((admin.as_str(), None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let cut = base[scheme_end..].rfind('/').map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..cut]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// A running `pcmh serve`, stopped when dropped.
pub struct Server {
    child: Option<Child>,
    pub address: String,
    /// Whether it serves HTTPS (`--tls-cert`); [`Server::request`] speaks plain HTTP only.
    pub https: bool,
    pub data_dir: tempfile::TempDir,
    pub database_url: String,
    pub backend: Backend,
    /// An admin token made for the test; every request of [`Server::request`] carries it.
    pub admin_token: String,
    log: PathBuf,
}

impl Server {
    /// Starts a server on a fresh database of `backend`.
    pub fn start(backend: Backend) -> Server {
        Self::start_with(backend, &[])
    }

    /// Starts a server with extra arguments to `pcmh serve`.
    pub fn start_with(backend: Backend, extra: &[&str]) -> Server {
        let data_dir = tempfile::tempdir().expect("a temp dir");
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", data_dir.path().join("pcmh.sqlite3").display()),
            Backend::Postgres => fresh_postgres_database(),
        };
        Self::start_in(backend, data_dir, database_url, extra)
    }

    /// Starts a PostgreSQL server on the database at `database_url`, which the caller made (and
    /// drops: only databases of [`fresh_postgres_database`] are dropped with the server).
    pub fn start_on(database_url: &str, extra: &[&str]) -> Server {
        let data_dir = tempfile::tempdir().expect("a temp dir");
        Self::start_in(Backend::Postgres, data_dir, database_url.to_owned(), extra)
    }

    /// Starts a server on a database and data folder that already exist (a restored backup).
    pub fn start_in(backend: Backend, data_dir: tempfile::TempDir, database_url: String, extra: &[&str]) -> Server {
        let admin_token = make_token(&database_url, data_dir.path(), &["--role", "admin", "--label", "tests"]);
        let mut server = Server {
            child: None,
            address: String::new(),
            https: false,
            log: data_dir.path().join("server.log"),
            data_dir,
            database_url,
            backend,
            admin_token,
        };
        server.launch(extra);
        server
    }

    /// Starts the server process (again) on the same database and data folder.
    pub fn launch(&mut self, extra: &[&str]) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("a log file");
        let catalogs = repo_root().join("policy-catalog");
        let mut child = Command::new(env!("CARGO_BIN_EXE_pcmh"))
            .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &self.database_url])
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .arg("--catalog-dir")
            .arg(&catalogs)
            .args(extra)
            .env_remove("PCMH_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("pcmh starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            assert!(Instant::now() < deadline, "the server did not start: {seen:?}");
            match lines.next() {
                Some(Ok(line)) => {
                    let listening = ["listening on http://", "listening on https://"]
                        .into_iter()
                        .find_map(|said| line.find(said).map(|at| (said, at)));
                    if let Some((said, at)) = listening {
                        self.address = line[at + said.len()..].trim().to_owned();
                        self.https = said.contains("https");
                        break;
                    }
                    seen.push(line);
                }
                _ => panic!("the server exited before listening: {seen:?}\n{}", self.log_text()),
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Sends SIGTERM (as a service manager stopping it would) and waits up to `within` for the
    /// process to end; its exit status, or `None` when it was still running (it is killed then).
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let pid = self.pid()?;
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM {pid}");
        self.wait_exit(within)
    }

    /// Waits up to `within` for the server process to end (after a signal the test sent); its
    /// exit status, or `None` when it was still running (it is killed then).
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().expect("the server's status") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// What the server wrote to standard error.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends a request as the test's admin and reads the answer.
    pub fn request(&self, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Response {
        self.request_as(Some(&self.admin_token), method, path, content_type, body)
    }

    /// Sends a request with `token` (or none) and reads the answer.
    pub fn request_as(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Response {
        try_http(&self.address, token, method, path, content_type, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Makes a token with `pcmh token create ARGS` on this server's database.
    pub fn token(&self, args: &[&str]) -> String {
        make_token(&self.database_url, self.data_dir.path(), args)
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, b"")
    }

    pub fn post(&self, path: &str, body: &Value) -> Response {
        self.request("POST", path, Some("application/json"), body.to_string().as_bytes())
    }

    pub fn patch(&self, path: &str, body: &Value) -> Response {
        self.request("PATCH", path, Some("application/json"), body.to_string().as_bytes())
    }

    /// POSTs and expects 201; returns the created record. Every 201 names where the new record
    /// is read (`Location`), and reading it there gives the same record.
    pub fn create(&self, path: &str, body: &Value) -> Value {
        let response = self.post(path, body);
        assert_eq!(response.status, 201, "POST {path} {body}: {}", response.text());
        let created = response.json();
        let location = response
            .header("location")
            .unwrap_or_else(|| panic!("POST {path}: a 201 without Location"))
            .to_owned();
        assert!(location.starts_with("/api/v1/"), "POST {path}: Location {location}");
        let read = self.get(&location);
        assert_eq!(
            read.status,
            200,
            "GET {location} (the Location of POST {path}): {}",
            read.text()
        );
        let id = created["id"].as_i64().or_else(|| created["info"]["id"].as_i64());
        if let Some(id) = id.filter(|id| location.ends_with(&format!("/{id}"))) {
            let read = read.json();
            let read_id = read["id"].as_i64().or_else(|| read["info"]["id"].as_i64());
            assert_eq!(read_id, Some(id), "GET {location} reads another record");
        }
        created
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        // A test's PostgreSQL database goes with it.
        if self.backend == Backend::Postgres {
            drop_postgres_database(&self.database_url);
        }
    }
}

/// Drops the database a test made (best effort: a leftover is only clutter).
fn drop_postgres_database(url: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let (Some(admin), Some(name)) = (postgres_url(), url.split('?').next().and_then(|u| u.rsplit('/').next())) else {
        return;
    };
    if !name.starts_with("pcmh_test_") {
        return;
    }
    if let Ok(mut conn) = diesel::PgConnection::establish(&admin) {
        let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The fields named by an error answer, as (field, rule).
    pub fn error_fields(&self) -> Vec<(String, String)> {
        let body = self.json();
        body["error"]["fields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .map(|f| {
                        (
                            f["field"].as_str().unwrap_or_default().to_owned(),
                            f["rule"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One HTTP/1.1 exchange, or the I/O error that stopped it (a server that is gone).
pub fn try_http(
    address: &str,
    token: Option<&str>,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> std::io::Result<Response> {
    let authorization = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = authorization
        .as_deref()
        .map(|a| ("Authorization", a))
        .into_iter()
        .collect();
    try_http_with(address, method, path, &headers, content_type, body)
}

/// Sends one request with extra `headers` (a cookie, an origin) and reads the answer.
pub fn try_http_with(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_type: Option<&str>,
    body: &[u8],
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    // The server may answer (413) before reading a large body; a reset then is no failure.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    if raw.windows(4).all(|w| w != b"\r\n\r\n") {
        read?;
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no HTTP answer"));
    }
    Ok(parse_response(&raw))
}

pub fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

/// Runs `pcmh token create ARGS` on a database and returns the token it prints.
pub fn make_token(database_url: &str, data_dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_pcmh"))
        .args(["token", "create", "--database-url", database_url])
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("PCMH_DATABASE_URL")
        .output()
        .expect("pcmh token create runs");
    assert!(
        output.status.success(),
        "pcmh token create {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).expect("UTF-8").trim().to_owned();
    assert!(token.starts_with("pcmh_"), "a token: {token}");
    token
}

/// A PO and one practice in it; returns their ids.
pub fn organization_with_practice(server: &Server, name: &str) -> (i64, i64) {
    let po = server.create(
        "/api/v1/organizations",
        &serde_json::json!({"name": format!("{name} PO")}),
    );
    let po_id = po["id"].as_i64().expect("an id");
    let practice = server.create(
        &format!("/api/v1/organizations/{po_id}/practices"),
        &serde_json::json!({"name": name, "initial_focus_population": "adults with diabetes"}),
    );
    (po_id, practice["id"].as_i64().expect("an id"))
}

/// Runs `pcmh ARGS` on this server's database and returns its standard output.
pub fn pcmh_on(server: &Server, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_pcmh"))
        .args(args)
        .args(["--database-url", &server.database_url])
        .arg("--data-dir")
        .arg(server.data_dir.path())
        .env_remove("PCMH_DATABASE_URL")
        .output()
        .expect("pcmh runs");
    assert!(
        output.status.success(),
        "pcmh {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8").trim().to_owned()
}

/// Runs `pcmh demo generate` on the server's database (`practices` practices, `years` years of
/// records); returns the new PO's id.
pub fn generate(server: &Server, practices: usize, years: usize) -> i64 {
    let output = Command::new(env!("CARGO_BIN_EXE_pcmh"))
        .args([
            "demo",
            "generate",
            "--practices",
            &practices.to_string(),
            "--years",
            &years.to_string(),
        ])
        .args(["--database-url", &server.database_url])
        .arg("--data-dir")
        .arg(server.data_dir.path())
        .env("PCMH_CATALOG_DIR", repo_root().join("policy-catalog"))
        .env_remove("PCMH_DATABASE_URL")
        .output()
        .expect("pcmh runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pcmh demo generate failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .strip_prefix("generated organization ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no organization id in {stdout:?}"))
}
