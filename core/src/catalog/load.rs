//! Reading a catalog file and checking it, with errors that say where and what.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use super::locate::{locate, locate_nearest, parse_path, path_text, Step};
use super::*;

/// One thing wrong with a catalog: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The catalog file.
    pub file: PathBuf,
    /// The 1-based line, where known.
    pub line: Option<usize>,
    /// The 1-based column, where known.
    pub column: Option<usize>,
    /// The criterion concerned, where there is one.
    pub criterion: Option<String>,
    /// The field concerned, as a path like `criteria[3].evidence[0].within`.
    pub field: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(criterion) = &self.criterion {
            write!(f, "criterion {criterion}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// A catalog that could not be loaded, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogError {
    /// The problems, in the order of the file.
    pub problems: Vec<Problem>,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl CatalogError {
    /// A single problem about a whole file (it cannot be read, it is not a catalog, ...).
    pub fn single(file: &Path, message: impl Into<String>) -> Self {
        CatalogError {
            problems: vec![Problem {
                file: file.to_owned(),
                line: None,
                column: None,
                criterion: None,
                field: None,
                message: message.into(),
            }],
        }
    }
}

/// Reads and validates the catalog in `path`; its file name must be its version (`1.0.0.yaml`).
pub fn load_file(path: &Path) -> Result<Catalog, CatalogError> {
    let text = std::fs::read(path).map_err(|e| CatalogError::single(path, format!("cannot read the file: {e}")))?;
    let text = String::from_utf8(text).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let column = valid.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        let mut error = CatalogError::single(
            path,
            "the file is not UTF-8 text: this byte is not part of a UTF-8 character",
        );
        error.problems[0].line = Some(line);
        error.problems[0].column = Some(column);
        error
    })?;
    let catalog = parse(&text, path)?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if stem != catalog.version.to_string() {
        let (line, column) = locate_nearest(&text, &[Step::Key("version".into())]).unzip();
        return Err(CatalogError {
            problems: vec![Problem {
                file: path.to_owned(),
                line,
                column,
                criterion: None,
                field: Some("version".into()),
                message: format!(
                    "the file of version {} must be named {}.yaml, not {}",
                    catalog.version,
                    catalog.version,
                    path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
                ),
            }],
        });
    }
    Ok(catalog)
}

/// Parses and validates catalog `text`; `file` names it in errors.
///
/// This is the one place YAML is parsed, so another YAML library can replace serde_yaml here.
pub fn parse(text: &str, file: &Path) -> Result<Catalog, CatalogError> {
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(CatalogError::single(
            file,
            "the file is empty: a catalog is a YAML mapping with id, version, effective, title, source, vocabulary and criteria",
        ));
    }
    let catalog: Catalog = serde_yaml::from_str(text).map_err(|e| yaml_problem(text, file, &e))?;
    let findings = validate(&catalog);
    if findings.is_empty() {
        return Ok(catalog);
    }
    let problems = findings
        .into_iter()
        .map(|(path, message)| {
            let (line, column) = locate_nearest(text, &path).unzip();
            Problem {
                file: file.to_owned(),
                line,
                column,
                criterion: criterion_of_path(&path, |i| catalog.criteria.get(i).map(|c| c.id.to_string())),
                field: Some(path_text(&path)),
                message,
            }
        })
        .collect::<Vec<_>>();
    let mut problems = problems;
    problems.sort_by_key(|p| (p.line.unwrap_or(usize::MAX), p.column.unwrap_or(0)));
    Err(CatalogError { problems })
}

/// The id of the criterion a path points into (`criteria[3]...`), if any.
fn criterion_of_path(path: &[Step], id_at: impl Fn(usize) -> Option<String>) -> Option<String> {
    match path {
        [Step::Key(k), Step::Index(i), ..] if k == "criteria" => id_at(*i),
        _ => None,
    }
}

