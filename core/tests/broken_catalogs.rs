//! Broken catalogs are refused with errors that say where and what: the file, the line (and
//! column), the criterion, the field and the rule. Each test starts from one small valid
//! catalog and changes just the part it is about. None of them may panic.

use std::path::{Path, PathBuf};

use pcmh_core::catalog::{self, CatalogError, CatalogSet, Problem};

const FILE: &str = "demo/1.0.0.yaml";

/// A small valid catalog; each test breaks one thing in it.
const BASE: &str = r#"id: demo-catalog
version: 1.0.0
effective: 2026-01-01
title: Demo policy
source: A demo policy text
vocabulary:
  training_topics:
    chronic_care_model: Chronic Care Model
  document_types:
    training_material: Training material
  report_types:
    member_list: Monthly member list
criteria:
  - id: "4.1"
    title: Staff trained
    text: Staff are trained every year.
    scope: practice
    evidence:
      - kind: training
        topics: [chronic_care_model]
        within: P12M
      - kind: document
        types: [training_material]
        within: P24M
  - id: "4.2"
    title: Team meetings
    text: The team meets every month.
    scope: practice
    related: ["4.1"]
    evidence:
      - kind: team_meetings
        every: P1M
        within: P12M
  - id: "4.3"
    title: Member lists
    text: The PO sends a member list every month.
    scope: physician_organization
    evidence:
      - kind: periodic_reports
        report_types: [member_list]
        every: P3M
        within: P12M
"#;

/// The mapping a version 1.1.0 of the base catalog declares from 1.0.0.
const MAPPING: &str = r#"upgrade_from:
  version: 1.0.0
  criteria:
    - from: "4.1"
      change: kept
      to: ["4.1"]
    - from: "4.2"
      change: kept
      to: ["4.2"]
    - from: "4.3"
      change: kept
      to: ["4.3"]
"#;

/// `text` with each `(from, to)` replaced; `from` must occur exactly once, so that each test
/// shows plainly what it breaks.
fn replaced(text: &str, changes: &[(&str, &str)]) -> String {
    let mut text = text.to_owned();
    for (from, to) in changes {
        assert_eq!(text.matches(from).count(), 1, "`{from}` occurs exactly once in\n{text}");
        text = text.replacen(from, to, 1);
    }
    text
}

/// The base catalog with `changes` made.
fn base_with(changes: &[(&str, &str)]) -> String {
    replaced(BASE, changes)
}

/// Version 1.1.0 of the base catalog, mapped from 1.0.0, with `changes` made.
fn next_version_with(changes: &[(&str, &str)]) -> String {
    let next = replaced(
        BASE,
        &[
            ("version: 1.0.0\n", "version: 1.1.0\n"),
            ("vocabulary:\n", &format!("{MAPPING}vocabulary:\n")),
        ],
    );
    replaced(&next, changes)
}

/// The 1-based line and column where the `n`th (from 0) occurrence of `needle` starts.
fn nth_position(text: &str, needle: &str, n: usize) -> (usize, usize) {
    let (offset, _) = text
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("`{needle}` does not occur {} times in\n{text}", n + 1));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = offset - before.rfind('\n').map_or(0, |nl| nl + 1) + 1;
    (line, column)
}

/// Where `needle` first occurs in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    nth_position(text, needle, 0)
}

fn parse_error(text: &str) -> CatalogError {
    match catalog::parse(text, Path::new(FILE)) {
        Ok(_) => panic!("this catalog loads, but it should be refused:\n{text}"),
        Err(e) => e,
    }
}

/// The one problem reported.
fn the_problem(error: CatalogError) -> Problem {
    assert_eq!(error.problems.len(), 1, "exactly one problem:\n{error}");
    error.problems.into_iter().next().expect("one problem")
}

/// What a problem must say; `None` where the problem must not name one.
struct Expected<'a> {
    file: &'a str,
    at: Option<(usize, usize)>,
    criterion: Option<&'a str>,
    field: Option<&'a str>,
    says: &'a [&'a str],
}

