//! The web application over real HTTP: invitations, sign-in and lock-out, sessions that end,
//! CSRF and origin checks, the access rule on every page route, forms that answer 422 with the
//! API's messages beside the fields, and the security headers. (The pages in a real browser
//! are tested by tests/browser.rs.)

mod common;

use common::{organization_with_practice, pcmh_on, try_http_with, Backend, Response, Server};
use serde_json::{json, Value};

/// A person in a browser: the session cookie and the CSRF token of the last page.
struct Person<'a> {
    server: &'a Server,
    cookie: Option<String>,
    csrf: String,
}

fn form_body(fields: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        out.append_pair(k, v);
    }
    out.finish()
}

impl<'a> Person<'a> {
    fn new(server: &'a Server) -> Self {
        Person {
            server,
            cookie: None,
            csrf: String::new(),
        }
    }

    fn send(&mut self, method: &str, path: &str, origin: Option<&str>, body: Option<String>) -> Response {
        let own_origin = format!("http://{}", self.server.address);
        let cookie = self.cookie.as_ref().map(|c| format!("pcmh_session={c}"));
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(c) = cookie.as_deref() {
            headers.push(("Cookie", c));
        }
        if method == "POST" {
            headers.push(("Origin", origin.unwrap_or(&own_origin)));
        }
        let content_type = body.as_ref().map(|_| "application/x-www-form-urlencoded");
        let response = try_http_with(
            &self.server.address,
            method,
            path,
            &headers,
            content_type,
            body.unwrap_or_default().as_bytes(),
        )
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        for (name, value) in &response.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                if let Some(rest) = value.strip_prefix("pcmh_session=") {
                    let secret = rest.split(';').next().unwrap_or_default();
                    self.cookie = (!secret.is_empty()).then(|| secret.to_owned());
                }
            }
        }
        let text = response.text();
        if let Some(at) = text.find("name=\"csrf-token\" content=\"") {
            let rest = &text[at + "name=\"csrf-token\" content=\"".len()..];
            self.csrf = rest[..rest.find('"').unwrap_or(0)].to_owned();
        }
        response
    }

    fn get(&mut self, path: &str) -> Response {
        self.send("GET", path, None, None)
    }

    /// Posts a form with the session's CSRF token.
    fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf.clone();
        let mut all = fields.to_vec();
        all.push(("csrf_token", &csrf));
        self.send("POST", path, None, Some(form_body(&all)))
    }

    fn sign_in(&mut self, email: &str, password: &str) -> Response {
        self.send(
            "POST",
            "/sign-in",
            None,
            Some(form_body(&[("email", email), ("password", password), ("next", "/")])),
        )
    }
}

/// Invites a person on the command line and has them set `password`; returns them signed in.
fn invited<'a>(server: &'a Server, email: &str, role_args: &[&str], password: &str) -> Person<'a> {
    let mut args = vec![
        "user",
        "invite",
        "--email",
        email,
        "--public-url",
        "http://example.test",
    ];
    args.extend_from_slice(role_args);
    let link = pcmh_on(server, &args);
    let path = link
        .strip_prefix("http://example.test")
        .expect("the link names the public URL");
    assert!(path.starts_with("/invitations/"), "{link}");
    let mut person = Person::new(server);
    assert_eq!(person.get(path).status, 200);
    let response = person.send(
        "POST",
        path,
        None,
        Some(form_body(&[("password", password), ("password_confirm", password)])),
    );
    assert_eq!(response.status, 303, "{}", response.text());
    assert!(person.cookie.is_some(), "setting the password signs in");
    person
}

fn location(response: &Response) -> String {
    response.header("location").unwrap_or_default().to_owned()
}

fn invitations_set_a_password_once_and_sign_in(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple");
    let link = pcmh_on(
        &server,
        &[
            "user",
            "invite",
            "--email",
            "Ana@Example.org",
            "--role",
            "practice_manager",
            "--practice",
            &practice.to_string(),
        ],
    );
    let path = link
        .split("127.0.0.1:8080")
        .nth(1)
        .expect("a link on the default public URL")
        .to_owned();
    let mut ana = Person::new(&server);
    let page = ana.get(&path);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("ana@example.org"));
    // Two different passwords: the same form again, the message beside the second field.
    let mismatch = ana.send(
        "POST",
        &path,
        None,
        Some(form_body(&[
            ("password", "a long password 1"),
            ("password_confirm", "a long password 2"),
        ])),
    );
    assert_eq!(mismatch.status, 422);
    assert!(
        mismatch.text().contains("id=\"password_confirm-error\""),
        "{}",
        mismatch.text()
    );
    let short = ana.send(
        "POST",
        &path,
        None,
        Some(form_body(&[("password", "short"), ("password_confirm", "short")])),
    );
    assert_eq!(short.status, 422);
    assert!(short.text().contains("12 to 128 characters"));
    let set = ana.send(
        "POST",
        &path,
        None,
        Some(form_body(&[
            ("password", "a long password 1"),
            ("password_confirm", "a long password 1"),
        ])),
    );
    assert_eq!(set.status, 303);
    assert_eq!(location(&set), format!("/practices/{practice}"));
    let cookie = set.header("set-cookie").expect("a session cookie").to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "not Secure without an https public URL: {cookie}"
    );
    assert_eq!(ana.get(&format!("/practices/{practice}")).status, 200);
    // The link works once.
    assert_eq!(Person::new(&server).get(&path).status, 404);
    // Signing out ends the session in the database: the old cookie no longer opens a page.
    let old = ana.cookie.clone();
    let out = ana.post("/sign-out", &[]);
    assert_eq!((out.status, location(&out).as_str()), (303, "/sign-in?signed_out=1"));
    let mut replay = Person::new(&server);
    replay.cookie = old;
    let page = replay.get(&format!("/practices/{practice}"));
    assert_eq!(page.status, 303);
    assert!(location(&page).starts_with("/sign-in"));
    // Signing in again with the password set.
    let again = Person::new(&server).sign_in("ana@example.org", "a long password 1");
    assert_eq!(
        (again.status, location(&again)),
        (303, format!("/practices/{practice}"))
    );
}

