//! End-to-end tests of `pcmh catalog ...` and `pcmh serve`: they run the real binary.
//!
//! Most tests use small catalogs written to temporary folders; the tests named `real_*` check
//! the released catalogs in `policy-catalog/domain-4/` and need them to exist.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// A catalog with three criteria: two practice-level (4.1, 4.2), one PO-level (4.10).
const V1: &str = r#"id: demo-catalog
version: 1.0.0
effective: 2026-01-01
title: Demo policy
source: Test fixture
vocabulary:
  document_types:
    workflow: Care management workflow
criteria:
  - id: "4.1"
    title: First criterion
    text: "The practice does the first thing."
    scope: practice
    population: [initial_focus]
    evidence:
      - kind: attestation
        within: P12M
      - kind: document
        types: [workflow]
        within: P12M
  - id: "4.2"
    title: Second criterion
    text: "The practice does the second thing."
    scope: practice
    related: ["4.1"]
    evidence:
      - kind: attestation
        within: P12M
  - id: "4.10"
    title: Tenth criterion
    text: "The PO does the tenth thing."
    scope: physician_organization
    evidence:
      - kind: attestation
        within: P12M
"#;

/// The next version: 4.1 kept, 4.2 reworded, 4.10 retired, 4.11 added.
const V2: &str = r#"id: demo-catalog
version: 1.1.0
effective: 2027-01-01
title: Demo policy
source: Test fixture
upgrade_from:
  version: 1.0.0
  criteria:
    - from: "4.1"
      change: kept
      to: ["4.1"]
    - from: "4.2"
      change: changed
      to: ["4.2"]
      note: Reworded.
    - from: "4.10"
      change: retired
      note: No longer required.
vocabulary:
  document_types:
    workflow: Care management workflow
criteria:
  - id: "4.1"
    title: First criterion
    text: "The practice does the first thing."
    scope: practice
    population: [initial_focus]
    evidence:
      - kind: attestation
        within: P12M
      - kind: document
        types: [workflow]
        within: P12M
  - id: "4.2"
    title: Second criterion
    text: "The practice does the second thing, better."
    scope: practice
    related: ["4.1"]
    evidence:
      - kind: attestation
        within: P12M
  - id: "4.11"
    title: Eleventh criterion
    text: "The practice does the eleventh thing."
    scope: practice
    population: [all_patients]
    evidence:
      - kind: attestation
        within: P12M
"#;

fn pcmh(args: &[&str]) -> Output {
    pcmh_with(args, |_| {})
}

/// Runs the binary without any PCMH_* variable of the caller's environment.
fn pcmh_with(args: &[&str], setup: impl FnOnce(&mut Command)) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pcmh"));
    command.args(args);
    for var in ["PCMH_BIND", "PCMH_DATABASE_URL", "PCMH_DATA_DIR", "PCMH_CATALOG_DIR"] {
        command.env_remove(var);
    }
    setup(&mut command);
    command.output().expect("the pcmh binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Checks the exit code, and that nothing panicked whatever the outcome.
#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    let (out, err) = (stdout(output), stderr(output));
    assert_eq!(output.status.code(), Some(code), "stdout:\n{out}\nstderr:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A catalog root `<tmp>/demo/` holding the given `(file name, text)` catalogs.
fn catalog_root(files: &[(&str, &str)]) -> TempDir {
    let root = tempfile::tempdir().expect("a temporary folder");
    fs::create_dir(root.path().join("demo")).expect("the catalog folder");
    for (name, text) in files {
        fs::write(root.path().join("demo").join(name), text).expect("the catalog file");
    }
    root
}

fn file(root: &TempDir, name: &str) -> String {
    root.path().join("demo").join(name).display().to_string()
}

/// The 1-based number of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("the fixture has the line")
        + 1
}

fn real_catalog(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../policy-catalog/domain-4/{version}.yaml"))
}

fn real_catalogs() -> [String; 2] {
    ["1.0.0", "1.1.0"].map(|v| {
        let path = real_catalog(v);
        assert!(path.is_file(), "{} must exist", path.display());
        path.display().to_string()
    })
}

// ---- validate ----

#[test]
fn validate_prints_one_line_per_file() {
    let root = catalog_root(&[("1.0.0.yaml", V1), ("1.1.0.yaml", V2)]);
    let (v1, v2) = (file(&root, "1.0.0.yaml"), file(&root, "1.1.0.yaml"));
    let output = pcmh(&["catalog", "validate", &v1, &v2]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        format!(
            "ok  {v1}  demo-catalog 1.0.0  3 criteria (2 practice, 1 PO-level)\n\
             ok  {v2}  demo-catalog 1.1.0  3 criteria (3 practice, 0 PO-level)\n"
        )
    );
    assert_eq!(stderr(&output), "");
}

#[test]
fn validate_accepts_a_catalog_root_and_a_catalog_folder() {
    let root = catalog_root(&[("1.0.0.yaml", V1), ("1.1.0.yaml", V2)]);
    let folder = root.path().join("demo").display().to_string();
    for dir in [root.path().display().to_string(), folder] {
        let output = pcmh(&["catalog", "validate", &dir]);
        assert_exit(&output, 0);
        let out = stdout(&output);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines[0].starts_with("ok  ") && lines[0].contains("demo-catalog 1.0.0  3 criteria"),
            "{out}"
        );
        assert!(
            lines[1].starts_with("ok  ") && lines[1].contains("demo-catalog 1.1.0  3 criteria"),
            "{out}"
        );
    }
}

