//! Several catalog versions together, each version's mapping checked against the one before.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::load::{load_file, CatalogError, Problem};
use super::locate::{locate_nearest, path_text, Step};
use super::{Catalog, CriterionId, MappingChange};

/// Every loaded catalog version, keyed by catalog id and version.
#[derive(Debug, Clone, Default)]
pub struct CatalogSet {
    catalogs: BTreeMap<(String, semver::Version), (PathBuf, Catalog)>,
    /// [`CatalogSet::fingerprint`], computed once.
    fingerprint: std::sync::OnceLock<String>,
}

/// A catalog version that a stored record names but that is not loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalog {id} {version} is named by a stored record but is not loaded")]
pub struct CatalogNotLoaded {
    /// The catalog id named.
    pub id: String,
    /// The version named.
    pub version: String,
}

impl CatalogSet {
    /// Loads every `*.yaml` catalog in the folders directly under `dir` (`dir/<catalog>/<version>.yaml`).
    pub fn load_dir(dir: &Path) -> Result<Self, CatalogError> {
        let unreadable = |e: std::io::Error| CatalogError::single(dir, format!("cannot read the catalog folder: {e}"));
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(unreadable)? {
            let sub = entry.map_err(unreadable)?.path();
            if !sub.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&sub).map_err(unreadable)? {
                let file = file.map_err(unreadable)?.path();
                if file.extension().is_some_and(|e| e == "yaml") {
                    files.push(file);
                }
            }
        }
        if files.is_empty() {
            return Err(CatalogError::single(
                dir,
                "no catalog found (expected <catalog>/<version>.yaml files)",
            ));
        }
        files.sort();
        Self::from_files(&files)
    }

    /// Loads the given catalog files, and the earlier versions their mappings name when they
    /// sit beside them, then checks every mapping. Reports the problems of all files at once.
    pub fn from_files(files: &[PathBuf]) -> Result<Self, CatalogError> {
        let mut set = CatalogSet::default();
        let mut problems = Vec::new();
        let mut texts: HashMap<PathBuf, String> = HashMap::new();
        let mut queue: Vec<PathBuf> = files.to_vec();
        let mut loaded_paths = Vec::new();
        while let Some(path) = queue.pop() {
            if loaded_paths.contains(&path) {
                continue;
            }
            loaded_paths.push(path.clone());
            match load_file(&path) {
                Ok(catalog) => {
                    if let Some(previous) = &catalog.upgrade_from {
                        let sibling = path.with_file_name(format!("{}.yaml", previous.version));
                        if sibling.exists() && !queue.contains(&sibling) {
                            queue.push(sibling);
                        }
                    }
                    let key = (catalog.id.clone(), catalog.version.clone());
                    if let Some((other, _)) = set.catalogs.get(&key) {
                        problems.push(problem(
                            &path,
                            None,
                            None,
                            format!("catalog {} version {} is also in {}", key.0, key.1, other.display()),
                        ));
                        continue;
                    }
                    texts.insert(path.clone(), std::fs::read_to_string(&path).unwrap_or_default());
                    set.catalogs.insert(key, (path, catalog));
                }
                Err(e) => problems.extend(e.problems),
            }
        }
        for (path, catalog) in set.catalogs.values() {
            let Some(mapping) = &catalog.upgrade_from else { continue };
            let text = texts.get(path).map(String::as_str).unwrap_or_default();
            match set.get(&catalog.id, &mapping.version) {
                Some(previous) => {
                    for (steps, criterion, message) in check_upgrade(previous, catalog) {
                        problems.push(problem(path, Some(text), Some((steps, criterion)), message));
                    }
                }
                None => problems.push(problem(
                    path,
                    Some(text),
                    Some((
                        vec![Step::Key("upgrade_from".into()), Step::Key("version".into())],
                        None,
                    )),
                    format!(
                        "the mapping is from version {} of {}, which is neither given nor beside this file",
                        mapping.version, catalog.id
                    ),
                )),
            }
        }
        if problems.is_empty() {
            Ok(set)
        } else {
            problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            problems.dedup();
            Err(CatalogError { problems })
        }
    }

    /// A set of catalogs built in code, for tests.
    #[cfg(test)]
    pub(crate) fn from_catalogs(catalogs: impl IntoIterator<Item = Catalog>) -> Self {
        CatalogSet {
            catalogs: catalogs
                .into_iter()
                .map(|c| ((c.id.clone(), c.version.clone()), (PathBuf::from("test.yaml"), c)))
                .collect(),
            fingerprint: std::sync::OnceLock::new(),
        }
    }

    /// A digest of every loaded catalog's content (SHA-256 of their canonical JSON): it changes
    /// when a catalog file is edited, added or removed, so that what was computed under other
    /// catalogs is not taken for current.
    pub fn fingerprint(&self) -> &str {
        self.fingerprint.get_or_init(|| {
            let all: Vec<&Catalog> = self.catalogs.values().map(|(_, c)| c).collect();
            crate::hash::sha256_hex(serde_json::to_string(&all).unwrap_or_default().as_bytes())
        })
    }

    /// The catalog `id` at `version`.
    pub fn get(&self, id: &str, version: &semver::Version) -> Option<&Catalog> {
        self.catalogs.get(&(id.to_owned(), version.clone())).map(|(_, c)| c)
    }

    /// The catalog a stored record names by id and version text.
    pub fn named(&self, id: &str, version: &str) -> Result<&Catalog, CatalogNotLoaded> {
        semver::Version::parse(version)
            .ok()
            .and_then(|v| self.get(id, &v))
            .ok_or_else(|| CatalogNotLoaded {
                id: id.to_owned(),
                version: version.to_owned(),
            })
    }

    /// The catalog a PO's own records are assessed under: the newest version its practices use
    /// (`used`, pairs of id and version), or the first catalog's version in force on `today` when
    /// it has no practice.
    pub fn for_organization<'a>(
        &self,
        used: impl IntoIterator<Item = (&'a str, &'a str)>,
        today: chrono::NaiveDate,
    ) -> Result<&Catalog, CatalogNotLoaded> {
        let newest = used
            .into_iter()
            .filter_map(|(id, version)| semver::Version::parse(version).ok().map(|v| (v, id, version)))
            .max_by(|a, b| a.0.cmp(&b.0));
        match newest {
            Some((_, id, version)) => self.named(id, version),
            None => self
                .ids()
                .first()
                .and_then(|id| self.in_force(id, today))
                .ok_or_else(|| CatalogNotLoaded {
                    id: "(none)".into(),
                    version: "(none)".into(),
                }),
        }
    }

    /// The newest version of catalog `id`.
    pub fn latest(&self, id: &str) -> Option<&Catalog> {
        self.catalogs
            .range((id.to_owned(), semver::Version::new(0, 0, 0))..)
            .take_while(|((cid, _), _)| cid == id)
            .last()
            .map(|(_, (_, c))| c)
    }

    /// The version of catalog `id` in force on `date`: the latest effective by then, or the
    /// earliest if none is yet.
    pub fn in_force(&self, id: &str, date: chrono::NaiveDate) -> Option<&Catalog> {
        let versions = || {
            self.catalogs
                .iter()
                .filter(|((cid, _), _)| cid == id)
                .map(|(_, (_, c))| c)
        };
        versions().rfind(|c| c.effective <= date).or_else(|| versions().next())
    }

    /// The distinct catalog ids, in order.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.catalogs.keys().map(|(id, _)| id.as_str()).collect();
        ids.dedup();
        ids
    }

    /// Every catalog with the file it came from, by id then version.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &Catalog)> {
        self.catalogs.values().map(|(p, c)| (p.as_path(), c))
    }

    /// How many catalog versions the set holds.
    pub fn len(&self) -> usize {
        self.catalogs.len()
    }

    /// Whether the set holds no catalog.
    pub fn is_empty(&self) -> bool {
        self.catalogs.is_empty()
    }
}

