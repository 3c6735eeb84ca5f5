//! The rules engine: whether a criterion is in place, as of a date, from records.
//!
//! Everything here is a pure function of a catalog, [`Records`] and a date: no database, no
//! clock. One small module per evidence kind, each read like the policy it checks. A
//! criterion is **met** when every requirement is met, **not met** when none is even partly
//! met, and **partially met** in between.

mod attestations;
pub mod attested;
mod care_plans;
mod care_team;
mod documents;
pub mod kept;
mod meetings;
pub mod organization;
mod periods;
mod reports;
mod surveys;
mod training;
pub mod training_grid;
pub mod view;

#[cfg(test)]
mod catalog_tests;
#[cfg(test)]
mod fixtures;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::catalog::{Catalog, Criterion, EvidenceRequirement, Population, Scope};
use crate::ids::CriterionId;
use crate::records::{AttestedStatus, RecordKind, RecordRef, Records};

pub use attestations::{current_attestation, current_attestations};
pub use periods::Period;

/// How far ahead the engine looks for what falls due, unless told otherwise.
pub const DEFAULT_DUE_WITHIN_DAYS: u32 = 60;

/// The computed status of a criterion or of one of its requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Fully shown by the records.
    Met,
    /// Shown in part.
    PartiallyMet,
    /// Not shown.
    NotMet,
    /// Does not apply here.
    NotApplicable,
}

impl Status {
    /// The status in plain words.
    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::PartiallyMet => "partially met",
            Status::NotMet => "not met",
            Status::NotApplicable => "not applicable",
        }
    }

    /// Met when all count, not met when none does, partially met in between.
    pub(crate) fn from_counts(done: usize, total: usize) -> Status {
        match (done, total) {
            (_, 0) | (0, _) => Status::NotMet,
            (d, t) if d >= t => Status::Met,
            _ => Status::PartiallyMet,
        }
    }

    /// Met when at least `coverage` percent of `total` are done (or there is nothing yet to
    /// judge), partially met when some are, not met when none is.
    pub(crate) fn from_coverage(done: usize, total: usize, coverage: u8) -> Status {
        if done * 100 >= total * usize::from(coverage) {
            Status::Met
        } else if done > 0 {
            Status::PartiallyMet
        } else {
            Status::NotMet
        }
    }

    /// Combines the statuses of several parts: met if all are, not met if none is at all.
    pub fn combine(parts: impl IntoIterator<Item = Status>) -> Status {
        let parts: Vec<Status> = parts.into_iter().filter(|s| *s != Status::NotApplicable).collect();
        if parts.is_empty() {
            Status::NotApplicable
        } else if parts.iter().all(|s| *s == Status::Met) {
            Status::Met
        } else if parts.iter().all(|s| *s == Status::NotMet) {
            Status::NotMet
        } else {
            Status::PartiallyMet
        }
    }
}

/// Something that falls due: a training to renew, a meeting to hold, a share to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DueItem {
    /// The last day it can be done in time.
    pub due_on: NaiveDate,
    /// What is due, in plain words.
    pub what: String,
    /// Whether the day has already passed.
    pub overdue: bool,
    /// The records it concerns.
    pub records: Vec<RecordRef>,
}

/// Expected against actual occurrences of a recurring requirement in the period checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Occurrences {
    /// How often, in words ("monthly", "quarterly").
    pub every: String,
    /// How many periods were checked.
    pub expected: u32,
    /// How many of them had what was needed.
    pub held: u32,
    /// The periods that did not, e.g. "2026-03".
    pub missing: Vec<String>,
}

/// The outcome of one evidence requirement.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RequirementResult {
    /// The requirement's kind as the catalog writes it.
    pub kind: String,
    /// Its status.
    pub status: Status,
    /// Why, in plain words.
    pub reasons: Vec<String>,
    /// The records that support it.
    pub records: Vec<RecordRef>,
    /// What falls due or is overdue.
    pub due: Vec<DueItem>,
    /// For recurring requirements, expected against actual occurrences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrences: Option<Occurrences>,
}

