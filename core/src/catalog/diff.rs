//! What changed between two versions of a catalog.

use serde::Serialize;

use super::{Catalog, Criterion, CriterionId, MappingChange};

/// What became of a criterion between two versions, added ones included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Same wording and evidence.
    Kept,
    /// Reworded or given other evidence.
    Changed,
    /// Divided into several criteria.
    Split,
    /// No longer required.
    Retired,
    /// New in the newer version.
    Added,
}

impl Change {
    /// The change as one word.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Kept => "kept",
            Change::Changed => "changed",
            Change::Split => "split",
            Change::Retired => "retired",
            Change::Added => "added",
        }
    }
}

impl From<MappingChange> for Change {
    fn from(change: MappingChange) -> Self {
        match change {
            MappingChange::Kept => Change::Kept,
            MappingChange::Changed => Change::Changed,
            MappingChange::Split => Change::Split,
            MappingChange::Retired => Change::Retired,
        }
    }
}

/// What became of one criterion between two versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionChange {
    /// The criterion of the old version (none for a criterion added by the new one).
    pub from: Option<CriterionId>,
    /// The criteria of the new version it became.
    pub to: Vec<CriterionId>,
    /// Kept, changed, split, retired, or added.
    pub change: Change,
    /// The mapping's note, if it gave one.
    pub note: Option<String>,
    /// Which parts differ (title, wording, scope, population, evidence, ...).
    pub differences: Vec<&'static str>,
}

/// The changes between two versions, in the old version's criterion order then the added ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogDiff {
    /// The catalog id.
    pub catalog: String,
    /// The old version.
    pub from_version: String,
    /// The new version.
    pub to_version: String,
    /// Whether the new version declares its mapping from the old one (else ids were matched).
    pub declared_mapping: bool,
    /// One entry per old criterion, then one per added criterion.
    pub changes: Vec<CriterionChange>,
}

fn differences(old: &Criterion, new: &Criterion) -> Vec<&'static str> {
    let mut out = Vec::new();
    if old.id != new.id {
        out.push("id");
    }
    if old.title != new.title {
        out.push("title");
    }
    if old.text != new.text {
        out.push("wording");
    }
    if old.scope != new.scope {
        out.push("scope");
    }
    if old.population != new.population {
        out.push("population");
    }
    if old.related != new.related {
        out.push("related");
    }
    if old.allow_not_applicable != new.allow_not_applicable {
        out.push("not-applicable rule");
    }
    if old.evidence != new.evidence {
        out.push("evidence");
    }
    out
}

/// Compares two versions, using the new version's mapping when it declares one from `old`,
/// and matching criteria by id otherwise.
pub fn diff(old: &Catalog, new: &Catalog) -> CatalogDiff {
    let mapping = new.upgrade_from.as_ref().filter(|m| m.version == old.version);
    let mut changes = Vec::new();
    for criterion in &old.criteria {
        let change = match mapping.and_then(|m| m.criteria.iter().find(|e| e.from == criterion.id)) {
            Some(entry) => {
                let differences = match (entry.change, entry.to.as_slice()) {
                    (MappingChange::Kept | MappingChange::Changed, [one]) => new
                        .criterion(one)
                        .map(|n| differences(criterion, n))
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                CriterionChange {
                    from: Some(criterion.id.clone()),
                    to: entry.to.clone(),
                    change: entry.change.into(),
                    note: entry.note.clone(),
                    differences,
                }
            }
            None => match new.criterion(&criterion.id) {
                Some(same) => {
                    let differences = differences(criterion, same);
                    CriterionChange {
                        from: Some(criterion.id.clone()),
                        to: vec![same.id.clone()],
                        change: if differences.is_empty() {
                            Change::Kept
                        } else {
                            Change::Changed
                        },
                        note: None,
                        differences,
                    }
                }
                None => CriterionChange {
                    from: Some(criterion.id.clone()),
                    to: Vec::new(),
                    change: Change::Retired,
                    note: None,
                    differences: Vec::new(),
                },
            },
        };
        changes.push(change);
    }
    for criterion in &new.criteria {
        let reached = changes.iter().any(|c| c.to.contains(&criterion.id));
        if !reached {
            changes.push(CriterionChange {
                from: None,
                to: vec![criterion.id.clone()],
                change: Change::Added,
                note: None,
                differences: Vec::new(),
            });
        }
    }
    CatalogDiff {
        catalog: new.id.clone(),
        from_version: old.version.to_string(),
        to_version: new.version.to_string(),
        declared_mapping: mapping.is_some(),
        changes,
    }
}
