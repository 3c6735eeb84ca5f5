//! Attestations over real HTTP, on SQLite and PostgreSQL: practice- and PO-level, corrections
//! that supersede (never overwrite), the compliance they feed, and the bad input each endpoint
//! must refuse without writing anything.

mod common;

use common::{organization_with_practice, Backend, Server};
use serde_json::{json, Value};

both_backends! {
    attestations_are_made_listed_and_read => attestations_are_made_listed_and_read;
    a_correction_supersedes_and_compliance_follows => a_correction_supersedes_and_compliance_follows;
    not_applicable_only_where_the_catalog_allows_it => not_applicable_only_where_the_catalog_allows_it;
    the_po_attests_po_level_criteria_under_its_practices_version => the_po_attests_po_level_criteria_under_its_practices_version;
    evidence_is_a_document_of_the_practice_or_its_po => evidence_is_a_document_of_the_practice_or_its_po;
    bad_input_is_refused_and_writes_nothing => bad_input_is_refused_and_writes_nothing;
    ids_of_others_and_unknown_ids => ids_of_others_and_unknown_ids;
    two_corrections_at_once_cannot_both_succeed => two_corrections_at_once_cannot_both_succeed;
}

fn attestation(criterion: &str, status: &str, effective_on: &str) -> Value {
    json!({
        "criterion": criterion,
        "status": status,
        "effective_on": effective_on,
        "signer": "Dana Reyes",
        "signer_role": "Office manager",
        "statement": "Evidence-based guidelines are used at the point of care by every provider.",
    })
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

/// The outcome of the requirement of `kind` of `criterion` in the practice's compliance.
fn requirement(server: &Server, practice: i64, criterion: &str, kind: &str, as_of: &str) -> Value {
    let body = server
        .get(&format!("/api/v1/practices/{practice}/compliance?as_of={as_of}"))
        .json();
    let result = body["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == criterion)
        .unwrap_or_else(|| panic!("{criterion} is evaluated"))
        .clone();
    result["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == kind)
        .cloned()
        .unwrap_or(result)
}

fn criterion_status(server: &Server, practice: i64, criterion: &str, as_of: &str) -> Value {
    let body = server
        .get(&format!("/api/v1/practices/{practice}/compliance?as_of={as_of}"))
        .json();
    body["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == criterion)
        .unwrap()["status"]
        .clone()
}

/// Uploads a small document for `owner_path` (`practices/1` or `organizations/1`); returns its id.
fn upload_document(server: &Server, owner_path: &str, document_type: &str) -> i64 {
    let boundary = "pcmh-test-boundary";
    let metadata = json!({
        "title": "Care management workflow",
        "document_type": document_type,
        "criteria": [],
        "effective_on": "2026-03-01",
    });
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n\
         {metadata}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"workflow.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nStep 1: identify patients. Step 2: call them.\r\n--{boundary}--\r\n"
    );
    let response = server.request(
        "POST",
        &format!("/api/v1/{owner_path}/documents"),
        Some(&format!("multipart/form-data; boundary={boundary}")),
        body.as_bytes(),
    );
    assert_eq!(response.status, 201, "upload to {owner_path}: {}", response.text());
    response.json()["id"].as_i64().expect("a document id")
}

fn attestations_are_made_listed_and_read(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/attestations");

    let created = server.create(&base, &attestation("4.3", "in_place", "2026-02-01"));
    assert_eq!(created["owner"], json!({"practice": practice}));
    assert_eq!(created["criterion"], "4.3");
    assert_eq!(created["status"], "in_place");
    assert_eq!(created["catalog_id"], "pcmh-n-domain-4");
    assert_eq!(created["catalog_version"], "1.0.0");
    assert_eq!(created["effective_on"], "2026-02-01");
    assert_eq!(created["evidence"], json!([]));
    assert_eq!(created["supersedes"], Value::Null);
    assert_eq!(created["superseded_by"], Value::Null);
    assert!(created["recorded_at"].is_string());
    let got = server.get(&format!("{base}/{}", created["id"]));
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), created);

    // Text is kept trimmed.
    let spaced = server.create(
        &base,
        &with(
            attestation("4.5", "partially_in_place", "2026-05-01"),
            "signer",
            json!("  Ana Lopez  "),
        ),
    );
    assert_eq!(spaced["signer"], "Ana Lopez");
    server.create(&base, &attestation("4.6", "not_in_place", "2026-08-01"));
    server.create(&base, &attestation("4.3", "in_place", "2026-10-01"));

    let all = server.get(&base).json();
    assert_eq!(all["total"], 4);
    let dates: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["effective_on"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-02-01", "2026-05-01", "2026-08-01", "2026-10-01"]);

    let of_43 = server.get(&format!("{base}?criterion=4.3")).json();
    assert_eq!(of_43["total"], 2);
    let in_range = server.get(&format!("{base}?from=2026-04-01&to=2026-08-01")).json();
    assert_eq!(in_range["total"], 2);
    assert_eq!(in_range["items"][0]["criterion"], "4.5");
    let page = server.get(&format!("{base}?limit=2&offset=1")).json();
    assert_eq!((page["total"].as_i64(), page["limit"].as_i64()), (Some(4), Some(2)));
    assert_eq!(page["items"][0]["criterion"], "4.5");
    assert_eq!(page["items"][1]["criterion"], "4.6");

    // The practice's attestations are not the PO's.
    assert_eq!(
        server.get(&format!("/api/v1/organizations/{po}/attestations")).json()["total"],
        0
    );
}

fn a_correction_supersedes_and_compliance_follows(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/attestations");
    let as_of = "2026-11-24";

    let before = requirement(&server, practice, "4.3", "attestation", as_of);
    assert_eq!(before["status"], "not_met", "{before}");

    let first = server.create(&base, &attestation("4.3", "in_place", "2026-06-01"));
    let met = requirement(&server, practice, "4.3", "attestation", as_of);
    assert_eq!(met["status"], "met", "{met}");
    assert_eq!(met["records"], json!([{"kind": "attestation", "id": first["id"]}]));
    // The document the criterion also needs is still missing: 4.3 as a whole is only partly met.
    assert_eq!(criterion_status(&server, practice, "4.3", as_of), "partially_met");

    let correction = server.create(
        &base,
        &with(
            attestation("4.3", "not_in_place", "2026-06-01"),
            "supersedes",
            first["id"].clone(),
        ),
    );
    assert_eq!(correction["supersedes"], first["id"]);
    assert_eq!(correction["superseded_by"], Value::Null);
    let not_met = requirement(&server, practice, "4.3", "attestation", as_of);
    assert_eq!(not_met["status"], "not_met", "{not_met}");
    assert_eq!(
        not_met["records"],
        json!([{"kind": "attestation", "id": correction["id"]}])
    );

    // The original is kept, unchanged, and says what superseded it.
    let original = server.get(&format!("{base}/{}", first["id"])).json();
    assert_eq!(original["status"], "in_place");
    assert_eq!(original["superseded_by"], correction["id"]);
    let everything = server.get(&format!("{base}?criterion=4.3")).json();
    assert_eq!(everything["total"], 2);
    let current = server.get(&format!("{base}?criterion=4.3&current=true")).json();
    assert_eq!(current["total"], 1);
    assert_eq!(current["items"][0]["id"], correction["id"]);
    assert_eq!(server.get(&format!("{base}?current=false")).json()["total"], 2);

    // Superseding the superseded one again is a conflict; nothing is written.
    let again = server.post(
        &base,
        &with(
            attestation("4.3", "partially_in_place", "2026-06-01"),
            "supersedes",
            first["id"].clone(),
        ),
    );
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.json()["error"]["code"], "conflict");
    let message = again.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains(&format!("already superseded by attestation {}", correction["id"])),
        "{message}"
    );
    assert_eq!(server.get(&base).json()["total"], 2);

    // Correcting the correction is how to change it again.
    let third = server.create(
        &base,
        &with(
            attestation("4.3", "in_place", "2026-07-01"),
            "supersedes",
            correction["id"].clone(),
        ),
    );
    assert_eq!(
        requirement(&server, practice, "4.3", "attestation", as_of)["status"],
        "met"
    );
    assert_eq!(
        server.get(&format!("{base}/{}", correction["id"])).json()["superseded_by"],
        third["id"]
    );

    // Attestations are immutable: no PATCH, no DELETE.
    let patch = server.patch(&format!("{base}/{}", first["id"]), &json!({"status": "in_place"}));
    assert!(matches!(patch.status, 404 | 405), "{}", patch.status);
    let delete = server.request("DELETE", &format!("{base}/{}", first["id"]), None, b"");
    assert!(matches!(delete.status, 404 | 405), "{}", delete.status);
    assert_eq!(server.get(&base).json()["total"], 3);
}

