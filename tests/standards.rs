//! The OSCAL and FHIR exports pass validators written by others: every catalog version, the
//! demo's practices and PO and a generated 100-practice PO (assessment results, now and as of
//! a past day), their advance care plans as FHIR R4 bundles, and the two standard files inside a
//! packet, each fetched over HTTP from the real server on SQLite and PostgreSQL, then checked
//! - with the Rust `jsonschema` crate against NIST's `oscal_complete_schema.json` (OSCAL) and
//!   HL7's R4 `fhir.schema.json` (FHIR), and
//! - in one run of tests/standards/validate.py: compliance-trestle (`oscal_read`, `trestle
//!   validate`) and fhir.resources (R4B models).
//!
//! It needs `PCMH_STANDARDS_PYTHON` (a Python whose venv has tests/standards/requirements.txt
//! installed) and `PCMH_STANDARDS_SCHEMAS` (the folder tests/standards/fetch_schemas.sh fills);
//! `.ci/run` sets both up. Without them it prints that it is skipped.

mod common;

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::python::say;
use common::{Backend, Server};
use serde_json::{json, Value};

const PYTHON_ENV: &str = "PCMH_STANDARDS_PYTHON";
const SCHEMAS_ENV: &str = "PCMH_STANDARDS_SCHEMAS";
/// How many practices the generated PO has.
const GENERATED_PRACTICES: usize = 100;

both_backends! {
    every_export_passes_the_outside_validators => every_export_passes_the_outside_validators;
}

/// Which standard a document speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standard {
    Oscal,
    Fhir,
}

/// The Python of the validators and the two JSON schemas, compiled once for both backends.
struct Validators {
    python: PathBuf,
    oscal: Schema,
    fhir: Schema,
}

struct Schema {
    file: PathBuf,
    document: Value,
    validator: jsonschema::Validator,
}

impl Schema {
    fn load(folder: &std::path::Path, name: &str) -> Schema {
        let file = folder.join(name);
        let text = std::fs::read(&file)
            .unwrap_or_else(|e| panic!("{}: {e} (tests/standards/fetch_schemas.sh fetches it)", file.display()));
        let document: Value = serde_json::from_slice(&text).expect("the schema is JSON");
        let validator = compile(&document);
        Schema {
            file,
            document,
            validator,
        }
    }

    /// The schema's complaints about `instance`, or none. When the schema's root (a `oneOf`
    /// of every model, or of every resource type) refuses it, the complaints come from the
    /// definitions its parts claim to be (`claimed`: where the part is, the reference to its
    /// definition, the part), read at the deepest places: the root's own message would be the
    /// whole document.
    fn complaints(&self, instance: &Value, claimed: &[(String, String, &Value)]) -> Vec<String> {
        if self.validator.is_valid(instance) {
            return Vec::new();
        }
        let mut found = Vec::new();
        let mut narrowed = BTreeMap::new();
        for (at, reference, part) in claimed {
            if reference.is_empty() || self.document.pointer(reference.trim_start_matches('#')).is_none() {
                continue;
            }
            let validator = narrowed.entry(reference.as_str()).or_insert_with(|| {
                compile(&json!({
                    "$schema": self.document["$schema"],
                    "definitions": self.document["definitions"],
                    "$ref": reference,
                }))
            });
            found.extend(deepest(validator, part, &format!("{at} as {reference}: ")));
        }
        if found.is_empty() {
            found = deepest(&self.validator, instance, "");
        }
        found
    }
}

fn compile(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("the schema compiles: {e}"))
}

/// The errors at the deepest places `validator` finds in `instance` (at most ten), each after `prefix`.
fn deepest(validator: &jsonschema::Validator, instance: &Value, prefix: &str) -> Vec<String> {
    let evaluation = validator.evaluate(instance);
    let errors: Vec<_> = evaluation.iter_errors().collect();
    let depth = |e: &jsonschema::ErrorEntry<'_>| e.instance_location.as_str().matches('/').count();
    let deepest = errors.iter().map(depth).max().unwrap_or(0);
    errors
        .iter()
        .filter(|e| depth(e) == deepest)
        .take(10)
        .map(|e| {
            format!(
                "{prefix}{} ({}): {}",
                e.instance_location.as_str(),
                e.schema_location,
                e.error
            )
        })
        .collect()
}

