//! Survey results over real HTTP, on SQLite and PostgreSQL: recorded, listed with filters and
//! pages, the bad input each endpoint refuses (and that a refusal writes nothing), and
//! criterion 4.4 of the compliance.

mod common;

use common::{organization_with_practice, Backend, Server};
use serde_json::{json, Value};

both_backends! {
    a_survey_result_is_recorded_listed_and_read => a_survey_result_is_recorded_listed_and_read;
    lists_filter_by_kind_and_date_and_page => lists_filter_by_kind_and_date_and_page;
    bad_survey_results_are_refused_and_write_nothing => bad_survey_results_are_refused_and_write_nothing;
    unknown_and_foreign_ids_are_not_found => unknown_and_foreign_ids_are_not_found;
    compliance_counts_the_surveys => compliance_counts_the_surveys;
}

fn surveys(practice: i64) -> String {
    format!("/api/v1/practices/{practice}/surveys")
}

fn total(server: &Server, practice: i64) -> i64 {
    let list = server.get(&surveys(practice));
    assert_eq!(list.status, 200, "{}", list.text());
    list.json()["total"].as_i64().expect("a total")
}

fn pair(field: &str, rule: &str) -> (String, String) {
    (field.to_owned(), rule.to_owned())
}

fn a_survey_result_is_recorded_listed_and_read(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let created = server.create(
        &surveys(practice),
        &json!({"kind": "patient_satisfaction", "conducted_on": "2026-05-10", "respondents": 212, "score": 87.5}),
    );
    assert_eq!(created["practice_id"], practice);
    assert_eq!(created["kind"], "patient_satisfaction");
    assert_eq!(created["conducted_on"], "2026-05-10");
    assert_eq!(created["respondents"], 212);
    assert_eq!(created["score"], 87.5);
    let id = created["id"].as_i64().expect("an id");
    let got = server.get(&format!("{}/{id}", surveys(practice)));
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json(), created);
    let list = server.get(&surveys(practice)).json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0], created);

    // The edges of the ranges are accepted.
    for (respondents, score) in [(1, 0.0), (1_000_000, 100.0)] {
        let edge = server.post(
            &surveys(practice),
            &json!({"kind": "office_efficiency", "conducted_on": "2026-05-11", "respondents": respondents, "score": score}),
        );
        assert_eq!(edge.status, 201, "{}", edge.text());
        assert_eq!(edge.json()["respondents"], respondents);
    }
}

