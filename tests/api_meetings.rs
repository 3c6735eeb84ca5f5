//! Team meetings over real HTTP, on SQLite and PostgreSQL: recording a meeting with its
//! attendees and follow-ups in one go, completing follow-ups, criterion 4.21, and the bad input
//! each endpoint must refuse without writing anything.

mod common;

use common::{organization_with_practice, Backend, Server};
use serde_json::{json, Value};

both_backends! {
    a_meeting_is_recorded_with_its_attendees_and_follow_ups => a_meeting_is_recorded_with_its_attendees_and_follow_ups;
    follow_ups_are_completed_and_nothing_else_changes => follow_ups_are_completed_and_nothing_else_changes;
    monthly_case_conferences_meet_4_21 => monthly_case_conferences_meet_4_21;
    bad_meetings_are_refused_and_write_nothing => bad_meetings_are_refused_and_write_nothing;
    ids_of_another_practice_are_not_found => ids_of_another_practice_are_not_found;
    meetings_are_filtered_by_the_day_held_and_paged => meetings_are_filtered_by_the_day_held_and_paged;
}

/// A practice with a physician, a care manager and a nurse; returns the practice and their ids.
fn practice_with_team(server: &Server, name: &str) -> (i64, [i64; 3]) {
    let (_, practice) = organization_with_practice(server, name);
    let staff = format!("/api/v1/practices/{practice}/staff");
    let mut ids = [0; 3];
    for (i, (who, role)) in [
        ("Ana Lopez", "physician"),
        ("Cara Diaz", "care_manager"),
        ("Ben Okafor", "nurse"),
    ]
    .into_iter()
    .enumerate()
    {
        let created = server.create(
            &staff,
            &json!({"name": format!("{who} ({name})"), "role": role, "started_on": "2019-03-04"}),
        );
        ids[i] = created["id"].as_i64().unwrap();
    }
    (practice, ids)
}

/// A documented case conference of a physician and a care manager.
fn case_conference(held_on: &str, team: [i64; 3]) -> Value {
    json!({
        "held_on": held_on,
        "kind": "case_conference",
        "attendees": [
            {"role": "physician", "staff_id": team[0]},
            {"role": "care_manager", "staff_id": team[1]}
        ],
        "patients_reviewed": 6,
        "documented_in_chart": true
    })
}

fn criterion<'a>(compliance: &'a Value, id: &str) -> &'a Value {
    compliance["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == id)
        .unwrap_or_else(|| panic!("criterion {id} in {compliance}"))
}

fn compliance(server: &Server, practice: i64, as_of: &str) -> Value {
    let response = server.get(&format!("/api/v1/practices/{practice}/compliance?as_of={as_of}"));
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

fn a_meeting_is_recorded_with_its_attendees_and_follow_ups(backend: Backend) {
    let server = Server::start(backend);
    let (practice, team) = practice_with_team(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/meetings");
    let created = server.create(
        &base,
        &json!({
            "held_on": "2026-03-12",
            "kind": "case_conference",
            "attendees": [
                {"role": "physician", "staff_id": team[0]},
                {"role": "care_manager", "staff_id": team[1]},
                {"role": "care_manager"}
            ],
            "patients_reviewed": 8,
            "documented_in_chart": true,
            "follow_ups": [
                {"description": "  Call the cardiology office about the referral  ", "owner": team[1], "due_on": "2026-03-19"},
                {"description": "Update the shared care plan", "due_on": "2026-03-26", "completed_on": "2026-03-20"}
            ]
        }),
    );
    assert!(created["id"].as_i64().unwrap() > 0);
    assert_eq!(created["practice_id"], practice);
    assert_eq!(created["held_on"], "2026-03-12");
    assert_eq!(created["kind"], "case_conference");
    assert_eq!(created["catalog_id"], "pcmh-n-domain-4");
    assert_eq!(created["catalog_version"], "1.0.0");
    assert_eq!(created["patients_reviewed"], 8);
    assert_eq!(created["documented_in_chart"], true);
    assert_eq!(
        created["attendees"],
        json!([
            {"role": "physician", "staff_id": team[0]},
            {"role": "care_manager", "staff_id": team[1]},
            {"role": "care_manager", "staff_id": null}
        ])
    );
    let follow_ups = created["follow_ups"].as_array().unwrap();
    assert_eq!(follow_ups.len(), 2);
    assert!(follow_ups[0]["id"].as_i64().unwrap() < follow_ups[1]["id"].as_i64().unwrap());
    assert_eq!(
        follow_ups[0]["description"],
        "Call the cardiology office about the referral"
    );
    assert_eq!(follow_ups[0]["owner"], team[1]);
    assert_eq!(follow_ups[0]["due_on"], "2026-03-19");
    assert_eq!(follow_ups[0]["completed_on"], Value::Null);
    assert_eq!(follow_ups[1]["owner"], Value::Null);
    assert_eq!(follow_ups[1]["completed_on"], "2026-03-20");

    let got = server.get(&format!("{base}/{}", created["id"]));
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), created);
    let listed = server.get(&base).json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0], created);

    // Follow-ups are optional; a meeting of an attendee without staff id alone is accepted.
    let minimal = server.create(
        &base,
        &json!({"held_on": "2026-04-02", "kind": "care_team_huddle", "attendees": [{"role": "nurse"}],
                "patients_reviewed": 0, "documented_in_chart": false}),
    );
    assert_eq!(minimal["follow_ups"], json!([]));
    assert_eq!(server.get(&base).json()["total"], 2);
}

