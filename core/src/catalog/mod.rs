//! The policy catalog: a versioned YAML file of criteria and the evidence each one needs.
//!
//! [`load_file`] and [`parse`] read and validate one catalog; [`CatalogSet`] holds several
//! versions and checks each version's mapping from the one before. The types here are the
//! format: `policy-catalog/schema.json` is generated from them ([`json_schema`]).

mod diff;
pub mod in_words;
mod load;
mod locate;
mod set;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::duration::CalendarDuration;
pub use crate::ids::{CriterionId, Term};
use crate::records::{CarePlanKind, Role};

pub use diff::{diff, CatalogDiff, Change, CriterionChange};
pub use load::{load_file, parse, CatalogError, Problem};
pub use set::{CatalogNotLoaded, CatalogSet};

/// A released version of a policy catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// The catalog's id, the same for all its versions (lower-case words joined by -).
    #[schemars(regex(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    pub id: String,
    /// The semantic version; the file is named after it (`1.0.0.yaml`).
    #[schemars(with = "String", regex(pattern = r"^\d+\.\d+\.\d+$"))]
    pub version: semver::Version,
    /// The day from which this version applies.
    #[serde(deserialize_with = "load::date")]
    pub effective: NaiveDate,
    /// The policy's title.
    #[schemars(length(min = 1))]
    pub title: String,
    /// The policy document the criteria come from.
    #[schemars(length(min = 1))]
    pub source: String,
    /// How the criteria of the previous version map onto this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_from: Option<UpgradeMapping>,
    /// The words the evidence requirements and the records use, each with its label.
    pub vocabulary: Vocabulary,
    /// The criteria, in policy order.
    #[schemars(length(min = 1))]
    pub criteria: Vec<Criterion>,
}

impl Catalog {
    /// The criterion with `id`, if the catalog has it.
    pub fn criterion(&self, id: &CriterionId) -> Option<&Criterion> {
        self.criteria.iter().find(|c| &c.id == id)
    }
}

/// Labels for the terms that evidence requirements and records use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// Training topics, e.g. `chronic_care_model: Chronic Care Model`.
    #[serde(default, deserialize_with = "load::labels")]
    pub training_topics: BTreeMap<Term, String>,
    /// Document types, e.g. `care_management_workflow: Care management workflow`.
    #[serde(default, deserialize_with = "load::labels")]
    pub document_types: BTreeMap<Term, String>,
    /// Survey kinds, e.g. `patient_satisfaction: Patient satisfaction survey`.
    #[serde(default, deserialize_with = "load::labels")]
    pub survey_kinds: BTreeMap<Term, String>,
    /// Periodic report types, e.g. `member_list: Monthly member list`.
    #[serde(default, deserialize_with = "load::labels")]
    pub report_types: BTreeMap<Term, String>,
    /// Team meeting kinds, e.g. `case_conference: Inter-disciplinary case conference`.
    #[serde(default, deserialize_with = "load::labels")]
    pub meeting_kinds: BTreeMap<Term, String>,
}

impl Vocabulary {
    /// The label of a term in one of the lists, or the term itself when it has none.
    pub fn label<'a>(list: &'a BTreeMap<Term, String>, term: &'a Term) -> &'a str {
        list.get(term).map_or(term.as_str(), String::as_str)
    }
}

/// One criterion of the policy and the evidence that shows it is in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// The policy's number, e.g. "4.1".
    pub id: CriterionId,
    /// A short title.
    #[schemars(length(min = 1))]
    pub title: String,
    /// The policy's wording: the requirement being audited.
    #[schemars(length(min = 1))]
    pub text: String,
    /// Who must have it in place: each practice, or the PO.
    pub scope: Scope,
    /// The patient population it concerns, where the policy phases it in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub population: Vec<Population>,
    /// Criteria that the policy pairs with this one or that depend on it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<CriterionId>,
    /// Whether a practice may attest that the criterion does not apply to it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_not_applicable: bool,
    /// The evidence the rules engine checks; all of it is needed for "met".
    #[schemars(length(min = 1))]
    pub evidence: Vec<EvidenceRequirement>,
}