fn validators() -> Option<&'static Validators> {
    static VALIDATORS: OnceLock<Option<Validators>> = OnceLock::new();
    VALIDATORS
        .get_or_init(|| {
            let python = std::env::var_os(PYTHON_ENV).filter(|p| !p.is_empty())?;
            let folder = PathBuf::from(std::env::var_os(SCHEMAS_ENV).filter(|p| !p.is_empty())?);
            Some(Validators {
                python: python.into(),
                oscal: Schema::load(&folder, "oscal_complete_schema.json"),
                fhir: Schema::load(&folder, "fhir.schema.json"),
            })
        })
        .as_ref()
}

/// The exports fetched, by file name: which standard, the document and its bytes as served.
#[derive(Default)]
struct Exports(BTreeMap<String, (Standard, Value, Vec<u8>)>);

impl Exports {
    fn add(&mut self, name: String, standard: Standard, bytes: Vec<u8>) -> &Value {
        let document = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
        assert!(
            self.0.insert(name.clone(), (standard, document, bytes)).is_none(),
            "{name} twice"
        );
        &self.0[&name].1
    }
}

fn ok(server: &Server, path: &str) -> Value {
    let response = server.get(path);
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    response.json()
}

/// GETs an export and checks its media type; returns its bytes.
fn export(server: &Server, path: &str, standard: Standard) -> Vec<u8> {
    let response = server.get(path);
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    let media_type = response.header("content-type").unwrap_or_default();
    let expected = match standard {
        Standard::Oscal => "application/json",
        Standard::Fhir => "application/fhir+json",
    };
    assert!(media_type.starts_with(expected), "GET {path}: {media_type}");
    response.body
}

fn items<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value[key].as_array().map_or(&[], Vec::as_slice)
}

/// Every control of an OSCAL catalog, in groups and nested controls too.
fn controls(node: &Value, out: &mut Vec<Value>) {
    for group in items(node, "groups") {
        controls(group, out);
    }
    for control in items(node, "controls") {
        out.push(control.clone());
        controls(control, out);
    }
}

/// The findings of every result of an OSCAL assessment-results document.
fn findings(document: &Value) -> Vec<&Value> {
    items(&document["assessment-results"], "results")
        .iter()
        .flat_map(|r| items(r, "findings"))
        .collect()
}

/// The resources of a FHIR bundle of one type.
fn resources<'a>(bundle: &'a Value, resource_type: &str) -> Vec<&'a Value> {
    items(bundle, "entry")
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == resource_type)
        .collect()
}

/// The practices of a PO, by id.
fn practices_of(server: &Server, po: i64) -> Vec<i64> {
    let listing = ok(server, &format!("/api/v1/organizations/{po}/practices?limit=500"));
    items(&listing, "items")
        .iter()
        .map(|p| p["id"].as_i64().expect("an id"))
        .collect()
}

/// A practice's assessment results (now, or as of a day), with one finding per criterion of its
/// own compliance view.
fn practice_results(server: &Server, exports: &mut Exports, practice: i64, as_of: Option<&str>) {
    let query = as_of.map_or(String::new(), |day| format!("?as_of={day}"));
    let view = ok(server, &format!("/api/v1/practices/{practice}/compliance{query}"));
    let criteria = items(&view, "criteria").len();
    assert!(criteria > 0, "practice {practice} has criteria: {view}");
    let document = export(
        server,
        &format!("/api/v1/practices/{practice}/compliance/oscal{query}"),
        Standard::Oscal,
    );
    let name = format!(
        "practice-{practice}-{}-assessment-results.json",
        as_of.unwrap_or("today")
    );
    let document = exports.add(name, Standard::Oscal, document);
    let found = findings(document);
    assert_eq!(
        found.len(),
        criteria,
        "practice {practice}{query}: one finding per criterion"
    );
    assert!(
        found.iter().all(|f| f["target"]["type"] == "objective-id"),
        "practice {practice}: findings target objectives"
    );
}

/// The care plans of a practice that count: the period covering every one of them and their
/// shares, how many plans and how many shares; none when it has none.
struct CarePlanSpan {
    from: String,
    to: String,
    plans: usize,
    shares: usize,
}

fn care_plan_span(server: &Server, practice: i64) -> Option<CarePlanSpan> {
    let listing = ok(server, &format!("/api/v1/practices/{practice}/care-plans?limit=500"));
    let mut days = Vec::new();
    let (mut plans, mut shares) = (0, 0);
    for plan in items(&listing, "items").iter().filter(|p| p["voided"].is_null()) {
        plans += 1;
        days.push(plan["discussed_on"].as_str().expect("a day").to_owned());
        if let Some(day) = plan["established_on"].as_str() {
            days.push(day.to_owned());
        }
        for share in items(plan, "shares").iter().filter(|s| s["voided"].is_null()) {
            days.push(share["shared_on"].as_str().expect("a day").to_owned());
            shares += 1;
        }
    }
    Some(CarePlanSpan {
        from: days.iter().min()?.clone(),
        to: days.iter().max()?.clone(),
        plans,
        shares,
    })
}

