use std::path::Path;

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::Value;

use super::*;
use crate::catalog::{load_file, CatalogSet};
use crate::ids::{AttestationId, OrganizationId, PracticeId, StaffId, Term, TrainingId};
use crate::records::{AttestedStatus, Correction, Document, Owner, Role, Staff, TrainingRecord};
use crate::rules::view;
use crate::store::documents::DocumentFile;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("a test date")
}

fn catalogs() -> CatalogSet {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy-catalog/domain-4");
    CatalogSet::from_catalogs(
        ["1.0.0.yaml", "1.1.0.yaml"]
            .iter()
            .map(|f| load_file(&root.join(f)).expect("the shipped catalog loads")),
    )
}

fn practice() -> Practice {
    Practice {
        id: PracticeId(3),
        organization_id: OrganizationId(1),
        name: "Riverside Family Medicine".into(),
        initial_focus_population: Some("adults with diabetes".into()),
        catalog_id: "pcmh-n-domain-4".into(),
        catalog_version: "1.1.0".into(),
        joined_on: None,
        time_zone: "America/Detroit".into(),
    }
}

/// A practice with one staff member trained on the 4.1 topics, a training-material document
/// and an attestation of 4.1.
fn records() -> Records {
    let owner = Owner::Practice(PracticeId(3));
    let staff = Staff {
        id: StaffId(11),
        practice_id: PracticeId(3),
        name: "Dana Office".into(),
        role: Role::OfficeLeader,
        started_on: d("2024-01-15"),
        ended_on: None,
        correction: Correction::default(),
    };
    let trainings = ["pcmh_n_model", "chronic_care_model", "practice_transformation"]
        .iter()
        .enumerate()
        .map(|(n, topic)| TrainingRecord {
            id: TrainingId(20 + n as i64),
            staff_id: StaffId(11),
            topic: Term::parse(topic).unwrap(),
            completed_on: d("2026-03-02"),
            hours: 2.0,
            trainer: None,
            document_id: Some(DocumentId(7)),
            correction: Correction::default(),
        })
        .collect();
    let document = Document {
        id: DocumentId(7),
        owner,
        title: "PCMH-N training slides".into(),
        document_type: Term::parse("training_material").unwrap(),
        criteria: vec![CriterionId::parse("4.1").unwrap()],
        effective_on: d("2026-02-01"),
        correction: Correction::default(),
    };
    let attestation = Attestation {
        id: AttestationId(30),
        owner,
        criterion: CriterionId::parse("4.1").unwrap(),
        catalog_version: "1.1.0".into(),
        status: AttestedStatus::InPlace,
        effective_on: d("2026-06-01"),
        signer: "Dana Office".into(),
        signer_role: "Office leader".into(),
        statement: "All staff completed the annual training.".into(),
        evidence: vec![DocumentId(7)],
        supersedes: None,
        recorded_at: Utc.with_ymd_and_hms(2026, 6, 1, 15, 0, 0).unwrap(),
    };
    Records {
        practices: vec![practice()],
        staff: vec![staff],
        trainings,
        attestations: vec![attestation],
        documents: vec![document],
        ..Records::default()
    }
}

fn stored(records: &Records) -> StoredDocument {
    StoredDocument {
        document: records.documents[0].clone(),
        file: DocumentFile {
            file_name: "slides.pdf".into(),
            media_type: "application/pdf".into(),
            size_bytes: 1234,
            sha256: "ab".repeat(32),
        },
        catalog_id: "pcmh-n-domain-4".into(),
        catalog_version: "1.1.0".into(),
        recorded_at: Utc.with_ymd_and_hms(2026, 2, 1, 12, 0, 0).unwrap(),
    }
}

const AS_OF: &str = "2026-11-24";

fn compliance(set: &CatalogSet, records: &Records) -> PracticeCompliance {
    view::practice_compliance(set, practice(), records, d(AS_OF)).unwrap()
}

fn practice_json(compliance: &PracticeCompliance, records: &Records, documents: &[EvidenceDocument<'_>]) -> Value {
    let set = catalogs();
    let catalog = set.named("pcmh-n-domain-4", "1.1.0").unwrap();
    let input = PracticeAssessment {
        compliance,
        catalog,
        records,
        documents,
    };
    serde_json::from_slice(&to_json(&assessment_results(&input))).unwrap()
}

/// Every id, control id, target id, objective id and group id in `value`.
fn ids(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if ["id", "control-id", "target-id"].contains(&key.as_str()) {
                    out.push(v.as_str().unwrap_or_default().to_owned());
                }
                ids(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| ids(v, out)),
        _ => {}
    }
}