fn follow_ups_are_completed_and_nothing_else_changes(backend: Backend) {
    let server = Server::start(backend);
    let (practice, team) = practice_with_team(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/meetings");
    let mut body = case_conference("2026-11-10", team);
    body["follow_ups"] = json!([
        {"description": "arrange transport", "owner": team[2], "due_on": "2026-11-20"},
        {"description": "call the cardiology office", "due_on": "2026-12-01"}
    ]);
    let meeting = server.create(&base, &body);
    let other = server.create(&base, &{
        let mut b = case_conference("2026-10-10", team);
        b["follow_ups"] = json!([{"description": "x", "due_on": "2026-10-11"}]);
        b
    });
    let id = meeting["id"].as_i64().unwrap();
    let transport = meeting["follow_ups"][0]["id"].as_i64().unwrap();
    let foreign_follow_up = other["follow_ups"][0]["id"].as_i64().unwrap();

    // The open, overdue follow-up is due in 4.21 until it is done.
    let due = |as_of: &str| -> Vec<String> {
        criterion(&compliance(&server, practice, as_of), "4.21")["due"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["what"].as_str().unwrap().to_owned())
            .filter(|w| w.starts_with("follow-up"))
            .collect()
    };
    assert!(due("2026-11-24").iter().any(|w| w.ends_with("arrange transport")));

    let path = format!("{base}/{id}/follow-ups/{transport}");
    let done = server.patch(&path, &json!({"completed_on": "2026-11-18"}));
    assert_eq!(done.status, 200, "{}", done.text());
    let done = done.json();
    assert_eq!(done["follow_ups"][0]["completed_on"], "2026-11-18");
    assert_eq!(done["follow_ups"][1]["completed_on"], Value::Null);
    assert_eq!(server.get(&format!("{base}/{id}")).json(), done);
    assert!(!due("2026-11-24").iter().any(|w| w.ends_with("arrange transport")));

    let refused: Vec<Refusal> = vec![
        (
            "before the meeting",
            json!({"completed_on": "2026-11-09"}),
            422,
            Some(("completed_on", "not_before_held_on")),
        ),
        (
            "out of range",
            json!({"completed_on": "1850-01-01"}),
            422,
            Some(("completed_on", "date_range")),
        ),
        ("missing", json!({}), 422, Some(("completed_on", "required"))),
        (
            "null",
            json!({"completed_on": null}),
            422,
            Some(("completed_on", "type")),
        ),
        (
            "another change",
            json!({"completed_on": "2026-11-19", "description": "something else"}),
            422,
            Some(("description", "unknown_field")),
        ),
        (
            "wrong type",
            json!({"completed_on": 20261119}),
            422,
            Some(("completed_on", "type")),
        ),
    ];
    for (what, body, status, field) in refused {
        let response = server.patch(&path, &body);
        assert_eq!(response.status, status, "{what}: {}", response.text());
        if let Some((name, rule)) = field {
            assert_eq!(response.error_fields(), [(name.to_owned(), rule.to_owned())], "{what}");
        }
    }
    let not_json = server.request("PATCH", &path, Some("text/plain"), br#"{"completed_on": "2026-11-19"}"#);
    assert_eq!(not_json.status, 400);
    let malformed = server.request("PATCH", &path, Some("application/json"), br#"{"completed_on": "#);
    assert_eq!(malformed.status, 400);
    for path in [
        format!("{base}/{id}/follow-ups/999999"),
        format!("{base}/{id}/follow-ups/{foreign_follow_up}"),
        format!("{base}/999999/follow-ups/{transport}"),
        format!("/api/v1/practices/999999/meetings/{id}/follow-ups/{transport}"),
        format!("{base}/{id}/follow-ups/abc"),
    ] {
        let response = server.patch(&path, &json!({"completed_on": "2026-11-19"}));
        assert_eq!(response.status, 404, "{path}: {}", response.text());
        assert_eq!(response.json()["error"]["code"], "not_found");
    }
    // Nothing was changed by the refused requests.
    assert_eq!(server.get(&format!("{base}/{id}")).json(), done);
    assert_eq!(server.get(&format!("{base}/{}", other["id"])).json(), other);
    // The meeting itself cannot be edited: there is no route for it.
    let edit = server.patch(&format!("{base}/{id}"), &json!({"documented_in_chart": false}));
    assert!(matches!(edit.status, 404 | 405), "{}", edit.status);
}

fn monthly_case_conferences_meet_4_21(backend: Backend) {
    let server = Server::start(backend);
    let (practice, team) = practice_with_team(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/meetings");
    let before = compliance(&server, practice, "2026-11-24");
    assert_eq!(criterion(&before, "4.21")["status"], "not_met");

    // Every month from 2025-11 to 2026-10 but March.
    let months: Vec<String> = (0..12)
        .map(|i| {
            let (year, month) = if i < 2 { (2025, 11 + i) } else { (2026, i - 1) };
            format!("{year}-{month:02}-15")
        })
        .collect();
    assert_eq!(months.first().unwrap(), "2025-11-15");
    assert_eq!(months.last().unwrap(), "2026-10-15");
    for day in months.iter().filter(|d| !d.starts_with("2026-03")) {
        server.create(&base, &case_conference(day, team));
    }
    let eleven = compliance(&server, practice, "2026-11-24");
    let result = criterion(&eleven, "4.21");
    assert_eq!(result["status"], "partially_met", "{result}");
    assert!(
        result["reasons"][0].as_str().unwrap().contains("none in 2026-03"),
        "{}",
        result["reasons"]
    );

    // A huddle, an undocumented conference and a single-discipline one do not fill March.
    let mut huddle = case_conference("2026-03-03", team);
    huddle["kind"] = json!("care_team_huddle");
    server.create(&base, &huddle);
    let mut undocumented = case_conference("2026-03-10", team);
    undocumented["documented_in_chart"] = json!(false);
    server.create(&base, &undocumented);
    let mut alone = case_conference("2026-03-12", team);
    alone["attendees"] = json!([{"role": "nurse", "staff_id": team[2]}, {"role": "nurse"}]);
    server.create(&base, &alone);
    let still = compliance(&server, practice, "2026-11-24");
    let result = criterion(&still, "4.21");
    assert_eq!(result["status"], "partially_met");
    let reasons: Vec<&str> = result["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"the meeting of 2026-03-10 does not count: it is not documented in the patient chart"));
    assert!(reasons.contains(&"the meeting of 2026-03-12 does not count: it had 1 discipline attending, 2 needed"));
    assert!(reasons
        .iter()
        .any(|r| r.starts_with("the meeting of 2026-03-03 does not count: it is a Care team huddle")));

    // The twelfth monthly, documented, inter-disciplinary case conference makes it met.
    server.create(&base, &case_conference("2026-03-15", team));
    let met = compliance(&server, practice, "2026-11-24");
    let result = criterion(&met, "4.21");
    assert_eq!(result["status"], "met", "{result}");
    assert_eq!(result["records"].as_array().unwrap().len(), 12, "{result}");
    // Another practice's compliance is untouched by these meetings.
    let (other, _) = practice_with_team(&server, "Riverside");
    assert_eq!(
        criterion(&compliance(&server, other, "2026-11-24"), "4.21")["status"],
        "not_met"
    );
}

/// What is sent, the status expected, and the (field, rule) named if any.
type Refusal<'a> = (&'a str, Value, u16, Option<(&'a str, &'a str)>);

/// What is sent, the status expected, and the (field, rule) pairs named.
type Case<'a> = (&'a str, Value, u16, Vec<(&'a str, &'a str)>);

fn bad_meetings_are_refused_and_write_nothing(backend: Backend) {
    let server = Server::start(backend);
    let (practice, team) = practice_with_team(&server, "Maple Street");
    let (_, stranger) = practice_with_team(&server, "Riverside");
    let base = format!("/api/v1/practices/{practice}/meetings");
    let good = |changes: &dyn Fn(&mut Value)| {
        let mut body = case_conference("2026-03-12", team);
        body["follow_ups"] = json!([
            {"description": "call the cardiology office", "owner": team[1], "due_on": "2026-03-19"},
            {"description": "update the care plan", "due_on": "2026-03-26"}
        ]);
        changes(&mut body);
        body
    };
    let many_attendees: Vec<Value> = (0..51).map(|_| json!({"role": "nurse"})).collect();
    let many_follow_ups: Vec<Value> = (0..51)
        .map(|i| json!({"description": format!("item {i}"), "due_on": "2026-04-01"}))
        .collect();
    let cases: Vec<Case> = vec![
        (
            "wrong type",
            good(&|b| b["held_on"] = json!(5)),
            422,
            vec![("held_on", "type")],
        ),
        (
            "missing attendees",
            good(&|b| {
                b.as_object_mut().unwrap().remove("attendees");
            }),
            422,
            vec![("attendees", "required")],
        ),
        (
            "missing kind",
            good(&|b| {
                b.as_object_mut().unwrap().remove("kind");
            }),
            422,
            vec![("kind", "required")],
        ),
        (
            "unknown field",
            good(&|b| b["location"] = json!("room 2")),
            422,
            vec![("location", "unknown_field")],
        ),
        (
            "unknown field in an attendee",
            good(&|b| b["attendees"][1]["name"] = json!("Cara")),
            422,
            vec![("attendees[1].name", "unknown_field")],
        ),
        (
            "no attendee",
            good(&|b| b["attendees"] = json!([])),
            422,
            vec![("attendees", "length")],
        ),
        (
            "51 attendees",
            good(&|b| b["attendees"] = json!(many_attendees)),
            422,
            vec![("attendees", "length")],
        ),
        (
            "unknown role",
            good(&|b| b["attendees"][0]["role"] = json!("wizard")),
            422,
            vec![("attendees[0].role", "one_of")],
        ),
        (
            "attendee without role",
            good(&|b| b["attendees"][1] = json!({"staff_id": team[1]})),
            422,
            vec![("attendees[1].role", "required")],
        ),
        (
            "unknown meeting kind",
            good(&|b| b["kind"] = json!("board_meeting")),
            422,
            vec![("kind", "vocabulary")],
        ),
        (
            "kind that is no term",
            good(&|b| b["kind"] = json!("Case Conference")),
            422,
            vec![("kind", "format")],
        ),
        (
            "out-of-range date",
            good(&|b| b["held_on"] = json!("1850-01-01")),
            422,
            vec![("held_on", "date_range")],
        ),
        (
            "impossible date",
            good(&|b| b["held_on"] = json!("2026-02-30")),
            422,
            vec![("held_on", "format")],
        ),
        (
            "too many patients",
            good(&|b| b["patients_reviewed"] = json!(501)),
            422,
            vec![("patients_reviewed", "range")],
        ),
        (
            "negative patients",
            good(&|b| b["patients_reviewed"] = json!(-1)),
            422,
            vec![("patients_reviewed", "type")],
        ),
        (
            "documented as text",
            good(&|b| b["documented_in_chart"] = json!("yes")),
            422,
            vec![("documented_in_chart", "type")],
        ),
        (
            "blank follow-up",
            good(&|b| b["follow_ups"][1]["description"] = json!("   ")),
            422,
            vec![("follow_ups[1].description", "not_blank")],
        ),
        (
            "oversized follow-up",
            good(&|b| b["follow_ups"][0]["description"] = json!("x".repeat(1001))),
            422,
            vec![("follow_ups[0].description", "length")],
        ),
        (
            "two bad follow-ups",
            good(&|b| {
                b["follow_ups"][0]["description"] = json!("");
                b["follow_ups"][1]["due_on"] = json!("2200-01-01");
            }),
            422,
            vec![
                ("follow_ups[0].description", "not_blank"),
                ("follow_ups[1].due_on", "date_range"),
            ],
        ),
        (
            "51 follow-ups",
            good(&|b| b["follow_ups"] = json!(many_follow_ups)),
            422,
            vec![("follow_ups", "length")],
        ),
        (
            "due before the meeting",
            good(&|b| b["follow_ups"][1]["due_on"] = json!("2026-03-11")),
            422,
            vec![("follow_ups[1].due_on", "not_before_held_on")],
        ),
        (
            "completed before the meeting",
            good(&|b| b["follow_ups"][0]["completed_on"] = json!("2026-03-01")),
            422,
            vec![("follow_ups[0].completed_on", "not_before_held_on")],
        ),
        (
            "attendee of another practice",
            good(&|b| b["attendees"][1]["staff_id"] = json!(stranger[1])),
            422,
            vec![("attendees[1].staff_id", "same_practice")],
        ),
        (
            "attendee nobody knows",
            good(&|b| b["attendees"][0]["staff_id"] = json!(999_999)),
            422,
            vec![("attendees[0].staff_id", "same_practice")],
        ),
        (
            "owner of another practice",
            good(&|b| b["follow_ups"][0]["owner"] = json!(stranger[0])),
            422,
            vec![("follow_ups[0].owner", "same_practice")],
        ),
        (
            "the same person twice",
            good(&|b| b["attendees"][1]["staff_id"] = json!(team[0])),
            422,
            vec![("attendees[1].staff_id", "unique")],
        ),
        ("not an object", json!([1, 2]), 422, vec![]),
    ];
    for (what, body, status, fields) in cases {
        let response = server.post(&base, &body);
        assert_eq!(response.status, status, "{what}: {}", response.text());
        let error = response.json();
        assert!(
            error["error"]["code"].is_string() && error["error"]["message"].is_string(),
            "{what}: {error}"
        );
        if !fields.is_empty() {
            let expected: Vec<(String, String)> =
                fields.iter().map(|(f, r)| ((*f).to_owned(), (*r).to_owned())).collect();
            assert_eq!(response.error_fields(), expected, "{what}: {error}");
        }
    }
    let body = good(&|_| {}).to_string();
    let wrong_type = server.request("POST", &base, Some("text/plain"), body.as_bytes());
    assert_eq!(wrong_type.status, 400);
    assert_eq!(wrong_type.json()["error"]["code"], "unsupported_content_type");
    let malformed = server.request("POST", &base, Some("application/json"), br#"{"held_on": "2026-"#);
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.json()["error"]["code"], "malformed_json");
    let huge = format!(r#"{{"held_on": "2026-03-12", "kind": "{}"}}"#, "x".repeat(400_000));
    assert_eq!(
        server
            .request("POST", &base, Some("application/json"), huge.as_bytes())
            .status,
        413
    );
    let unknown_practice = server.post("/api/v1/practices/999999/meetings", &good(&|_| {}));
    assert_eq!(unknown_practice.status, 404);

    // None of the refused requests wrote anything, in either practice.
    assert_eq!(server.get(&base).json()["total"], 0);
    let compliance = compliance(&server, practice, "2026-11-24");
    assert_eq!(criterion(&compliance, "4.21")["records"], json!([]));
    // The good body is accepted.
    server.create(&base, &good(&|_| {}));
    assert_eq!(server.get(&base).json()["total"], 1);

    for query in [
        "limit=0",
        "limit=501",
        "offset=-1",
        "limit=abc",
        "from=2026-05-01&to=2026-04-01",
        "from=1850-01-01",
        "color=red",
    ] {
        let response = server.get(&format!("{base}?{query}"));
        assert!(matches!(response.status, 400 | 422), "{query}: {}", response.status);
        assert!(!response.error_fields().is_empty(), "{query} names the parameter");
    }
    assert!(!server.log_text().contains("panicked"), "{}", server.log_text());
}

fn ids_of_another_practice_are_not_found(backend: Backend) {
    let server = Server::start(backend);
    let (practice, team) = practice_with_team(&server, "Maple Street");
    let (other, other_team) = practice_with_team(&server, "Riverside");
    let mine = server.create(
        &format!("/api/v1/practices/{practice}/meetings"),
        &case_conference("2026-03-12", team),
    );
    let theirs = server.create(
        &format!("/api/v1/practices/{other}/meetings"),
        &case_conference("2026-03-12", other_team),
    );
    for path in [
        format!("/api/v1/practices/{practice}/meetings/{}", theirs["id"]),
        format!("/api/v1/practices/{other}/meetings/{}", mine["id"]),
        format!("/api/v1/practices/{practice}/meetings/999999"),
        format!("/api/v1/practices/{practice}/meetings/not-a-number"),
        "/api/v1/practices/999999/meetings".to_owned(),
        format!("/api/v1/practices/999999/meetings/{}", mine["id"]),
    ] {
        let response = server.get(&path);
        assert_eq!(response.status, 404, "{path}: {}", response.text());
        assert_eq!(response.json()["error"]["code"], "not_found", "{path}");
    }
    // Each practice lists only its own.
    let listed = server.get(&format!("/api/v1/practices/{practice}/meetings")).json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["id"], mine["id"]);
}

fn meetings_are_filtered_by_the_day_held_and_paged(backend: Backend) {
    let server = Server::start(backend);
    let (practice, team) = practice_with_team(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/meetings");
    // Recorded out of order: lists come back by the day held.
    for day in [
        "2026-05-20",
        "2026-01-15",
        "2026-03-31",
        "2026-04-01",
        "2026-02-10",
        "2026-06-30",
        "2026-04-30",
    ] {
        server.create(&base, &case_conference(day, team));
    }
    let days = |query: &str| -> (i64, Vec<String>) {
        let page = server.get(&format!("{base}?{query}"));
        assert_eq!(page.status, 200, "{query}: {}", page.text());
        let page = page.json();
        let days = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["held_on"].as_str().unwrap().to_owned())
            .collect();
        (page["total"].as_i64().unwrap(), days)
    };
    assert_eq!(
        days(""),
        (
            7,
            vec![
                "2026-01-15".into(),
                "2026-02-10".into(),
                "2026-03-31".into(),
                "2026-04-01".into(),
                "2026-04-30".into(),
                "2026-05-20".into(),
                "2026-06-30".into()
            ]
        )
    );
    // Both ends of the range are included.
    assert_eq!(
        days("from=2026-03-31&to=2026-04-30"),
        (3, vec!["2026-03-31".into(), "2026-04-01".into(), "2026-04-30".into()])
    );
    assert_eq!(days("from=2026-05-01").0, 2);
    assert_eq!(days("to=2026-01-31").0, 1);
    assert_eq!(days("from=2027-01-01"), (0, vec![]));
    assert_eq!(
        days("limit=2&offset=2"),
        (7, vec!["2026-03-31".into(), "2026-04-01".into()])
    );
    assert_eq!(
        days("from=2026-02-01&limit=2&offset=4"),
        (6, vec!["2026-05-20".into(), "2026-06-30".into()])
    );
    let page = server.get(&format!("{base}?limit=3")).json();
    assert_eq!((page["limit"].as_i64(), page["offset"].as_i64()), (Some(3), Some(0)));
    // Each meeting in a page has its own attendees.
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["attendees"].as_array().unwrap().len() == 2));
}