/// A practice's care plans as a FHIR bundle for the period covering them (or the past year when
/// it has none): a collection with a DocumentReference per plan, a Communication per share, and
/// patients only by reference. Returns how many Communications.
fn practice_care_plans(server: &Server, exports: &mut Exports, practice: i64) -> usize {
    let today = chrono::Utc::now().date_naive();
    let span = care_plan_span(server, practice).unwrap_or(CarePlanSpan {
        from: (today - chrono::Days::new(365)).to_string(),
        to: today.to_string(),
        plans: 0,
        shares: 0,
    });
    let (from, to) = (&span.from, &span.to);
    let bundle = export(
        server,
        &format!("/api/v1/practices/{practice}/care-plans/fhir?from={from}&to={to}"),
        Standard::Fhir,
    );
    let bundle = exports.add(
        format!("practice-{practice}-care-plans-{from}-{to}.json"),
        Standard::Fhir,
        bundle,
    );
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    assert_eq!(
        resources(bundle, "DocumentReference").len(),
        span.plans,
        "practice {practice} {from}..{to}: one DocumentReference per care plan"
    );
    for patient in resources(bundle, "Patient") {
        assert!(
            patient.get("name").is_none() && patient.get("birthDate").is_none(),
            "practice {practice}: a patient only by reference: {patient}"
        );
    }
    assert_eq!(
        resources(bundle, "Communication").len(),
        span.shares,
        "practice {practice} {from}..{to}: one Communication per share"
    );
    span.shares
}