/// Who must have a criterion in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Each practice, from its own records.
    Practice,
    /// The physician organization, over all its practices.
    PhysicianOrganization,
}

/// The patient population a criterion concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Population {
    /// The population the practice selected for initial focus (it must declare one).
    InitialFocus,
    /// All patients of the practice.
    AllPatients,
}

/// One piece of evidence a criterion needs, with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvidenceRequirement {
    /// Staff have completed training on topics recently enough.
    Training(TrainingRequirement),
    /// The practice has a multi-disciplinary care team with the roles it needs.
    CareTeam(CareTeamRequirement),
    /// A current document of the right type is kept.
    Document(DocumentRequirement),
    /// Surveys are done every period and can be trended.
    Survey(SurveyRequirement),
    /// Care plans are established, documented and shared.
    CarePlans(CarePlanRequirement),
    /// Every care plan is shared with all its care partners in time.
    CarePlanSharing(CarePlanSharingRequirement),
    /// Team meetings are held every period and documented.
    TeamMeetings(TeamMeetingRequirement),
    /// A report exists for every period.
    PeriodicReports(PeriodicReportRequirement),
    /// A current attestation says the criterion is in place.
    Attestation(AttestationRequirement),
}

impl EvidenceRequirement {
    /// The requirement's kind as the catalog writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            EvidenceRequirement::Training(_) => "training",
            EvidenceRequirement::CareTeam(_) => "care_team",
            EvidenceRequirement::Document(_) => "document",
            EvidenceRequirement::Survey(_) => "survey",
            EvidenceRequirement::CarePlans(_) => "care_plans",
            EvidenceRequirement::CarePlanSharing(_) => "care_plan_sharing",
            EvidenceRequirement::TeamMeetings(_) => "team_meetings",
            EvidenceRequirement::PeriodicReports(_) => "periodic_reports",
            EvidenceRequirement::Attestation(_) => "attestation",
        }
    }
}

fn full_coverage() -> u8 {
    100
}

fn one() -> u32 {
    1
}

fn two() -> u32 {
    2
}

fn is_full(coverage: &u8) -> bool {
    *coverage == 100
}

/// Staff in the given roles (all active staff when no role is named) are trained on every topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingRequirement {
    /// The topics each staff member needs (terms of `training_topics`).
    #[schemars(length(min = 1))]
    pub topics: Vec<Term>,
    /// The roles concerned; omitted, every active staff member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role>>,
    /// How recent a training must be; omitted, a training counts for ever (onboarding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<CalendarDuration>,
    /// How long a new staff member has, from their first day, before the training is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_staff_grace: Option<CalendarDuration>,
    /// The share of staff, in percent, who must be trained for "met" (default 100).
    #[serde(default = "full_coverage", skip_serializing_if = "is_full")]
    #[schemars(range(min = 1, max = 100))]
    pub coverage: u8,
}

/// The care team: enough distinct disciplines among active staff, and the roles it cannot do without.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CareTeamRequirement {
    /// The roles that count as disciplines of the care team.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disciplines: Vec<Role>,
    /// How many distinct disciplines the team needs.
    #[serde(default)]
    pub min_disciplines: u32,
    /// Roles that must be filled by at least one active staff member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_roles: Vec<Role>,
}

/// A document is kept: of one of the types named, or else one linked to the criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequirement {
    /// Document types that count (terms of `document_types`); omitted, any document linked to the criterion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<Term>,
    /// How recent the document's effective date must be; omitted, any age.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<CalendarDuration>,
}