fn problem(file: &Path, text: Option<&str>, at: Option<(Vec<Step>, Option<&CriterionId>)>, message: String) -> Problem {
    let (steps, criterion) = at.unwrap_or_default();
    let (line, column) = text.and_then(|t| locate_nearest(t, &steps)).unzip();
    Problem {
        file: file.to_owned(),
        line,
        column,
        criterion: criterion.map(ToString::to_string),
        field: (!steps.is_empty()).then(|| path_text(&steps)),
        message,
    }
}

/// Checks the mapping of `new` against the criteria of `previous`.
fn check_upgrade<'a>(previous: &'a Catalog, new: &'a Catalog) -> Vec<(Vec<Step>, Option<&'a CriterionId>, String)> {
    let mut findings = Vec::new();
    let Some(mapping) = &new.upgrade_from else {
        return findings;
    };
    let entry_path = |m: usize, field: &str| {
        vec![
            Step::Key("upgrade_from".into()),
            Step::Key("criteria".into()),
            Step::Index(m),
            Step::Key(field.into()),
        ]
    };
    if previous.id != new.id {
        findings.push((
            vec![Step::Key("id".into())],
            None,
            format!("a version of {} cannot upgrade from catalog {}", new.id, previous.id),
        ));
    }
    for (m, entry) in mapping.criteria.iter().enumerate() {
        let Some(old) = previous.criterion(&entry.from) else {
            findings.push((
                entry_path(m, "from"),
                Some(&entry.from),
                format!("criterion {} is not in version {}", entry.from, previous.version),
            ));
            continue;
        };
        if entry.change == MappingChange::Kept {
            if let Some(kept) = entry.to.first().and_then(|id| new.criterion(id)) {
                let mut differences = Vec::new();
                if kept.text != old.text {
                    differences.push("wording");
                }
                if kept.evidence != old.evidence {
                    differences.push("evidence");
                }
                if kept.scope != old.scope {
                    differences.push("scope");
                }
                if !differences.is_empty() {
                    findings.push((
                        entry_path(m, "change"),
                        Some(&entry.from),
                        format!(
                            "criterion {} is mapped as kept but its {} differs from version {}: map it as changed",
                            entry.from,
                            differences.join(" and "),
                            previous.version
                        ),
                    ));
                }
            }
        }
    }
    for old in &previous.criteria {
        if !mapping.criteria.iter().any(|e| e.from == old.id) {
            findings.push((
                vec![Step::Key("upgrade_from".into()), Step::Key("criteria".into())],
                Some(&old.id),
                format!(
                    "criterion {} of version {} is not mapped: say whether it is kept, changed, split or retired",
                    old.id, previous.version
                ),
            ));
        }
    }
    findings
}
