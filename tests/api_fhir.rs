//! The FHIR R4 export of a practice's care plans over real HTTP, on SQLite and PostgreSQL:
//! `GET /api/v1/practices/{id}/care-plans/fhir?from=&to=` answers a `Bundle` of type
//! `collection` as `application/fhir+json`, one `Communication` per share, the patient only by
//! its opaque reference, the same bytes for the same records.

mod common;

use common::{organization_with_practice, Backend, Server};
use serde_json::{json, Value};

both_backends! {
    shares_become_communications_and_patients_stay_opaque => shares_become_communications_and_patients_stay_opaque;
    the_period_is_checked_and_other_practices_are_absent => the_period_is_checked_and_other_practices_are_absent;
}

/// A practice with an advance care plan naming three partners, shared with two of them, and a
/// voided plan; returns (PO, practice, the plan's id).
fn practice_with_a_shared_plan(server: &Server) -> (i64, i64, i64) {
    let (po, practice) = organization_with_practice(server, "North Clinic");
    let base = format!("/api/v1/practices/{practice}");
    let ana = server.create(
        &format!("{base}/staff"),
        &json!({"name": "Ana Lopez", "role": "physician", "started_on": "2019-03-04"}),
    )["id"]
        .clone();
    let plan = server.create(
        &format!("{base}/care-plans"),
        &json!({
            "kind": "advance_care_plan",
            "patient_ref": "PT-00042",
            "initiating_provider": ana,
            "discussed_on": "2026-03-01",
            "established_on": "2026-03-02",
            "documented_in_record": true,
            "care_partners": ["Cardiology, St. Mary's", "Health plan care manager", "Hospice of the Lakes"]
        }),
    );
    let plan_id = plan["id"].as_i64().unwrap();
    for (partner, method, day) in [(0, "electronic", "2026-03-03"), (1, "fax", "2026-03-05")] {
        server.create(
            &format!("{base}/care-plans/{plan_id}/shares"),
            &json!({"partner_id": plan["care_partners"][partner]["id"], "shared_on": day, "method": method}),
        );
    }
    let voided = server.create(
        &format!("{base}/care-plans"),
        &json!({
            "kind": "survivorship_care_plan",
            "patient_ref": "PT-00099",
            "initiating_provider": ana,
            "discussed_on": "2026-03-04",
            "documented_in_record": false,
            "care_partners": ["Oncology"]
        }),
    );
    let response = server.post(
        &format!("{base}/care-plans/{}/void", voided["id"]),
        &json!({"reason": "entered for the wrong practice"}),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    (po, practice, plan_id)
}

fn fhir(practice: i64, query: &str) -> String {
    format!("/api/v1/practices/{practice}/care-plans/fhir?{query}")
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

fn shares_become_communications_and_patients_stay_opaque(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice, _) = practice_with_a_shared_plan(&server);
    let path = fhir(practice, "from=2026-01-01&to=2026-12-31");
    let response = server.get(&path);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/fhir+json"));
    let bundle = response.json();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");

    let communications = resources(&bundle, "Communication");
    assert_eq!(communications.len(), 2, "one per share");
    let media: Vec<&Value> = communications
        .iter()
        .map(|c| &c["medium"][0]["coding"][0]["code"])
        .collect();
    assert_eq!(media, [&json!("ELECTRONIC"), &json!("FAXWRIT")]);
    let document = resources(&bundle, "DocumentReference");
    assert_eq!(document.len(), 1, "the voided plan is left out");
    let url_of = |name: &str| -> String {
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["resource"]["resourceType"] == "Organization" && e["resource"]["name"] == name)
            .map(|e| e["fullUrl"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{name} is an Organization of the bundle"))
    };
    let hospice = url_of("Hospice of the Lakes");
    let reached: Vec<&str> = communications
        .iter()
        .map(|c| c["recipient"][0]["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        reached,
        [url_of("Cardiology, St. Mary's"), url_of("Health plan care manager")]
    );
    assert!(
        !reached.contains(&hospice.as_str()),
        "the partner never shared with gets no Communication"
    );
    let named: Vec<&str> = document[0]["context"]["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert!(named.contains(&hospice.as_str()), "but is named on the plan");
    assert_eq!(resources(&bundle, "Consent").len(), 1);

    let patients = resources(&bundle, "Patient");
    assert_eq!(patients.len(), 1);
    let keys: Vec<&String> = patients[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "identifier", "resourceType"], "no name, no birth date");
    assert_eq!(patients[0]["identifier"][0]["value"], "PT-00042");
    let text = response.text();
    assert_eq!(
        text.matches("PT-00042").count(),
        1,
        "the reference only in the Patient: {text}"
    );
    assert!(!text.contains("PT-00099") && !text.contains("birthDate"), "{text}");

    let again = server.get(&path);
    assert_eq!(again.body, response.body, "the same records give the same bytes");
}

fn the_period_is_checked_and_other_practices_are_absent(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice, _) = practice_with_a_shared_plan(&server);
    let (other_po, _) = organization_with_practice(&server, "South Clinic");
    let manager = server.token(&["--role", "po_manager", "--organization", &other_po.to_string()]);
    let response = server.request_as(
        Some(&manager),
        "GET",
        &fhir(practice, "from=2026-01-01&to=2026-12-31"),
        None,
        b"",
    );
    assert_eq!(response.status, 404, "{}", response.text());
    assert!(!response.text().contains("North Clinic"));

    for (query, field) in [
        ("from=2026-06-30&to=2026-01-01", "to"),
        ("from=2026-02-30&to=2026-06-30", "from"),
        ("from=2026-01-01&to=soon", "to"),
        ("to=2026-06-30", "from"),
        ("from=2026-01-01", "to"),
    ] {
        let response = server.get(&fhir(practice, query));
        assert!(
            matches!(response.status, 400 | 422),
            "{query}: {} {}",
            response.status,
            response.text()
        );
        let fields: Vec<String> = response.error_fields().into_iter().map(|(f, _)| f).collect();
        assert!(
            fields.contains(&field.to_owned()),
            "{query}: {fields:?} {}",
            response.text()
        );
    }

    // A period without plans is still a bundle: the practice alone.
    let response = server.get(&fhir(practice, "from=2020-01-01&to=2020-12-31"));
    assert_eq!(response.status, 200, "{}", response.text());
    let bundle = response.json();
    assert_eq!(bundle["entry"].as_array().map(Vec::len), Some(1));
    assert_eq!(bundle["timestamp"], "2020-12-31T23:59:59-05:00");
}