/// Surveys of each kind are done every period, with enough periods to show a trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyRequirement {
    /// The survey kinds needed (terms of `survey_kinds`).
    #[schemars(length(min = 1))]
    pub kinds: Vec<Term>,
    /// How often each kind must be done.
    pub every: CalendarDuration,
    /// How many periods of results are needed to show a trend.
    #[serde(default = "two")]
    #[schemars(range(min = 1))]
    pub trend_periods: u32,
}

/// Care plans of a kind are established in the period, documented and shared as asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CarePlanRequirement {
    /// The kind of care plan.
    pub plan: CarePlanKind,
    /// The period in which plans must have been discussed.
    pub within: CalendarDuration,
    /// How many plans show the process is in use.
    #[serde(default = "one")]
    #[schemars(range(min = 1))]
    pub min_count: u32,
    /// Each plan must be documented in the patient's medical record.
    #[serde(default)]
    pub documented_in_record: bool,
    /// Each established plan must have been shared with at least one other provider.
    #[serde(default)]
    pub shared_with_provider: bool,
}

/// Every established care plan of a kind is shared with all its care partners within a delay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CarePlanSharingRequirement {
    /// The kind of care plan.
    pub plan: CarePlanKind,
    /// How soon after the plan is established each partner must have a copy.
    pub share_within: CalendarDuration,
    /// The period of established plans that is checked.
    pub within: CalendarDuration,
    /// The share of plans, in percent, that must be fully shared for "met" (default 100).
    #[serde(default = "full_coverage", skip_serializing_if = "is_full")]
    #[schemars(range(min = 1, max = 100))]
    pub coverage: u8,
}

/// Team meetings are held every period, documented in the chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMeetingRequirement {
    /// How often a meeting is needed: whole months dividing a year (P1M, P3M, P6M, P1Y, ...).
    pub every: CalendarDuration,
    /// The look-back period checked, a whole number of `every` periods.
    pub within: CalendarDuration,
    /// Meeting kinds that count (terms of `meeting_kinds`); omitted, any kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<Term>,
    /// Meetings must be documented in the patient chart to count.
    #[serde(default)]
    pub documented_in_chart: bool,
    /// How many distinct disciplines must attend for the meeting to count.
    #[serde(default)]
    pub min_disciplines: u32,
}

/// A report of one of the types exists for every period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodicReportRequirement {
    /// Report types that count (terms of `report_types`).
    #[schemars(length(min = 1))]
    pub report_types: Vec<Term>,
    /// How often a report is needed: whole months dividing a year (P1M, P3M, ...).
    pub every: CalendarDuration,
    /// The look-back period checked, a whole number of `every` periods.
    pub within: CalendarDuration,
}

/// A current attestation says the criterion is in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestationRequirement {
    /// How long an attestation stays current after its effective date.
    pub within: CalendarDuration,
}

/// How the criteria of the previous version map onto this version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpgradeMapping {
    /// The previous version.
    #[schemars(with = "String", regex(pattern = r"^\d+\.\d+\.\d+$"))]
    pub version: semver::Version,
    /// One entry for each criterion of the previous version.
    #[schemars(length(min = 1))]
    pub criteria: Vec<CriterionMapping>,
}

/// What became of one criterion of the previous version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionMapping {
    /// The criterion of the previous version.
    pub from: CriterionId,
    /// What happened to it.
    pub change: MappingChange,
    /// The criteria of this version it became (one for kept and changed, several for split, none for retired).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<CriterionId>,
    /// Why, in a few words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What became of a criterion between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MappingChange {
    /// Same wording and evidence: attestations carry over.
    Kept,
    /// Reworded or given other evidence: it needs a new attestation.
    Changed,
    /// Divided into several criteria.
    Split,
    /// No longer required.
    Retired,
}

/// The JSON Schema of the catalog format, generated from these types.
pub fn json_schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Catalog)).unwrap_or_default();
    if let Some(map) = schema.as_object_mut() {
        map.insert(
            "description".into(),
            "A versioned pcmh-track policy catalog (policy-catalog/<catalog>/<version>.yaml).".into(),
        );
    }
    schema
}
