//! The NIST OSCAL exports over real HTTP, on SQLite and PostgreSQL: a catalog version as an
//! OSCAL catalog, a practice's and a PO's compliance as OSCAL assessment results (one finding
//! per criterion, the status mapped as the issue says, the evidence document's SHA-256 in the
//! back matter), the same bytes for the same request, and the practice view's access rules and
//! `as_of` handling.

mod common;

use common::{organization_with_practice, Backend, Server};
use serde_json::{json, Value};

both_backends! {
    the_catalog_is_an_oscal_catalog => the_catalog_is_an_oscal_catalog;
    a_practice_gets_one_finding_per_criterion_mapped_from_its_status => a_practice_gets_one_finding_per_criterion_mapped_from_its_status;
    a_po_gets_its_own_result_and_one_per_practice => a_po_gets_its_own_result_and_one_per_practice;
    access_and_bad_days_are_answered_as_for_the_compliance_view => access_and_bad_days_are_answered_as_for_the_compliance_view;
}

const AS_OF: &str = "2026-11-24";

fn get_json(server: &Server, path: &str) -> (Vec<u8>, Value) {
    let response = server.get(path);
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"), "GET {path}");
    let value = response.json();
    (response.body, value)
}

fn the_catalog_is_an_oscal_catalog(backend: Backend) {
    let server = Server::start(backend);
    let path = "/api/v1/catalogs/pcmh-n-domain-4/versions/1.0.0/oscal";
    let (bytes, oscal) = get_json(&server, path);
    assert_eq!(server.get(path).body, bytes, "the same catalog gives the same bytes");
    let catalog = &oscal["catalog"];
    assert_eq!(catalog["metadata"]["oscal-version"], "1.1.3");
    assert_eq!(catalog["metadata"]["version"], "1.0.0");
    let ours = server.get("/api/v1/catalogs/pcmh-n-domain-4/versions/1.0.0").json();
    let controls: Vec<&Value> = catalog["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["controls"].as_array().expect("controls"))
        .collect();
    let criteria = ours["criteria"].as_array().expect("criteria");
    assert_eq!(controls.len(), criteria.len());
    for criterion in criteria {
        let id = criterion["id"].as_str().unwrap();
        let control = controls
            .iter()
            .find(|c| c["id"] == format!("pcmh-{id}"))
            .unwrap_or_else(|| panic!("{id} is a control"));
        assert!(control["props"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "label", "value": id})));
    }
    assert_eq!(
        server
            .get("/api/v1/catalogs/pcmh-n-domain-4/versions/9.9.9/oscal")
            .status,
        404
    );
    assert_eq!(server.get("/api/v1/catalogs/nothing/versions/1.0.0/oscal").status, 404);
}

/// A practice (on 1.0.0, in Detroit) with a met, a partially met, a not met and a not
/// applicable criterion, and an uploaded training document; returns (PO, practice, SHA-256).
fn practice_with_every_status(server: &Server) -> (i64, i64, String) {
    let (po, practice) = organization_with_practice(server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}");
    // Met (4.16): an advance care plan established and documented.
    let provider = server.create(
        &format!("{base}/staff"),
        &json!({"name": "Ana Lopez", "role": "physician", "started_on": "2019-03-04"}),
    );
    server.create(
        &format!("{base}/staff"),
        &json!({"name": "Ben Ortiz", "role": "nurse", "started_on": "2019-03-04"}),
    );
    server.create(
        &format!("{base}/care-plans"),
        &json!({
            "kind": "advance_care_plan",
            "patient_ref": "PT-00042",
            "initiating_provider": provider["id"],
            "discussed_on": "2026-06-01",
            "established_on": "2026-06-01",
            "documented_in_record": true,
        }),
    );
    // Partially met (4.1): one of two staff trained on the topics, the training material kept.
    for topic in ["pcmh_n_model", "chronic_care_model", "practice_transformation"] {
        server.create(
            &format!("{base}/trainings"),
            &json!({"staff_id": provider["id"], "topic": topic, "completed_on": "2026-07-01", "hours": 1.0}),
        );
    }
    let sha256 = upload(
        server,
        &format!("{base}/documents"),
        &json!({"title": "PCMH-N training slides", "document_type": "training_material", "criteria": ["4.1"], "effective_on": "2026-07-01"}),
    );
    // Not applicable (4.9): attested so, which the catalog allows.
    server.create(
        &format!("{base}/attestations"),
        &json!({
            "criterion": "4.9",
            "status": "not_applicable",
            "effective_on": "2026-03-01",
            "signer": "Dana Reyes",
            "signer_role": "Office manager",
            "statement": "The practice runs no group visits.",
        }),
    );
    (po, practice, sha256)
}