fn every_export_passes_the_outside_validators(backend: Backend) {
    let Some(validators) = validators() else {
        say(&format!(
            "SKIPPED every_export_passes_the_outside_validators: set {PYTHON_ENV} and {SCHEMAS_ENV} (see .ci/run)"
        ));
        return;
    };
    let server = Server::start_with(backend, &["--demo"]);
    let demo_po = ok(&server, "/api/v1/organizations")["items"][0]["id"]
        .as_i64()
        .expect("the demo PO");
    let generated_po = common::generate(&server, GENERATED_PRACTICES, 1);
    let mut exports = Exports::default();

    // Every catalog version, a control per criterion.
    let catalogs = ok(&server, "/api/v1/catalogs");
    let catalogs = catalogs.as_array().expect("a list");
    assert!(!catalogs.is_empty(), "catalogs are loaded");
    for catalog in catalogs {
        let (id, version) = (
            catalog["id"].as_str().expect("an id"),
            catalog["version"].as_str().expect("a version"),
        );
        let document = export(
            &server,
            &format!("/api/v1/catalogs/{id}/versions/{version}/oscal"),
            Standard::Oscal,
        );
        let document = exports.add(format!("catalog-{id}-{version}.json"), Standard::Oscal, document);
        let mut found = Vec::new();
        controls(&document["catalog"], &mut found);
        assert_eq!(
            Some(found.len() as u64),
            catalog["criteria"].as_u64(),
            "catalog {id} {version}: a control per criterion"
        );
    }

    // The demo's practices: assessment results now and half a year ago, and their care plans.
    let past = (chrono::Utc::now().date_naive() - chrono::Days::new(180)).to_string();
    let demo_practices = practices_of(&server, demo_po);
    assert_eq!(demo_practices.len(), 3, "the demo's practices");
    let mut communications = 0;
    for &practice in &demo_practices {
        practice_results(&server, &mut exports, practice, None);
        practice_results(&server, &mut exports, practice, Some(&past));
        communications += practice_care_plans(&server, &mut exports, practice);
    }
    assert!(communications > 0, "the demo shares care plans");
    let with_observations = exports
        .0
        .values()
        .filter(|(_, d, _)| {
            items(&d["assessment-results"], "results")
                .iter()
                .any(|r| !items(r, "observations").is_empty())
        })
        .count();
    assert!(with_observations > 0, "the demo's records are observations");

    // A sample of the generated PO's practices.
    let generated = practices_of(&server, generated_po);
    assert_eq!(generated.len(), GENERATED_PRACTICES);
    let mut communications = 0;
    for (n, &practice) in generated.iter().enumerate().step_by(GENERATED_PRACTICES / 5) {
        practice_results(&server, &mut exports, practice, None);
        if n % 2 == 0 {
            practice_results(&server, &mut exports, practice, Some(&past));
        }
        communications += practice_care_plans(&server, &mut exports, practice);
    }
    assert!(communications > 0, "the generated practices share care plans");

    // The two POs as a whole (the demo's also half a year ago): a finding per criterion of the
    // PO's own and of each of its practices.
    for (po, as_of) in [(demo_po, None), (demo_po, Some(&past)), (generated_po, None)] {
        let query = as_of.map_or(String::new(), |day| format!("?as_of={day}"));
        let view = ok(&server, &format!("/api/v1/organizations/{po}/compliance{query}"));
        let criteria = items(&view, "organization_criteria").len()
            + items(&view, "practices")
                .iter()
                .map(|p| items(p, "criteria").len())
                .sum::<usize>();
        let document = export(
            &server,
            &format!("/api/v1/organizations/{po}/compliance/oscal{query}"),
            Standard::Oscal,
        );
        let document = exports.add(
            format!(
                "organization-{po}-{}-assessment-results.json",
                as_of.map_or("today", String::as_str)
            ),
            Standard::Oscal,
            document,
        );
        assert!(criteria > 0, "organization {po}{query}: {view}");
        assert_eq!(
            findings(document).len(),
            criteria,
            "organization {po}{query}: a finding per criterion"
        );
    }

    // The standard files inside a packet of the demo's first practice.
    let span = care_plan_span(&server, demo_practices[0]).expect("the demo's first practice has care plans");
    let packet = server.post(
        &format!("/api/v1/practices/{}/packets", demo_practices[0]),
        &json!({"from": span.from, "to": span.to}),
    );
    assert_eq!(packet.status, 200, "{}", packet.text());
    let mut zip = zip::ZipArchive::new(Cursor::new(packet.body)).expect("a ZIP");
    for (entry, standard) in [
        ("oscal/assessment-results.json", Standard::Oscal),
        ("fhir/care-plans.json", Standard::Fhir),
    ] {
        let mut bytes = Vec::new();
        zip.by_name(entry)
            .unwrap_or_else(|e| panic!("{entry} in the packet: {e}"))
            .read_to_end(&mut bytes)
            .expect("the entry reads");
        let name = format!("packet-{}", entry.replace('/', "-"));
        exports.add(name, standard, bytes);
    }

    // The schemas.
    let mut refused = Vec::new();
    for (name, (standard, document, _)) in &exports.0 {
        let complaints = match standard {
            Standard::Oscal => {
                let key = document
                    .as_object()
                    .and_then(|o| o.keys().find(|k| *k != "$schema"))
                    .cloned()
                    .unwrap_or_default();
                // The root's branch for the model: {"required": [key], "properties": {key: {"$ref"}}}.
                let reference = items(&validators.oscal.document, "oneOf")
                    .iter()
                    .find_map(|branch| branch["properties"][key.as_str()]["$ref"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                let claimed = [(format!("/{key}"), reference, &document[key.as_str()])];
                validators.oscal.complaints(document, &claimed)
            }
            Standard::Fhir => {
                let claimed: Vec<(String, String, &Value)> = items(document, "entry")
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| {
                        let resource = &e["resource"];
                        Some((
                            format!("/entry/{i}/resource"),
                            format!("#/definitions/{}", resource["resourceType"].as_str()?),
                            resource,
                        ))
                    })
                    .collect();
                validators.fhir.complaints(document, &claimed)
            }
        };
        let schema = match standard {
            Standard::Oscal => &validators.oscal.file,
            Standard::Fhir => &validators.fhir.file,
        };
        if !complaints.is_empty() {
            refused.push(format!(
                "{name} refused by {}:\n  {}",
                schema.display(),
                complaints.join("\n  ")
            ));
        }
    }

    // compliance-trestle and fhir.resources, in one run (whatever the schemas said, so that a
    // failing run names everything that is wrong).
    let folder = tempfile::tempdir().expect("a temp dir");
    let mut files = Vec::new();
    for (name, (_, _, bytes)) in &exports.0 {
        let file = folder.path().join(name);
        std::fs::write(&file, bytes).expect("written");
        files.push(file);
    }
    let output = Command::new(&validators.python)
        .arg(common::repo_root().join("tests/standards/validate.py"))
        .args(&files)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("{PYTHON_ENV}={:?} did not start: {e}", validators.python));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    say(&format!(
        "standards ({backend:?}): {} exports, {} refused by the JSON schemas; validate.py:\n{text}",
        exports.0.len(),
        refused.len()
    ));
    if !output.status.success() {
        refused.push(format!("validate.py refused an export:\n{text}"));
    }
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}