impl Expected<'_> {
    fn check(&self, problem: &Problem) {
        let shown = problem.to_string();
        assert_eq!(problem.file, PathBuf::from(self.file), "file of {shown}");
        assert_eq!(problem.line.zip(problem.column), self.at, "line and column of {shown}");
        assert_eq!(problem.criterion.as_deref(), self.criterion, "criterion of {shown}");
        assert_eq!(problem.field.as_deref(), self.field, "field of {shown}");
        for words in self.says {
            assert!(problem.message.contains(words), "`{words}` is said in {shown}");
        }
        // The one-line form names the place first, as editors and compilers do.
        let place = match self.at {
            Some((line, column)) => format!("{}:{line}:{column}: ", self.file),
            None => format!("{}: ", self.file),
        };
        assert!(shown.starts_with(&place), "`{shown}` starts with `{place}`");
    }
}

#[test]
fn the_base_catalog_is_valid() {
    let catalog = catalog::parse(BASE, Path::new(FILE)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(catalog.criteria.len(), 3);
    catalog::parse(&next_version_with(&[]), Path::new("demo/1.1.0.yaml")).unwrap_or_else(|e| panic!("{e}"));
}

// ---------------------------------------------------------------------------------------------
// Criterion ids

#[test]
fn a_duplicate_criterion_id() {
    let text = base_with(&[(r#"  - id: "4.3""#, r#"  - id: "4.2""#)]);
    Expected {
        file: FILE,
        at: Some(nth_position(&text, r#"id: "4.2""#, 1)),
        criterion: Some("4.2"),
        field: Some("criteria[2].id"),
        says: &["duplicate criterion id 4.2", "criteria[1] has it too"],
    }
    .check(&the_problem(parse_error(&text)));
}

#[test]
fn a_criterion_id_with_a_leading_zero() {
    let text = base_with(&[(r#"  - id: "4.1""#, r#"  - id: "4.01""#)]);
    Expected {
        file: FILE,
        at: Some(position(&text, r#""4.01""#)),
        criterion: Some("4.01"),
        field: Some("criteria[0].id"),
        says: &["`4.01` is not a criterion id", "\"4.1\""],
    }
    .check(&the_problem(parse_error(&text)));
}

#[test]
fn an_unquoted_criterion_id_that_yaml_reads_as_a_number() {
    let text = base_with(&[(r#"  - id: "4.2""#, "  - id: 4.10")]);
    Expected {
        file: FILE,
        at: Some(position(&text, "4.10")),
        // YAML read the number 4.1: naming it would blame criteria[0], which is "4.1".
        criterion: None,
        field: Some("criteria[1].id"),
        says: &["must be a quoted string", "4.10 reads as the number 4.1"],
    }
    .check(&the_problem(parse_error(&text)));
}

// ---------------------------------------------------------------------------------------------
// Evidence requirements

#[test]
fn an_unknown_evidence_kind() {
    let text = base_with(&[("- kind: training", "- kind: trainin")]);
    Expected {
        file: FILE,
        at: Some(position(&text, "trainin\n")),
        criterion: Some("4.1"),
        field: Some("criteria[0].evidence[0].kind"),
        says: &["unknown variant `trainin`", "`training`", "`attestation`"],
    }
    .check(&the_problem(parse_error(&text)));
}

#[test]
fn an_unknown_field_in_an_evidence_requirement() {
    let text = base_with(&[(
        "[chronic_care_model]\n",
        "[chronic_care_model]\n        frequency: P1M\n",
    )]);
    Expected {
        file: FILE,
        at: Some(position(&text, "frequency")),
        criterion: Some("4.1"),
        field: Some("criteria[0].evidence[0].frequency"),
        says: &["unknown field `frequency`", "`within`"],
    }
    .check(&the_problem(parse_error(&text)));
}

#[test]
fn a_duration_with_an_unknown_unit() {
    let text = base_with(&[(
        "[chronic_care_model]\n        within: P12M",
        "[chronic_care_model]\n        within: P12Q",
    )]);
    Expected {
        file: FILE,
        at: Some(position(&text, "within: P12Q")),
        criterion: Some("4.1"),
        field: Some("criteria[0].evidence[0].within"),
        says: &["`P12Q` is not a duration", "the units are Y, M, W and D"],
    }
    .check(&the_problem(parse_error(&text)));
}

#[test]
fn a_duration_without_its_p() {
    let text = base_with(&[("[member_list]\n        every: P3M", "[member_list]\n        every: 3M")]);
    Expected {
        file: FILE,
        at: Some(position(&text, "every: 3M")),
        criterion: Some("4.3"),
        field: Some("criteria[2].evidence[0].every"),
        says: &["`3M` is not a duration", "it must start with P"],
    }
    .check(&the_problem(parse_error(&text)));
}

#[test]
fn errors_in_a_later_evidence_item_point_at_that_item() {
    for (bad, field, says) in [
        (
            "within: 12M",
            "criteria[0].evidence[1].within",
            "`12M` is not a duration",
        ),
        (
            "within: P12Q",
            "criteria[0].evidence[1].within",
            "`P12Q` is not a duration",
        ),
        ("every: P1M", "criteria[0].evidence[1].every", "unknown field `every`"),
    ] {
        let text = base_with(&[(
            "[training_material]\n        within: P24M",
            &format!("[training_material]\n        {bad}"),
        )]);
        Expected {
            file: FILE,
            at: Some(position(&text, bad)),
            criterion: Some("4.1"),
            field: Some(field),
            says: &[says],
        }
        .check(&the_problem(parse_error(&text)));
    }
}

#[test]
fn a_training_topic_not_in_the_vocabulary() {
    let text = base_with(&[(
        "topics: [chronic_care_model]",
        "topics: [chronic_care_model, pcmh_n_model]",
    )]);
    Expected {
        file: FILE,
        // A flow list has no line per item: the problem points at the list's key.
        at: Some(position(&text, "topics: [")),
        criterion: Some("4.1"),
        field: Some("criteria[0].evidence[0].topics[1]"),
        says: &["`pcmh_n_model` is not one of the catalog's vocabulary.training_topics"],
    }
    .check(&the_problem(parse_error(&text)));
}

#[test]
fn a_meeting_period_that_does_not_divide_a_year() {
    let text = base_with(&[("team_meetings\n        every: P1M", "team_meetings\n        every: P5M")]);
    Expected {
        file: FILE,
        at: Some(position(&text, "every: P5M")),
        criterion: Some("4.2"),
        field: Some("criteria[1].evidence[0].every"),
        says: &["whole months that divide a year", "not P5M"],
    }
    .check(&the_problem(parse_error(&text)));
}

// ---------------------------------------------------------------------------------------------
// Criteria

#[test]
fn a_related_criterion_that_does_not_exist() {
    let text = base_with(&[(r#"related: ["4.1"]"#, r#"related: ["4.9"]"#)]);
    Expected {
        file: FILE,
        at: Some(position(&text, "related:")),
        criterion: Some("4.2"),
        field: Some("criteria[1].related[0]"),
        says: &["related criterion 4.9 is not in this catalog"],
    }
    .check(&the_problem(parse_error(&text)));
}

#[test]
fn a_criterion_without_its_title() {
    let text = base_with(&[("    title: Team meetings\n", "")]);
    Expected {
        file: FILE,
        // The field is missing, so it is placed on the mapping that lacks it: the criterion's first key.
        at: Some(position(&text, r#"id: "4.2""#)),
        criterion: Some("4.2"),
        field: Some("criteria[1].title"),
        says: &["missing field `title`"],
    }
    .check(&the_problem(parse_error(&text)));
}

// ---------------------------------------------------------------------------------------------
// Files

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("the file is written");
    path
}

#[test]
fn a_file_not_named_after_its_version() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = write(dir.path(), "1.0.1.yaml", BASE);
    let problem = the_problem(catalog::load_file(&path).expect_err("the name is refused"));
    Expected {
        file: path.to_str().expect("a UTF-8 path"),
        at: Some(position(BASE, "version:")),
        criterion: None,
        field: Some("version"),
        says: &["version 1.0.0 must be named 1.0.0.yaml, not 1.0.1.yaml"],
    }
    .check(&problem);
}

#[test]
fn a_yaml_syntax_error() {
    let text = base_with(&[("title: Staff trained", "title: Staff: trained")]);
    Expected {
        file: FILE,
        at: Some(position(&text, ": trained")),
        criterion: None,
        field: None,
        says: &["mapping values are not allowed"],
    }
    .check(&the_problem(parse_error(&text)));
}

#[test]
fn a_non_utf8_byte_is_located_by_line() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut bytes = BASE.as_bytes().to_vec();
    let offset = BASE.find("Demo policy").expect("the title");
    bytes.splice(offset..offset, [0xff]);
    let path = write(dir.path(), "1.0.0.yaml", bytes);
    let problem = the_problem(catalog::load_file(&path).expect_err("the bytes are refused"));
    assert_eq!(
        problem.line.zip(problem.column),
        Some(position(BASE, "Demo policy")),
        "{problem}"
    );
}

#[test]
fn an_empty_file_is_called_empty() {
    let problem = the_problem(parse_error(""));
    assert!(problem.message.contains("empty"), "{problem}");
}

#[test]
fn a_file_that_is_a_list_instead_of_a_mapping() {
    let text = "- id: demo-catalog\n- version: 1.0.0\n";
    Expected {
        file: FILE,
        at: Some((1, 1)),
        criterion: None,
        field: None,
        says: &["invalid type: sequence", "expected struct Catalog"],
    }
    .check(&the_problem(parse_error(text)));
}

// ---------------------------------------------------------------------------------------------
// Versions: the mapping of 1.1.0 from 1.0.0, checked with both files

/// Loads 1.0.0 (the base) and a 1.1.0 written from `next` together.
fn load_both(next: &str) -> (tempfile::TempDir, PathBuf, CatalogError) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let old = write(dir.path(), "1.0.0.yaml", BASE);
    let new = write(dir.path(), "1.1.0.yaml", next);
    let error = CatalogSet::from_files(&[old, new.clone()]).expect_err("the mapping is refused");
    (dir, new, error)
}

#[test]
fn the_base_versions_load_together() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let old = write(dir.path(), "1.0.0.yaml", BASE);
    let new = write(dir.path(), "1.1.0.yaml", next_version_with(&[]));
    let set = CatalogSet::from_files(&[old, new]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.len(), 2);
}

#[test]
fn a_mapping_from_a_criterion_the_old_version_does_not_have() {
    let entry = "    - from: \"4.3\"\n      change: kept\n      to: [\"4.3\"]\n";
    let text = next_version_with(&[(entry, &format!("{entry}    - from: \"4.9\"\n      change: retired\n"))]);
    let (_dir, file, error) = load_both(&text);
    Expected {
        file: file.to_str().expect("a UTF-8 path"),
        at: Some(position(&text, "from: \"4.9\"")),
        criterion: Some("4.9"),
        field: Some("upgrade_from.criteria[3].from"),
        says: &["criterion 4.9 is not in version 1.0.0"],
    }
    .check(&the_problem(error));
}

#[test]
fn a_kept_criterion_whose_wording_changed() {
    let text = next_version_with(&[(
        "text: Staff are trained every year.",
        "text: Staff are trained every two years.",
    )]);
    let (_dir, file, error) = load_both(&text);
    Expected {
        file: file.to_str().expect("a UTF-8 path"),
        at: Some(position(&text, "change: kept")),
        criterion: Some("4.1"),
        field: Some("upgrade_from.criteria[0].change"),
        says: &[
            "criterion 4.1 is mapped as kept but its wording differs from version 1.0.0",
            "map it as changed",
        ],
    }
    .check(&the_problem(error));
}

#[test]
fn an_old_criterion_left_unmapped() {
    let text = next_version_with(&[("    - from: \"4.3\"\n      change: kept\n      to: [\"4.3\"]\n", "")]);
    let (_dir, file, error) = load_both(&text);
    Expected {
        file: file.to_str().expect("a UTF-8 path"),
        at: Some(nth_position(&text, "criteria:", 0)),
        criterion: Some("4.3"),
        field: Some("upgrade_from.criteria"),
        says: &[
            "criterion 4.3 of version 1.0.0 is not mapped",
            "kept, changed, split or retired",
        ],
    }
    .check(&the_problem(error));
}

// ---------------------------------------------------------------------------------------------
// Several problems, and no panic

/// The four defects of [`several_problems_in_one_file_are_all_reported`].
fn four_defects() -> String {
    base_with(&[
        (
            "topics: [chronic_care_model]",
            "topics: [chronic_care_model, pcmh_n_model]",
        ),
        (r#"related: ["4.1"]"#, r#"related: ["4.9"]"#),
        ("team_meetings\n        every: P1M", "team_meetings\n        every: P5M"),
        (r#"  - id: "4.3""#, r#"  - id: "4.2""#),
    ])
}

#[test]
fn several_problems_in_one_file_are_all_reported() {
    let text = four_defects();
    let error = parse_error(&text);
    let mut found: Vec<(Option<usize>, Option<String>, String)> = error
        .problems
        .iter()
        .map(|p| (p.line, p.criterion.clone(), p.field.clone().unwrap_or_default()))
        .collect();
    found.sort();
    let line = |needle: &str| Some(position(&text, needle).0);
    let expected = vec![
        (
            line("topics: ["),
            Some("4.1".to_owned()),
            "criteria[0].evidence[0].topics[1]".to_owned(),
        ),
        (
            line("related:"),
            Some("4.2".to_owned()),
            "criteria[1].related[0]".to_owned(),
        ),
        (
            line("every: P5M"),
            Some("4.2".to_owned()),
            "criteria[1].evidence[0].every".to_owned(),
        ),
        (
            Some(nth_position(&text, r#"id: "4.2""#, 1).0),
            Some("4.2".to_owned()),
            "criteria[2].id".to_owned(),
        ),
    ];
    assert_eq!(found, expected, "{error}");
    assert_eq!(error.to_string().lines().count(), 4, "one line per problem:\n{error}");
}

#[test]
fn several_problems_come_in_the_order_of_the_file() {
    let error = parse_error(&four_defects());
    let lines: Vec<_> = error.problems.iter().map(|p| p.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "{error}");
}

#[test]
fn a_quoted_non_ascii_key_in_an_evidence_requirement_does_not_panic() {
    let text = base_with(&[("[chronic_care_model]\n", "[chronic_care_model]\n        \"é\": 1\n")]);
    let problem = the_problem(parse_error(&text));
    assert!(problem.message.contains("unknown field `é`"), "{problem}");
}

/// Parses `text` and says whether it panicked.
fn panics(text: &str) -> bool {
    std::panic::catch_unwind(|| {
        if let Err(e) = catalog::parse(text, Path::new(FILE)) {
            let _ = e.to_string();
        }
    })
    .is_err()
}

#[test]
fn no_broken_catalog_panics_the_loader() {
    let released = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policy-catalog/domain-4/1.0.0.yaml"
    ))
    .expect("the released catalog is readable");
    let mut broken = Vec::new();
    // Cut short anywhere in the small catalog, and at every line of the real one.
    broken.extend(BASE.char_indices().map(|(i, _)| BASE[..i].to_owned()));
    broken.extend(released.match_indices('\n').map(|(i, _)| released[..i].to_owned()));
    // Each line of the small catalog removed, or its value replaced by something odd.
    let lines: Vec<&str> = BASE.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        let with_line = |new: Option<String>| {
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            match new {
                Some(new) => out[n] = new,
                None => drop(out.remove(n)),
            }
            out.join("\n")
        };
        broken.push(with_line(None));
        let key = line.split(':').next().unwrap_or_default();
        for value in [
            "", "[", "{a: b}", "é", "- x", "4.10", "\"4.01\"", "P0D", "~", "[[]]", "'", "&a", "*a",
        ] {
            broken.push(with_line(Some(format!("{key}: {value}"))));
        }
        broken.push(with_line(Some(format!("\t{line}"))));
        broken.push(with_line(Some(format!("{line}: x"))));
    }
    let panicking: Vec<&String> = broken.iter().filter(|text| panics(text)).collect();
    assert!(
        panicking.is_empty(),
        "{} broken catalogs panic the loader; the first:\n{}",
        panicking.len(),
        panicking[0]
    );
}