impl RequirementResult {
    pub(crate) fn new(kind: &str, status: Status) -> Self {
        RequirementResult {
            kind: kind.to_owned(),
            status,
            reasons: Vec::new(),
            records: Vec::new(),
            due: Vec::new(),
            occurrences: None,
        }
    }

    pub(crate) fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reasons.push(reason.into());
        self
    }
}

/// The computed status of one criterion as of a date, with its reasons and supporting records.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CriterionResult {
    /// The criterion.
    pub criterion: CriterionId,
    /// Its short title.
    pub title: String,
    /// The computed status.
    pub status: Status,
    /// Why, in plain words, requirement by requirement.
    pub reasons: Vec<String>,
    /// The records that support it.
    pub records: Vec<RecordRef>,
    /// What falls due within the horizon, and what is overdue, by date.
    pub due: Vec<DueItem>,
    /// The outcome of each requirement.
    pub requirements: Vec<RequirementResult>,
}

/// What to evaluate against: the catalog, the records, the date, and who is assessed.
#[derive(Debug, Clone, Copy)]
pub struct Evaluation<'a> {
    /// The catalog version in force.
    pub catalog: &'a Catalog,
    /// The records of the practice (or of the PO and all its practices).
    pub records: &'a Records,
    /// The day the status is computed for.
    pub as_of: NaiveDate,
    /// How many days ahead to look for what falls due.
    pub due_within_days: u32,
    /// Who is assessed: a practice, or the PO as a whole.
    pub subject: Scope,
}

impl<'a> Evaluation<'a> {
    /// An evaluation of a practice's records as of `as_of`, looking 60 days ahead.
    pub fn for_practice(catalog: &'a Catalog, records: &'a Records, as_of: NaiveDate) -> Self {
        Evaluation {
            catalog,
            records,
            as_of,
            due_within_days: DEFAULT_DUE_WITHIN_DAYS,
            subject: Scope::Practice,
        }
    }

    /// An evaluation of a PO with all its practices' records as of `as_of`, looking 60 days ahead.
    pub fn for_organization(catalog: &'a Catalog, records: &'a Records, as_of: NaiveDate) -> Self {
        Evaluation {
            subject: Scope::PhysicianOrganization,
            ..Self::for_practice(catalog, records, as_of)
        }
    }

    /// The last day of the look-ahead horizon.
    pub fn horizon(&self) -> NaiveDate {
        self.as_of
            .checked_add_days(Days::new(u64::from(self.due_within_days)))
            .unwrap_or(NaiveDate::MAX)
    }

    /// A due item if `due_on` is overdue or within the horizon, else nothing.
    pub(crate) fn due(&self, due_on: NaiveDate, what: impl Into<String>, records: Vec<RecordRef>) -> Option<DueItem> {
        (due_on <= self.horizon()).then(|| DueItem {
            due_on,
            what: what.into(),
            overdue: due_on < self.as_of,
            records,
        })
    }
}

/// Evaluates every criterion of the catalog, in catalog order.
pub fn evaluate_all(evaluation: &Evaluation) -> Vec<CriterionResult> {
    evaluation
        .catalog
        .criteria
        .iter()
        .map(|criterion| evaluate(evaluation, criterion))
        .collect()
}