fn wrong_passwords_lock_out_with_the_same_answer(backend: Backend) {
    let server = Server::start(backend);
    invited(&server, "ben@example.org", &["--role", "admin"], "the right password");
    let mut ben = Person::new(&server);
    assert_eq!(
        ben.sign_in("BEN@example.org ", "the right password").status,
        303,
        "emails are not case-sensitive"
    );
    let mut stranger = Person::new(&server);
    let wrong = stranger.sign_in("ben@example.org", "not it");
    let unknown = stranger.sign_in("nobody@example.org", "not it");
    assert_eq!((wrong.status, unknown.status), (422, 422));
    let alert = |r: &Response| {
        let text = r.text();
        let at = text.find("role=\"alert\"").expect("an alert");
        text[at..at + 120].to_owned()
    };
    assert_eq!(
        alert(&wrong),
        alert(&unknown),
        "the same words whether or not the email has an account"
    );
    for _ in 0..3 {
        assert_eq!(stranger.sign_in("ben@example.org", "still not it").status, 422);
    }
    // Five failures from this address: even the right password is refused now.
    let locked = stranger.sign_in("ben@example.org", "the right password");
    assert_eq!(locked.status, 422);
    assert!(locked.text().contains("Too many failed sign-ins"));
    assert!(stranger.cookie.is_none());
    let events = server.get("/api/v1/audit-events?record_kind=session&limit=100").json();
    let actions: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"sign_in") && actions.contains(&"sign_in_failed") && actions.contains(&"lock_out"),
        "{actions:?}"
    );
    let text = events.to_string();
    assert!(
        !text.contains("not it") && !text.contains("the right password"),
        "no typed password is kept"
    );
}

fn forms_need_the_csrf_token_and_our_origin(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple");
    let p = practice.to_string();
    let mut ana = invited(
        &server,
        "ana@example.org",
        &["--role", "practice_manager", "--practice", &p],
        "a long password 1",
    );
    assert_eq!(ana.get(&format!("/practices/{practice}/staff")).status, 200);
    let staff = [("name", "Ben Okafor"), ("role", "nurse"), ("started_on", "2024-01-02")];
    let path = format!("/practices/{practice}/staff");
    let no_token = ana.send("POST", &path, None, Some(form_body(&staff)));
    assert_eq!(no_token.status, 403);
    let mut with_token = staff.to_vec();
    let csrf = ana.csrf.clone();
    with_token.push(("csrf_token", &csrf));
    let other_site = ana.send(
        "POST",
        &path,
        Some("https://evil.example"),
        Some(form_body(&with_token)),
    );
    assert_eq!(other_site.status, 403);
    let listed = server.get(&format!("/api/v1/practices/{practice}/staff")).json();
    assert_eq!(listed["total"], 0, "nothing was written");
    let added = ana.post(&path, &staff);
    assert_eq!(added.status, 303, "{}", added.text());
    let listed = server.get(&format!("/api/v1/practices/{practice}/staff")).json();
    assert_eq!(listed["total"], 1);
    // The audit trail names the person who wrote, not a token.
    let events = server
        .get(&format!(
            "/api/v1/audit-events?record_kind=staff&practice_id={practice}"
        ))
        .json();
    let event = &events["items"][0];
    assert!(
        event["user_id"].as_i64().is_some() && event["token_id"].is_null(),
        "{event}"
    );
}

fn a_form_with_bad_input_comes_back_with_the_apis_messages(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple");
    let p = practice.to_string();
    let mut ana = invited(
        &server,
        "ana@example.org",
        &["--role", "practice_manager", "--practice", &p],
        "a long password 1",
    );
    ana.get(&format!("/practices/{practice}/staff"));
    let path = format!("/practices/{practice}/staff");
    let page = ana.post(
        &path,
        &[("name", "  "), ("role", "nurse"), ("started_on", "1850-01-01")],
    );
    assert_eq!(page.status, 422);
    let text = page.text();
    // The API answers the same body with these fields and messages.
    let api = server.post(
        &path.replace("/practices", "/api/v1/practices"),
        &json!({"name": "  ", "role": "nurse", "started_on": "1850-01-01"}),
    );
    assert_eq!(api.status, 422);
    for field in api.json()["error"]["fields"].as_array().expect("fields") {
        let name = field["field"].as_str().expect("a field");
        let message = field["message"].as_str().expect("a message");
        assert!(
            text.contains(&format!("id=\"{name}-error\">{message}")),
            "{name}: {message} beside the field"
        );
    }
    assert!(text.contains("value=\"1850-01-01\""), "the input is kept");
    assert_eq!(
        server.get(&format!("/api/v1/practices/{practice}/staff")).json()["total"],
        0
    );
}

fn sessions_end_when_idle_or_when_the_account_is_disabled(backend: Backend) {
    let mut server = Server::start(backend);
    server.kill();
    server.launch(&["--session-idle-timeout", "1"]);
    let mut ben = invited(&server, "ben@example.org", &["--role", "admin"], "the right password");
    assert_eq!(ben.get("/").status, 200);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let page = ben.get("/");
    assert_eq!(page.status, 303);
    assert!(
        location(&page).starts_with("/sign-in?timed_out=1"),
        "{}",
        location(&page)
    );
    let mut signed_out = Person::new(&server);
    let sign_in_page = signed_out.get(&location(&page));
    assert!(sign_in_page
        .text()
        .contains("signed out after 1 second without activity"));

    let mut cara = invited(&server, "cara@example.org", &["--role", "admin"], "the right password");
    assert_eq!(cara.get("/").status, 200);
    pcmh_on(&server, &["user", "disable", "--email", "cara@example.org"]);
    assert_eq!(cara.get("/").status, 303, "a disabled account's session ends at once");
    assert_eq!(
        Person::new(&server)
            .sign_in("cara@example.org", "the right password")
            .status,
        422
    );
}

