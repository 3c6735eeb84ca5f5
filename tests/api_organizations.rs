//! POs, practices, staff, catalogs and compliance over real HTTP, on SQLite and PostgreSQL,
//! with the bad input each endpoint must refuse cleanly.

mod common;

use common::{organization_with_practice, Backend, Server};
use serde_json::json;

both_backends! {
    health_and_catalogs => health_and_catalogs;
    a_practice_is_created_under_its_po => a_practice_is_created_under_its_po;
    staff_are_recorded_listed_and_leave => staff_are_recorded_listed_and_leave;
    compliance_reflects_the_stored_records => compliance_reflects_the_stored_records;
    bad_input_is_refused_with_the_field_and_rule => bad_input_is_refused_with_the_field_and_rule;
    unknown_ids_are_not_found => unknown_ids_are_not_found;
    conflicts_are_409 => conflicts_are_409;
    lists_are_paged => lists_are_paged;
}

fn health_and_catalogs(backend: Backend) {
    let server = Server::start(backend);
    let health = server.get("/healthz");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");

    let catalogs = server.get("/api/v1/catalogs").json();
    let versions: Vec<&str> = catalogs
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1.0.0", "1.1.0"]);
    assert!(catalogs.as_array().unwrap().iter().all(|c| c["criteria"] == 28));

    let catalog = server.get("/api/v1/catalogs/pcmh-n-domain-4/versions/1.0.0").json();
    assert_eq!(catalog["criteria"].as_array().unwrap().len(), 28);
    let criterion = server.get("/api/v1/catalogs/pcmh-n-domain-4/versions/1.1.0/criteria/4.28");
    assert_eq!(criterion.status, 200);
    assert!(criterion.json()["text"]
        .as_str()
        .unwrap()
        .contains("opioid use disorder"));
    assert_eq!(
        server.get("/api/v1/catalogs/pcmh-n-domain-4/versions/9.9.9").status,
        404
    );
    assert_eq!(
        server
            .get("/api/v1/catalogs/pcmh-n-domain-4/versions/1.0.0/criteria/4.99")
            .status,
        404
    );
    assert_eq!(
        server
            .get("/api/v1/catalogs/pcmh-n-domain-4/versions/x/criteria/4.1")
            .status,
        404
    );
}

fn a_practice_is_created_under_its_po(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let got = server.get(&format!("/api/v1/practices/{practice}")).json();
    assert_eq!(got["organization_id"], po);
    assert_eq!(
        got["catalog_version"], "1.0.0",
        "the version in force today is the default"
    );
    assert_eq!(got["initial_focus_population"], "adults with diabetes");

    let listed = server.get(&format!("/api/v1/organizations/{po}/practices")).json();
    assert_eq!(listed["total"], 1);

    let newer = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Riverside", "catalog_version": "1.1.0"}),
    );
    assert_eq!(newer["catalog_version"], "1.1.0");
    let updated = server.patch(
        &format!("/api/v1/practices/{}", newer["id"]),
        &json!({"initial_focus_population": "children with asthma"}),
    );
    assert_eq!(updated.status, 200);
    assert_eq!(updated.json()["initial_focus_population"], "children with asthma");
}

fn staff_are_recorded_listed_and_leave(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/staff");
    let ana = server.create(
        &base,
        &json!({"name": "Ana Lopez", "role": "physician", "started_on": "2019-03-04"}),
    );
    server.create(
        &base,
        &json!({"name": "Ben Okafor", "role": "nurse", "started_on": "2025-06-01"}),
    );
    let left = server.patch(&format!("{base}/{}", ana["id"]), &json!({"ended_on": "2025-12-31"}));
    assert_eq!(left.status, 200, "{}", left.text());
    assert_eq!(left.json()["ended_on"], "2025-12-31");
    // Active at some point in 2026: only Ben.
    let active = server.get(&format!("{base}?from=2026-01-01&to=2026-12-31")).json();
    assert_eq!(active["total"], 1);
    assert_eq!(active["items"][0]["name"], "Ben Okafor");
    let before_start = server.patch(&format!("{base}/{}", ana["id"]), &json!({"ended_on": "2019-01-01"}));
    assert_eq!(before_start.status, 422);
    assert_eq!(
        before_start.error_fields(),
        [("ended_on".to_owned(), "not_before_start".to_owned())]
    );
}