/// Evaluates one criterion as of the evaluation's date.
pub fn evaluate(evaluation: &Evaluation, criterion: &Criterion) -> CriterionResult {
    let mut result = CriterionResult {
        criterion: criterion.id.clone(),
        title: criterion.title.clone(),
        status: Status::NotApplicable,
        reasons: Vec::new(),
        records: Vec::new(),
        due: Vec::new(),
        requirements: Vec::new(),
    };
    if criterion.scope != evaluation.subject {
        result.reasons.push(match criterion.scope {
            Scope::PhysicianOrganization => {
                format!(
                    "{} is assessed for the physician organization as a whole, not for each practice",
                    criterion.id
                )
            }
            Scope::Practice => format!(
                "{} is assessed for each practice, not for the physician organization",
                criterion.id
            ),
        });
        return result;
    }
    let attestation = current_attestation(evaluation.records, &criterion.id, evaluation.as_of);
    if let Some(a) = attestation.filter(|a| a.status == AttestedStatus::NotApplicable) {
        if criterion.allow_not_applicable {
            result.records.push(RecordRef::new(RecordKind::Attestation, a.id.0));
            result.reasons.push(format!(
                "attested not applicable by {} ({}) effective {}: {}",
                a.signer, a.signer_role, a.effective_on, a.statement
            ));
            return result;
        }
    }

    if criterion.population.contains(&Population::InitialFocus)
        && !criterion.population.contains(&Population::AllPatients)
    {
        result.requirements.push(initial_focus_declared(evaluation));
    }
    for requirement in &criterion.evidence {
        let outcome = match requirement {
            EvidenceRequirement::Training(r) => training::evaluate(evaluation, r),
            EvidenceRequirement::CareTeam(r) => care_team::evaluate(evaluation, r),
            EvidenceRequirement::Document(r) => documents::evaluate(evaluation, criterion, r),
            EvidenceRequirement::Survey(r) => surveys::evaluate(evaluation, r),
            EvidenceRequirement::CarePlans(r) => care_plans::evaluate_plans(evaluation, r),
            EvidenceRequirement::CarePlanSharing(r) => care_plans::evaluate_sharing(evaluation, r),
            EvidenceRequirement::TeamMeetings(r) => meetings::evaluate(evaluation, r),
            EvidenceRequirement::PeriodicReports(r) => reports::evaluate(evaluation, r),
            EvidenceRequirement::Attestation(r) => attestations::evaluate(evaluation, criterion, r),
        };
        result.requirements.push(outcome);
    }
    result.status = Status::combine(result.requirements.iter().map(|r| r.status));
    for requirement in &result.requirements {
        result.reasons.extend(requirement.reasons.iter().cloned());
        for record in &requirement.records {
            if !result.records.contains(record) {
                result.records.push(*record);
            }
        }
        result.due.extend(requirement.due.iter().cloned());
    }
    result.records.sort();
    result.due.sort_by(|a, b| (a.due_on, &a.what).cmp(&(b.due_on, &b.what)));
    result
}

/// Initial-focus criteria need the practice to have declared which population it focuses on.
fn initial_focus_declared(evaluation: &Evaluation) -> RequirementResult {
    let practices = &evaluation.records.practices;
    let declared: Vec<_> = practices
        .iter()
        .filter(|p| p.initial_focus_population.is_some())
        .collect();
    let status = Status::from_counts(declared.len(), practices.len());
    let mut result = RequirementResult::new("initial_focus_population", status);
    result.records = declared
        .iter()
        .map(|p| RecordRef::new(RecordKind::Practice, p.id.0))
        .collect();
    for practice in practices {
        result.reasons.push(match &practice.initial_focus_population {
            Some(population) => format!("{} declared its initial-focus population: {population}", practice.name),
            None => format!(
                "{} has not declared the patient population selected for initial focus",
                practice.name
            ),
        });
    }
    if practices.is_empty() {
        result
            .reasons
            .push("no practice is on record to declare an initial-focus population".into());
    }
    result
}

/// "A, B and C" from a list of names, with at most `max` named and the rest counted.
pub(crate) fn name_list(names: &[String], max: usize) -> String {
    let shown: Vec<&str> = names.iter().take(max).map(String::as_str).collect();
    let rest = names.len().saturating_sub(max);
    let mut text = shown.join(", ");
    if rest > 0 {
        text.push_str(&format!(" and {rest} more"));
    }
    text
}

/// "1 staff member" / "3 staff members".
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