/// Every page route, for every role: what the access rule answers (the same rule as the API's).
fn every_page_route_applies_the_access_rule(backend: Backend) {
    let server = Server::start(backend);
    let (po, mine) = organization_with_practice(&server, "Maple");
    let other = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Riverside"}),
    )["id"]
        .as_i64()
        .expect("an id");
    let (_, elsewhere) = organization_with_practice(&server, "Far away");
    let (po_s, mine_s) = (po.to_string(), mine.to_string());
    let people: Vec<(&str, Person)> = vec![
        (
            "admin",
            invited(&server, "admin@example.org", &["--role", "admin"], "a long password 1"),
        ),
        (
            "po_manager",
            invited(
                &server,
                "po@example.org",
                &["--role", "po_manager", "--organization", &po_s],
                "a long password 1",
            ),
        ),
        (
            "practice_manager",
            invited(
                &server,
                "pm@example.org",
                &["--role", "practice_manager", "--practice", &mine_s],
                "a long password 1",
            ),
        ),
        (
            "auditor",
            invited(
                &server,
                "au@example.org",
                &["--role", "auditor", "--practice", &mine_s],
                "a long password 1",
            ),
        ),
    ];
    let screens = [
        "",
        "/staff",
        "/trainings",
        "/meetings",
        "/care-plans",
        "/documents",
        "/surveys",
        "/packet",
        "/criteria/4.1",
    ];
    for (role, mut person) in people {
        for (practice, visible) in [
            (mine, true),
            (other, matches!(role, "admin" | "po_manager")),
            (elsewhere, role == "admin"),
            (999_999, false),
        ] {
            for screen in screens {
                let path = format!("/practices/{practice}{screen}");
                let status = person.get(&path).status;
                let expected = if visible { 200 } else { 404 };
                assert_eq!(status, expected, "{role} GET {path}");
            }
        }
        // Writing: an auditor is refused (403) in scope; outside scope nothing exists (404).
        person.get(&format!("/practices/{mine}/staff"));
        let add = person.post(
            &format!("/practices/{mine}/staff"),
            &[("name", "Dee"), ("role", "nurse"), ("started_on", "2024-01-02")],
        );
        let expected = if role == "auditor" { 403 } else { 303 };
        assert_eq!(add.status, expected, "{role} POST staff");
        let add = person.post(
            &format!("/practices/{elsewhere}/staff"),
            &[("name", "Dee"), ("role", "nurse"), ("started_on", "2024-01-02")],
        );
        let expected = if role == "admin" { 303 } else { 404 };
        assert_eq!(add.status, expected, "{role} POST staff elsewhere");
    }
    // Without a session every page sends to the sign-in page, and back afterwards.
    let anonymous = Person::new(&server).get(&format!("/practices/{mine}/staff"));
    assert_eq!(anonymous.status, 303);
    assert_eq!(
        location(&anonymous),
        format!("/sign-in?next=%2Fpractices%2F{mine}%2Fstaff")
    );
}

/// Every form that writes, for the roles that may not use it here: an auditor is refused (403)
/// before anything is read or written; a practice manager of another practice finds nothing
/// (404). The packet export is a read: an auditor may post it.
fn every_page_write_applies_the_access_rule(backend: Backend) {
    let server = Server::start(backend);
    let (po, mine) = organization_with_practice(&server, "Maple");
    let other = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Riverside"}),
    )["id"]
        .as_i64()
        .expect("an id");
    let (mine_s, other_s) = (mine.to_string(), other.to_string());
    let mut auditor = invited(
        &server,
        "au@example.org",
        &["--role", "auditor", "--practice", &mine_s],
        "a long password 1",
    );
    let mut stranger = invited(
        &server,
        "pm@example.org",
        &["--role", "practice_manager", "--practice", &other_s],
        "a long password 1",
    );
    auditor.get("/");
    stranger.get(&format!("/practices/{other}"));
    let writes = [
        "/staff",
        "/staff/1/last-day",
        "/trainings",
        "/trainings/import",
        "/trainings/import/confirm",
        "/trainings/1/void",
        "/staff/1/void",
        "/meetings/1/void",
        "/meetings/1/follow-ups/1/void",
        "/care-plans/1/void",
        "/care-plans/1/shares/1/void",
        "/surveys/1/void",
        "/documents/1/void",
        "/meetings",
        "/meetings/1/follow-ups/1/done",
        "/care-plans",
        "/care-plans/1/shares",
        "/care-plans/1/established",
        "/documents",
        "/surveys",
        "/reports",
        "/criteria/4.1",
        "/settings",
        "/packet",
        "/packet/oscal",
        "/packet/fhir",
    ];
    let before = server.get("/api/v1/audit-events?limit=500").json()["total"].clone();
    for write in writes {
        let path = format!("/practices/{mine}{write}");
        let status = auditor.post(&path, &[("name", "x")]).status;
        if write.starts_with("/packet") {
            assert!(status == 200 || status == 422, "auditor POST {path}: {status}");
        } else {
            assert_eq!(status, 403, "auditor POST {path}");
        }
        assert_eq!(
            stranger.post(&path, &[("name", "x")]).status,
            404,
            "another practice's manager POST {path}"
        );
    }
    // Nothing was written: the only events since are the auditor's packet export.
    let before = before.as_i64().expect("a count");
    let events = server
        .get(&format!("/api/v1/audit-events?limit=500&offset={before}"))
        .json();
    let since: Vec<&Value> = events["items"].as_array().expect("items").iter().collect();
    assert!(
        since.len() <= 1 && since.iter().all(|e| e["action"] == "export"),
        "{since:#?}"
    );
}