fn yaml_problem(text: &str, file: &Path, error: &serde_yaml::Error) -> CatalogError {
    let full = error.to_string();
    // serde_yaml writes "<path>: <message> at line L column C"; keep the parts apart.
    let without_location = match full.rfind(" at line ") {
        Some(at) if error.location().is_some() => &full[..at],
        _ => full.as_str(),
    };
    let (path, message) = match without_location.split_once(": ") {
        Some((path, message)) if !path.contains(' ') && !path.is_empty() => (parse_path(path), message),
        _ => (Vec::new(), without_location),
    };
    let (mut line, mut column) = error.location().map(|l| (l.line(), l.column())).unzip();
    let given = path.clone();
    let mut path = refine_path(text, path, message);
    if path != given {
        // The refined path is more precise than the position serde_yaml gave, which for an
        // evidence requirement is the list's first item.
        if let Some((l, c)) = locate(text, &path) {
            (line, column) = (Some(l), Some(c));
        } else if given.last() == Some(&Step::Key("evidence".into())) {
            (line, column) = locate_nearest(text, &path).unzip();
        }
    } else if path.is_empty() {
        // A value refused after it was read (a bad date) comes without a path: find its line.
        let quoted = message.split('`').nth(1).filter(|q| !q.is_empty());
        if let Some((n, key)) = quoted.and_then(|q| {
            text.lines().enumerate().find_map(|(n, l)| {
                let (key, value) = l.split_once(':')?;
                (value.contains(q) && !key.trim().is_empty()).then(|| (n, key.trim().trim_start_matches("- ")))
            })
        }) {
            line = Some(n + 1);
            column = text.lines().nth(n).map(|l| l.find(key).unwrap_or(0) + 1);
            if text.lines().nth(n).is_some_and(|l| !l.starts_with(' ')) {
                path = vec![Step::Key(key.to_owned())];
            }
        }
    } else if line.is_none() {
        (line, column) = locate_nearest(text, &path).unzip();
    }
    // The criterion's id can still be read when the text is valid YAML but not a valid catalog.
    let criterion = criterion_of_path(&path, |i| {
        let value: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
        let id = value.get("criteria")?.get(i)?.get("id")?;
        // An unquoted id reads as a number (4.10 as 4.1): naming it would name another criterion.
        id.as_str().map(str::to_owned)
    });
    CatalogError {
        problems: vec![Problem {
            file: file.to_owned(),
            line,
            column,
            criterion,
            field: (!path.is_empty()).then(|| path_text(&path)),
            message: message.to_owned(),
        }],
    }
}

/// Makes a serde_yaml error's path point at the field itself.
///
/// Evidence requirements are read through serde's buffered content (to find their `kind`
/// first), so errors inside one carry only the list's path and the list's position. Find the
/// item by reading each one again on its own, then the field from the message: "unknown field
/// `foo`" names it, and "`P12Q` is not a duration" names its value.
fn refine_path(text: &str, mut path: Vec<Step>, message: &str) -> Vec<Step> {
    let quoted = message.split('`').nth(1).unwrap_or_default().to_owned();
    let names_field = message.starts_with("unknown field") || message.starts_with("missing field");
    let evidence_list = match path.as_slice() {
        [Step::Key(c), Step::Index(i), Step::Key(e)] if c == "criteria" && e == "evidence" => Some(*i),
        _ => None,
    };
    let Some(criterion) = evidence_list else {
        if names_field && !quoted.is_empty() {
            path.push(Step::Key(quoted));
        }
        return path;
    };
    let Ok(document) = serde_yaml::from_str::<serde_yaml::Value>(text) else {
        return path;
    };
    let items = document
        .get("criteria")
        .and_then(|c| c.get(criterion))
        .and_then(|c| c.get("evidence"))
        .and_then(serde_yaml::Value::as_sequence);
    let Some((index, item)) = items.and_then(|items| {
        items.iter().enumerate().find(|(_, item)| {
            serde_yaml::from_value::<EvidenceRequirement>((*item).clone())
                .is_err_and(|e| e.to_string().contains(message))
        })
    }) else {
        return path;
    };
    path.push(Step::Index(index));
    if names_field {
        path.push(Step::Key(quoted));
        return path;
    }
    let Some(fields) = item.as_mapping() else { return path };
    for (key, value) in fields {
        let Some(key) = key.as_str() else { continue };
        if value.as_str() == Some(quoted.as_str()) {
            path.push(Step::Key(key.to_owned()));
            return path;
        }
        if let Some(position) = value
            .as_sequence()
            .and_then(|list| list.iter().position(|v| v.as_str() == Some(quoted.as_str())))
        {
            path.push(Step::Key(key.to_owned()));
            path.push(Step::Index(position));
            return path;
        }
    }
    path
}

