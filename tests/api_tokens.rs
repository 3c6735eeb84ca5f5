//! Tokens over real HTTP and on the command line, on SQLite and PostgreSQL: made by an admin or
//! by a po_manager within its PO, the secret shown once (never listed, never audited), revoked
//! at once, the bad input refused without writing anything, and auditors' tokens that expire.

mod common;

use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use common::{organization_with_practice, Backend, Response, Server};
use pcmh_core::hash::sha256_hex;
use serde_json::{json, Value};

both_backends! {
    admins_and_po_managers_make_tokens_within_scope => admins_and_po_managers_make_tokens_within_scope;
    the_secret_is_shown_once_and_nowhere_else => the_secret_is_shown_once_and_nowhere_else;
    a_revoked_token_stops_at_once => a_revoked_token_stops_at_once;
    bad_token_requests_are_refused_and_write_nothing => bad_token_requests_are_refused_and_write_nothing;
    the_command_line_makes_lists_and_revokes_tokens => the_command_line_makes_lists_and_revokes_tokens;
}

/// One PostgreSQL server of these tests at a time (each holds a pool of connections).
fn serial(backend: Backend) -> Option<MutexGuard<'static, ()>> {
    static POSTGRES: Mutex<()> = Mutex::new(());
    (backend == Backend::Postgres).then(|| POSTGRES.lock().unwrap_or_else(PoisonError::into_inner))
}

/// A server with PO A (practice A1) and PO B (practice B1).
struct World {
    server: Server,
    a: i64,
    a1: i64,
    b: i64,
    b1: i64,
    _serial: Option<MutexGuard<'static, ()>>,
}

fn world(backend: Backend) -> World {
    let serial = serial(backend);
    let server = Server::start(backend);
    let (a, a1) = organization_with_practice(&server, "Maple Street");
    let (b, b1) = organization_with_practice(&server, "Birch Lane");
    World {
        server,
        a,
        a1,
        b,
        b1,
        _serial: serial,
    }
}

impl World {
    fn post_token(&self, as_token: Option<&str>, body: &Value) -> Response {
        self.server.request_as(
            as_token,
            "POST",
            "/api/v1/tokens",
            Some("application/json"),
            body.to_string().as_bytes(),
        )
    }

    /// Makes a token as `as_token` and expects 201; returns (id, secret token, info).
    fn issue(&self, as_token: Option<&str>, body: &Value) -> (i64, String, Value) {
        let response = self.post_token(as_token, body);
        assert_eq!(response.status, 201, "POST /tokens {body}: {}", response.text());
        let issued = response.json();
        let token = issued["token"].as_str().expect("the token is in the answer").to_owned();
        let id = issued["info"]["id"].as_i64().expect("an id");
        assert!(token.starts_with(&format!("pcmh_{id}_")), "{token}");
        (id, token, issued["info"].clone())
    }

    fn get_as(&self, token: &str, path: &str) -> Response {
        self.server.request_as(Some(token), "GET", path, None, b"")
    }

    fn delete_as(&self, token: &str, id: i64) -> Response {
        self.server
            .request_as(Some(token), "DELETE", &format!("/api/v1/tokens/{id}"), None, b"")
    }

    /// Every token, as the admin lists them.
    fn tokens(&self) -> Value {
        let response = self.server.get("/api/v1/tokens?limit=500");
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()
    }

    fn token_info(&self, id: i64) -> Value {
        self.tokens()["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|t| t["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("token {id} is listed"))
    }

    fn pcmh(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_pcmh"))
            .args(args)
            .args(["--database-url", &self.server.database_url])
            .arg("--data-dir")
            .arg(self.server.data_dir.path())
            .env_remove("PCMH_DATABASE_URL")
            .output()
            .expect("pcmh runs")
    }
}

fn id_in_token(token: &str) -> i64 {
    token
        .split('_')
        .nth(1)
        .and_then(|id| id.parse().ok())
        .expect("pcmh_<id>_<secret>")
}