fn not_applicable_only_where_the_catalog_allows_it(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/attestations");
    let as_of = "2026-11-24";

    // 4.9 (group visits) allows it.
    assert_ne!(criterion_status(&server, practice, "4.9", as_of), "not_applicable");
    let created = server.create(&base, &attestation("4.9", "not_applicable", "2026-03-01"));
    assert_eq!(created["status"], "not_applicable");
    assert_eq!(criterion_status(&server, practice, "4.9", as_of), "not_applicable");

    // 4.3 does not.
    let refused = server.post(&base, &attestation("4.3", "not_applicable", "2026-03-01"));
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(
        refused.error_fields(),
        [("status".to_owned(), "not_applicable_allowed".to_owned())]
    );
    assert_eq!(server.get(&base).json()["total"], 1);
}

fn the_po_attests_po_level_criteria_under_its_practices_version(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let po_base = format!("/api/v1/organizations/{po}/attestations");
    let practice_base = format!("/api/v1/practices/{practice}/attestations");

    let made = server.create(&po_base, &attestation("4.24", "in_place", "2026-04-01"));
    assert_eq!(made["owner"], json!({"organization": po}));
    assert_eq!(made["catalog_version"], "1.0.0");
    assert_eq!(server.get(&format!("{po_base}/{}", made["id"])).json(), made);

    // Scope: a practice criterion is not the PO's to attest, and a PO criterion not a practice's.
    let practice_criterion = server.post(&po_base, &attestation("4.3", "in_place", "2026-04-01"));
    assert_eq!(practice_criterion.status, 422);
    assert_eq!(
        practice_criterion.error_fields(),
        [("criterion".to_owned(), "scope".to_owned())]
    );
    for criterion in ["4.24", "4.25", "4.26", "4.27", "4.28"] {
        let po_criterion = server.post(&practice_base, &attestation(criterion, "in_place", "2026-04-01"));
        assert_eq!(po_criterion.status, 422, "{criterion}");
        assert_eq!(
            po_criterion.error_fields(),
            [("criterion".to_owned(), "scope".to_owned())],
            "{criterion}"
        );
    }
    // 4.28 may be attested not applicable by the PO; 4.24 may not.
    server.create(&po_base, &attestation("4.28", "not_applicable", "2026-04-01"));
    let refused = server.post(&po_base, &attestation("4.24", "not_applicable", "2026-04-01"));
    assert_eq!(
        refused.error_fields(),
        [("status".to_owned(), "not_applicable_allowed".to_owned())]
    );

    // A PO correction supersedes a PO attestation of the same criterion only.
    let other_criterion = server.post(
        &po_base,
        &with(
            attestation("4.26", "in_place", "2026-05-01"),
            "supersedes",
            made["id"].clone(),
        ),
    );
    assert_eq!(
        other_criterion.error_fields(),
        [("supersedes".to_owned(), "same_criterion".to_owned())]
    );
    let corrected = server.create(
        &po_base,
        &with(
            attestation("4.24", "partially_in_place", "2026-05-01"),
            "supersedes",
            made["id"].clone(),
        ),
    );
    assert_eq!(
        server.get(&format!("{po_base}/{}", made["id"])).json()["superseded_by"],
        corrected["id"]
    );
    let current = server.get(&format!("{po_base}?current=true")).json();
    assert_eq!(current["total"], 2, "{current}");
    assert_eq!(server.get(&format!("{po_base}?criterion=4.24")).json()["total"], 2);
    assert_eq!(server.get(&practice_base).json()["total"], 0);

    // A PO is assessed against the newest version its practices use...
    server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Riverside", "catalog_version": "1.1.0"}),
    );
    let newer = server.create(&po_base, &attestation("4.26", "in_place", "2026-06-01"));
    assert_eq!(newer["catalog_version"], "1.1.0");
    // ...and without practices, against the version in force today (what a new practice gets).
    let lone = server.create("/api/v1/organizations", &json!({"name": "Lone PO"}));
    let lone_made = server.create(
        &format!("/api/v1/organizations/{}/attestations", lone["id"]),
        &attestation("4.24", "in_place", "2026-06-01"),
    );
    let today_practice = server.create(
        &format!("/api/v1/organizations/{}/practices", lone["id"]),
        &json!({"name": "First"}),
    );
    assert_eq!(lone_made["catalog_version"], today_practice["catalog_version"]);

    // The practice's compliance shows PO criteria as not assessed per practice.
    assert_eq!(
        criterion_status(&server, practice, "4.24", "2026-11-24"),
        "not_applicable"
    );
}

