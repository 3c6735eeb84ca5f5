//! The released policy catalogs in `policy-catalog/`: they load, they say what the policy
//! says, they match the JSON Schema generated from the catalog types, and once released
//! they never change.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pcmh_core::catalog::{self, Catalog, CatalogSet, Change, EvidenceRequirement, Population, Scope};

/// Every released catalog file and the SHA-256 of its bytes. A released version is never
/// edited: a change is a new file (a new version with `upgrade_from`), pinned here once released.
const PINNED: &[(&str, &str)] = &[
    (
        "domain-4/1.0.0.yaml",
        "157f9a4cafaf553f9a2bf038edb290693adbdb611c54dd30163cf5f8072b29fb",
    ),
    (
        "domain-4/1.1.0.yaml",
        "97aaacce2c22ae75aae2fec089e4267bbf4d214b815e98babe2a3813ffe68f45",
    ),
];

const DOMAIN_4: &str = "pcmh-n-domain-4";

fn catalog_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy-catalog")
}

/// The catalog files under `dir`, as `<catalog>/<version>.yaml` paths relative to it.
fn catalog_files(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for sub in std::fs::read_dir(dir).expect("the catalog folder is readable") {
        let sub = sub.expect("a catalog folder entry").path();
        if !sub.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&sub).expect("a catalog's folder is readable") {
            let file = file.expect("a catalog file entry").path();
            if file.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let relative = file.strip_prefix(dir).expect("the file is under the folder");
                let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
                files.push(parts.join("/"));
            }
        }
    }
    files.sort();
    files
}

fn load_all() -> CatalogSet {
    CatalogSet::load_dir(&catalog_dir()).unwrap_or_else(|e| panic!("the catalogs load:\n{e}"))
}

fn version(set: &CatalogSet, v: &str) -> Catalog {
    set.get(DOMAIN_4, &v.parse().expect("a version"))
        .unwrap_or_else(|| panic!("{DOMAIN_4} {v} is loaded"))
        .clone()
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn expected_ids() -> Vec<String> {
    (1..=28).map(|n| format!("4.{n}")).collect()
}

// ---------------------------------------------------------------------------------------------
// The JSON Schema

#[test]
fn schema_json_is_generated_from_the_catalog_types() {
    let path = catalog_dir().join("schema.json");
    let generated = serde_json::to_string_pretty(&catalog::json_schema()).expect("the schema serializes") + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        // Written beside and renamed, so that the tests reading schema.json meanwhile never
        // see half a file.
        let partial = path.with_extension("json.partial");
        std::fs::write(&partial, &generated).expect("schema.json is written");
        std::fs::rename(&partial, &path).expect("schema.json is replaced");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "policy-catalog/schema.json is not the schema of the catalog types in core/src/catalog; \
         regenerate it with `UPDATE_SNAPSHOTS=1 cargo test -p pcmh-core --test catalogs schema_json`"
    );
}

fn schema_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(catalog_dir().join("schema.json")).expect("schema.json is readable");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema.json is JSON");
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema.json is a valid JSON Schema: {e}"))
}

fn yaml_as_json(relative: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(catalog_dir().join(relative)).expect("the catalog is readable");
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("the catalog is YAML");
    serde_json::to_value(yaml).expect("the catalog converts to JSON")
}