fn fields(response: &Response) -> Vec<(String, String)> {
    response.error_fields()
}

/// An instant of an answer: RFC 3339 with its offset, which is UTC written `Z`.
fn moment(value: &Value) -> DateTime<Utc> {
    let text = value.as_str().unwrap_or_else(|| panic!("a moment: {value}"));
    assert!(text.ends_with('Z'), "{text} is in UTC, written with Z");
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

/// Every instant of a token as listed carries its offset.
fn assert_instants_have_offsets(token: &Value) {
    moment(&token["created_at"]);
    for field in ["expires_at", "revoked_at"] {
        if !token[field].is_null() {
            moment(&token[field]);
        }
    }
}

fn admins_and_po_managers_make_tokens_within_scope(backend: Backend) {
    let w = world(backend);
    let admin = w.server.admin_token.clone();
    let admin_id = id_in_token(&admin);

    // The admin makes a po_manager of A: it works at once, within A only.
    let (manager_id, manager, info) = w.issue(
        Some(&admin),
        &json!({"label": "Maple PO manager", "role": "po_manager", "organization_id": w.a}),
    );
    assert_eq!(info["role"], "po_manager");
    assert_eq!(info["organization_id"], w.a);
    assert_eq!(info["practice_id"], Value::Null);
    assert_eq!(info["created_by"], admin_id);
    assert_eq!(info["expires_at"], Value::Null, "only auditors expire unless told");
    assert_eq!(
        w.get_as(&manager, &format!("/api/v1/organizations/{}", w.a)).status,
        200
    );
    assert_eq!(w.get_as(&manager, &format!("/api/v1/practices/{}", w.a1)).status, 200);
    assert_eq!(
        w.get_as(&manager, &format!("/api/v1/organizations/{}", w.b)).status,
        404
    );
    assert_eq!(w.get_as(&manager, &format!("/api/v1/practices/{}", w.b1)).status, 404);

    // The po_manager makes a practice_manager of its own practice: 201, and it works at once.
    let (_, practice_manager, info) = w.issue(
        Some(&manager),
        &json!({"label": "Maple front desk", "role": "practice_manager", "practice_id": w.a1}),
    );
    assert_eq!(info["organization_id"], w.a, "a practice token carries its PO");
    assert_eq!(info["practice_id"], w.a1);
    assert_eq!(info["created_by"], manager_id);
    assert_eq!(
        w.get_as(&practice_manager, &format!("/api/v1/practices/{}/staff", w.a1))
            .status,
        200
    );
    assert_eq!(
        w.get_as(&practice_manager, &format!("/api/v1/organizations/{}", w.a))
            .status,
        404
    );

    // ... and an auditor of its PO, which expires in 30 days.
    let (_, _, info) = w.issue(
        Some(&manager),
        &json!({"label": "Maple auditor", "role": "auditor", "organization_id": w.a}),
    );
    assert_eq!(
        moment(&info["expires_at"]) - moment(&info["created_at"]),
        chrono::Duration::days(30)
    );

    // Outside its PO, or above its role: refused, and nothing is written.
    let before = w.tokens();
    let refusals: Vec<(&str, Value, u16, Option<&str>)> = vec![
        (
            "a practice_manager of B1",
            json!({"label": "x", "role": "practice_manager", "practice_id": w.b1}),
            422,
            Some("practice_id"),
        ),
        (
            "an auditor of B1",
            json!({"label": "x", "role": "auditor", "practice_id": w.b1}),
            422,
            Some("practice_id"),
        ),
        (
            "a po_manager of B",
            json!({"label": "x", "role": "po_manager", "organization_id": w.b}),
            422,
            Some("organization_id"),
        ),
        (
            "an auditor of B",
            json!({"label": "x", "role": "auditor", "organization_id": w.b}),
            422,
            Some("organization_id"),
        ),
        ("an admin", json!({"label": "x", "role": "admin"}), 403, None),
    ];
    for (what, body, status, field) in &refusals {
        let response = w.post_token(Some(&manager), body);
        assert_eq!(response.status, *status, "po_manager makes {what}: {}", response.text());
        if let Some(field) = field {
            let named: Vec<String> = fields(&response).into_iter().map(|(f, _)| f).collect();
            assert_eq!(
                named,
                [field.to_string()],
                "po_manager makes {what}: {}",
                response.text()
            );
            assert!(
                !response.text().contains("Birch"),
                "the refusal says nothing of B: {}",
                response.text()
            );
        }
    }
    // Neither a practice_manager nor an auditor makes tokens, of any kind.
    let auditor = w
        .server
        .token(&["--role", "auditor", "--organization", &w.a.to_string()]);
    for (who, token) in [("practice_manager", &practice_manager), ("auditor", &auditor)] {
        for body in [
            json!({"label": "x", "role": "practice_manager", "practice_id": w.a1}),
            json!({"label": "x", "role": "auditor", "practice_id": w.a1}),
            json!({"label": "x", "role": "admin"}),
        ] {
            let response = w.post_token(Some(token), &body);
            assert_eq!(response.status, 403, "{who} makes {body}: {}", response.text());
        }
    }
    let mut after = w.tokens();
    // The auditor made on the command line is the one new token.
    let items = after["items"].as_array_mut().expect("items");
    items.retain(|t| t["id"] != id_in_token(&auditor));
    after["total"] = json!(after["total"].as_i64().expect("a total") - 1);
    assert_eq!(after, before, "refused requests made no token");

    // The po_manager lists its PO's tokens (its practices' too), never B's nor the admin's.
    let (b_manager_id, _, _) = w.issue(
        Some(&admin),
        &json!({"label": "Birch PO manager", "role": "po_manager", "organization_id": w.b}),
    );
    let listed = w.get_as(&manager, "/api/v1/tokens?limit=500");
    assert_eq!(listed.status, 200, "{}", listed.text());
    let listed = listed.json();
    let items = listed["items"].as_array().expect("items");
    assert!(items.iter().all(|t| t["organization_id"] == w.a), "{listed}");
    assert!(items.iter().any(|t| t["id"] == manager_id), "{listed}");
    assert!(items.iter().any(|t| t["practice_id"] == w.a1), "{listed}");
    assert!(
        !items.iter().any(|t| t["id"] == b_manager_id || t["id"] == admin_id),
        "{listed}"
    );
    assert_eq!(listed["total"].as_u64(), Some(items.len() as u64), "{listed}");

    // Without a token, nothing.
    let response = w.post_token(None, &json!({"label": "x", "role": "admin"}));
    assert_eq!(response.status, 401);
}

fn the_secret_is_shown_once_and_nowhere_else(backend: Backend) {
    let mut w = world(backend);
    let (id, token, info) = w.issue(
        Some(w.server.admin_token.as_str()),
        &json!({"label": "Maple reviewer", "role": "auditor", "practice_id": w.a1, "expires_in_days": 7}),
    );
    let secret = token.rsplit('_').next().expect("a secret").to_owned();
    assert_eq!(secret.len(), 64, "{token}");
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()), "{token}");
    let digest = sha256_hex(secret.as_bytes());
    assert_eq!(
        moment(&info["expires_at"]) - moment(&info["created_at"]),
        chrono::Duration::days(7)
    );
    let (_, other, _) = w.issue(
        Some(&w.server.admin_token),
        &json!({"label": "Maple manager", "role": "po_manager", "organization_id": w.a}),
    );
    assert_ne!(token, other, "every token is new");
    let manager = other;

    let leaks = |what: &str, text: &str| {
        assert!(!text.contains(&secret), "{what} shows the secret: {text}");
        assert!(!text.contains(&digest), "{what} shows the secret's hash: {text}");
        assert!(!text.contains("secret"), "{what} names a secret field: {text}");
    };
    let listed = w.server.get("/api/v1/tokens?limit=500");
    assert_eq!(listed.status, 200);
    assert!(listed.json()["items"].as_array().unwrap().iter().any(|t| t["id"] == id));
    leaks("GET /tokens as admin", &listed.text());
    let listed = w.get_as(&manager, "/api/v1/tokens?limit=500");
    assert_eq!(listed.status, 200);
    assert!(listed.json()["items"].as_array().unwrap().iter().any(|t| t["id"] == id));
    leaks("GET /tokens as po_manager", &listed.text());

    // The audit trail records the token's making, without its secret.
    for path in [
        "/api/v1/audit-events?record_kind=token&limit=500",
        "/api/v1/audit-events?limit=500",
    ] {
        let events = w.server.get(path);
        assert_eq!(events.status, 200, "{}", events.text());
        leaks(&format!("GET {path}"), &events.text());
    }
    let events = w.server.get("/api/v1/audit-events?record_kind=token&limit=500").json();
    let made = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["record_id"] == id)
        .unwrap_or_else(|| panic!("an event for token {id}: {events}"))
        .clone();
    assert_eq!(made["action"], "create", "{made}");
    assert_eq!(made["record_kind"], "token", "{made}");
    assert_eq!(made["practice_id"], w.a1, "{made}");
    leaks(
        "the po_manager's audit trail",
        &w.get_as(&manager, "/api/v1/audit-events?record_kind=token&limit=500")
            .text(),
    );

    // Nor on the command line, nor in the server's log.
    let list = w.pcmh(&["token", "list"]);
    assert!(list.status.success(), "{}", String::from_utf8_lossy(&list.stderr));
    leaks("pcmh token list", &String::from_utf8_lossy(&list.stdout));
    leaks("the server log", &w.server.log_text());

    // The token works, and only the whole of it does.
    let a1 = format!("/api/v1/practices/{}", w.a1);
    assert_eq!(w.get_as(&token, &a1).status, 200);
    let prefix = format!("pcmh_{id}_");
    for wrong in [
        format!("{prefix}{}", &secret[..63]),
        format!("{prefix}{secret}0"),
        format!("{prefix}{}", secret.to_uppercase()),
        format!("{prefix}{digest}"),
        format!("pcmh_{}_{secret}", id + 1),
        secret.clone(),
    ] {
        assert_eq!(w.get_as(&wrong, &a1).status, 401, "{wrong}");
    }

    // Every request has its log line, naming the token by its id; no line carries the secret,
    // not even one sent in a query string (query strings are never logged).
    let practice_route = "/api/v1/practices/{practice_id}";
    w.get_as(&token, &format!("{a1}?secret={secret}"));
    let log = w.server.log_text();
    leaks("the server log", &log);
    assert!(
        log.lines().any(|l| l.contains(&format!("route=\"{practice_route}\""))
            && l.contains(&format!("token_id={id}"))
            && l.contains("status=200")),
        "a request line for GET {a1} by token {id}:\n{log}"
    );
    // The same in JSON, one object per line.
    w.server.kill();
    w.server.launch(&["--log-format", "json"]);
    assert_eq!(w.get_as(&token, &a1).status, 200);
    assert_eq!(w.get_as(&format!("{prefix}{digest}"), &a1).status, 401);
    w.get_as(&token, &format!("{a1}?secret={secret}"));
    let json_log = w.server.log_text()[log.len()..].to_owned();
    leaks("the server's JSON log", &json_log);
    let lines: Vec<Value> = json_log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["route"] == practice_route && l["token_id"] == id && l["status"] == 200),
        "a JSON request line for GET {a1} by token {id}:\n{json_log}"
    );
}