fn evidence_is_a_document_of_the_practice_or_its_po(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let sibling = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Riverside"}),
    )["id"]
        .as_i64()
        .unwrap();
    let (other_po, elsewhere) = organization_with_practice(&server, "Elm Road");
    let own = upload_document(&server, &format!("practices/{practice}"), "evidence_based_guideline");
    let po_wide = upload_document(&server, &format!("organizations/{po}"), "care_management_workflow");
    let siblings = upload_document(&server, &format!("practices/{sibling}"), "care_management_workflow");
    let foreign_po = upload_document(
        &server,
        &format!("organizations/{other_po}"),
        "care_management_workflow",
    );
    let foreign = upload_document(&server, &format!("practices/{elsewhere}"), "care_management_workflow");
    let base = format!("/api/v1/practices/{practice}/attestations");

    let made = server.create(
        &base,
        &with(
            attestation("4.3", "in_place", "2026-06-01"),
            "evidence",
            json!([own, po_wide]),
        ),
    );
    assert_eq!(made["evidence"], json!([own, po_wide]));
    assert_eq!(
        server.get(&format!("{base}/{}", made["id"])).json()["evidence"],
        json!([own, po_wide])
    );

    for (evidence, field, rule) in [
        (json!([own, siblings]), "evidence[1]", "same_practice"),
        (json!([foreign_po]), "evidence[0]", "same_practice"),
        (json!([foreign]), "evidence[0]", "same_practice"),
        (json!([own, 999_999]), "evidence[1]", "same_practice"),
        (json!([own, own]), "evidence[1]", "unique"),
    ] {
        let refused = server.post(
            &base,
            &with(
                attestation("4.5", "in_place", "2026-06-01"),
                "evidence",
                evidence.clone(),
            ),
        );
        assert_eq!(refused.status, 422, "{evidence}: {}", refused.text());
        assert_eq!(
            refused.error_fields(),
            [(field.to_owned(), rule.to_owned())],
            "{evidence}"
        );
    }
    assert_eq!(server.get(&base).json()["total"], 1);

    // The PO may offer its own documents and its practices'; not another PO's.
    let po_base = format!("/api/v1/organizations/{po}/attestations");
    let po_made = server.create(
        &po_base,
        &with(
            attestation("4.24", "in_place", "2026-06-01"),
            "evidence",
            json!([po_wide, siblings]),
        ),
    );
    assert_eq!(po_made["evidence"], json!([po_wide, siblings]));
    let refused = server.post(
        &po_base,
        &with(
            attestation("4.26", "in_place", "2026-06-01"),
            "evidence",
            json!([po_wide, foreign_po]),
        ),
    );
    assert_eq!(
        refused.error_fields(),
        [("evidence[1]".to_owned(), "same_organization".to_owned())]
    );
    assert_eq!(server.get(&po_base).json()["total"], 1);
}