fn schema_errors(validator: &jsonschema::Validator, instance: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_catalog_file_matches_the_schema() {
    let validator = schema_validator();
    let files = catalog_files(&catalog_dir());
    assert!(!files.is_empty(), "no catalog file found");
    for relative in files {
        let errors = schema_errors(&validator, &yaml_as_json(&relative));
        assert!(
            errors.is_empty(),
            "{relative} does not match schema.json:\n{}",
            errors.join("\n")
        );
    }
}

#[test]
fn the_schema_refuses_what_the_loader_refuses() {
    let validator = schema_validator();
    let good = yaml_as_json("domain-4/1.0.0.yaml");
    // (what, the field changed, its new value or none to remove it)
    let broken = [
        (
            "an unknown evidence kind",
            "/criteria/0/evidence/0/kind",
            Some(serde_json::json!("trainin")),
        ),
        (
            "an unquoted criterion id",
            "/criteria/9/id",
            Some(serde_json::json!(4.1)),
        ),
        (
            "a bad duration",
            "/criteria/0/evidence/0/within",
            Some(serde_json::json!("12M")),
        ),
        (
            "an unknown field",
            "/criteria/0/evidence/0/frequency",
            Some(serde_json::json!("P1M")),
        ),
        ("a missing title", "/criteria/0/title", None),
    ];
    for (what, pointer, value) in broken {
        let mut instance = good.clone();
        let (parent, field) = pointer.rsplit_once('/').expect("a field under a parent");
        let parent = instance
            .pointer_mut(parent)
            .and_then(serde_json::Value::as_object_mut)
            .expect("the parent is an object");
        match value {
            Some(value) => parent.insert(field.to_owned(), value),
            None => parent.remove(field),
        };
        assert!(!validator.is_valid(&instance), "schema.json accepts {what}");
    }
}

// ---------------------------------------------------------------------------------------------
// What the catalogs say

#[test]
fn every_catalog_loads_with_the_28_criteria_in_policy_order() {
    let set = load_all();
    assert_eq!(
        set.len(),
        catalog_files(&catalog_dir()).len(),
        "every catalog file is loaded once"
    );
    for (path, catalog) in set.iter() {
        let found: Vec<String> = catalog.criteria.iter().map(|c| c.id.to_string()).collect();
        assert_eq!(found, expected_ids(), "{}", path.display());
        assert_eq!(catalog.id, DOMAIN_4, "{}", path.display());
        for criterion in &catalog.criteria {
            let normalized = criterion.text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(
                criterion.text,
                normalized,
                "{} {}: the wording has stray whitespace",
                path.display(),
                criterion.id
            );
        }
    }
    assert_eq!(
        set.latest(DOMAIN_4).map(|c| c.version.to_string()),
        Some("1.1.0".into())
    );
}

#[test]
fn po_level_criteria_are_4_24_to_4_28() {
    for (path, catalog) in load_all().iter() {
        for criterion in &catalog.criteria {
            let n: u32 = criterion.id.as_str()["4.".len()..].parse().expect("4.n");
            let expected = if n >= 24 {
                Scope::PhysicianOrganization
            } else {
                Scope::Practice
            };
            assert_eq!(criterion.scope, expected, "{} {}", path.display(), criterion.id);
        }
    }
}

#[test]
fn the_seed_pairs_name_their_population() {
    let initial = ids(&["4.2", "4.5", "4.6", "4.7", "4.8", "4.9", "4.19"]);
    let all = ids(&["4.11", "4.12", "4.13", "4.14", "4.15", "4.20"]);
    for (path, catalog) in load_all().iter() {
        for criterion in &catalog.criteria {
            let id = criterion.id.to_string();
            let expected = if initial.contains(&id) {
                vec![Population::InitialFocus]
            } else if all.contains(&id) {
                vec![Population::AllPatients]
            } else {
                Vec::new()
            };
            assert_eq!(criterion.population, expected, "{} {id}", path.display());
        }
    }
}

#[test]
fn related_criteria_point_both_ways() {
    let pairs = [
        ("4.5", "4.11"),
        ("4.6", "4.12"),
        ("4.7", "4.13"),
        ("4.8", "4.14"),
        ("4.9", "4.15"),
        ("4.19", "4.20"),
        ("4.6", "4.7"),
        ("4.12", "4.13"),
        ("4.16", "4.22"),
        ("4.1", "4.25"),
        ("4.2", "4.24"),
        ("4.21", "4.2"),
    ];
    for (path, catalog) in load_all().iter() {
        let related = |id: &str| -> BTreeSet<String> {
            let criterion = catalog
                .criterion(&id.parse().expect("an id"))
                .expect("the criterion exists");
            criterion.related.iter().map(ToString::to_string).collect()
        };
        for (a, b) in pairs {
            assert!(related(a).contains(b), "{}: {a} names {b} as related", path.display());
            assert!(related(b).contains(a), "{}: {b} names {a} as related", path.display());
        }
        for criterion in &catalog.criteria {
            for other in &criterion.related {
                assert!(
                    related(other.as_str()).contains(criterion.id.as_str()),
                    "{}: {} names {other} as related but not the other way",
                    path.display(),
                    criterion.id
                );
            }
        }
    }
}

#[test]
fn not_applicable_is_allowed_only_where_a_practice_may_lack_the_service() {
    let allowed = ids(&["4.9", "4.15", "4.17", "4.18", "4.28"]);
    for (path, catalog) in load_all().iter() {
        let found: BTreeSet<String> = catalog
            .criteria
            .iter()
            .filter(|c| c.allow_not_applicable)
            .map(|c| c.id.to_string())
            .collect();
        assert_eq!(found, allowed, "{}", path.display());
    }
}

#[test]
fn each_criterion_asks_for_the_evidence_the_design_names() {
    let special: [(&str, &[&str]); 9] = [
        ("4.1", &["training", "document"]),
        ("4.2", &["care_team", "document"]),
        ("4.4", &["survey"]),
        ("4.16", &["care_plans"]),
        ("4.17", &["care_plans"]),
        ("4.21", &["team_meetings"]),
        ("4.22", &["care_plan_sharing"]),
        ("4.25", &["training", "care_team"]),
        ("4.27", &["periodic_reports"]),
    ];
    for (path, catalog) in load_all().iter() {
        for criterion in &catalog.criteria {
            let kinds: Vec<&str> = criterion.evidence.iter().map(EvidenceRequirement::kind).collect();
            let expected = special
                .iter()
                .find(|(id, _)| *id == criterion.id.as_str())
                .map_or(&["attestation", "document"][..], |(_, kinds)| kinds);
            assert_eq!(kinds, expected, "{} {}", path.display(), criterion.id);
            for requirement in &criterion.evidence {
                if let EvidenceRequirement::Document(d) = requirement {
                    assert!(
                        !d.types.is_empty(),
                        "{} {}: a document names its type",
                        path.display(),
                        criterion.id
                    );
                }
            }
        }
    }
}

#[test]
fn the_parameters_of_the_design_table() {
    let catalog = version(&load_all(), "1.0.0");
    let evidence = |id: &str| {
        catalog
            .criterion(&id.parse().expect("an id"))
            .expect("exists")
            .evidence
            .clone()
    };
    let month = |n| catalog::CalendarDuration::months(n);

    let EvidenceRequirement::Training(training) = &evidence("4.1")[0] else {
        panic!("4.1 trains")
    };
    let topics: Vec<_> = training.topics.iter().map(|t| t.as_str()).collect();
    assert_eq!(
        topics,
        ["pcmh_n_model", "chronic_care_model", "practice_transformation"]
    );
    assert_eq!(training.roles, None, "4.1 concerns every active staff member");
    assert_eq!(training.within, Some(month(12)));
    assert_eq!(training.new_staff_grace, Some(catalog::CalendarDuration::days(90)));
    assert_eq!(training.coverage, 100);

    let EvidenceRequirement::CareTeam(team) = &evidence("4.2")[0] else {
        panic!("4.2 has a team")
    };
    assert_eq!((team.disciplines.len(), team.min_disciplines), (12, 3));

    let EvidenceRequirement::TeamMeetings(meetings) = &evidence("4.21")[0] else {
        panic!("4.21 meets")
    };
    assert_eq!((meetings.every, meetings.within), (month(1), month(12)));
    assert!(meetings.documented_in_chart);

    let EvidenceRequirement::CarePlanSharing(sharing) = &evidence("4.22")[0] else {
        panic!("4.22 shares")
    };
    assert_eq!(sharing.share_within, catalog::CalendarDuration::days(30));
    assert_eq!(
        sharing.coverage, 100,
        "every advance care plan, with all its care partners"
    );

    let EvidenceRequirement::Training(onboarding) = &evidence("4.25")[0] else {
        panic!("4.25 trains")
    };
    assert_eq!(onboarding.within, None, "onboarding counts for ever");

    let EvidenceRequirement::PeriodicReports(reports) = &evidence("4.27")[0] else {
        panic!("4.27 reports")
    };
    assert_eq!((reports.every, reports.within), (month(1), month(12)));
}

// ---------------------------------------------------------------------------------------------
// Versions

#[test]
fn version_1_1_0_rewords_only_4_28() {
    let set = load_all();
    let (old, new) = (version(&set, "1.0.0"), version(&set, "1.1.0"));
    let diff = catalog::diff(&old, &new);
    assert!(diff.declared_mapping, "1.1.0 declares its mapping from 1.0.0");
    assert_eq!(diff.changes.len(), 28);
    for change in &diff.changes {
        let from_id = change.from.as_ref().expect("every change is from a 1.0.0 criterion");
        assert_eq!(change.to, std::slice::from_ref(from_id), "{from_id} keeps its id");
        let from = from_id.to_string();
        if from == "4.28" {
            assert_eq!(change.change, Change::Changed);
            assert!(change.differences.contains(&"wording"), "{:?}", change.differences);
            assert!(
                change.note.as_deref().is_some_and(|n| n.contains("X-waiver")),
                "{:?}",
                change.note
            );
        } else {
            assert_eq!(change.change, Change::Kept, "{from}");
            assert!(change.differences.is_empty(), "{from}: {:?}", change.differences);
        }
    }
    let kept = diff.changes.iter().filter(|c| c.change == Change::Kept).count();
    assert_eq!(kept, 27);
    let reworded = new.criterion(&"4.28".parse().expect("an id")).expect("4.28");
    assert!(!reworded.text.contains("waiver"), "{}", reworded.text);
    assert!(reworded.text.contains("opioid use disorder"), "{}", reworded.text);
}

// ---------------------------------------------------------------------------------------------
// Released catalogs are never edited

/// What is wrong with the files under `dir` against `pins`, one message per file.
fn pin_violations(dir: &Path, pins: &[(&str, &str)]) -> Vec<String> {
    let mut violations = Vec::new();
    let files = catalog_files(dir);
    for relative in &files {
        let bytes = std::fs::read(dir.join(relative)).expect("the catalog is readable");
        let actual = pcmh_core::hash::sha256_hex(&bytes);
        match pins.iter().find(|(path, _)| path == relative) {
            None => violations.push(format!(
                "{relative} has no SHA-256 pin. Every catalog file is a released version and a released \
                 version is never edited; make a new version for any change. Pin this one by adding \
                 (\"{relative}\", \"{actual}\") to PINNED in core/tests/catalogs.rs."
            )),
            Some((_, pinned)) if *pinned != actual => violations.push(format!(
                "{relative} changed after its release (pinned SHA-256 {pinned}, now {actual}): \
                 a released version is never edited; make a new version (a new file with an \
                 upgrade_from mapping from this one)."
            )),
            Some(_) => {}
        }
    }
    for (path, _) in pins {
        if !files.iter().any(|f| f == path) {
            violations.push(format!(
                "{path} is pinned but missing: a released version stays, records were made under it"
            ));
        }
    }
    violations
}

#[test]
fn released_catalogs_are_never_edited() {
    let violations = pin_violations(&catalog_dir(), PINNED);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_pin_check_catches_an_edited_an_unpinned_and_a_removed_catalog() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir(dir.path().join("demo")).expect("a catalog folder");
    std::fs::write(dir.path().join("demo/1.0.0.yaml"), "id: demo\n").expect("written");
    std::fs::write(dir.path().join("demo/1.1.0.yaml"), "id: demo\n").expect("written");
    let digest = pcmh_core::hash::sha256_hex(b"id: demo\n");

    assert_eq!(
        pin_violations(
            dir.path(),
            &[("demo/1.0.0.yaml", &digest), ("demo/1.1.0.yaml", &digest)]
        ),
        Vec::<String>::new()
    );

    let edited = pin_violations(
        dir.path(),
        &[("demo/1.0.0.yaml", &"0".repeat(64)), ("demo/1.1.0.yaml", &digest)],
    );
    assert_eq!(edited.len(), 1, "{edited:?}");
    assert!(
        edited[0].starts_with("demo/1.0.0.yaml changed after its release"),
        "{}",
        edited[0]
    );
    assert!(
        edited[0].contains("a released version is never edited; make a new version"),
        "{}",
        edited[0]
    );

    let unpinned = pin_violations(dir.path(), &[("demo/1.0.0.yaml", &digest)]);
    assert_eq!(unpinned.len(), 1, "{unpinned:?}");
    assert!(
        unpinned[0].starts_with("demo/1.1.0.yaml has no SHA-256 pin"),
        "{}",
        unpinned[0]
    );
    assert!(
        unpinned[0].contains("a released version is never edited; make a new version"),
        "{}",
        unpinned[0]
    );
    assert!(
        unpinned[0].contains(&digest),
        "the message gives the hash to pin: {}",
        unpinned[0]
    );

    let removed = pin_violations(
        dir.path(),
        &[
            ("demo/0.9.0.yaml", &digest),
            ("demo/1.0.0.yaml", &digest),
            ("demo/1.1.0.yaml", &digest),
        ],
    );
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert!(
        removed[0].starts_with("demo/0.9.0.yaml is pinned but missing"),
        "{}",
        removed[0]
    );
}