/// The PO's and the admin's forms: a PO auditor is refused (403) on the PO's writes and finds no
/// admin page (404); a PO manager of another PO finds nothing (404); nothing is written.
fn every_po_and_admin_write_applies_the_access_rule(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple");
    let (elsewhere, _) = organization_with_practice(&server, "Far away");
    let (po_s, elsewhere_s) = (po.to_string(), elsewhere.to_string());
    let mut auditor = invited(
        &server,
        "au@example.org",
        &["--role", "auditor", "--organization", &po_s],
        "a long password 1",
    );
    let mut stranger = invited(
        &server,
        "po@example.org",
        &["--role", "po_manager", "--organization", &elsewhere_s],
        "a long password 1",
    );
    auditor.get("/");
    stranger.get("/");
    let before = server.get("/api/v1/audit-events?limit=1").json()["total"]
        .as_i64()
        .expect("a count");
    for write in [
        "/attestations",
        "/documents",
        "/practices",
        "/reports",
        "/upgrade",
        "/documents/1/void",
        "/reports/1/void",
    ] {
        let path = format!("/organizations/{po}{write}");
        assert_eq!(
            auditor.post(&path, &[("name", "x")]).status,
            403,
            "PO auditor POST {path}"
        );
        assert_eq!(
            stranger.post(&path, &[("name", "x")]).status,
            404,
            "another PO's manager POST {path}"
        );
    }
    for path in [
        "/admin/organizations".to_owned(),
        format!("/admin/organizations/{po}/rename"),
        format!("/admin/practices/{practice}/rename"),
        format!("/admin/practices/{practice}/time-zone"),
        format!("/admin/practices/{practice}/catalog"),
    ] {
        for (who, person) in [("auditor", &mut auditor), ("PO manager", &mut stranger)] {
            assert_eq!(person.post(&path, &[("name", "x")]).status, 404, "{who} POST {path}");
        }
    }
    let after = server.get("/api/v1/audit-events?limit=1").json()["total"]
        .as_i64()
        .expect("a count");
    assert_eq!(after, before, "nothing was written");
}

fn pages_carry_the_security_headers_and_cached_assets(backend: Backend) {
    let server = Server::start(backend);
    let mut admin = invited(&server, "admin@example.org", &["--role", "admin"], "a long password 1");
    for path in ["/", "/sign-in", "/no-such-page"] {
        let page = admin.get(path);
        let csp = page.header("content-security-policy").unwrap_or_default().to_owned();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline") && !csp.contains("http"), "{path}: {csp}");
        assert_eq!(page.header("referrer-policy"), Some("same-origin"), "{path}");
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"), "{path}");
        let text = page.text();
        assert!(
            !text.contains("<script>") && !text.contains("style=\""),
            "{path}: no inline script or style"
        );
    }
    assert_eq!(admin.get("/no-such-page").status, 404);
    let home = admin.get("/").text();
    for asset in ["app.css", "htmx.min.js", "app.js"] {
        let at = home
            .find(&format!("/{asset}\""))
            .unwrap_or_else(|| panic!("{asset} is linked"));
        let start = home[..at].rfind("\"/assets/").expect("an asset URL") + 1;
        let url = &home[start..at + asset.len() + 1];
        let served = admin.get(url);
        assert_eq!(served.status, 200, "{url}");
        assert_eq!(
            served.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{url}"
        );
        assert!(!served.body.is_empty());
    }
}

fn a_practice_keeps_its_time_zone_and_today_follows_it(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple");
    let p = practice.to_string();
    let mut ana = invited(
        &server,
        "ana@example.org",
        &["--role", "practice_manager", "--practice", &p],
        "a long password 1",
    );
    let dashboard = ana.get(&format!("/practices/{practice}"));
    assert!(
        dashboard.text().contains("value=\"America/Detroit\""),
        "the default time zone"
    );
    let path = format!("/practices/{practice}/settings");
    let refused = ana.post(&path, &[("time_zone", "Mars/Olympus_Mons")]);
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("id=\"time_zone-error\""), "{}", refused.text());
    assert_eq!(
        server.get(&format!("/api/v1/practices/{practice}")).json()["time_zone"],
        "America/Detroit"
    );
    // Kiritimati is UTC+14: its today is tomorrow in UTC for ten hours of every day, so the
    // default as_of of the API and the dashboard must be the practice's own day.
    let saved = ana.post(&path, &[("time_zone", "Pacific/Kiritimati")]);
    assert_eq!(saved.status, 303, "{}", saved.text());
    let view = server.get(&format!("/api/v1/practices/{practice}/compliance")).json();
    let kiritimati_today = (chrono::Utc::now() + chrono::Duration::hours(14)).date_naive();
    assert_eq!(
        view["as_of"],
        kiritimati_today.to_string(),
        "as_of is the practice's today"
    );
}

fn cookies_are_secure_behind_an_https_public_url(backend: Backend) {
    let mut server = Server::start(backend);
    server.kill();
    server.launch(&["--public-url", "https://pcmh.example.org"]);
    let link = pcmh_on(
        &server,
        &[
            "user",
            "invite",
            "--email",
            "dee@example.org",
            "--role",
            "admin",
            "--public-url",
            "https://pcmh.example.org",
        ],
    );
    let path = link
        .strip_prefix("https://pcmh.example.org")
        .expect("the public URL")
        .to_owned();
    let mut dee = Person::new(&server);
    let set = dee.send(
        "POST",
        &path,
        None,
        Some(form_body(&[
            ("password", "a long password 1"),
            ("password_confirm", "a long password 1"),
        ])),
    );
    assert_eq!(set.status, 303);
    let cookie = set.header("set-cookie").expect("a session cookie");
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
}

/// A 2 GB packet announced to the verify page is refused from its declared size, before any of
/// it is read: the answer comes while the body has not even been sent.
fn a_two_gigabyte_packet_is_refused_before_it_is_read(backend: Backend) {
    use std::io::{Read, Write};
    let server = Server::start(backend);
    let mut ben = invited(&server, "ben@example.org", &["--role", "admin"], "the right password");
    assert_eq!(ben.get("/packets/verify").status, 200);
    let cookie = ben.cookie.clone().expect("signed in");
    let mut stream = std::net::TcpStream::connect(&server.address).expect("the server answers");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("a timeout");
    let head = format!(
        "POST /packets/verify HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\n\
         Cookie: pcmh_session={cookie}\r\nContent-Type: multipart/form-data; boundary=xyz\r\n\
         Content-Length: 2147483648\r\nConnection: close\r\n\r\n--xyz\r\n",
        address = server.address
    );
    stream.write_all(head.as_bytes()).expect("the head is sent");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 422"), "{}", &text[..text.len().min(300)]);
    assert!(text.contains("512 MiB"), "the page says the limit");
}