/// What is sent, where, the body, the status expected, and the (field, rule) named.
type Case<'a> = (&'a str, String, String, u16, Option<(&'a str, &'a str)>);

fn bad_input_is_refused_and_writes_nothing(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let (_, elsewhere) = organization_with_practice(&server, "Elm Road");
    let base = format!("/api/v1/practices/{practice}/attestations");
    let po_base = format!("/api/v1/organizations/{po}/attestations");
    let theirs = server.create(
        &format!("/api/v1/practices/{elsewhere}/attestations"),
        &attestation("4.3", "in_place", "2026-01-05"),
    );
    let other_criterion = server.create(&base, &attestation("4.5", "in_place", "2026-01-05"));
    let po_made = server.create(&po_base, &attestation("4.24", "in_place", "2026-01-05"));
    let good = attestation("4.3", "in_place", "2026-06-01");
    let without = |key: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(key);
        body.to_string()
    };
    let set = |key: &str, value: Value| with(good.clone(), key, value).to_string();
    let fifty_one: Vec<i64> = (1..=51).collect();

    let mut cases: Vec<Case> = vec![
        (
            "wrong type",
            base.clone(),
            set("signer", json!(5)),
            422,
            Some(("signer", "type")),
        ),
        (
            "evidence not a list",
            base.clone(),
            set("evidence", json!("1")),
            422,
            Some(("evidence", "type")),
        ),
        (
            "evidence id not a number",
            base.clone(),
            set("evidence", json!(["x"])),
            422,
            Some(("evidence[0]", "type")),
        ),
        (
            "supersedes not a number",
            base.clone(),
            set("supersedes", json!("7")),
            422,
            Some(("supersedes", "type")),
        ),
        (
            "missing criterion",
            base.clone(),
            without("criterion"),
            422,
            Some(("criterion", "required")),
        ),
        (
            "missing status",
            base.clone(),
            without("status"),
            422,
            Some(("status", "required")),
        ),
        (
            "missing statement",
            base.clone(),
            without("statement"),
            422,
            Some(("statement", "required")),
        ),
        (
            "unknown field",
            base.clone(),
            set("score", json!(3)),
            422,
            Some(("score", "unknown_field")),
        ),
        (
            "unknown status",
            base.clone(),
            set("status", json!("mostly")),
            422,
            Some(("status", "one_of")),
        ),
        (
            "criterion not an id",
            base.clone(),
            set("criterion", json!("four")),
            422,
            Some(("criterion", "format")),
        ),
        (
            "criterion unquoted",
            base.clone(),
            set("criterion", json!(4.1)),
            422,
            Some(("criterion", "format")),
        ),
        (
            "unknown criterion",
            base.clone(),
            set("criterion", json!("4.99")),
            422,
            Some(("criterion", "known_criterion")),
        ),
        (
            "PO criterion for a practice",
            base.clone(),
            set("criterion", json!("4.27")),
            422,
            Some(("criterion", "scope")),
        ),
        (
            "impossible date",
            base.clone(),
            set("effective_on", json!("2026-02-30")),
            422,
            Some(("effective_on", "format")),
        ),
        (
            "date long ago",
            base.clone(),
            set("effective_on", json!("1850-01-01")),
            422,
            Some(("effective_on", "date_range")),
        ),
        (
            "date far ahead",
            base.clone(),
            set("effective_on", json!("2207-01-01")),
            422,
            Some(("effective_on", "date_range")),
        ),
        (
            "blank statement",
            base.clone(),
            set("statement", json!("   ")),
            422,
            Some(("statement", "not_blank")),
        ),
        (
            "oversized statement",
            base.clone(),
            set("statement", json!("x".repeat(4001))),
            422,
            Some(("statement", "length")),
        ),
        (
            "blank signer",
            base.clone(),
            set("signer", json!("")),
            422,
            Some(("signer", "not_blank")),
        ),
        (
            "blank signer role",
            base.clone(),
            set("signer_role", json!(" ")),
            422,
            Some(("signer_role", "not_blank")),
        ),
        (
            "oversized signer",
            base.clone(),
            set("signer", json!("x".repeat(201))),
            422,
            Some(("signer", "length")),
        ),
        (
            "too much evidence",
            base.clone(),
            set("evidence", json!(fifty_one)),
            422,
            Some(("evidence", "length")),
        ),
        (
            "unknown evidence",
            base.clone(),
            set("evidence", json!([424_242])),
            422,
            Some(("evidence[0]", "same_practice")),
        ),
        (
            "supersedes another practice's attestation",
            base.clone(),
            set("supersedes", theirs["id"].clone()),
            422,
            Some(("supersedes", "same_criterion")),
        ),
        (
            "supersedes another criterion's attestation",
            base.clone(),
            set("supersedes", other_criterion["id"].clone()),
            422,
            Some(("supersedes", "same_criterion")),
        ),
        (
            "supersedes the PO's attestation",
            base.clone(),
            set("supersedes", po_made["id"].clone()),
            422,
            Some(("supersedes", "same_criterion")),
        ),
        (
            "supersedes nothing",
            base.clone(),
            set("supersedes", json!(999_999)),
            422,
            Some(("supersedes", "same_criterion")),
        ),
        (
            "malformed JSON",
            base.clone(),
            r#"{"criterion": "4.3""#.into(),
            400,
            None,
        ),
        ("not an object", base.clone(), "[1, 2]".into(), 422, None),
        (
            "practice criterion for the PO",
            po_base.clone(),
            good.to_string(),
            422,
            Some(("criterion", "scope")),
        ),
        (
            "PO supersedes a practice's attestation",
            po_base.clone(),
            with(
                attestation("4.24", "in_place", "2026-06-01"),
                "supersedes",
                other_criterion["id"].clone(),
            )
            .to_string(),
            422,
            Some(("supersedes", "same_criterion")),
        ),
        (
            "PO blank statement",
            po_base.clone(),
            with(attestation("4.24", "in_place", "2026-06-01"), "statement", json!("")).to_string(),
            422,
            Some(("statement", "not_blank")),
        ),
    ];
    cases.push((
        "PO unknown criterion",
        po_base.clone(),
        with(
            attestation("4.29", "in_place", "2026-06-01"),
            "criterion",
            json!("4.29"),
        )
        .to_string(),
        422,
        Some(("criterion", "known_criterion")),
    ));
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
    let wrong_type = server.request("POST", &base, Some("text/plain"), good.to_string().as_bytes());
    assert_eq!(wrong_type.status, 400);
    let bad_utf8 = server.request(
        "POST",
        &base,
        Some("application/json"),
        b"{\"criterion\": \"4.3\", \"signer\": \"\xff\"}",
    );
    assert_eq!(bad_utf8.status, 400);
    let huge = set("statement", json!("x".repeat(400_000)));
    assert_eq!(
        server
            .request("POST", &base, Some("application/json"), huge.as_bytes())
            .status,
        413
    );

    // None of the refused requests wrote anything.
    assert_eq!(server.get(&base).json()["total"], 1);
    assert_eq!(server.get(&po_base).json()["total"], 1);

    for query in [
        "limit=0",
        "limit=501",
        "offset=-1",
        "limit=abc",
        "from=2026-05-01&to=2026-04-01",
        "from=1850-01-01",
        "criterion=four",
        "current=maybe",
        "color=red",
    ] {
        for list in [&base, &po_base] {
            let response = server.get(&format!("{list}?{query}"));
            assert!(matches!(response.status, 400 | 422), "{query}: {}", response.status);
            assert!(!response.error_fields().is_empty(), "{query} names the parameter");
        }
    }
    assert!(!server.log_text().contains("panicked"), "{}", server.log_text());
}