type Finding = (Vec<Step>, String);

fn key(k: &str) -> Step {
    Step::Key(k.to_owned())
}

/// Checks what the types alone cannot: ids, references, vocabulary and parameters.
fn validate(catalog: &Catalog) -> Vec<Finding> {
    let mut findings = Vec::new();
    let id_ok = !catalog.id.is_empty()
        && catalog
            .id
            .split('-')
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if !id_ok {
        findings.push((
            vec![key("id")],
            format!(
                "`{}` is not a catalog id (lower-case words and digits joined by -)",
                catalog.id
            ),
        ));
    }
    if !catalog.version.pre.is_empty() || !catalog.version.build.is_empty() {
        findings.push((
            vec![key("version")],
            "a released catalog version is MAJOR.MINOR.PATCH, without pre-release or build parts".into(),
        ));
    }
    for (field, value) in [("title", &catalog.title), ("source", &catalog.source)] {
        if value.trim().is_empty() {
            findings.push((vec![key(field)], "must not be empty".into()));
        }
    }
    if catalog.criteria.is_empty() {
        findings.push((vec![key("criteria")], "a catalog needs at least one criterion".into()));
    }
    for (list, terms) in vocabulary_lists(&catalog.vocabulary) {
        for (term, label) in terms {
            if label.trim().is_empty() {
                findings.push((
                    vec![key("vocabulary"), key(list), key(term.as_str())],
                    "the label must not be empty".into(),
                ));
            }
        }
    }

    let mut first_seen: BTreeMap<&CriterionId, usize> = BTreeMap::new();
    for (i, criterion) in catalog.criteria.iter().enumerate() {
        if let Some(first) = first_seen.insert(&criterion.id, i) {
            findings.push((
                vec![key("criteria"), Step::Index(i), key("id")],
                format!("duplicate criterion id {} (criteria[{first}] has it too)", criterion.id),
            ));
            first_seen.insert(&criterion.id, first);
        }
    }
    let known: HashSet<&CriterionId> = catalog.criteria.iter().map(|c| &c.id).collect();
    for (i, criterion) in catalog.criteria.iter().enumerate() {
        let at = |rest: &[Step]| {
            let mut path = vec![key("criteria"), Step::Index(i)];
            path.extend_from_slice(rest);
            path
        };
        for (field, value) in [("title", &criterion.title), ("text", &criterion.text)] {
            if value.trim().is_empty() {
                findings.push((at(&[key(field)]), "must not be empty".into()));
            }
        }
        if criterion.evidence.is_empty() {
            findings.push((
                at(&[key("evidence")]),
                "a criterion needs at least one evidence requirement".into(),
            ));
        }
        let mut seen_population = HashSet::new();
        for population in &criterion.population {
            if !seen_population.insert(population) {
                findings.push((at(&[key("population")]), format!("{population:?} is listed twice")));
            }
        }
        if criterion.scope == Scope::PhysicianOrganization && !criterion.population.is_empty() {
            findings.push((
                at(&[key("population")]),
                "a PO-level criterion has no patient population of its own".into(),
            ));
        }
        let mut seen_related = HashSet::new();
        for (r, related) in criterion.related.iter().enumerate() {
            let path = at(&[key("related"), Step::Index(r)]);
            if related == &criterion.id {
                findings.push((path, format!("criterion {related} cannot be related to itself")));
            } else if !known.contains(related) {
                findings.push((path, format!("related criterion {related} is not in this catalog")));
            } else if !seen_related.insert(related) {
                findings.push((path, format!("related criterion {related} is listed twice")));
            }
        }
        for (e, requirement) in criterion.evidence.iter().enumerate() {
            let path = at(&[key("evidence"), Step::Index(e)]);
            check_requirement(catalog, requirement, &path, &mut findings);
        }
    }

    if let Some(mapping) = &catalog.upgrade_from {
        check_mapping(catalog, mapping, &known, &mut findings);
    }
    findings
}