/// The packet page also gives the period's exports for other tools (the same bytes as the API's),
/// and a bad period comes back as the same page with the message beside the field; the PO page
/// and a catalog version's page link their OSCAL documents.
fn the_standards_exports_download_from_the_pages(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Dogwood");
    let provider = server.create(
        &format!("/api/v1/practices/{practice}/staff"),
        &json!({"name": "Dr. Ruth Park", "role": "physician", "started_on": "2019-03-04"}),
    )["id"]
        .as_i64()
        .expect("an id");
    let plan = server.create(
        &format!("/api/v1/practices/{practice}/care-plans"),
        &json!({
            "kind": "advance_care_plan",
            "patient_ref": "PT-00042",
            "initiating_provider": provider,
            "discussed_on": "2026-04-02",
            "established_on": "2026-04-09",
            "documented_in_record": true,
            "care_partners": ["Home care agency", "Cardiology"]
        }),
    );
    let partner = plan["care_partners"][1]["id"].as_i64().expect("a partner id");
    server.create(
        &format!("/api/v1/practices/{practice}/care-plans/{}/shares", plan["id"]),
        &json!({"partner_id": partner, "shared_on": "2026-04-10", "method": "fax"}),
    );
    let p = practice.to_string();
    let mut auditor = invited(
        &server,
        "au@example.org",
        &["--role", "auditor", "--practice", &p],
        "a long password 1",
    );
    let page = auditor.get(&format!("/practices/{practice}/packet")).text();
    assert!(
        page.contains(&format!("formaction=\"/practices/{practice}/packet/fhir\"")),
        "{page}"
    );
    let period = [("from", "2026-01-01"), ("to", "2026-06-30")];

    let fhir = auditor.post(&format!("/practices/{practice}/packet/fhir"), &period);
    assert_eq!(fhir.status, 200, "{}", fhir.text());
    assert_eq!(fhir.header("content-type"), Some("application/fhir+json"));
    assert!(fhir
        .header("content-disposition")
        .is_some_and(|d| d.starts_with("attachment")));
    let api = server.get(&format!(
        "/api/v1/practices/{practice}/care-plans/fhir?from=2026-01-01&to=2026-06-30"
    ));
    assert_eq!(fhir.json(), api.json(), "the page's FHIR is the API's");
    let bundle = fhir.json();
    let communications = bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Communication")
        .count();
    assert_eq!(communications, 1, "one share, one Communication");

    let oscal = auditor.post(&format!("/practices/{practice}/packet/oscal"), &period);
    assert_eq!(oscal.status, 200, "{}", oscal.text());
    let api = server.get(&format!(
        "/api/v1/practices/{practice}/compliance/oscal?as_of=2026-06-30"
    ));
    assert_eq!(oscal.body, api.body, "the page's OSCAL is the API's, byte for byte");
    let findings = oscal.json()["assessment-results"]["results"][0]["findings"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(findings >= 20, "one finding per criterion: {findings}");

    // A period that ends before it starts: the packet page again, the message beside "To".
    let bad = auditor.post(
        &format!("/practices/{practice}/packet/fhir"),
        &[("from", "2026-06-30"), ("to", "2026-01-01")],
    );
    assert_eq!(bad.status, 422);
    let text = bad.text();
    assert!(text.contains("id=\"to-error\""), "{text}");

    // The PO's matrix and a catalog version link their OSCAL documents.
    let po_s = po.to_string();
    let mut analyst = invited(
        &server,
        "po@example.org",
        &["--role", "po_manager", "--organization", &po_s],
        "a long password 1",
    );
    let matrix = analyst.get(&format!("/organizations/{po}")).text();
    let link = format!("/organizations/{po}/compliance.oscal.json?as_of=");
    assert!(matrix.contains(&link), "{matrix}");
    let download = analyst.get(&format!("{link}2026-06-30"));
    assert_eq!(download.status, 200, "{}", download.text());
    let api = server.get(&format!("/api/v1/organizations/{po}/compliance/oscal?as_of=2026-06-30"));
    assert_eq!(download.body, api.body, "the PO page's OSCAL is the API's");
    let catalog = analyst.get("/catalogs/pcmh-n-domain-4/1.0.0/oscal.json");
    assert_eq!(catalog.status, 200, "{}", catalog.text());
    let api = server.get("/api/v1/catalogs/pcmh-n-domain-4/versions/1.0.0/oscal");
    assert_eq!(catalog.body, api.body, "the catalog page's OSCAL is the API's");
    assert_eq!(analyst.get("/catalogs/pcmh-n-domain-4/9.9.9/oscal.json").status, 404);
}

both_backends! {
    the_standards_exports_download_from_the_pages => the_standards_exports_download_from_the_pages;
    a_training_is_voided_and_amended_on_its_page => a_training_is_voided_and_amended_on_its_page;
    a_survey_result_is_amended_on_its_page => a_survey_result_is_amended_on_its_page;
    a_staff_member_is_amended_on_the_staff_page => a_staff_member_is_amended_on_the_staff_page;
    a_care_plan_is_amended_on_its_page => a_care_plan_is_amended_on_its_page;
    a_meeting_is_amended_on_its_page => a_meeting_is_amended_on_its_page;
    every_po_and_admin_write_applies_the_access_rule => every_po_and_admin_write_applies_the_access_rule;
    a_two_gigabyte_packet_is_refused_before_it_is_read => a_two_gigabyte_packet_is_refused_before_it_is_read;
    cookies_are_secure_behind_an_https_public_url => cookies_are_secure_behind_an_https_public_url;
    every_page_write_applies_the_access_rule => every_page_write_applies_the_access_rule;
    a_practice_keeps_its_time_zone_and_today_follows_it => a_practice_keeps_its_time_zone_and_today_follows_it;
    invitations_set_a_password_once_and_sign_in => invitations_set_a_password_once_and_sign_in;
    wrong_passwords_lock_out_with_the_same_answer => wrong_passwords_lock_out_with_the_same_answer;
    forms_need_the_csrf_token_and_our_origin => forms_need_the_csrf_token_and_our_origin;
    a_form_with_bad_input_comes_back_with_the_apis_messages => a_form_with_bad_input_comes_back_with_the_apis_messages;
    sessions_end_when_idle_or_when_the_account_is_disabled => sessions_end_when_idle_or_when_the_account_is_disabled;
    every_page_route_applies_the_access_rule => every_page_route_applies_the_access_rule;
    pages_carry_the_security_headers_and_cached_assets => pages_carry_the_security_headers_and_cached_assets;
}

/// The training page corrects mistakes: "Void" with a reason marks the record voided in the
/// log (it stays listed); "Amend" opens the form filled in with the record, whose correction
/// replaces it. A void without a reason is refused and writes nothing.
fn a_training_is_voided_and_amended_on_its_page(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple");
    let api = format!("/api/v1/practices/{practice}");
    let staff = server.create(
        &format!("{api}/staff"),
        &json!({"name": "Ana Lopez", "role": "office_leader", "started_on": "2025-01-06"}),
    )["id"]
        .as_i64()
        .expect("an id");
    let training = |topic: &str| {
        server.create(
            &format!("{api}/trainings"),
            &json!({"staff_id": staff, "topic": topic, "completed_on": "2026-06-01", "hours": 1.5, "trainer": "Lee"}),
        )["id"]
            .as_i64()
            .expect("an id")
    };
    let (first, second) = (training("pcmh_n_model"), training("chronic_care_model"));
    let p = practice.to_string();
    let mut ana = invited(
        &server,
        "ana@example.org",
        &["--role", "practice_manager", "--practice", &p],
        "a long password 1",
    );
    let page = format!("/practices/{practice}/trainings");
    let log = ana.get(&page);
    assert_eq!(log.status, 200);
    assert!(
        log.text().contains(&format!("action=\"{page}/{first}/void\"")),
        "a Void form per row"
    );

    let blank = ana.post(&format!("{page}/{first}/void"), &[("reason", "  ")]);
    assert_eq!(blank.status, 422, "{}", blank.text());
    assert!(blank.text().contains("was not voided"), "{}", blank.text());
    assert_eq!(
        server.get(&format!("{api}/trainings/{first}")).json()["voided"],
        Value::Null
    );

    let voided = ana.post(
        &format!("{page}/{first}/void"),
        &[("reason", "recorded for the wrong person")],
    );
    assert_eq!(voided.status, 303, "{}", voided.text());
    let record = server.get(&format!("{api}/trainings/{first}")).json();
    assert_eq!(record["voided"]["reason"], "recorded for the wrong person", "{record}");
    assert!(
        record["voided"]["user_id"].as_i64().is_some(),
        "the person voided it: {record}"
    );
    let log = ana.get(&page).text();
    assert!(
        log.contains("Voided.") && log.contains("recorded for the wrong person"),
        "the log shows the voided record"
    );

    let form = ana.get(&format!("{page}?amend={second}"));
    assert_eq!(form.status, 200);
    let text = form.text();
    assert!(text.contains(&format!("Amend training {second}")), "{text}");
    assert!(
        text.contains("value=\"2026-06-01\""),
        "the form is filled in with the record"
    );
    let amended = ana.post(
        &page,
        &[
            ("staff_id", &staff.to_string()),
            ("topic", "chronic_care_model"),
            ("completed_on", "2026-06-02"),
            ("hours", "1.5"),
            ("trainer", "Lee"),
            ("replaces_id", &second.to_string()),
            ("replaces_reason", "the wrong day"),
        ],
    );
    assert_eq!(amended.status, 303, "{}", amended.text());
    let old = server.get(&format!("{api}/trainings/{second}")).json();
    assert_eq!(old["voided"]["reason"], "the wrong day", "{old}");
    let new = old["replaced_by"].as_i64().expect("the correction's id");
    let new = server.get(&format!("{api}/trainings/{new}")).json();
    assert_eq!(new["replaces"], second);
    assert_eq!(new["completed_on"], "2026-06-02");

    // The other lists mark what was voided too.
    let survey = server.create(
        &format!("{api}/surveys"),
        &json!({"kind": "office_efficiency", "conducted_on": "2026-05-10", "respondents": 10, "score": 80.0}),
    )["id"]
        .as_i64()
        .expect("an id");
    let surveys_page = format!("/practices/{practice}/surveys");
    let form = ana.get(&surveys_page).text();
    assert!(
        form.contains(&format!("action=\"{surveys_page}/{survey}/void\"")),
        "a Void form per row"
    );
    let voided = ana.post(
        &format!("{surveys_page}/{survey}/void"),
        &[("reason", "a typo in its date")],
    );
    assert_eq!(voided.status, 303, "{}", voided.text());
    assert!(location(&voided).contains("was+voided"), "{}", location(&voided));
    let surveys = ana.get(&surveys_page).text();
    assert!(
        surveys.contains("Voided on") && surveys.contains("a typo in its date"),
        "the surveys page marks the voided result"
    );
    let twice = ana.post(&format!("{surveys_page}/{survey}/void"), &[("reason", "again")]);
    assert!(location(&twice).contains("not+voided"), "{}", location(&twice));
    // A staff member with records is not voided; the notice says to record their last day.
    let refused = ana.post(
        &format!("/practices/{practice}/staff/{staff}/void"),
        &[("reason", "left")],
    );
    assert!(location(&refused).contains("last+day"), "{}", location(&refused));
    assert_eq!(
        server.get(&format!("{api}/staff/{staff}")).json()["voided"],
        Value::Null
    );
}

/// One record amended on its page, as a practice manager does it: the list row's "Amend WHAT N"
/// link opens `page?amend=N` with the form filled in (`filled` is in it); posting `fields` to
/// `post_to` without a reason comes back 422 with the message beside the reason field and
/// writes nothing; with a reason it records the correction, and the list then shows the old
/// record voided ("replaced by WHAT M") and the new one. Returns the new record's id.
struct Amendment<'a> {
    /// The page that lists the record and holds its form.
    page: &'a str,
    /// Where the form posts.
    post_to: &'a str,
    /// The record in the API ("/api/v1/practices/1/surveys"), without its id.
    api: &'a str,
    /// The kind in the page's words ("survey result").
    what: &'a str,
    /// The record amended.
    id: i64,
    /// Something the filled-in form shows of the record.
    filled: &'a str,
    /// The corrected form's fields.
    fields: &'a [(&'a str, &'a str)],
}