fn lists_filter_by_kind_and_date_and_page(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    for (kind, day) in [
        ("patient_satisfaction", "2026-05-10"),
        ("office_efficiency", "2024-11-30"),
        ("patient_satisfaction", "2025-05-12"),
        ("office_efficiency", "2025-12-31"),
        ("patient_satisfaction", "2026-01-01"),
    ] {
        server.create(
            &surveys(practice),
            &json!({"kind": kind, "conducted_on": day, "respondents": 50, "score": 75}),
        );
    }
    let days = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["conducted_on"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = server.get(&surveys(practice)).json();
    assert_eq!(
        days(&all),
        ["2024-11-30", "2025-05-12", "2025-12-31", "2026-01-01", "2026-05-10"],
        "by the day the survey was conducted"
    );
    let in_2025 = server
        .get(&format!("{}?from=2025-01-01&to=2025-12-31", surveys(practice)))
        .json();
    assert_eq!(days(&in_2025), ["2025-05-12", "2025-12-31"]);
    let patients = server
        .get(&format!("{}?kind=patient_satisfaction", surveys(practice)))
        .json();
    assert_eq!(patients["total"], 3);
    assert!(patients["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["kind"] == "patient_satisfaction"));
    let office_since = server
        .get(&format!("{}?kind=office_efficiency&from=2025-01-01", surveys(practice)))
        .json();
    assert_eq!(days(&office_since), ["2025-12-31"]);
    let none = server.get(&format!("{}?kind=staff_morale", surveys(practice))).json();
    assert_eq!(none["total"], 0);

    let page = server.get(&format!("{}?limit=2&offset=2", surveys(practice))).json();
    assert_eq!(page["total"], 5);
    assert_eq!(days(&page), ["2025-12-31", "2026-01-01"]);

    for query in [
        "limit=0",
        "limit=501",
        "offset=-1",
        "offset=x",
        "from=2026-05-01&to=2026-04-01",
        "to=2101-01-01",
        "from=2026-13-01",
        "kind=Patient%20Satisfaction",
        "color=red",
    ] {
        let response = server.get(&format!("{}?{query}", surveys(practice)));
        assert!(matches!(response.status, 400 | 422), "{query}: {}", response.status);
        assert!(!response.error_fields().is_empty(), "{query} names the parameter");
    }
}

/// What is sent, the status expected, and the (field, rule) named.
type Case<'a> = (&'a str, String, u16, Option<(&'a str, &'a str)>);

fn bad_survey_results_are_refused_and_write_nothing(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let body = |fields: Value| {
        let mut body =
            json!({"kind": "patient_satisfaction", "conducted_on": "2026-05-10", "respondents": 100, "score": 80});
        for (k, v) in fields.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body.to_string()
    };
    let cases: Vec<Case> = vec![
        (
            "wrong type of kind",
            body(json!({"kind": 4})),
            422,
            Some(("kind", "type")),
        ),
        (
            "wrong type of respondents",
            body(json!({"respondents": "many"})),
            422,
            Some(("respondents", "type")),
        ),
        (
            "fractional respondents",
            body(json!({"respondents": 10.5})),
            422,
            Some(("respondents", "type")),
        ),
        (
            "negative respondents",
            body(json!({"respondents": -3})),
            422,
            Some(("respondents", "type")),
        ),
        (
            "wrong type of score",
            body(json!({"score": "high"})),
            422,
            Some(("score", "type")),
        ),
        (
            "wrong type of date",
            body(json!({"conducted_on": 20260510})),
            422,
            Some(("conducted_on", "type")),
        ),
        (
            "missing kind",
            body(json!({"kind": null})),
            422,
            Some(("kind", "required")),
        ),
        (
            "missing date",
            body(json!({"conducted_on": null})),
            422,
            Some(("conducted_on", "required")),
        ),
        (
            "missing respondents",
            body(json!({"respondents": null})),
            422,
            Some(("respondents", "required")),
        ),
        (
            "missing score",
            body(json!({"score": null})),
            422,
            Some(("score", "required")),
        ),
        (
            "unknown field",
            body(json!({"name": "Spring survey"})),
            422,
            Some(("name", "unknown_field")),
        ),
        (
            "impossible date",
            body(json!({"conducted_on": "2026-02-29"})),
            422,
            Some(("conducted_on", "format")),
        ),
        (
            "out-of-range date",
            body(json!({"conducted_on": "1850-01-01"})),
            422,
            Some(("conducted_on", "date_range")),
        ),
        (
            "far future date",
            body(json!({"conducted_on": "2101-01-01"})),
            422,
            Some(("conducted_on", "date_range")),
        ),
        (
            "no respondents",
            body(json!({"respondents": 0})),
            422,
            Some(("respondents", "range")),
        ),
        (
            "too many respondents",
            body(json!({"respondents": 1_000_001})),
            422,
            Some(("respondents", "range")),
        ),
        (
            "respondents beyond 32 bits",
            body(json!({"respondents": 5_000_000_000_i64})),
            422,
            Some(("respondents", "type")),
        ),
        (
            "negative score",
            body(json!({"score": -0.5})),
            422,
            Some(("score", "range")),
        ),
        (
            "score above 100",
            body(json!({"score": 100.01})),
            422,
            Some(("score", "range")),
        ),
        (
            "huge score",
            body(json!({"score": 1e308})),
            422,
            Some(("score", "range")),
        ),
        (
            "malformed kind",
            body(json!({"kind": "Patient satisfaction"})),
            422,
            Some(("kind", "format")),
        ),
        ("blank kind", body(json!({"kind": ""})), 422, Some(("kind", "format"))),
        (
            "oversized kind",
            body(json!({"kind": "a".repeat(65)})),
            422,
            Some(("kind", "format")),
        ),
        (
            "unknown kind",
            body(json!({"kind": "staff_morale"})),
            422,
            Some(("kind", "vocabulary")),
        ),
        (
            "malformed JSON",
            r#"{"kind": "patient_satisfaction""#.to_owned(),
            400,
            None,
        ),
        ("not an object", r#""patient_satisfaction""#.to_owned(), 422, None),
        ("empty body", String::new(), 400, None),
    ];
    for (what, body, status, field) in cases {
        let response = server.request("POST", &surveys(practice), Some("application/json"), body.as_bytes());
        assert_eq!(response.status, status, "{what}: {}", response.text());
        let error = response.json();
        assert!(
            error["error"]["code"].is_string() && error["error"]["message"].is_string(),
            "{what}: {error}"
        );
        if let Some((name, rule)) = field {
            assert_eq!(response.error_fields(), [pair(name, rule)], "{what}");
        }
    }
    let unknown = server.post(
        &surveys(practice),
        &json!({"kind": "staff_morale", "conducted_on": "2026-05-10", "respondents": 100, "score": 80}),
    );
    assert_eq!(
        unknown.json()["error"]["fields"][0]["message"],
        "`staff_morale` is not a survey kind of pcmh-n-domain-4 1.0.0 (known: office_efficiency, patient_satisfaction)"
    );

    let good = body(json!({}));
    let wrong_type = server.request("POST", &surveys(practice), Some("text/csv"), good.as_bytes());
    assert_eq!(wrong_type.status, 400);
    assert_eq!(wrong_type.json()["error"]["code"], "unsupported_content_type");
    let mut bad_utf8 = br#"{"conducted_on": "2026-05-10", "respondents": 1, "score": 1, "kind": ""#.to_vec();
    bad_utf8.extend_from_slice(b"\xc3\x28\"}");
    let bad_utf8 = server.request("POST", &surveys(practice), Some("application/json"), &bad_utf8);
    assert_eq!(bad_utf8.status, 400, "{}", bad_utf8.text());
    let huge = body(json!({"kind": "k".repeat(300_000)}));
    let oversized = server.request("POST", &surveys(practice), Some("application/json"), huge.as_bytes());
    assert_eq!(oversized.status, 413);

    assert_eq!(
        total(&server, practice),
        0,
        "none of the refused requests wrote anything"
    );
    assert!(!server.log_text().contains("panicked"), "{}", server.log_text());
}

fn unknown_and_foreign_ids_are_not_found(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let (_, other) = organization_with_practice(&server, "Hillside");
    let survey = server.create(
        &surveys(practice),
        &json!({"kind": "office_efficiency", "conducted_on": "2026-05-10", "respondents": 12, "score": 64}),
    )["id"]
        .as_i64()
        .unwrap();
    for path in [
        format!("{}/{survey}", surveys(other)),
        format!("{}/999", surveys(practice)),
        format!("{}/-1", surveys(practice)),
        format!("{}/abc", surveys(practice)),
        "/api/v1/practices/999/surveys".to_owned(),
        format!("/api/v1/practices/999/surveys/{survey}"),
    ] {
        let response = server.get(&path);
        assert_eq!(response.status, 404, "{path}: {}", response.text());
        assert_eq!(response.json()["error"]["code"], "not_found", "{path}");
    }
    let posted = server.post(
        &surveys(999),
        &json!({"kind": "office_efficiency", "conducted_on": "2026-05-10", "respondents": 12, "score": 64}),
    );
    assert_eq!(posted.status, 404, "{}", posted.text());
    assert_eq!(total(&server, other), 0);
}

fn survey_requirement(server: &Server, practice: i64) -> (String, Value) {
    let compliance = server.get(&format!("/api/v1/practices/{practice}/compliance?as_of=2026-11-24"));
    assert_eq!(compliance.status, 200, "{}", compliance.text());
    let criterion = compliance.json()["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == "4.4")
        .expect("criterion 4.4")
        .clone();
    assert_eq!(criterion["requirements"][0]["kind"], "survey");
    (
        criterion["status"].as_str().unwrap().to_owned(),
        criterion["requirements"][0].clone(),
    )
}

fn compliance_counts_the_surveys(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let (status, _) = survey_requirement(&server, practice);
    assert_eq!(status, "not_met");

    let record = |kind: &str, day: &str| {
        server.create(
            &surveys(practice),
            &json!({"kind": kind, "conducted_on": day, "respondents": 150, "score": 82.5}),
        )
    };
    // This year's surveys of both kinds: done, but no trend yet.
    record("patient_satisfaction", "2026-05-10");
    record("office_efficiency", "2026-06-01");
    let (status, requirement) = survey_requirement(&server, practice);
    assert_eq!(status, "partially_met", "{requirement}");
    // Last year's too: both kinds yearly for two years.
    record("patient_satisfaction", "2025-05-12");
    record("office_efficiency", "2025-06-02");
    let (status, requirement) = survey_requirement(&server, practice);
    assert_eq!(status, "met", "{requirement}");
    assert_eq!(requirement["status"], "met");
    assert_eq!(requirement["records"].as_array().unwrap().len(), 4, "{requirement}");
    assert!(requirement["records"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["kind"] == "survey_result"));

    // Evidence belongs to the day it documents: as of a day before them, the surveys do not count.
    let earlier = server
        .get(&format!("/api/v1/practices/{practice}/compliance?as_of=2025-01-01"))
        .json();
    let criterion = earlier["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == "4.4")
        .unwrap()
        .clone();
    assert_eq!(criterion["status"], "not_met", "{criterion}");
}