fn vocabulary_lists(v: &Vocabulary) -> [(&'static str, &BTreeMap<Term, String>); 5] {
    [
        ("training_topics", &v.training_topics),
        ("document_types", &v.document_types),
        ("survey_kinds", &v.survey_kinds),
        ("report_types", &v.report_types),
        ("meeting_kinds", &v.meeting_kinds),
    ]
}

fn check_requirement(catalog: &Catalog, requirement: &EvidenceRequirement, path: &[Step], findings: &mut Vec<Finding>) {
    let at = |field: &str| {
        let mut p = path.to_vec();
        p.push(key(field));
        p
    };
    let vocabulary = &catalog.vocabulary;
    let mut terms = |field: &str, list_name: &str, list: &BTreeMap<Term, String>, used: &[Term]| {
        for (t, term) in used.iter().enumerate() {
            if !list.contains_key(term) {
                let mut p = at(field);
                p.push(Step::Index(t));
                findings.push((
                    p,
                    format!("`{term}` is not one of the catalog's vocabulary.{list_name}"),
                ));
            }
        }
    };
    match requirement {
        EvidenceRequirement::Training(t) => {
            terms("topics", "training_topics", &vocabulary.training_topics, &t.topics);
            if t.topics.is_empty() {
                findings.push((at("topics"), "name at least one topic".into()));
            }
            if t.roles.as_ref().is_some_and(Vec::is_empty) {
                findings.push((
                    at("roles"),
                    "name at least one role, or omit roles for all active staff".into(),
                ));
            }
            check_coverage(t.coverage, &at("coverage"), findings);
        }
        EvidenceRequirement::CareTeam(t) => {
            if t.min_disciplines as usize > t.disciplines.len() {
                findings.push((
                    at("min_disciplines"),
                    format!(
                        "{} disciplines are needed but only {} roles are listed as disciplines",
                        t.min_disciplines,
                        t.disciplines.len()
                    ),
                ));
            }
            if t.min_disciplines == 0 && t.required_roles.is_empty() {
                findings.push((
                    at("min_disciplines"),
                    "a care team needs min_disciplines or required_roles".into(),
                ));
            }
        }
        EvidenceRequirement::Document(d) => {
            terms("types", "document_types", &vocabulary.document_types, &d.types);
        }
        EvidenceRequirement::Survey(s) => {
            terms("kinds", "survey_kinds", &vocabulary.survey_kinds, &s.kinds);
            if s.kinds.is_empty() {
                findings.push((at("kinds"), "name at least one survey kind".into()));
            }
            if s.trend_periods == 0 {
                findings.push((at("trend_periods"), "must be at least 1".into()));
            }
        }
        EvidenceRequirement::CarePlans(c) => {
            if c.min_count == 0 {
                findings.push((at("min_count"), "must be at least 1".into()));
            }
        }
        EvidenceRequirement::CarePlanSharing(c) => check_coverage(c.coverage, &at("coverage"), findings),
        EvidenceRequirement::TeamMeetings(m) => {
            terms("kinds", "meeting_kinds", &vocabulary.meeting_kinds, &m.kinds);
            check_recurrence(m.every, m.within, path, findings);
        }
        EvidenceRequirement::PeriodicReports(r) => {
            terms(
                "report_types",
                "report_types",
                &vocabulary.report_types,
                &r.report_types,
            );
            if r.report_types.is_empty() {
                findings.push((at("report_types"), "name at least one report type".into()));
            }
            check_recurrence(r.every, r.within, path, findings);
        }
        EvidenceRequirement::Attestation(_) => {}
    }
}

fn check_coverage(coverage: u8, path: &[Step], findings: &mut Vec<Finding>) {
    if !(1..=100).contains(&coverage) {
        findings.push((
            path.to_vec(),
            format!("coverage is a percentage from 1 to 100, not {coverage}"),
        ));
    }
}

fn check_recurrence(every: CalendarDuration, within: CalendarDuration, path: &[Step], findings: &mut Vec<Finding>) {
    let mut at = path.to_vec();
    match every.whole_months() {
        Some(m) if 12 % m == 0 => {
            if within.whole_months().is_none_or(|w| w % m != 0) {
                at.push(key("within"));
                findings.push((at, format!("must be a whole number of {every} periods, not {within}")));
            }
        }
        _ => {
            at.push(key("every"));
            findings.push((
                at,
                format!("must be whole months that divide a year (P1M, P2M, P3M, P4M, P6M or P1Y), not {every}"),
            ));
        }
    }
}

fn check_mapping(
    catalog: &Catalog,
    mapping: &UpgradeMapping,
    known: &HashSet<&CriterionId>,
    findings: &mut Vec<Finding>,
) {
    if mapping.version >= catalog.version {
        findings.push((
            vec![key("upgrade_from"), key("version")],
            format!(
                "a catalog upgrades from an earlier version: {} is not before {}",
                mapping.version, catalog.version
            ),
        ));
    }
    let mut seen = HashSet::new();
    for (m, entry) in mapping.criteria.iter().enumerate() {
        let at = |rest: &[Step]| {
            let mut p = vec![key("upgrade_from"), key("criteria"), Step::Index(m)];
            p.extend_from_slice(rest);
            p
        };
        if !seen.insert(&entry.from) {
            findings.push((at(&[key("from")]), format!("criterion {} is mapped twice", entry.from)));
        }
        let arity_ok = match entry.change {
            MappingChange::Kept | MappingChange::Changed => entry.to.len() == 1,
            MappingChange::Split => entry.to.len() >= 2,
            MappingChange::Retired => entry.to.is_empty(),
        };
        if !arity_ok {
            let rule = match entry.change {
                MappingChange::Kept | MappingChange::Changed => "exactly one criterion",
                MappingChange::Split => "two or more criteria",
                MappingChange::Retired => "no criterion",
            };
            findings.push((
                at(&[key("to")]),
                format!("a {:?} criterion maps to {rule}, not {}", entry.change, entry.to.len()).to_lowercase(),
            ));
        }
        for (t, target) in entry.to.iter().enumerate() {
            if !known.contains(target) {
                findings.push((
                    at(&[key("to"), Step::Index(t)]),
                    format!("criterion {target} is not in this catalog"),
                ));
            }
        }
        if entry.change == MappingChange::Kept && entry.to.first().is_some_and(|to| to != &entry.from) {
            findings.push((
                at(&[key("to")]),
                "a kept criterion keeps its id; a renumbered one is changed".into(),
            ));
        }
    }
}

/// A `YYYY-MM-DD` date, with an error that says which text is wrong.
pub(crate) fn date<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let text = String::deserialize(deserializer)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|e| serde::de::Error::custom(format!("`{text}` is not a date (write YYYY-MM-DD): {e}")))
}

/// A vocabulary list, refusing a term given twice (YAML maps would silently keep the last).
pub(crate) fn labels<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<Term, String>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = BTreeMap<Term, String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of terms to labels")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((term, label)) = map.next_entry::<Term, String>()? {
                if out.contains_key(&term) {
                    return Err(serde::de::Error::custom(format!("term `{term}` is listed twice")));
                }
                out.insert(term, label);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(Visitor)
}