fn amend_on_page(server: &Server, person: &mut Person<'_>, amendment: &Amendment<'_>) -> i64 {
    let Amendment {
        page,
        post_to,
        api,
        what,
        id,
        filled,
        fields,
    } = *amendment;
    let list = person.get(page).text();
    let link = format!("{page}?amend={id}#");
    assert!(list.contains(&link), "an Amend link on the row: {link}");
    assert!(
        list.contains(&format!("Amend {what} {id}</a>")),
        "the link names the record"
    );

    let form = person.get(&format!("{page}?amend={id}"));
    assert_eq!(form.status, 200);
    let text = form.text();
    assert!(text.contains(&format!("Amend {what} {id}</h2>")), "{text}");
    assert!(text.contains(filled), "the form is filled in with the record: {filled}");
    assert!(
        text.contains(&format!("name=\"replaces_id\" value=\"{id}\"")),
        "the form names the record it replaces"
    );
    assert!(
        text.contains(&format!(
            "<label for=\"replaces_reason\">Why {what} {id} is corrected</label>"
        )),
        "the reason field is labelled"
    );

    let id_text = id.to_string();
    let mut blank = fields.to_vec();
    blank.extend([("replaces_id", id_text.as_str()), ("replaces_reason", " ")]);
    let refused = person.post(post_to, &blank);
    assert_eq!(refused.status, 422, "{}", refused.text());
    let text = refused.text();
    assert!(
        text.contains(&format!(
            "id=\"replaces_reason-error\">say why the {what} is corrected</p>"
        )),
        "the message is beside the reason field: {text}"
    );
    assert!(
        text.contains(&format!("Amend {what} {id}</h2>")),
        "still the amend form"
    );
    assert_eq!(
        server.get(&format!("{api}/{id}")).json()["voided"],
        Value::Null,
        "nothing written"
    );

    let mut corrected = fields.to_vec();
    corrected.extend([
        ("replaces_id", id_text.as_str()),
        ("replaces_reason", "a typo on the form"),
    ]);
    let amended = person.post(post_to, &corrected);
    assert_eq!(amended.status, 303, "{}", amended.text());
    let old = server.get(&format!("{api}/{id}")).json();
    assert_eq!(old["voided"]["reason"], "a typo on the form", "{old}");
    let new = old["replaced_by"].as_i64().expect("the correction's id");
    assert_eq!(server.get(&format!("{api}/{new}")).json()["replaces"], id);

    let list = person.get(page).text();
    assert!(
        list.contains(&format!("a typo on the form (replaced by {what} {new})")),
        "the list shows the old record voided and what replaced it: {list}"
    );
    assert!(list.contains(&format!("Corrects {what} {id}")), "and the new record");
    assert!(
        !list.contains(&format!("{page}?amend={id}#")),
        "a voided record is not amended again"
    );
    assert!(list.contains(&format!("{page}?amend={new}#")), "the new one may be");
    new
}