fn ids_of_others_and_unknown_ids(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let (other_po, elsewhere) = organization_with_practice(&server, "Elm Road");
    let theirs = server.create(
        &format!("/api/v1/practices/{elsewhere}/attestations"),
        &attestation("4.3", "in_place", "2026-01-05"),
    );
    let ours = server.create(
        &format!("/api/v1/practices/{practice}/attestations"),
        &attestation("4.3", "in_place", "2026-01-05"),
    );
    let po_made = server.create(
        &format!("/api/v1/organizations/{po}/attestations"),
        &attestation("4.24", "in_place", "2026-01-05"),
    );
    let other_po_made = server.create(
        &format!("/api/v1/organizations/{other_po}/attestations"),
        &attestation("4.24", "in_place", "2026-01-05"),
    );
    for path in [
        format!("/api/v1/practices/{practice}/attestations/{}", theirs["id"]),
        format!("/api/v1/practices/{practice}/attestations/{}", po_made["id"]),
        format!("/api/v1/practices/{practice}/attestations/999999"),
        format!("/api/v1/practices/{elsewhere}/attestations/{}", ours["id"]),
        format!("/api/v1/organizations/{po}/attestations/{}", ours["id"]),
        format!("/api/v1/organizations/{po}/attestations/{}", other_po_made["id"]),
        format!("/api/v1/organizations/{po}/attestations/999999"),
        format!("/api/v1/practices/{practice}/attestations/not-a-number"),
        "/api/v1/practices/999999/attestations".to_owned(),
        format!("/api/v1/practices/999999/attestations/{}", ours["id"]),
        "/api/v1/organizations/999999/attestations".to_owned(),
        format!("/api/v1/organizations/999999/attestations/{}", po_made["id"]),
    ] {
        let response = server.get(&path);
        assert_eq!(response.status, 404, "{path}: {}", response.text());
        assert_eq!(response.json()["error"]["code"], "not_found", "{path}");
    }
    let to_unknown_practice = server.post(
        "/api/v1/practices/999999/attestations",
        &attestation("4.3", "in_place", "2026-01-05"),
    );
    assert_eq!(to_unknown_practice.status, 404);
    let to_unknown_po = server.post(
        "/api/v1/organizations/999999/attestations",
        &attestation("4.24", "in_place", "2026-01-05"),
    );
    assert_eq!(to_unknown_po.status, 404);
    // Another practice's attestation cannot be corrected through this practice.
    let cross = server.post(
        &format!("/api/v1/practices/{practice}/attestations"),
        &with(
            attestation("4.3", "not_in_place", "2026-01-05"),
            "supersedes",
            theirs["id"].clone(),
        ),
    );
    assert_eq!(cross.status, 422);
    assert_eq!(
        cross.error_fields(),
        [("supersedes".to_owned(), "same_criterion".to_owned())]
    );
    assert_eq!(
        server
            .get(&format!("/api/v1/practices/{elsewhere}/attestations/{}", theirs["id"]))
            .json()["superseded_by"],
        Value::Null
    );
}

