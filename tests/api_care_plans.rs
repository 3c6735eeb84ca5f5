//! Care plans over real HTTP, on SQLite and PostgreSQL: recording a plan with its care
//! partners, establishing it later, sharing it with its own partners only, criterion 4.22, and
//! the bad input each endpoint must refuse without writing anything (patient references that
//! look like names or dates of birth above all).

mod common;

use common::{organization_with_practice, Backend, Server};
use serde_json::{json, Value};

both_backends! {
    a_care_plan_is_recorded_with_its_partners => a_care_plan_is_recorded_with_its_partners;
    plans_are_shared_with_their_own_partners_only => plans_are_shared_with_their_own_partners_only;
    a_plan_is_established_later_and_fixed_once_shared => a_plan_is_established_later_and_fixed_once_shared;
    acps_shared_with_every_partner_in_time_meet_4_22 => acps_shared_with_every_partner_in_time_meet_4_22;
    names_and_birth_dates_are_not_patient_references => names_and_birth_dates_are_not_patient_references;
    bad_care_plans_are_refused_and_write_nothing => bad_care_plans_are_refused_and_write_nothing;
    ids_of_another_practice_are_not_found => ids_of_another_practice_are_not_found;
    plans_are_filtered_by_kind_and_discussion_day_and_paged => plans_are_filtered_by_kind_and_discussion_day_and_paged;
}

/// A practice with one physician; returns the practice and the physician's id.
fn practice_with_provider(server: &Server, name: &str) -> (i64, i64) {
    let (_, practice) = organization_with_practice(server, name);
    let provider = server.create(
        &format!("/api/v1/practices/{practice}/staff"),
        &json!({"name": format!("Ana Lopez ({name})"), "role": "physician", "started_on": "2019-03-04"}),
    );
    (practice, provider["id"].as_i64().unwrap())
}

/// An advance care plan discussed and established on `day`, with these care partners.
fn acp(patient: &str, provider: i64, day: &str, partners: &[&str]) -> Value {
    json!({
        "kind": "advance_care_plan",
        "patient_ref": patient,
        "initiating_provider": provider,
        "discussed_on": day,
        "established_on": day,
        "documented_in_record": true,
        "care_partners": partners
    })
}

fn partner_id(plan: &Value, index: usize) -> i64 {
    plan["care_partners"][index]["id"].as_i64().unwrap()
}

fn criterion<'a>(compliance: &'a Value, id: &str) -> &'a Value {
    compliance["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == id)
        .unwrap_or_else(|| panic!("criterion {id} in {compliance}"))
}

fn status(server: &Server, practice: i64, id: &str, as_of: &str) -> Value {
    let response = server.get(&format!("/api/v1/practices/{practice}/compliance?as_of={as_of}"));
    assert_eq!(response.status, 200, "{}", response.text());
    criterion(&response.json(), id).clone()
}

fn a_care_plan_is_recorded_with_its_partners(backend: Backend) {
    let server = Server::start(backend);
    let (practice, provider) = practice_with_provider(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/care-plans");
    let created = server.create(
        &base,
        &json!({
            "kind": "survivorship_care_plan",
            "patient_ref": "MRN_118273",
            "initiating_provider": provider,
            "discussed_on": "2026-05-01",
            "documented_in_record": false,
            "care_partners": ["  Cardiology, St. Mary's ", "Health plan care manager"]
        }),
    );
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["practice_id"], practice);
    assert_eq!(created["kind"], "survivorship_care_plan");
    assert_eq!(created["patient_ref"], "MRN_118273");
    assert_eq!(created["initiating_provider"], provider);
    assert_eq!(created["discussed_on"], "2026-05-01");
    assert_eq!(created["established_on"], Value::Null);
    assert_eq!(created["documented_in_record"], false);
    let names: Vec<&str> = created["care_partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Cardiology, St. Mary's", "Health plan care manager"]);
    assert!(partner_id(&created, 0) > 0 && partner_id(&created, 0) != partner_id(&created, 1));
    assert_eq!(created["shares"], json!([]));

    let got = server.get(&format!("{base}/{id}"));
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), created);
    let listed = server.get(&base).json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0], created);

    // Care partners are optional.
    let alone = server.create(
        &base,
        &json!({"kind": "advance_care_plan", "patient_ref": "PT-00042", "initiating_provider": provider,
                "discussed_on": "2026-06-01", "documented_in_record": true}),
    );
    assert_eq!(alone["care_partners"], json!([]));
    assert_eq!(server.get(&base).json()["total"], 2);
}