fn compliance_reflects_the_stored_records(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let compliance = server.get(&format!("/api/v1/practices/{practice}/compliance?as_of=2026-11-24"));
    assert_eq!(compliance.status, 200, "{}", compliance.text());
    let body = compliance.json();
    assert_eq!(body["catalog_version"], "1.0.0");
    assert_eq!(body["criteria"].as_array().unwrap().len(), 28);
    assert_eq!(
        body["summary"]["not_applicable"], 5,
        "the PO-level criteria are not assessed per practice"
    );
    let first = &body["criteria"][0];
    assert_eq!(first["criterion"], "4.1");
    assert_eq!(first["status"], "not_met");
    assert_eq!(first["reasons"][0], "no active staff are on record as of 2026-11-24");

    server.create(
        &format!("/api/v1/practices/{practice}/staff"),
        &json!({"name": "Ana Lopez", "role": "physician", "started_on": "2019-03-04"}),
    );
    let body = server
        .get(&format!("/api/v1/practices/{practice}/compliance?as_of=2026-11-24"))
        .json();
    assert!(
        body["criteria"][0]["reasons"][1]
            .as_str()
            .unwrap()
            .starts_with("1 of 1 active staff have no Patient Centered Medical Home-Neighbor (PCMH-N) models training"),
        "{}",
        body["criteria"][0]["reasons"]
    );
    let bad_date = server.get(&format!("/api/v1/practices/{practice}/compliance?as_of=2026-02-30"));
    assert_eq!(bad_date.status, 400);
    assert_eq!(bad_date.error_fields()[0].0, "as_of");
    let far = server.get(&format!("/api/v1/practices/{practice}/compliance?as_of=3026-01-01"));
    assert_eq!(far.status, 422);
    assert_eq!(far.error_fields(), [("as_of".to_owned(), "date_range".to_owned())]);
}

/// What is sent, where, the body, the status expected, and the (field, rule) named.
type Case<'a> = (&'a str, String, &'a str, u16, Option<(&'a str, &'a str)>);