fn two_corrections_at_once_cannot_both_succeed(backend: Backend) {
    let server = std::sync::Arc::new(Server::start(backend));
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let base = format!("/api/v1/practices/{practice}/attestations");
    for round in 0..8 {
        let original = server.create(&base, &attestation("4.3", "in_place", "2026-06-01"));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let racers: Vec<_> = ["not_in_place", "partially_in_place"]
            .into_iter()
            .map(|status| {
                let (server, barrier, base) = (server.clone(), barrier.clone(), base.clone());
                let body = with(
                    attestation("4.3", status, "2026-06-01"),
                    "supersedes",
                    original["id"].clone(),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    server.post(&base, &body)
                })
            })
            .collect();
        let mut answers: Vec<_> = racers.into_iter().map(|r| r.join().unwrap()).collect();
        answers.sort_by_key(|r| r.status);
        assert_eq!(
            (answers[0].status, answers[1].status),
            (201, 409),
            "round {round}: {} / {}",
            answers[0].text(),
            answers[1].text()
        );
        let message = answers[1].json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("superseded"), "round {round}: {message}");
        let winner = answers[0].json();
        assert_eq!(
            server.get(&format!("{base}/{}", original["id"])).json()["superseded_by"],
            winner["id"]
        );
    }
    assert_eq!(server.get(&base).json()["total"], 16);
    assert_eq!(server.get(&format!("{base}?current=true")).json()["total"], 8);
}