fn plans_are_shared_with_their_own_partners_only(backend: Backend) {
    let server = Server::start(backend);
    let (practice, provider) = practice_with_provider(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/care-plans");
    let plan = server.create(
        &base,
        &acp(
            "PT-00042",
            provider,
            "2026-05-01",
            &["Cardiology", "Daughter (health care proxy)"],
        ),
    );
    let other = server.create(&base, &acp("PT-00043", provider, "2026-05-01", &["Oncology"]));
    let id = plan["id"].as_i64().unwrap();
    let shares = format!("{base}/{id}/shares");

    let share = server.post(
        &shares,
        &json!({"partner_id": partner_id(&plan, 1), "shared_on": "2026-05-03", "method": "in_person"}),
    );
    assert_eq!(share.status, 201, "{}", share.text());
    let share = share.json();
    assert!(share["id"].as_i64().unwrap() > 0);
    assert_eq!(share["partner_id"], partner_id(&plan, 1));
    assert_eq!(share["shared_on"], "2026-05-03");
    assert_eq!(share["method"], "in_person");
    let got = server.get(&format!("{base}/{id}")).json();
    assert_eq!(got["shares"], json!([share]));

    // The partner of another plan: refused, naming the field, and nothing is written.
    let foreign = server.post(
        &shares,
        &json!({"partner_id": partner_id(&other, 0), "shared_on": "2026-05-03", "method": "fax"}),
    );
    assert_eq!(foreign.status, 422, "{}", foreign.text());
    assert_eq!(
        foreign.error_fields(),
        [("partner_id".to_owned(), "partner_of_plan".to_owned())]
    );
    let message = foreign.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(!message.contains("PT-"), "{message}");

    let cases: Vec<Refusal> = vec![
        (
            "no such partner",
            json!({"partner_id": 999_999, "shared_on": "2026-05-03", "method": "fax"}),
            422,
            Some(("partner_id", "partner_of_plan")),
        ),
        (
            "before it was established",
            json!({"partner_id": partner_id(&plan, 0), "shared_on": "2026-04-30", "method": "fax"}),
            422,
            Some(("shared_on", "not_before_established_on")),
        ),
        (
            "out-of-range date",
            json!({"partner_id": partner_id(&plan, 0), "shared_on": "1850-01-01", "method": "fax"}),
            422,
            Some(("shared_on", "date_range")),
        ),
        (
            "unknown method",
            json!({"partner_id": partner_id(&plan, 0), "shared_on": "2026-05-03", "method": "pigeon"}),
            422,
            Some(("method", "one_of")),
        ),
        (
            "missing method",
            json!({"partner_id": partner_id(&plan, 0), "shared_on": "2026-05-03"}),
            422,
            Some(("method", "required")),
        ),
        (
            "partner as text",
            json!({"partner_id": "Cardiology", "shared_on": "2026-05-03", "method": "fax"}),
            422,
            Some(("partner_id", "type")),
        ),
        (
            "unknown field",
            json!({"partner_id": partner_id(&plan, 0), "shared_on": "2026-05-03", "method": "fax", "note": "x"}),
            422,
            Some(("note", "unknown_field")),
        ),
    ];
    for (what, body, status, field) in cases {
        let response = server.post(&shares, &body);
        assert_eq!(response.status, status, "{what}: {}", response.text());
        if let Some((name, rule)) = field {
            assert_eq!(response.error_fields(), [(name.to_owned(), rule.to_owned())], "{what}");
        }
    }
    let not_json = server.request("POST", &shares, Some("text/plain"), b"{}");
    assert_eq!(not_json.status, 400);
    let malformed = server.request("POST", &shares, Some("application/json"), b"{\"partner_id\": ");
    assert_eq!(malformed.status, 400);

    // A plan not yet established cannot be shared.
    let pending = server.create(
        &base,
        &json!({"kind": "advance_care_plan", "patient_ref": "PT-00044", "initiating_provider": provider,
                "discussed_on": "2026-06-01", "documented_in_record": true, "care_partners": ["Cardiology"]}),
    );
    let early = server.post(
        &format!("{base}/{}/shares", pending["id"]),
        &json!({"partner_id": partner_id(&pending, 0), "shared_on": "2026-06-02", "method": "portal"}),
    );
    assert_eq!(early.status, 422, "{}", early.text());
    assert_eq!(
        early.error_fields(),
        [("shared_on".to_owned(), "established".to_owned())]
    );

    // Nothing was written by the refused requests.
    assert_eq!(server.get(&format!("{base}/{id}")).json(), got);
    assert_eq!(server.get(&format!("{base}/{}", other["id"])).json(), other);
    assert_eq!(server.get(&format!("{base}/{}", pending["id"])).json(), pending);
}

fn a_plan_is_established_later_and_fixed_once_shared(backend: Backend) {
    let server = Server::start(backend);
    let (practice, provider) = practice_with_provider(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/care-plans");
    let plan = server.create(
        &base,
        &json!({"kind": "advance_care_plan", "patient_ref": "PT-00042", "initiating_provider": provider,
                "discussed_on": "2026-05-01", "documented_in_record": false, "care_partners": ["Cardiology"]}),
    );
    let path = format!("{base}/{}", plan["id"]);

    let before = server.patch(&path, &json!({"established_on": "2026-04-30"}));
    assert_eq!(before.status, 422, "{}", before.text());
    assert_eq!(
        before.error_fields(),
        [("established_on".to_owned(), "not_before_discussed_on".to_owned())]
    );
    for (body, field, rule) in [
        (json!({"established_on": "1850-01-01"}), "established_on", "date_range"),
        (json!({"documented_in_record": "yes"}), "documented_in_record", "type"),
        (json!({"established_on": null}), "established_on", "type"),
        (json!({"documented_in_record": null}), "documented_in_record", "type"),
        (json!({"discussed_on": "2026-04-01"}), "discussed_on", "unknown_field"),
        (json!({"patient_ref": "PT-00099"}), "patient_ref", "unknown_field"),
    ] {
        let response = server.patch(&path, &body);
        assert_eq!(response.status, 422, "{body}: {}", response.text());
        assert_eq!(response.error_fields(), [(field.to_owned(), rule.to_owned())], "{body}");
    }
    assert_eq!(
        server
            .request(
                "PATCH",
                &path,
                Some("text/plain"),
                br#"{"established_on": "2026-05-02"}"#
            )
            .status,
        400
    );
    assert_eq!(
        server.get(&path).json(),
        plan,
        "nothing was changed by the refused requests"
    );

    let established = server.patch(&path, &json!({"established_on": "2026-05-02"}));
    assert_eq!(established.status, 200, "{}", established.text());
    let established = established.json();
    assert_eq!(established["established_on"], "2026-05-02");
    assert_eq!(established["documented_in_record"], false);
    // Before any share, the date may still be corrected.
    let corrected = server
        .patch(
            &path,
            &json!({"established_on": "2026-05-03", "documented_in_record": true}),
        )
        .json();
    assert_eq!(corrected["established_on"], "2026-05-03");
    assert_eq!(corrected["documented_in_record"], true);

    server.create(
        &format!("{path}/shares"),
        &json!({"partner_id": partner_id(&plan, 0), "shared_on": "2026-05-10", "method": "electronic"}),
    );
    // Once shared, established_on no longer moves (409), but the same day or other fields are fine.
    for day in ["2026-05-01", "2026-05-04", "2026-05-20"] {
        let moved = server.patch(&path, &json!({"established_on": day}));
        assert_eq!(moved.status, 409, "{day}: {}", moved.text());
        assert_eq!(moved.json()["error"]["code"], "conflict");
    }
    let same = server.patch(
        &path,
        &json!({"established_on": "2026-05-03", "documented_in_record": false}),
    );
    assert_eq!(same.status, 200, "{}", same.text());
    assert_eq!(same.json()["documented_in_record"], false);
    assert_eq!(same.json()["established_on"], "2026-05-03");
    let unchanged = server.patch(&path, &json!({}));
    assert_eq!(unchanged.status, 200);
    assert_eq!(unchanged.json(), same.json());
    // A 409 wrote nothing, not even the other field sent with it.
    let mixed = server.patch(
        &path,
        &json!({"documented_in_record": true, "established_on": "2026-05-20"}),
    );
    assert_eq!(mixed.status, 409);
    assert_eq!(server.get(&path).json(), same.json());

    for path in [
        format!("{base}/999999"),
        format!("/api/v1/practices/999999/care-plans/{}", plan["id"]),
    ] {
        let response = server.patch(&path, &json!({"documented_in_record": true}));
        assert_eq!(response.status, 404, "{path}");
    }
}

fn acps_shared_with_every_partner_in_time_meet_4_22(backend: Backend) {
    let server = Server::start(backend);
    let (practice, provider) = practice_with_provider(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/care-plans");
    let as_of = "2026-11-24";
    assert_eq!(status(&server, practice, "4.22", as_of)["status"], "not_met");

    let plan = server.create(
        &base,
        &acp(
            "PT-00042",
            provider,
            "2026-05-01",
            &["Cardiology", "Health plan care manager"],
        ),
    );
    let shares = format!("{base}/{}/shares", plan["id"]);
    server.create(
        &shares,
        &json!({"partner_id": partner_id(&plan, 0), "shared_on": "2026-05-02", "method": "electronic"}),
    );
    // One partner still missing, 30 days later: not met, the plan named by its id only.
    let missing = status(&server, practice, "4.22", as_of);
    assert_eq!(missing["status"], "not_met", "{missing}");
    let reasons = missing["reasons"].to_string();
    assert!(
        reasons.contains(&format!(
            "plan #{} was never shared with Health plan care manager",
            plan["id"]
        )),
        "{reasons}"
    );
    assert!(!reasons.contains("PT-00042"), "{reasons}");
    // The 30th day after the plan was established still counts.
    server.create(
        &shares,
        &json!({"partner_id": partner_id(&plan, 1), "shared_on": "2026-05-31", "method": "portal"}),
    );
    let met = status(&server, practice, "4.22", as_of);
    assert_eq!(met["status"], "met", "{met}");

    // A second ACP whose only partner is never reached makes it partial; a late share stays a gap.
    let second = server.create(&base, &acp("PT-00043", provider, "2026-06-01", &["Oncology"]));
    let partial = status(&server, practice, "4.22", as_of);
    assert_eq!(partial["status"], "partially_met", "{partial}");
    server.create(
        &format!("{base}/{}/shares", second["id"]),
        &json!({"partner_id": partner_id(&second, 0), "shared_on": "2026-07-15", "method": "fax"}),
    );
    let late = status(&server, practice, "4.22", as_of);
    assert_eq!(late["status"], "partially_met", "{late}");
    assert!(
        late["reasons"].to_string().contains("after the 30 days allowed"),
        "{late}"
    );

    // In another practice, an ACP whose partner was never reached is not met.
    let (other, other_provider) = practice_with_provider(&server, "Riverside");
    server.create(
        &format!("/api/v1/practices/{other}/care-plans"),
        &acp("PT-00042", other_provider, "2026-05-01", &["Cardiology"]),
    );
    assert_eq!(status(&server, other, "4.22", as_of)["status"], "not_met");

    // 4.16 sees the documented conversations too.
    assert_eq!(status(&server, practice, "4.16", as_of)["status"], "met");
    assert!(
        !server.log_text().contains("PT-0004"),
        "patient references are never logged"
    );
}

fn names_and_birth_dates_are_not_patient_references(backend: Backend) {
    let server = Server::start(backend);
    let (practice, provider) = practice_with_provider(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/care-plans");
    for bad in [
        "John Smith",
        "JohnSmith",
        "Smith, John",
        "PT-1965-04-12",
        "19650412",
        "04121965",
        "smith_04_12_1965",
        "12/04/1965",
        "ab",
        "",
        "PT 42",
    ] {
        let response = server.post(&base, &acp(bad, provider, "2026-05-01", &[]));
        assert_eq!(response.status, 422, "{bad:?}: {}", response.text());
        assert_eq!(
            response.error_fields(),
            [("patient_ref".to_owned(), "opaque_patient_reference".to_owned())],
            "{bad:?}"
        );
        if bad.len() > 3 {
            assert!(!response.text().contains(bad), "the answer does not echo {bad:?}");
        }
    }
    let long = "PT-".to_owned() + &"1".repeat(62);
    assert_eq!(server.post(&base, &acp(&long, provider, "2026-05-01", &[])).status, 422);
    assert_eq!(server.get(&base).json()["total"], 0, "nothing was written");
    let log = server.log_text();
    assert!(!log.contains("Smith") && !log.contains("1965"), "{log}");
    for good in ["PT-00042", "MRN_118273", "X99"] {
        server.create(&base, &acp(good, provider, "2026-05-01", &[]));
    }
    assert_eq!(server.get(&base).json()["total"], 3);
}

/// What is sent, the status expected, and the (field, rule) named if any.
type Refusal<'a> = (&'a str, Value, u16, Option<(&'a str, &'a str)>);

/// What is sent, the status expected, and the (field, rule) pairs named.
type Case<'a> = (&'a str, Value, u16, Vec<(&'a str, &'a str)>);

fn bad_care_plans_are_refused_and_write_nothing(backend: Backend) {
    let server = Server::start(backend);
    let (practice, provider) = practice_with_provider(&server, "Maple Street");
    let (_, stranger) = practice_with_provider(&server, "Riverside");
    let base = format!("/api/v1/practices/{practice}/care-plans");
    let good = |changes: &dyn Fn(&mut Value)| {
        let mut body = acp("PT-00042", provider, "2026-05-01", &["Cardiology", "Oncology"]);
        changes(&mut body);
        body
    };
    let many: Vec<String> = (0..31).map(|i| format!("Partner {i}")).collect();
    let cases: Vec<Case> = vec![
        (
            "wrong type",
            good(&|b| b["discussed_on"] = json!(5)),
            422,
            vec![("discussed_on", "type")],
        ),
        (
            "missing provider",
            good(&|b| {
                b.as_object_mut().unwrap().remove("initiating_provider");
            }),
            422,
            vec![("initiating_provider", "required")],
        ),
        (
            "missing documented_in_record",
            good(&|b| {
                b.as_object_mut().unwrap().remove("documented_in_record");
            }),
            422,
            vec![("documented_in_record", "required")],
        ),
        (
            "unknown field",
            good(&|b| b["patient_name"] = json!("John Smith")),
            422,
            vec![("patient_name", "unknown_field")],
        ),
        (
            "unknown kind",
            good(&|b| b["kind"] = json!("birth_plan")),
            422,
            vec![("kind", "one_of")],
        ),
        (
            "out-of-range date",
            good(&|b| b["discussed_on"] = json!("1850-01-01")),
            422,
            vec![("discussed_on", "date_range")],
        ),
        (
            "impossible date",
            good(&|b| b["established_on"] = json!("2026-02-30")),
            422,
            vec![("established_on", "format")],
        ),
        (
            "established before discussed",
            good(&|b| b["established_on"] = json!("2026-04-30")),
            422,
            vec![("established_on", "not_before_discussed_on")],
        ),
        (
            "provider of another practice",
            good(&|b| b["initiating_provider"] = json!(stranger)),
            422,
            vec![("initiating_provider", "same_practice")],
        ),
        (
            "provider nobody knows",
            good(&|b| b["initiating_provider"] = json!(999_999)),
            422,
            vec![("initiating_provider", "same_practice")],
        ),
        (
            "blank partner",
            good(&|b| b["care_partners"][1] = json!("  ")),
            422,
            vec![("care_partners[1]", "not_blank")],
        ),
        (
            "oversized partner",
            good(&|b| b["care_partners"][0] = json!("x".repeat(201))),
            422,
            vec![("care_partners[0]", "length")],
        ),
        (
            "the same partner twice",
            good(&|b| b["care_partners"][1] = json!("cardiology")),
            422,
            vec![("care_partners[1]", "unique")],
        ),
        (
            "31 partners",
            good(&|b| b["care_partners"] = json!(many)),
            422,
            vec![("care_partners", "length")],
        ),
        (
            "partner as an object",
            good(&|b| b["care_partners"][0] = json!({"name": "Cardiology"})),
            422,
            vec![("care_partners[0]", "type")],
        ),
        (
            "two bad fields",
            good(&|b| {
                b["patient_ref"] = json!("John Smith");
                b["discussed_on"] = json!("2200-01-01");
            }),
            422,
            vec![
                ("discussed_on", "date_range"),
                ("patient_ref", "opaque_patient_reference"),
            ],
        ),
        ("not an object", json!("PT-00042"), 422, vec![]),
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
    let malformed = server.request("POST", &base, Some("application/json"), br#"{"kind": "#);
    assert_eq!(malformed.status, 400);
    let huge = format!(r#"{{"patient_ref": "{}"}}"#, "1".repeat(400_000));
    assert_eq!(
        server
            .request("POST", &base, Some("application/json"), huge.as_bytes())
            .status,
        413
    );
    assert_eq!(
        server
            .post("/api/v1/practices/999999/care-plans", &good(&|_| {}))
            .status,
        404
    );

    // None of the refused requests wrote anything.
    assert_eq!(server.get(&base).json()["total"], 0);
    server.create(&base, &good(&|_| {}));
    assert_eq!(server.get(&base).json()["total"], 1);

    for query in [
        "limit=0",
        "limit=501",
        "offset=-1",
        "from=2026-05-01&to=2026-04-01",
        "to=3000-01-01",
        "kind=birth_plan",
        "patient_ref=PT-00042",
    ] {
        let response = server.get(&format!("{base}?{query}"));
        assert!(matches!(response.status, 400 | 422), "{query}: {}", response.status);
        assert!(!response.error_fields().is_empty(), "{query} names the parameter");
    }
    assert!(!server.log_text().contains("panicked"), "{}", server.log_text());
    assert!(
        !server.log_text().contains("PT-00042"),
        "patient references are never logged"
    );
}

fn ids_of_another_practice_are_not_found(backend: Backend) {
    let server = Server::start(backend);
    let (practice, provider) = practice_with_provider(&server, "Maple Street");
    let (other, other_provider) = practice_with_provider(&server, "Riverside");
    let mine = server.create(
        &format!("/api/v1/practices/{practice}/care-plans"),
        &acp("PT-00042", provider, "2026-05-01", &["Cardiology"]),
    );
    let theirs = server.create(
        &format!("/api/v1/practices/{other}/care-plans"),
        &acp("PT-00042", other_provider, "2026-05-01", &["Cardiology"]),
    );
    for path in [
        format!("/api/v1/practices/{practice}/care-plans/{}", theirs["id"]),
        format!("/api/v1/practices/{other}/care-plans/{}", mine["id"]),
        format!("/api/v1/practices/{practice}/care-plans/999999"),
        format!("/api/v1/practices/{practice}/care-plans/x"),
        "/api/v1/practices/999999/care-plans".to_owned(),
    ] {
        let response = server.get(&path);
        assert_eq!(response.status, 404, "{path}: {}", response.text());
        assert_eq!(response.json()["error"]["code"], "not_found", "{path}");
    }
    // Sharing another practice's plan, even with its own partner, is not found.
    let foreign_share = server.post(
        &format!("/api/v1/practices/{practice}/care-plans/{}/shares", theirs["id"]),
        &json!({"partner_id": partner_id(&theirs, 0), "shared_on": "2026-05-02", "method": "fax"}),
    );
    assert_eq!(foreign_share.status, 404);
    let foreign_patch = server.patch(
        &format!("/api/v1/practices/{practice}/care-plans/{}", theirs["id"]),
        &json!({"documented_in_record": false}),
    );
    assert_eq!(foreign_patch.status, 404);
    assert_eq!(
        server
            .get(&format!("/api/v1/practices/{other}/care-plans/{}", theirs["id"]))
            .json(),
        theirs
    );
    let listed = server.get(&format!("/api/v1/practices/{practice}/care-plans")).json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["id"], mine["id"]);
}

fn plans_are_filtered_by_kind_and_discussion_day_and_paged(backend: Backend) {
    let server = Server::start(backend);
    let (practice, provider) = practice_with_provider(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/care-plans");
    for (n, (kind, day)) in [
        ("advance_care_plan", "2026-05-20"),
        ("survivorship_care_plan", "2026-01-15"),
        ("advance_care_plan", "2026-03-31"),
        ("advance_care_plan", "2026-04-01"),
        ("survivorship_care_plan", "2026-04-30"),
        ("advance_care_plan", "2026-02-10"),
    ]
    .into_iter()
    .enumerate()
    {
        server.create(
            &base,
            &json!({"kind": kind, "patient_ref": format!("PT-{n:05}"), "initiating_provider": provider,
                    "discussed_on": day, "documented_in_record": true, "care_partners": [format!("Partner {n}")]}),
        );
    }
    let days = |query: &str| -> (i64, Vec<String>) {
        let page = server.get(&format!("{base}?{query}"));
        assert_eq!(page.status, 200, "{query}: {}", page.text());
        let page = page.json();
        let days = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["discussed_on"].as_str().unwrap().to_owned())
            .collect();
        (page["total"].as_i64().unwrap(), days)
    };
    assert_eq!(days("").0, 6);
    assert_eq!(days("").1.first().map(String::as_str), Some("2026-01-15"));
    assert_eq!(
        days("kind=survivorship_care_plan"),
        (2, vec!["2026-01-15".into(), "2026-04-30".into()])
    );
    assert_eq!(
        days("kind=advance_care_plan&from=2026-03-31&to=2026-04-30"),
        (2, vec!["2026-03-31".into(), "2026-04-01".into()])
    );
    assert_eq!(
        days("from=2026-03-31&to=2026-04-30"),
        (3, vec!["2026-03-31".into(), "2026-04-01".into(), "2026-04-30".into()])
    );
    assert_eq!(
        days("kind=advance_care_plan&limit=2&offset=1"),
        (4, vec!["2026-03-31".into(), "2026-04-01".into()])
    );
    assert_eq!(days("from=2027-01-01"), (0, vec![]));
    // Each plan in a page has its own partner.
    let page = server.get(&base).json();
    for plan in page["items"].as_array().unwrap() {
        let partners = plan["care_partners"].as_array().unwrap();
        assert_eq!(partners.len(), 1);
        let n = plan["patient_ref"]
            .as_str()
            .unwrap()
            .trim_start_matches("PT-")
            .parse::<u32>()
            .unwrap();
        assert_eq!(partners[0]["name"], format!("Partner {n}"));
    }
}