/// Uploads a small PDF with `metadata`; returns its SHA-256.
fn upload(server: &Server, path: &str, metadata: &Value) -> String {
    let boundary = "pcmh-oscal-test-boundary-5e1d";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slides.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(b"%PDF-1.7\r\nslides\r\n%%EOF");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = server.request(
        "POST",
        path,
        Some(&format!("multipart/form-data; boundary={boundary}")),
        &body,
    );
    assert_eq!(response.status, 201, "POST {path}: {}", response.text());
    response.json()["sha256"].as_str().expect("a SHA-256").to_owned()
}

/// The OSCAL mapping of a status of the compliance view: (state, implementation state).
fn expected(status: &str) -> (&'static str, Option<&'static str>) {
    match status {
        "met" => ("satisfied", Some("implemented")),
        "partially_met" => ("not-satisfied", Some("partial")),
        "not_met" => ("not-satisfied", None),
        "not_applicable" => ("satisfied", Some("not-applicable")),
        other => panic!("unknown status {other}"),
    }
}

/// Checks one result's findings against the compliance view's criteria.
fn check_findings(result: &Value, view: &[Value]) {
    let findings = result["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), view.len(), "one finding per criterion");
    let reviewed = result["reviewed-controls"]["control-selections"][0]["include-controls"]
        .as_array()
        .expect("reviewed controls");
    assert_eq!(reviewed.len(), view.len());
    for (finding, criterion) in findings.iter().zip(view) {
        let id = criterion["criterion"].as_str().unwrap();
        let target = &finding["target"];
        assert_eq!(target["type"], "objective-id");
        assert_eq!(target["target-id"], format!("pcmh-{id}_obj"));
        let (state, implementation) = expected(criterion["status"].as_str().unwrap());
        assert_eq!(target["status"]["state"], state, "{id}: {finding}");
        assert_eq!(
            target["implementation-status"]["state"].as_str(),
            implementation,
            "{id}: {finding}"
        );
        for reason in criterion["reasons"].as_array().unwrap() {
            assert!(
                finding["description"]
                    .as_str()
                    .unwrap()
                    .contains(reason.as_str().unwrap().trim()),
                "{id}: the reason {reason} is in the finding"
            );
        }
    }
}

fn a_practice_gets_one_finding_per_criterion_mapped_from_its_status(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice, sha256) = practice_with_every_status(&server);
    let view = server
        .get(&format!("/api/v1/practices/{practice}/compliance?as_of={AS_OF}"))
        .json();
    let criteria = view["criteria"].as_array().expect("criteria");
    let status = |id: &str| criteria.iter().find(|c| c["criterion"] == id).unwrap()["status"].clone();
    assert_eq!(
        [status("4.16"), status("4.1"), status("4.21"), status("4.9")],
        ["met", "partially_met", "not_met", "not_applicable"],
        "the set-up gives every status"
    );

    let path = format!("/api/v1/practices/{practice}/compliance/oscal?as_of={AS_OF}");
    let (bytes, oscal) = get_json(&server, &path);
    assert_eq!(server.get(&path).body, bytes, "the same request gives the same bytes");
    let root = &oscal["assessment-results"];
    assert_eq!(root["metadata"]["oscal-version"], "1.1.3");
    let results = root["results"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["start"], "2026-11-24T00:00:00-05:00", "midnight in Detroit");
    check_findings(&results[0], criteria);

    // The not-applicable reason is in the remarks; the attestation is an interview.
    let na = results[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["target"]["target-id"] == "pcmh-4.9_obj")
        .unwrap();
    assert!(na["target"]["implementation-status"]["remarks"]
        .as_str()
        .is_some_and(|r| !r.is_empty()));
    let observations = results[0]["observations"].as_array().expect("observations");
    let interview = observations
        .iter()
        .find(|o| o["methods"] == json!(["INTERVIEW"]))
        .expect("the attestation of 4.9");
    assert_eq!(interview["types"], json!(["attestation"]));
    assert_eq!(interview["collected"], "2026-03-01T00:00:00-05:00");
    assert!(observations
        .iter()
        .any(|o| o["methods"] == json!(["EXAMINE"]) && o["collected"] == "2026-07-01T00:00:00-04:00"));

    // import-ap points at the back-matter note; the document carries its SHA-256.
    let resources = root["back-matter"]["resources"].as_array().expect("resources");
    assert_eq!(
        root["import-ap"]["href"],
        format!("#{}", resources[0]["uuid"].as_str().unwrap())
    );
    let document = resources
        .iter()
        .find(|r| r["title"] == "PCMH-N training slides")
        .expect("the document is a resource");
    assert_eq!(
        document["rlinks"][0]["hashes"],
        json!([{"algorithm": "SHA-256", "value": sha256}])
    );
    let href = document["rlinks"][0]["href"].as_str().unwrap();
    let content = server.get(href);
    assert_eq!(content.status, 200, "the rlink {href} serves the file");

    // Without as_of: the practice's today, as for the compliance view.
    let today = server.get(&format!("/api/v1/practices/{practice}/compliance/oscal"));
    assert_eq!(today.status, 200, "{}", today.text());
}