/// A survey result with a typo is amended from the surveys page; the list shows the chain.
fn a_survey_result_is_amended_on_its_page(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Birch");
    let api = format!("/api/v1/practices/{practice}/surveys");
    let survey = server.create(
        &api,
        &json!({"kind": "office_efficiency", "conducted_on": "2026-05-10", "respondents": 10, "score": 80.0}),
    )["id"]
        .as_i64()
        .expect("an id");
    let p = practice.to_string();
    let mut ana = invited(
        &server,
        "ana@example.org",
        &["--role", "practice_manager", "--practice", &p],
        "a long password 1",
    );
    let page = format!("/practices/{practice}/surveys");
    let new = amend_on_page(
        &server,
        &mut ana,
        &Amendment {
            page: &page,
            post_to: &page,
            api: &api,
            what: "survey result",
            id: survey,
            filled: "value=\"2026-05-10\"",
            fields: &[
                ("kind", "office_efficiency"),
                ("conducted_on", "2026-05-11"),
                ("respondents", "10"),
                ("score", "80"),
            ],
        },
    );
    assert_eq!(server.get(&format!("{api}/{new}")).json()["conducted_on"], "2026-05-11");
}

/// A staff member entered with a misspelt name is amended from the staff page; one whom records
/// name is not (the page says why, and nothing is written).
fn a_staff_member_is_amended_on_the_staff_page(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Cedar");
    let api = format!("/api/v1/practices/{practice}/staff");
    let add = |name: &str| {
        server.create(
            &api,
            &json!({"name": name, "role": "office_leader", "started_on": "2025-01-06"}),
        )["id"]
            .as_i64()
            .expect("an id")
    };
    let (misspelt, trained) = (add("Jon Smiht"), add("Ana Lopez"));
    server.create(
        &format!("/api/v1/practices/{practice}/trainings"),
        &json!({"staff_id": trained, "topic": "pcmh_n_model", "completed_on": "2026-06-01", "hours": 1.5}),
    );
    let p = practice.to_string();
    let mut ana = invited(
        &server,
        "ana@example.org",
        &["--role", "practice_manager", "--practice", &p],
        "a long password 1",
    );
    let page = format!("/practices/{practice}/staff");
    let new = amend_on_page(
        &server,
        &mut ana,
        &Amendment {
            page: &page,
            post_to: &page,
            api: &api,
            what: "staff member",
            id: misspelt,
            filled: "value=\"Jon Smiht\"",
            fields: &[
                ("name", "Jon Smith"),
                ("role", "office_leader"),
                ("started_on", "2025-01-06"),
                ("ended_on", ""),
            ],
        },
    );
    assert_eq!(server.get(&format!("{api}/{new}")).json()["name"], "Jon Smith");

    let refused = ana.post(
        &page,
        &[
            ("name", "Ana López"),
            ("role", "office_leader"),
            ("started_on", "2025-01-06"),
            ("replaces_id", &trained.to_string()),
            ("replaces_reason", "an accent was missing"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(
        refused.text().contains("role=\"alert\""),
        "the page says why: {}",
        refused.text()
    );
    assert_eq!(server.get(&format!("{api}/{trained}")).json()["voided"], Value::Null);
}

/// A care plan recorded for the wrong patient reference is amended from the care plans page:
/// the form comes filled in with the plan and its partners.
fn a_care_plan_is_amended_on_its_page(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Dogwood");
    let provider = server.create(
        &format!("/api/v1/practices/{practice}/staff"),
        &json!({"name": "Dr. Ruth Park", "role": "physician", "started_on": "2019-03-04"}),
    )["id"]
        .as_i64()
        .expect("an id");
    let api = format!("/api/v1/practices/{practice}/care-plans");
    let plan = server.create(
        &api,
        &json!({
            "kind": "advance_care_plan",
            "patient_ref": "PT-00042",
            "initiating_provider": provider,
            "discussed_on": "2026-04-02",
            "documented_in_record": true,
            "care_partners": ["Home care agency", "Cardiology"]
        }),
    )["id"]
        .as_i64()
        .expect("an id");
    let p = practice.to_string();
    let mut ana = invited(
        &server,
        "ana@example.org",
        &["--role", "practice_manager", "--practice", &p],
        "a long password 1",
    );
    let page = format!("/practices/{practice}/care-plans");
    let form = ana.get(&format!("{page}?amend={plan}")).text();
    assert!(
        form.contains("value=\"Cardiology\""),
        "the partners are filled in: {form}"
    );
    assert!(
        form.contains("type=\"checkbox\" value=\"on\" checked"),
        "and whether it is documented"
    );
    let provider = provider.to_string();
    let new = amend_on_page(
        &server,
        &mut ana,
        &Amendment {
            page: &page,
            post_to: &page,
            api: &api,
            what: "care plan",
            id: plan,
            filled: "value=\"PT-00042\"",
            fields: &[
                ("kind", "advance_care_plan"),
                ("patient_ref", "PT-00024"),
                ("initiating_provider", &provider),
                ("discussed_on", "2026-04-02"),
                ("established_on", ""),
                ("documented_in_record", "on"),
                ("care_partners", "Home care agency"),
                ("care_partners", "Cardiology"),
            ],
        },
    );
    let new = server.get(&format!("{api}/{new}")).json();
    assert_eq!(new["patient_ref"], "PT-00024");
    assert_eq!(new["care_partners"].as_array().map(Vec::len), Some(2), "{new}");
}

/// A meeting entered with the wrong day is amended from the meetings page: the form comes
/// filled in with its attendees and follow-ups.
fn a_meeting_is_amended_on_its_page(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Elm");
    let staff = format!("/api/v1/practices/{practice}/staff");
    let add = |name: &str, role: &str| {
        server.create(&staff, &json!({"name": name, "role": role, "started_on": "2019-03-04"}))["id"]
            .as_i64()
            .expect("an id")
    };
    let (doctor, manager) = (add("Dr. Ruth Park", "physician"), add("Cara Diaz", "care_manager"));
    let api = format!("/api/v1/practices/{practice}/meetings");
    let meeting = server.create(
        &api,
        &json!({
            "held_on": "2026-03-12",
            "kind": "case_conference",
            "attendees": [{"role": "physician", "staff_id": doctor}, {"role": "care_manager", "staff_id": manager}],
            "patients_reviewed": 6,
            "documented_in_chart": true,
            "follow_ups": [
                {"description": "Call the cardiology office", "owner": manager, "due_on": "2026-03-19"},
                {"description": "Update the care plan", "due_on": "2026-03-26", "completed_on": "2026-03-20"}
            ]
        }),
    )["id"]
        .as_i64()
        .expect("an id");
    let p = practice.to_string();
    let mut ana = invited(
        &server,
        "ana@example.org",
        &["--role", "practice_manager", "--practice", &p],
        "a long password 1",
    );
    let page = format!("/practices/{practice}/meetings");
    let form = ana.get(&format!("{page}?amend={meeting}")).text();
    assert!(
        form.contains("value=\"Call the cardiology office\""),
        "the follow-ups are filled in: {form}"
    );
    assert!(
        form.contains(&format!("name=\"attendee\" value=\"{manager}\" checked")),
        "and the attendees"
    );
    assert!(
        form.contains("name=\"fu_done\" type=\"date\" min=\"1900-01-01\" max=\"2100-12-31\" value=\"2026-03-20\""),
        "and the day a follow-up was done"
    );
    let (doctor, manager) = (doctor.to_string(), manager.to_string());
    let new = amend_on_page(
        &server,
        &mut ana,
        &Amendment {
            page: &page,
            post_to: &page,
            api: &api,
            what: "meeting",
            id: meeting,
            filled: "value=\"2026-03-12\"",
            fields: &[
                ("held_on", "2026-03-13"),
                ("kind", "case_conference"),
                ("attendee", &doctor),
                ("attendee", &manager),
                ("patients_reviewed", "6"),
                ("documented_in_chart", "on"),
                ("fu_what", "Call the cardiology office"),
                ("fu_owner", &manager),
                ("fu_due", "2026-03-19"),
                ("fu_done", ""),
                ("fu_what", "Update the care plan"),
                ("fu_owner", ""),
                ("fu_due", "2026-03-26"),
                ("fu_done", "2026-03-20"),
            ],
        },
    );
    let new = server.get(&format!("{api}/{new}")).json();
    assert_eq!(new["held_on"], "2026-03-13");
    assert_eq!(new["attendees"].as_array().map(Vec::len), Some(2), "{new}");
    assert_eq!(new["follow_ups"].as_array().map(Vec::len), Some(2), "{new}");
    assert_eq!(new["follow_ups"][1]["completed_on"], "2026-03-20", "{new}");
}