/// The paths in `value` holding an empty array, a null or an empty string.
fn empties(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Null => out.push(format!("{path}: null")),
        Value::String(s) if s.trim().is_empty() => out.push(format!("{path}: empty text")),
        Value::Array(items) if items.is_empty() => out.push(format!("{path}: empty array")),
        Value::Array(items) => {
            for (n, v) in items.iter().enumerate() {
                empties(v, &format!("{path}[{n}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, v) in map {
                // `include-all` is written `{}` on purpose: OSCAL's way of saying "every control".
                empties(v, &format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

/// Whether `id` matches OSCAL's token pattern `^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`.
fn is_token(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || ".-_".contains(c))
}

/// Every UUID in `value` (under a key `uuid`).
fn uuids(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "uuid" {
                    out.push(v.as_str().unwrap_or_default().to_owned());
                }
                uuids(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| uuids(v, out)),
        _ => {}
    }
}

#[test]
fn the_catalog_has_a_control_per_criterion_with_ids_oscal_accepts() {
    let set = catalogs();
    for (_, catalog) in set.iter() {
        let json: Value = serde_json::from_slice(&to_json(&super::catalog(catalog))).unwrap();
        let root = &json["catalog"];
        assert_eq!(root["metadata"]["oscal-version"], "1.1.3");
        assert_eq!(root["metadata"]["version"], catalog.version.to_string());
        assert_eq!(
            root["metadata"]["last-modified"],
            format!("{}T00:00:00Z", catalog.effective)
        );
        let controls: Vec<&Value> = root["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["controls"].as_array().unwrap())
            .collect();
        assert_eq!(controls.len(), catalog.criteria.len());
        let first = controls
            .iter()
            .find(|c| c["id"] == "pcmh-4.1")
            .expect("4.1 is a control");
        assert_eq!(first["props"][0], serde_json::json!({"name": "label", "value": "4.1"}));
        assert_eq!(first["parts"][0]["name"], "statement");
        assert_eq!(first["parts"][1]["name"], "assessment-objective");
        assert_eq!(first["parts"][1]["id"], "pcmh-4.1_obj");
        let objective = first["parts"][1]["prose"].as_str().unwrap();
        assert!(
            objective.contains("Training in Patient Centered Medical Home-Neighbor"),
            "the requirement in words: {objective}"
        );
        let groups: Vec<&str> = root["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap())
            .collect();
        assert_eq!(groups, ["practice", "physician-organization"]);
        let mut all = Vec::new();
        ids(&json, &mut all);
        assert!(all.len() > catalog.criteria.len() * 3);
        for id in &all {
            assert!(is_token(id), "{id} is not an OSCAL token");
        }
        let mut found = Vec::new();
        empties(&json, "$", &mut found);
        assert_eq!(found, Vec::<String>::new());
        let mut ids = Vec::new();
        uuids(&json, &mut ids);
        assert!(ids
            .iter()
            .all(|u| Uuid::parse_str(u).is_ok_and(|u| u.get_version_num() == 5)));
    }
}

#[test]
fn every_requirement_is_described_in_words() {
    let set = catalogs();
    for (_, catalog) in set.iter() {
        for criterion in &catalog.criteria {
            for requirement in &criterion.evidence {
                let text = crate::catalog::in_words::requirement(requirement, &catalog.vocabulary);
                assert!(text.ends_with('.'), "{text}");
                assert!(!text.contains('_'), "a term without its label: {text}");
                assert!(!text.contains("  "), "{text}");
            }
        }
    }
    let training = crate::catalog::EvidenceRequirement::Training(crate::catalog::TrainingRequirement {
        topics: vec![Term::parse("chronic_care_model").unwrap()],
        roles: Some(vec![Role::Nurse, Role::MedicalAssistant]),
        within: "P12M".parse().ok(),
        new_staff_grace: None,
        coverage: 80,
    });
    assert_eq!(
        crate::catalog::in_words::requirement(&training, &set.named("pcmh-n-domain-4", "1.1.0").unwrap().vocabulary),
        "Training in Chronic Care Model for staff in the roles nurse and medical assistant, within \
         the last year, covering 80% of staff."
    );
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let set = catalogs();
    let catalog = set.named("pcmh-n-domain-4", "1.1.0").unwrap();
    assert_eq!(to_json(&super::catalog(catalog)), to_json(&super::catalog(catalog)));
    let records = records();
    let document = stored(&records);
    let documents = [EvidenceDocument {
        document: &document,
        href: "../evidence/7-slides.pdf".into(),
    }];
    let first = compliance(&set, &records);
    let second = compliance(&set, &records);
    let bytes = |c: &PracticeCompliance| {
        to_json(&assessment_results(&PracticeAssessment {
            compliance: c,
            catalog,
            records: &records,
            documents: &documents,
        }))
    };
    assert_eq!(bytes(&first), bytes(&second));
    let other_day = view::practice_compliance(&set, practice(), &records, d("2026-11-25")).unwrap();
    assert_ne!(bytes(&first), bytes(&other_day), "another day is another document");
}

#[test]
fn a_practice_has_a_finding_per_criterion_and_observations_of_its_records() {
    let set = catalogs();
    let records = records();
    let document = stored(&records);
    let documents = [EvidenceDocument {
        document: &document,
        href: "../evidence/7-slides.pdf".into(),
    }];
    let compliance = compliance(&set, &records);
    let json = practice_json(&compliance, &records, &documents);
    let root = &json["assessment-results"];
    let results = root["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result["start"], "2026-11-24T00:00:00-05:00", "midnight in Detroit");
    assert_eq!(root["metadata"]["last-modified"], result["start"]);
    let findings = result["findings"].as_array().unwrap();
    assert_eq!(findings.len(), compliance.criteria.len());
    let controls = result["reviewed-controls"]["control-selections"][0]["include-controls"]
        .as_array()
        .unwrap();
    assert_eq!(controls.len(), compliance.criteria.len());
    for (finding, item) in findings.iter().zip(&compliance.criteria) {
        assert_eq!(finding["target"]["type"], "objective-id");
        assert_eq!(
            finding["target"]["target-id"],
            format!("pcmh-{}_obj", item.result.criterion)
        );
    }
    // import-ap points at the back-matter note; the document is a resource with its SHA-256.
    let resources = root["back-matter"]["resources"].as_array().unwrap();
    assert_eq!(
        root["import-ap"]["href"],
        format!("#{}", resources[0]["uuid"].as_str().unwrap())
    );
    assert_eq!(resources[0]["title"], "No separate assessment plan");
    let file = resources
        .iter()
        .find(|r| r["title"] == "PCMH-N training slides")
        .unwrap();
    assert_eq!(file["rlinks"][0]["hashes"][0]["algorithm"], "SHA-256");
    assert_eq!(file["rlinks"][0]["hashes"][0]["value"], "ab".repeat(32));
    assert_eq!(file["rlinks"][0]["href"], "../evidence/7-slides.pdf");
    // The attestation in force is an interview; a training record is examined on its day.
    let observations = result["observations"].as_array().unwrap();
    let interview = observations
        .iter()
        .find(|o| o["methods"][0] == "INTERVIEW")
        .expect("the attestation of 4.1");
    assert_eq!(interview["types"][0], "attestation");
    assert_eq!(
        interview["collected"], "2026-06-01T00:00:00-04:00",
        "daylight time in June"
    );
    assert_eq!(
        interview["relevant-evidence"][0]["href"],
        format!("#{}", file["uuid"].as_str().unwrap())
    );
    let training = observations
        .iter()
        .find(|o| o["title"] == "Training record 20")
        .expect("the training record supports 4.1");
    assert_eq!(training["methods"], serde_json::json!(["EXAMINE"]));
    assert_eq!(training["collected"], "2026-03-02T00:00:00-05:00");
    let finding = &findings[0];
    let related: Vec<&str> = finding["related-observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["observation-uuid"].as_str().unwrap())
        .collect();
    assert!(related.contains(&interview["uuid"].as_str().unwrap()));
    assert!(related.contains(&training["uuid"].as_str().unwrap()));
    // Every UUID is a version 5 one and appears once; every id is an OSCAL token; nothing empty.
    let mut all = Vec::new();
    uuids(&json, &mut all);
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "no UUID is used twice");
    assert!(all
        .iter()
        .all(|u| Uuid::parse_str(u).is_ok_and(|u| u.get_version_num() == 5)));
    let mut tokens = Vec::new();
    ids(&json, &mut tokens);
    assert!(tokens.iter().all(|t| is_token(t)), "{tokens:?}");
    let mut found = Vec::new();
    empties(&json, "$", &mut found);
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn each_status_maps_onto_oscal_as_the_issue_says() {
    let set = catalogs();
    let records = records();
    let mut compliance = compliance(&set, &records);
    let statuses = [Status::Met, Status::PartiallyMet, Status::NotMet, Status::NotApplicable];
    for (item, status) in compliance.criteria.iter_mut().zip(statuses) {
        item.result.status = status;
        if status == Status::NotApplicable {
            item.result.reasons = vec!["The practice sees no patients with cancer.".into()];
        }
    }
    let json = practice_json(&compliance, &records, &[]);
    let findings = json["assessment-results"]["results"][0]["findings"].as_array().unwrap();
    let target = |n: usize| &findings[n]["target"];
    assert_eq!(target(0)["status"]["state"], "satisfied");
    assert_eq!(target(0)["implementation-status"]["state"], "implemented");
    assert_eq!(target(1)["status"]["state"], "not-satisfied");
    assert_eq!(target(1)["implementation-status"]["state"], "partial");
    assert_eq!(target(2)["status"]["state"], "not-satisfied");
    assert!(
        target(2).get("implementation-status").is_none(),
        "not met says nothing of a plan"
    );
    assert_eq!(target(3)["implementation-status"]["state"], "not-applicable");
    assert_eq!(
        target(3)["implementation-status"]["remarks"],
        "The practice sees no patients with cancer."
    );
    assert_eq!(
        target(3)["status"]["remarks"],
        "The practice sees no patients with cancer."
    );
    assert_eq!(target(3)["status"]["reason"], "not-applicable");
    for (n, status) in statuses.iter().enumerate() {
        let description = findings[n]["description"].as_str().unwrap();
        assert!(
            description.starts_with(&format!("Computed status: {}.", status.label())),
            "{description}"
        );
    }
    let reasons = &compliance.criteria[2].result.reasons;
    assert!(!reasons.is_empty());
    assert!(findings[2]["description"].as_str().unwrap().contains(reasons[0].trim()));
}

#[test]
fn a_po_has_a_result_for_its_own_criteria_and_one_per_practice() {
    let set = catalogs();
    let records = records();
    let practice_view = compliance(&set, &records);
    let catalog = set.named("pcmh-n-domain-4", "1.1.0").unwrap();
    let loaded = crate::records::OrganizationRecords {
        organization: Organization {
            id: OrganizationId(1),
            name: "Lakeshore PO".into(),
        },
        practices: vec![(practice(), records.clone())],
        combined: records.clone(),
    };
    let po_view = view::organization_compliance(&set, &loaded, d(AS_OF)).unwrap();
    let document = stored(&records);
    let documents = [EvidenceDocument {
        document: &document,
        href: "/api/v1/practices/3/documents/7/content".into(),
    }];
    let input = OrganizationAssessment {
        compliance: &po_view,
        catalog,
        records: &records,
        documents: &documents,
        practices: vec![PracticeAssessment {
            compliance: &practice_view,
            catalog,
            records: &records,
            documents: &documents,
        }],
    };
    let bytes = to_json(&organization_assessment_results(&input));
    assert_eq!(bytes, to_json(&organization_assessment_results(&input)));
    let json: Value = serde_json::from_slice(&bytes).unwrap();
    let results = json["assessment-results"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0]["start"], "2026-11-24T00:00:00Z",
        "the PO's day is read in UTC"
    );
    assert_eq!(
        results[0]["findings"].as_array().unwrap().len(),
        po_view.organization_criteria.len()
    );
    assert_eq!(results[1]["start"], "2026-11-24T00:00:00-05:00");
    assert_eq!(
        results[1]["findings"].as_array().unwrap().len(),
        practice_view.criteria.len()
    );
    let resources = json["assessment-results"]["back-matter"]["resources"]
        .as_array()
        .unwrap();
    assert_eq!(resources.len(), 2, "the plan note, and the document once");
    let mut all = Vec::new();
    uuids(&json, &mut all);
    let count = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), count, "no UUID is used twice");
    let mut found = Vec::new();
    empties(&json, "$", &mut found);
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn a_day_starts_at_midnight_in_its_zone() {
    assert_eq!(
        timestamp(start_of_day(d("2026-07-04"), "America/Detroit")),
        "2026-07-04T00:00:00-04:00"
    );
    assert_eq!(
        timestamp(start_of_day(d("2026-07-04"), "Not/AZone")),
        "2026-07-04T00:00:00Z"
    );
    // Midnight does not exist on the day Chile moves its clocks forward.
    assert_eq!(
        timestamp(start_of_day(d("2022-09-11"), "America/Santiago")),
        "2022-09-11T01:00:00-03:00"
    );
}