fn a_revoked_token_stops_at_once(backend: Backend) {
    let w = world(backend);
    let admin = w.server.admin_token.clone();
    let (id, token, _) = w.issue(
        Some(&admin),
        &json!({"label": "Maple front desk", "role": "practice_manager", "practice_id": w.a1}),
    );
    let staff = format!("/api/v1/practices/{}/staff", w.a1);
    assert_eq!(w.get_as(&token, &staff).status, 200);

    let revoked = w.delete_as(&admin, id);
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    let revoked = revoked.json();
    assert_eq!(revoked["id"], id);
    let revoked_at = revoked["revoked_at"].clone();
    assert!(moment(&revoked_at) >= moment(&revoked["created_at"]), "{revoked}");
    let refused = w.get_as(&token, &staff);
    assert_eq!(refused.status, 401, "a revoked token is refused at once");
    assert_eq!(refused.header("WWW-Authenticate"), Some("Bearer"));
    assert_eq!(
        w.server
            .request_as(
                Some(&token),
                "POST",
                &staff,
                Some("application/json"),
                json!({"name": "Late Writer", "role": "nurse", "started_on": "2020-01-01"})
                    .to_string()
                    .as_bytes()
            )
            .status,
        401
    );
    // Revoking twice is fine and changes nothing.
    let again = w.delete_as(&admin, id);
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["revoked_at"], revoked_at);
    assert_eq!(w.token_info(id)["revoked_at"], revoked_at);
    let listed = w.tokens();
    let items = listed["items"].as_array().expect("items");
    assert!(items.len() >= 2, "{listed}");
    items.iter().for_each(assert_instants_have_offsets);
    assert_eq!(w.delete_as(&admin, 987_654).status, 404);
    assert_eq!(
        w.server
            .request_as(Some(&admin), "DELETE", "/api/v1/tokens/abc", None, b"")
            .status,
        404
    );

    // A po_manager revokes its PO's tokens, and no one else's.
    let (_, manager, _) = w.issue(
        Some(&admin),
        &json!({"label": "Maple manager", "role": "po_manager", "organization_id": w.a}),
    );
    let (b_manager_id, b_manager, _) = w.issue(
        Some(&admin),
        &json!({"label": "Birch manager", "role": "po_manager", "organization_id": w.b}),
    );
    let (b1_desk_id, b1_desk, _) = w.issue(
        Some(&admin),
        &json!({"label": "Birch desk", "role": "practice_manager", "practice_id": w.b1}),
    );
    for (what, target) in [
        ("B's po_manager", b_manager_id),
        ("B1's practice_manager", b1_desk_id),
        ("the admin", id_in_token(&admin)),
    ] {
        let response = w.delete_as(&manager, target);
        assert_eq!(response.status, 404, "po_manager A revokes {what}: {}", response.text());
        assert!(!response.text().contains("Birch"), "{}", response.text());
    }
    assert_eq!(
        w.get_as(&b_manager, &format!("/api/v1/organizations/{}", w.b)).status,
        200
    );
    assert_eq!(w.get_as(&b1_desk, &format!("/api/v1/practices/{}", w.b1)).status, 200);
    assert_eq!(w.server.get("/api/v1/organizations").status, 200);
    let (desk_id, desk, _) = w.issue(
        Some(&manager),
        &json!({"label": "Maple desk", "role": "practice_manager", "practice_id": w.a1}),
    );
    assert_eq!(w.delete_as(&manager, desk_id).status, 200);
    assert_eq!(w.get_as(&desk, &staff).status, 401);

    // Neither a practice_manager nor an auditor revokes anything, even their own.
    let practice_manager = w
        .server
        .token(&["--role", "practice_manager", "--practice", &w.a1.to_string()]);
    let auditor = w.server.token(&["--role", "auditor", "--practice", &w.a1.to_string()]);
    for token in [&practice_manager, &auditor] {
        for target in [id_in_token(token), b1_desk_id] {
            assert_eq!(w.delete_as(token, target).status, 403);
        }
        assert_eq!(w.get_as(token, &staff).status, 200, "still working");
    }

    // The audit trail has the revocation, with the token as it was before.
    let events = w.server.get("/api/v1/audit-events?record_kind=token&limit=500").json();
    let revocation = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["record_id"] == id && e["action"] == "revoke")
        .unwrap_or_else(|| panic!("a revoke event for token {id}: {events}"))
        .clone();
    assert_eq!(revocation["before"]["revoked_at"], Value::Null, "{revocation}");
}