fn bad_input_is_refused_with_the_field_and_rule(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let staff = format!("/api/v1/practices/{practice}/staff");
    let cases: Vec<Case> = vec![
        (
            "wrong type",
            staff.clone(),
            r#"{"name": 5, "role": "nurse", "started_on": "2020-01-01"}"#,
            422,
            Some(("name", "type")),
        ),
        (
            "missing field",
            staff.clone(),
            r#"{"name": "A", "started_on": "2020-01-01"}"#,
            422,
            Some(("role", "required")),
        ),
        (
            "unknown field",
            staff.clone(),
            r#"{"name": "A", "role": "nurse", "started_on": "2020-01-01", "salary": 1}"#,
            422,
            Some(("salary", "unknown_field")),
        ),
        (
            "unknown role",
            staff.clone(),
            r#"{"name": "A", "role": "wizard", "started_on": "2020-01-01"}"#,
            422,
            Some(("role", "one_of")),
        ),
        (
            "impossible date",
            staff.clone(),
            r#"{"name": "A", "role": "nurse", "started_on": "2020-02-30"}"#,
            422,
            Some(("started_on", "format")),
        ),
        (
            "out-of-range date",
            staff.clone(),
            r#"{"name": "A", "role": "nurse", "started_on": "1850-01-01"}"#,
            422,
            Some(("started_on", "date_range")),
        ),
        (
            "blank name",
            staff.clone(),
            r#"{"name": "  ", "role": "nurse", "started_on": "2020-01-01"}"#,
            422,
            Some(("name", "not_blank")),
        ),
        ("malformed JSON", staff.clone(), r#"{"name": "A", "role""#, 400, None),
        ("not an object", staff.clone(), r#"[1, 2]"#, 422, None),
        (
            "blank PO name",
            "/api/v1/organizations".into(),
            r#"{"name": ""}"#,
            422,
            Some(("name", "not_blank")),
        ),
        (
            "unknown catalog version",
            format!("/api/v1/organizations/{po}/practices"),
            r#"{"name": "X", "catalog_version": "7.0.0"}"#,
            422,
            Some(("catalog_version", "known_version")),
        ),
    ];
    for (what, path, body, status, field) in cases {
        let response = server.request("POST", &path, Some("application/json"), body.as_bytes());
        assert_eq!(response.status, status, "{what}: {}", response.text());
        let error = response.json();
        assert!(
            error["error"]["code"].is_string() && error["error"]["message"].is_string(),
            "{what}: {error}"
        );
        if let Some((name, rule)) = field {
            assert_eq!(response.error_fields(), [(name.to_owned(), rule.to_owned())], "{what}");
        }
    }

    let good = br#"{"name": "A", "role": "nurse", "started_on": "2020-01-01"}"#;
    let wrong_type = server.request("POST", &staff, Some("text/plain"), good);
    assert_eq!(wrong_type.status, 400);
    assert_eq!(wrong_type.json()["error"]["code"], "unsupported_content_type");
    let bad_utf8 = server.request(
        "POST",
        &staff,
        Some("application/json"),
        b"{\"name\": \"\xff\xfe\", \"role\": \"nurse\", \"started_on\": \"2020-01-01\"}",
    );
    assert_eq!(bad_utf8.status, 400);
    let huge = format!(
        r#"{{"name": "{}", "role": "nurse", "started_on": "2020-01-01"}}"#,
        "x".repeat(400_000)
    );
    let oversized = server.request("POST", &staff, Some("application/json"), huge.as_bytes());
    assert_eq!(oversized.status, 413);
    let long = format!(
        r#"{{"name": "{}", "role": "nurse", "started_on": "2020-01-01"}}"#,
        "x".repeat(201)
    );
    let too_long = server.request("POST", &staff, Some("application/json"), long.as_bytes());
    assert_eq!(too_long.error_fields(), [("name".to_owned(), "length".to_owned())]);

    // None of the refused requests wrote anything.
    assert_eq!(server.get(&staff).json()["total"], 0);
    for query in [
        "limit=0",
        "limit=501",
        "offset=-1",
        "limit=abc",
        "from=2026-05-01&to=2026-04-01",
        "color=red",
    ] {
        let response = server.get(&format!("{staff}?{query}"));
        assert!(matches!(response.status, 400 | 422), "{query}: {}", response.status);
        assert!(!response.error_fields().is_empty(), "{query} names the parameter");
    }
    assert!(!server.log_text().contains("panicked"), "{}", server.log_text());
}

fn unknown_ids_are_not_found(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    for path in [
        "/api/v1/organizations/999".to_owned(),
        "/api/v1/organizations/999/practices".to_owned(),
        "/api/v1/practices/999".to_owned(),
        "/api/v1/practices/999/staff".to_owned(),
        "/api/v1/practices/999/compliance".to_owned(),
        format!("/api/v1/practices/{practice}/staff/999"),
        "/api/v1/practices/not-a-number".to_owned(),
        "/api/v1/practices/99999999999999999999999".to_owned(),
        "/api/v1/nothing-here".to_owned(),
    ] {
        let response = server.get(&path);
        assert_eq!(response.status, 404, "{path}: {}", response.text());
        assert_eq!(response.json()["error"]["code"], "not_found", "{path}");
    }
    let posted = server.post(
        "/api/v1/practices/999/staff",
        &json!({"name": "A", "role": "nurse", "started_on": "2020-01-01"}),
    );
    assert_eq!(posted.status, 404);
    let posted = server.post("/api/v1/organizations/999/practices", &json!({"name": "A"}));
    assert_eq!(posted.status, 404);
}

fn conflicts_are_409(backend: Backend) {
    let server = Server::start(backend);
    let (po, _) = organization_with_practice(&server, "Maple Street");
    let again = server.post("/api/v1/organizations", &json!({"name": "Maple Street PO"}));
    assert_eq!(again.status, 409, "{}", again.text());
    let same_practice = server.post(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Maple Street"}),
    );
    assert_eq!(same_practice.status, 409);
    assert_eq!(same_practice.json()["error"]["code"], "conflict");
}

fn lists_are_paged(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/staff");
    for n in 0..7 {
        server.create(
            &base,
            &json!({"name": format!("Staff {n}"), "role": "nurse", "started_on": "2020-01-01"}),
        );
    }
    let page = server.get(&format!("{base}?limit=3&offset=3")).json();
    assert_eq!(page["total"], 7);
    assert_eq!(page["limit"], 3);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Staff 3", "Staff 4", "Staff 5"]);
}
