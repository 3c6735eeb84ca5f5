//! The training grid: each active staff member against each topic the catalog's practice-level
//! training requirements name, with the last training, when it lapses, and where it stands.
//! Pure, like every rule: the catalog, the records and a day.

use chrono::NaiveDate;

use crate::catalog::{Catalog, EvidenceRequirement, Scope, TrainingRequirement, Vocabulary};
use crate::records::{Records, Staff};

/// Where one staff member stands on one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Trained, and it does not lapse within 30 days.
    Current,
    /// Trained, but it lapses within 30 days.
    DueSoon,
    /// Trained once, but it has lapsed.
    Lapsed,
    /// Never trained, and the new-staff grace period is over (or there is none).
    Missing,
    /// Not trained yet, within the new-staff grace period.
    InGrace,
    /// Not concerned: the requirement names other roles.
    NotRequired,
}

impl Standing {
    /// The standing in words.
    pub fn label(self) -> &'static str {
        match self {
            Standing::Current => "current",
            Standing::DueSoon => "due within 30 days",
            Standing::Lapsed => "lapsed",
            Standing::Missing => "missing",
            Standing::InGrace => "new staff, not yet due",
            Standing::NotRequired => "not required",
        }
    }
}

/// One cell of the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridCell {
    /// The day of the last training on the topic, if any.
    pub last: Option<NaiveDate>,
    /// The day it lapses (or, for a new staff member, the day it falls due).
    pub due_on: Option<NaiveDate>,
    /// Where it stands.
    pub standing: Standing,
}

/// The grid: topics (term and label) as columns, staff as rows.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingGrid {
    /// The topics, each with its label.
    pub topics: Vec<(String, String)>,
    /// Each active staff member with one cell per topic.
    pub rows: Vec<(Staff, Vec<GridCell>)>,
}

/// The grid of the practice's `records` as of `as_of` under `catalog`.
pub fn training_grid(catalog: &Catalog, records: &Records, as_of: NaiveDate) -> TrainingGrid {
    let requirements: Vec<&TrainingRequirement> = catalog
        .criteria
        .iter()
        .filter(|c| c.scope == Scope::Practice)
        .flat_map(|c| c.evidence.iter())
        .filter_map(|e| match e {
            EvidenceRequirement::Training(t) => Some(t),
            _ => None,
        })
        .collect();
    let mut topics: Vec<(String, String)> = Vec::new();
    for requirement in &requirements {
        for topic in &requirement.topics {
            if !topics.iter().any(|(t, _)| t == topic.as_str()) {
                let label = Vocabulary::label(&catalog.vocabulary.training_topics, topic);
                topics.push((topic.as_str().to_owned(), label.to_owned()));
            }
        }
    }
    let rows = records
        .staff
        .iter()
        .filter(|s| s.is_active_on(as_of))
        .map(|staff| {
            let cells = topics
                .iter()
                .map(|(topic, _)| {
                    let requirement = requirements.iter().find(|r| {
                        r.topics.iter().any(|t| t.as_str() == topic)
                            && r.roles.as_ref().is_none_or(|roles| roles.contains(&staff.role))
                    });
                    let last = records
                        .trainings
                        .iter()
                        .filter(|t| t.staff_id == staff.id && t.topic.as_str() == topic && t.completed_on <= as_of)
                        .map(|t| t.completed_on)
                        .max();
                    let Some(requirement) = requirement else {
                        return GridCell {
                            last,
                            due_on: None,
                            standing: Standing::NotRequired,
                        };
                    };
                    let lapses = last.and_then(|d| requirement.within.and_then(|w| w.after(d)));
                    let grace_ends = requirement.new_staff_grace.and_then(|g| g.after(staff.started_on));
                    let (standing, due_on) = match (last, lapses) {
                        (Some(_), Some(end)) if end < as_of => (Standing::Lapsed, Some(end)),
                        (Some(_), Some(end)) if (end - as_of).num_days() <= 30 => (Standing::DueSoon, Some(end)),
                        (Some(_), end) => (Standing::Current, end),
                        (None, _) if grace_ends.is_some_and(|g| as_of <= g) => (Standing::InGrace, grace_ends),
                        (None, _) => (Standing::Missing, grace_ends),
                    };
                    GridCell { last, due_on, standing }
                })
                .collect();
            (staff.clone(), cells)
        })
        .collect();
    TrainingGrid { topics, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::parse;
    use crate::rules::fixtures::{d, Book};

    #[test]
    fn each_cell_says_where_the_staff_member_stands() {
        let catalog = parse(
            include_str!("../../../policy-catalog/domain-4/1.0.0.yaml"),
            std::path::Path::new("1.0.0.yaml"),
        )
        .unwrap();
        let mut f = Book::new();
        let as_of = d("2026-06-30");
        let veteran = f.staff("Ana Lopez", crate::records::Role::Physician, "2020-01-01");
        f.staff("Ben Okafor", crate::records::Role::Nurse, "2026-06-01");
        f.training(veteran, "chronic_care_model", "2025-07-15");
        f.training(veteran, "pcmh_n_model", "2024-01-01");
        let grid = training_grid(&catalog, &f.records, as_of);
        let at = |who: usize, topic: &str| {
            let t = grid.topics.iter().position(|(t, _)| t == topic).unwrap();
            grid.rows[who].1[t].standing
        };
        assert_eq!(grid.rows.len(), 2);
        assert_eq!(at(0, "chronic_care_model"), Standing::DueSoon);
        assert_eq!(at(0, "pcmh_n_model"), Standing::Lapsed);
        assert_eq!(at(0, "practice_transformation"), Standing::Missing);
        assert_eq!(at(1, "chronic_care_model"), Standing::InGrace);
    }
}