#[test]
fn validate_checks_the_mapping_against_the_version_beside_the_file() {
    let unmapped = V2.replace(
        "    - from: \"4.10\"\n      change: retired\n      note: No longer required.\n",
        "",
    );
    let root = catalog_root(&[("1.0.0.yaml", V1), ("1.1.0.yaml", &unmapped)]);
    let v2 = file(&root, "1.1.0.yaml");
    // Only the new version is named: the old one is read from beside it.
    let output = pcmh(&["catalog", "validate", &v2]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(err.contains(&v2), "{err}");
    assert!(
        err.contains("criterion 4.10: upgrade_from.criteria: criterion 4.10 of version 1.0.0 is not mapped"),
        "{err}"
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn validate_reports_every_problem_with_file_line_criterion_and_field() {
    let broken = V1
        .replace("related: [\"4.1\"]", "related: [\"4.9\"]")
        .replace("types: [workflow]", "types: [workflows]");
    let root = catalog_root(&[("1.0.0.yaml", &broken)]);
    let path = file(&root, "1.0.0.yaml");
    let output = pcmh(&["catalog", "validate", &path]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "one line per problem:\n{err}");
    let types_line = line_of(&broken, "types: [workflows]");
    let related_line = line_of(&broken, "related: [\"4.9\"]");
    assert!(
        lines[0].starts_with(&format!("{path}:{types_line}:"))
            && lines[0].contains(": criterion 4.1: criteria[0].evidence[1].types")
            && lines[0].contains("`workflows` is not one of the catalog's vocabulary.document_types"),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!("{path}:{related_line}:"))
            && lines[1].contains(": criterion 4.2: criteria[1].related")
            && lines[1].ends_with("related criterion 4.9 is not in this catalog"),
        "{err}"
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn validate_reports_a_yaml_error_without_panicking() {
    let broken = V1.replace(
        "      - kind: attestation\n        within: P12M\n  - id: \"4.10\"",
        "      - kind: attestation\n        within: P12Q\n  - id: \"4.10\"",
    );
    let root = catalog_root(&[("1.0.0.yaml", &broken)]);
    let path = file(&root, "1.0.0.yaml");
    let output = pcmh(&["catalog", "validate", &path]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(err.starts_with(&format!("{path}:")), "{err}");
    assert!(
        err.contains("criterion 4.2") && err.contains("`P12Q` is not a duration"),
        "{err}"
    );
}

#[test]
fn validate_reports_a_missing_file() {
    let root = tempfile::tempdir().expect("a temporary folder");
    let missing = root.path().join("demo").join("1.0.0.yaml").display().to_string();
    let output = pcmh(&["catalog", "validate", &missing]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(err.starts_with(&format!("{missing}: cannot read the file")), "{err}");
    assert_eq!(stdout(&output), "");
}

#[test]
fn validate_reports_an_empty_folder() {
    let root = tempfile::tempdir().expect("a temporary folder");
    let output = pcmh(&["catalog", "validate", &root.path().display().to_string()]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("no catalog found"), "{}", stderr(&output));
}

#[test]
fn validate_without_a_path_is_a_usage_error() {
    assert_exit(&pcmh(&["catalog", "validate"]), 2);
}

// ---- show ----

#[test]
fn show_prints_an_aligned_table() {
    let root = catalog_root(&[("1.0.0.yaml", V1)]);
    let output = pcmh(&["catalog", "show", &file(&root, "1.0.0.yaml")]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        "demo-catalog 1.0.0  Demo policy  (effective 2026-01-01, 3 criteria)\n\
         \n\
         ID    SCOPE     POPULATION     EVIDENCE              TITLE\n\
         4.1   practice  initial_focus  attestation,document  First criterion\n\
         4.2   practice  -              attestation           Second criterion\n\
         4.10  PO        -              attestation           Tenth criterion\n"
    );
}

#[test]
fn show_prints_json() {
    let root = catalog_root(&[("1.0.0.yaml", V1)]);
    let output = pcmh(&["catalog", "show", "--format", "json", &file(&root, "1.0.0.yaml")]);
    assert_exit(&output, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    assert_eq!(json["id"], "demo-catalog");
    assert_eq!(json["version"], "1.0.0");
    assert_eq!(json["effective"], "2026-01-01");
    let ids: Vec<&str> = json["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["4.1", "4.2", "4.10"]);
    assert_eq!(json["criteria"][0]["evidence"][1]["kind"], "document");
}

#[test]
fn show_reports_a_broken_catalog() {
    let broken = V1.replace("scope: practice\n    related", "scope: everyone\n    related");
    let root = catalog_root(&[("1.0.0.yaml", &broken)]);
    let path = file(&root, "1.0.0.yaml");
    let output = pcmh(&["catalog", "show", &path]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(
        err.starts_with(&format!("{path}:{}:", line_of(&broken, "scope: everyone"))),
        "{err}"
    );
    assert!(err.contains("everyone"), "{err}");
}

#[test]
fn show_refuses_an_unknown_format() {
    let root = catalog_root(&[("1.0.0.yaml", V1)]);
    assert_exit(
        &pcmh(&["catalog", "show", "--format", "xml", &file(&root, "1.0.0.yaml")]),
        2,
    );
}

// ---- export ----

#[test]
fn export_prints_an_oscal_catalog() {
    let root = catalog_root(&[("1.0.0.yaml", V1)]);
    let path = file(&root, "1.0.0.yaml");
    let output = pcmh(&["catalog", "export", "--format", "oscal", &path]);
    assert_exit(&output, 0);
    assert_eq!(
        pcmh(&["catalog", "export", "--format", "oscal", &path]).stdout,
        output.stdout,
        "the same catalog gives the same bytes"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    let catalog = &json["catalog"];
    assert_eq!(catalog["metadata"]["oscal-version"], "1.1.3");
    assert_eq!(catalog["metadata"]["version"], "1.0.0");
    assert_eq!(catalog["metadata"]["last-modified"], "2026-01-01T00:00:00Z");
    let groups: Vec<(&str, Vec<&str>)> = catalog["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            let ids = g["controls"]
                .as_array()
                .expect("controls")
                .iter()
                .filter_map(|c| c["id"].as_str())
                .collect();
            (g["id"].as_str().unwrap_or_default(), ids)
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("practice", vec!["pcmh-4.1", "pcmh-4.2"]),
            ("physician-organization", vec!["pcmh-4.10"])
        ]
    );
    let second = &catalog["groups"][0]["controls"][1];
    assert_eq!(second["props"][0], serde_json::json!({"name": "label", "value": "4.2"}));
    assert_eq!(
        second["links"],
        serde_json::json!([{"href": "#pcmh-4.1", "rel": "related"}])
    );
    let first = &catalog["groups"][0]["controls"][0];
    assert_eq!(first["parts"][0]["prose"], "The practice does the first thing.");
    assert_eq!(
        first["parts"][1]["prose"],
        "The records show all of the following:\n\n- A current attestation that the criterion is in \
         place, effective within the last year.\n- A document of type Care management workflow, in \
         force from within the last year."
    );
}

#[test]
fn export_needs_a_known_format_and_a_good_catalog() {
    let root = catalog_root(&[("1.0.0.yaml", V1)]);
    let path = file(&root, "1.0.0.yaml");
    assert_exit(&pcmh(&["catalog", "export", &path]), 2);
    assert_exit(&pcmh(&["catalog", "export", "--format", "xml", &path]), 2);
    let broken = V1.replace("scope: practice\n    related", "scope: everyone\n    related");
    let root = catalog_root(&[("1.0.0.yaml", &broken)]);
    let output = pcmh(&["catalog", "export", "--format", "oscal", &file(&root, "1.0.0.yaml")]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("everyone"), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
}

#[test]
fn real_catalogs_export_as_oscal() {
    for path in real_catalogs() {
        let output = pcmh(&["catalog", "export", "--format", "oscal", &path]);
        assert_exit(&output, 0);
        let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
        let controls: usize = json["catalog"]["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| g["controls"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(controls, 28, "{path}: every criterion is a control");
    }
}

// ---- diff ----

#[test]
fn diff_prints_one_line_per_change_and_summarizes_the_rest() {
    let root = catalog_root(&[("1.0.0.yaml", V1), ("1.1.0.yaml", V2)]);
    let output = pcmh(&[
        "catalog",
        "diff",
        &file(&root, "1.0.0.yaml"),
        &file(&root, "1.1.0.yaml"),
    ]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        "demo-catalog 1.0.0 -> 1.1.0 (mapping declared in 1.1.0)\n\
         4.2   changed  -> 4.2   (wording)  note: Reworded.\n\
         4.10  retired           note: No longer required.\n\
         -     added    -> 4.11\n\
         1 criterion kept unchanged: 4.1\n"
    );
}

#[test]
fn diff_without_a_mapping_matches_criteria_by_id() {
    let root = catalog_root(&[("1.0.0.yaml", V1), ("1.1.0.yaml", V2)]);
    // Backwards: 1.0.0 declares no mapping from 1.1.0.
    let output = pcmh(&[
        "catalog",
        "diff",
        &file(&root, "1.1.0.yaml"),
        &file(&root, "1.0.0.yaml"),
    ]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        "demo-catalog 1.1.0 -> 1.0.0 (no mapping declared in 1.0.0: criteria matched by id)\n\
         4.2   changed  -> 4.2   (wording)\n\
         4.11  retired\n\
         -     added    -> 4.10\n\
         1 criterion kept unchanged: 4.1\n"
    );
}

#[test]
fn diff_all_lists_the_kept_criteria_too() {
    let root = catalog_root(&[("1.0.0.yaml", V1), ("1.1.0.yaml", V2)]);
    let output = pcmh(&[
        "catalog",
        "diff",
        "--all",
        &file(&root, "1.0.0.yaml"),
        &file(&root, "1.1.0.yaml"),
    ]);
    assert_exit(&output, 0);
    let out = stdout(&output);
    assert!(out.lines().any(|l| l == "4.1   kept     -> 4.1"), "{out}");
    assert!(!out.contains("kept unchanged"), "{out}");
}

#[test]
fn diff_prints_json() {
    let root = catalog_root(&[("1.0.0.yaml", V1), ("1.1.0.yaml", V2)]);
    let output = pcmh(&[
        "catalog",
        "diff",
        "--format",
        "json",
        &file(&root, "1.0.0.yaml"),
        &file(&root, "1.1.0.yaml"),
    ]);
    assert_exit(&output, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    assert_eq!(json["catalog"], "demo-catalog");
    assert_eq!(json["declared_mapping"], true);
    let changes: Vec<&str> = json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["change"].as_str())
        .collect();
    assert_eq!(changes, ["kept", "changed", "retired", "added"]);
}

#[test]
fn diff_validates_both_files_first() {
    let unmapped = V2.replace(
        "    - from: \"4.10\"\n      change: retired\n      note: No longer required.\n",
        "",
    );
    let root = catalog_root(&[("1.0.0.yaml", V1), ("1.1.0.yaml", &unmapped)]);
    let output = pcmh(&[
        "catalog",
        "diff",
        &file(&root, "1.0.0.yaml"),
        &file(&root, "1.1.0.yaml"),
    ]);
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("criterion 4.10 of version 1.0.0 is not mapped"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn diff_refuses_two_different_catalogs() {
    let root = catalog_root(&[("1.0.0.yaml", V1)]);
    let other = tempfile::tempdir().expect("a temporary folder");
    let other_file = other.path().join("2.0.0.yaml");
    fs::write(
        &other_file,
        V1.replace("id: demo-catalog\nversion: 1.0.0", "id: other-catalog\nversion: 2.0.0"),
    )
    .expect("the catalog file");
    let output = pcmh(&[
        "catalog",
        "diff",
        &file(&root, "1.0.0.yaml"),
        &other_file.display().to_string(),
    ]);
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("two versions of one catalog"),
        "{}",
        stderr(&output)
    );
}

// ---- schema, version ----

#[test]
fn schema_prints_the_catalog_json_schema() {
    let output = pcmh(&["catalog", "schema"]);
    assert_exit(&output, 0);
    let printed: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    assert!(printed["properties"]["criteria"].is_object(), "{printed}");
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy-catalog/schema.json");
    match fs::read_to_string(&committed) {
        Ok(text) => {
            let committed_json: serde_json::Value = serde_json::from_str(&text).expect("schema.json is JSON");
            assert_eq!(
                printed,
                committed_json,
                "`pcmh catalog schema` differs from {}",
                committed.display()
            );
        }
        Err(_) => println!(
            "note: {} does not exist; the comparison was skipped",
            committed.display()
        ),
    }
}

#[test]
fn version_prints_the_crate_version() {
    let output = pcmh(&["--version"]);
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), format!("pcmh {}\n", env!("CARGO_PKG_VERSION")));
}

// ---- serve ----

#[test]
fn serve_help_names_the_environment_but_never_the_password() {
    let output = pcmh_with(&["serve", "--help"], |c| {
        c.env("PCMH_DATABASE_URL", "postgres://pcmh:secret@db/pcmh");
    });
    assert_exit(&output, 0);
    for option in [
        "PCMH_DATABASE_URL",
        "PCMH_BIND",
        "PCMH_DATA_DIR",
        "PCMH_CATALOG_DIR",
        "--demo",
    ] {
        assert!(stdout(&output).contains(option), "{}", stdout(&output));
    }
    assert!(!stdout(&output).contains("secret"), "{}", stdout(&output));
}

#[test]
fn serve_with_a_database_url_it_cannot_use_fails_without_the_password() {
    let good = catalog_root(&[("1.0.0.yaml", V1)]);
    let output = pcmh_with(&["serve", "--catalog-dir", &good.path().display().to_string()], |c| {
        c.env("PCMH_DATABASE_URL", "mysql://pcmh:secret@db/pcmh");
    });
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("sqlite://"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("secret"), "{}", stderr(&output));
}

#[test]
fn serve_with_a_broken_catalog_folder_fails_naming_the_problem() {
    let broken = V1.replace("related: [\"4.1\"]", "related: [\"4.9\"]");
    let root = catalog_root(&[("1.0.0.yaml", &broken)]);
    let output = pcmh(&["serve", "--catalog-dir", &root.path().display().to_string()]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(
        err.contains(&file(&root, "1.0.0.yaml")) && err.contains("related criterion 4.9 is not in this catalog"),
        "{err}"
    );
    assert_eq!(stdout(&output), "");

    let missing = root.path().join("nowhere").display().to_string();
    let output = pcmh(&["serve", "--catalog-dir", &missing]);
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains(&format!("{missing}: cannot read the catalog folder")),
        "{}",
        stderr(&output)
    );
}

// ---- the released catalogs ----

#[test]
fn real_catalogs_validate_with_28_criteria_each() {
    let [v1, v2] = real_catalogs();
    let output = pcmh(&["catalog", "validate", &v1, &v2]);
    assert_exit(&output, 0);
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "one line per file:\n{out}");
    for (line, (path, version)) in lines.iter().zip([(&v1, "1.0.0"), (&v2, "1.1.0")]) {
        assert!(
            line.starts_with(&format!("ok  {path}  pcmh-n-domain-4 {version}  28 criteria (")),
            "{out}"
        );
    }
}

#[test]
fn real_catalog_show_lists_the_28_criteria_in_policy_order() {
    let [v1, _] = real_catalogs();
    let output = pcmh(&["catalog", "show", &v1]);
    assert_exit(&output, 0);
    let out = stdout(&output);
    let ids: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("ID "))
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let expected: Vec<String> = (1..=28).map(|n| format!("4.{n}")).collect();
    assert_eq!(ids, expected, "{out}");
}

#[test]
fn real_catalog_diff_shows_4_28_changed() {
    let [v1, v2] = real_catalogs();
    let output = pcmh(&["catalog", "diff", &v1, &v2]);
    assert_exit(&output, 0);
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], "pcmh-n-domain-4 1.0.0 -> 1.1.0 (mapping declared in 1.1.0)",
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("4.28  changed  -> 4.28  (") && l.contains("wording")),
        "{out}"
    );
    let kept = lines.last().copied().unwrap_or_default();
    assert!(kept.contains("criteria kept unchanged: 4.1, 4.2, "), "{out}");
    assert!(!kept.contains("4.28"), "{out}");
}