/// What is sent, the body, and the field and rule the 422 names (if any).
type Refusal = (&'static str, Value, Option<(&'static str, &'static str)>);

fn bad_token_requests_are_refused_and_write_nothing(backend: Backend) {
    let w = world(backend);
    let admin = w.server.admin_token.clone();
    let before = w.tokens();
    let long = "x".repeat(201);
    let cases: Vec<Refusal> = vec![
        (
            "an unknown role",
            json!({"label": "x", "role": "superuser"}),
            Some(("role", "one_of")),
        ),
        ("no role", json!({"label": "x"}), Some(("role", "required"))),
        (
            "an admin with a PO",
            json!({"label": "x", "role": "admin", "organization_id": w.a}),
            Some(("role", "scope")),
        ),
        (
            "an admin with a practice",
            json!({"label": "x", "role": "admin", "practice_id": w.a1}),
            Some(("role", "scope")),
        ),
        (
            "a po_manager without a PO",
            json!({"label": "x", "role": "po_manager"}),
            Some(("organization_id", "scope")),
        ),
        (
            "a po_manager of a practice",
            json!({"label": "x", "role": "po_manager", "practice_id": w.a1}),
            Some(("organization_id", "scope")),
        ),
        (
            "a po_manager of a PO and a practice",
            json!({"label": "x", "role": "po_manager", "organization_id": w.a, "practice_id": w.a1}),
            Some(("organization_id", "scope")),
        ),
        (
            "a practice_manager without a practice",
            json!({"label": "x", "role": "practice_manager"}),
            Some(("practice_id", "scope")),
        ),
        (
            "a practice_manager of a PO",
            json!({"label": "x", "role": "practice_manager", "organization_id": w.a}),
            Some(("practice_id", "scope")),
        ),
        (
            "an auditor of nothing",
            json!({"label": "x", "role": "auditor"}),
            Some(("organization_id", "scope")),
        ),
        (
            "an auditor of a PO and a practice",
            json!({"label": "x", "role": "auditor", "organization_id": w.a, "practice_id": w.a1}),
            Some(("organization_id", "scope")),
        ),
        (
            "a practice that does not exist",
            json!({"label": "x", "role": "practice_manager", "practice_id": 987_654}),
            Some(("practice_id", "exists")),
        ),
        (
            "a PO that does not exist",
            json!({"label": "x", "role": "po_manager", "organization_id": 987_654}),
            Some(("organization_id", "exists")),
        ),
        (
            "a practice id of the wrong type",
            json!({"label": "x", "role": "practice_manager", "practice_id": "1"}),
            Some(("practice_id", "type")),
        ),
        (
            "expires in 0 days",
            json!({"label": "x", "role": "admin", "expires_in_days": 0}),
            Some(("expires_in_days", "range")),
        ),
        (
            "expires in 5000 days",
            json!({"label": "x", "role": "admin", "expires_in_days": 5000}),
            Some(("expires_in_days", "range")),
        ),
        (
            "expires in -1 days",
            json!({"label": "x", "role": "admin", "expires_in_days": -1}),
            Some(("expires_in_days", "type")),
        ),
        (
            "an auditor for 0 days",
            json!({"label": "x", "role": "auditor", "organization_id": w.a, "expires_in_days": 0}),
            Some(("expires_in_days", "range")),
        ),
        (
            "a blank label",
            json!({"label": "   ", "role": "admin"}),
            Some(("label", "not_blank")),
        ),
        (
            "an empty label",
            json!({"label": "", "role": "admin"}),
            Some(("label", "not_blank")),
        ),
        ("no label", json!({"role": "admin"}), Some(("label", "required"))),
        (
            "a label with a NUL character",
            json!({"label": "front\u{0}desk", "role": "admin"}),
            Some(("label", "no_nul")),
        ),
        (
            "a label of 201 characters",
            json!({"label": long, "role": "admin"}),
            Some(("label", "length")),
        ),
        (
            "an unknown field",
            json!({"label": "x", "role": "admin", "secret": "mine"}),
            Some(("secret", "unknown_field")),
        ),
        ("not an object", json!(["admin"]), None),
    ];
    for (what, body, want) in &cases {
        let response = w.post_token(Some(&admin), body);
        assert_eq!(response.status, 422, "{what}: {}", response.text());
        if let Some((field, rule)) = want {
            let got = fields(&response);
            assert!(
                got.iter().any(|(f, _)| f == field),
                "{what}: the answer names {got:?}, not {field}: {}",
                response.text()
            );
            if got.len() == 1 {
                assert_eq!(got[0].1, *rule, "{what}: {}", response.text());
            }
        }
    }
    // Not JSON, or not sent as JSON: 400.
    for (content_type, body) in [
        (Some("application/json"), &b"{\"label\": "[..]),
        (Some("application/json"), &b"label=x&role=admin"[..]),
        (Some("text/plain"), &br#"{"label": "x", "role": "admin"}"#[..]),
        (None, &br#"{"label": "x", "role": "admin"}"#[..]),
    ] {
        let response = w
            .server
            .request_as(Some(&admin), "POST", "/api/v1/tokens", content_type, body);
        assert_eq!(response.status, 400, "{content_type:?}: {}", response.text());
    }
    // Paging of the list is checked too.
    for query in ["limit=0", "limit=501", "offset=-1"] {
        let response = w.server.get(&format!("/api/v1/tokens?{query}"));
        assert!(
            matches!(response.status, 400 | 422),
            "GET /tokens?{query}: {}",
            response.text()
        );
    }
    assert_eq!(w.tokens(), before, "refused requests made no token");
    // Garbage in the path of a revocation is a 404, and revokes nothing.
    for path in ["/api/v1/tokens/x", "/api/v1/tokens/-1", "/api/v1/tokens/1.5"] {
        let response = w.server.request("DELETE", path, None, b"");
        assert_eq!(response.status, 404, "DELETE {path}: {}", response.text());
    }
    assert_eq!(w.tokens(), before, "nothing was revoked");

    // JSON whose role is not a string is JSON all the same: 422 naming role, not 400 "not JSON".
    for role in [json!(1), json!(null), json!(true), json!(["admin"])] {
        let response = w.post_token(Some(&admin), &json!({"label": "x", "role": role}));
        assert_eq!(
            (response.status, fields(&response).first().map(|(f, _)| f.clone())),
            (422, Some("role".to_owned())),
            "role {role}: {}",
            response.text()
        );
    }
    assert_eq!(w.tokens(), before);
}

fn the_command_line_makes_lists_and_revokes_tokens(backend: Backend) {
    let w = world(backend);
    let a = w.a.to_string();
    let a1 = w.a1.to_string();

    // `pcmh token create` prints only the token, and it works.
    let token = w.server.token(&[
        "--role",
        "po_manager",
        "--organization",
        &a,
        "--label",
        "Maple PO manager (cli)",
    ]);
    let id = id_in_token(&token);
    assert_eq!(w.get_as(&token, &format!("/api/v1/organizations/{a}")).status, 200);
    assert_eq!(w.get_as(&token, &format!("/api/v1/organizations/{}", w.b)).status, 404);
    let info = w.token_info(id);
    assert_eq!(info["created_by"], Value::Null, "made on the command line");
    assert_eq!(info["label"], "Maple PO manager (cli)");

    // `pcmh token list` shows it, never the secret.
    let listed = w.pcmh(&["token", "list"]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    let secret = token.rsplit('_').next().expect("a secret");
    assert!(!text.contains(secret), "the list shows the secret: {text}");
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&id.to_string()))
        .unwrap_or_else(|| panic!("token {id} is listed: {text}"));
    assert!(line.contains("po_manager"), "{line}");
    assert!(line.contains(&format!("organization {a}")), "{line}");
    assert!(line.contains("active"), "{line}");
    assert!(line.contains("Maple PO manager (cli)"), "{line}");

    // An auditor made without --expires-in expires in 30 days.
    let auditor = w.server.token(&["--role", "auditor", "--practice", &a1]);
    let auditor_id = id_in_token(&auditor);
    let info = w.token_info(auditor_id);
    let created = moment(&info["created_at"]);
    assert_eq!(
        moment(&info["expires_at"]) - created,
        chrono::Duration::days(30),
        "{info}"
    );
    let listed = String::from_utf8_lossy(&w.pcmh(&["token", "list"]).stdout).into_owned();
    let line = listed
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&auditor_id.to_string()))
        .unwrap_or_else(|| panic!("token {auditor_id} is listed: {listed}"));
    let expiry = (created + chrono::Duration::days(30))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    assert!(
        line.split_whitespace().any(|word| word == expiry),
        "the list shows the expiry {expiry}, RFC 3339 in UTC: {line}"
    );
    assert!(line.contains(&format!("practice {a1}")), "{line}");
    // With --expires-in, as told; the expiry it prints is RFC 3339 in UTC.
    let made = w.pcmh(&[
        "token",
        "create",
        "--role",
        "auditor",
        "--organization",
        &a,
        "--expires-in",
        "2",
    ]);
    let said = String::from_utf8_lossy(&made.stderr).into_owned();
    assert!(made.status.success(), "{said}");
    let info = w.token_info(id_in_token(String::from_utf8_lossy(&made.stdout).trim()));
    assert_eq!(
        moment(&info["expires_at"]) - moment(&info["created_at"]),
        chrono::Duration::days(2)
    );
    let expiry = moment(&info["expires_at"]).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert!(said.contains(&format!("(expires {expiry})")), "{said}");
    assert_eq!(w.get_as(&auditor, &format!("/api/v1/practices/{a1}")).status, 200);

    // `pcmh token revoke` makes it 401 at once.
    let revoked = w.pcmh(&["token", "revoke", &id.to_string()]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert_eq!(w.get_as(&token, &format!("/api/v1/organizations/{a}")).status, 401);
    assert!(w.token_info(id)["revoked_at"].is_string());
    let listed = String::from_utf8_lossy(&w.pcmh(&["token", "list"]).stdout).into_owned();
    let line = listed
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&id.to_string()))
        .unwrap_or_else(|| panic!("token {id} is listed: {listed}"));
    assert!(line.contains("revoked"), "{line}");
    // Revoking again is fine.
    let again = w.pcmh(&["token", "revoke", &id.to_string()]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));

    // Bad input on the command line: a message and a failing exit, and no token.
    let before = w.tokens();
    for args in [
        vec!["token", "create", "--role", "wizard"],
        vec!["token", "create", "--role", "po_manager"],
        vec!["token", "create", "--role", "practice_manager", "--organization", &a],
        vec!["token", "create", "--role", "admin", "--expires-in", "0"],
        vec!["token", "create", "--role", "admin", "--expires-in", "5000"],
        vec!["token", "create", "--role", "admin", "--label", "  "],
        vec!["token", "create", "--role", "practice_manager", "--practice", "987654"],
        vec!["token", "revoke", "987654"],
    ] {
        let output = w.pcmh(&args);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(
            output.stdout.is_empty(),
            "{args:?} printed {:?}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(!output.stderr.is_empty(), "{args:?} says why");
    }
    assert_eq!(w.tokens(), before, "refused commands made no token");
}