fn a_po_gets_its_own_result_and_one_per_practice(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice, _) = practice_with_every_status(&server);
    let view = server
        .get(&format!("/api/v1/organizations/{po}/compliance?as_of={AS_OF}"))
        .json();
    let own = server
        .get(&format!("/api/v1/practices/{practice}/compliance?as_of={AS_OF}"))
        .json();
    let path = format!("/api/v1/organizations/{po}/compliance/oscal?as_of={AS_OF}");
    let (bytes, oscal) = get_json(&server, &path);
    assert_eq!(server.get(&path).body, bytes, "the same request gives the same bytes");
    let results = oscal["assessment-results"]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "the PO's own criteria, then its one practice");
    assert_eq!(results[0]["start"], "2026-11-24T00:00:00Z");
    check_findings(&results[0], view["organization_criteria"].as_array().unwrap());
    check_findings(&results[1], own["criteria"].as_array().unwrap());
    // The practice's result is the one its own export has.
    let alone = server
        .get(&format!("/api/v1/practices/{practice}/compliance/oscal?as_of={AS_OF}"))
        .json();
    assert_eq!(
        results[1]["findings"],
        alone["assessment-results"]["results"][0]["findings"]
    );
    assert_eq!(
        server
            .get(&format!("/api/v1/organizations/{}/compliance/oscal", po + 100))
            .status,
        404
    );
}

fn access_and_bad_days_are_answered_as_for_the_compliance_view(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let (_, other) = organization_with_practice(&server, "Oak Hill");
    let manager = server.token(&["--role", "practice_manager", "--practice", &other.to_string()]);
    for path in [
        format!("/api/v1/practices/{practice}/compliance/oscal?as_of={AS_OF}"),
        format!("/api/v1/practices/{practice}/compliance?as_of={AS_OF}"),
    ] {
        let response = server.request_as(Some(&manager), "GET", &path, None, b"");
        assert_eq!(response.status, 404, "another practice's manager: {path}");
    }
    let own = server.request_as(
        Some(&manager),
        "GET",
        &format!("/api/v1/practices/{other}/compliance/oscal?as_of={AS_OF}"),
        None,
        b"",
    );
    assert_eq!(own.status, 200, "{}", own.text());
    for (query, status) in [
        ("as_of=2026-13-01", [400, 422]),
        ("as_of=tomorrow", [400, 422]),
        ("when=2026-11-24", [400, 400]),
    ] {
        let oscal = server.get(&format!("/api/v1/practices/{practice}/compliance/oscal?{query}"));
        let plain = server.get(&format!("/api/v1/practices/{practice}/compliance?{query}"));
        assert!(
            status.contains(&oscal.status),
            "{query}: {} {}",
            oscal.status,
            oscal.text()
        );
        assert_eq!(oscal.status, plain.status, "{query}: as for the compliance view");
        assert_eq!(oscal.error_fields(), plain.error_fields(), "{query}");
    }
}
