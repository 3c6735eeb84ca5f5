//! NIST OSCAL (JSON, `oscal-version` 1.1.3): a catalog version as an OSCAL `catalog`, and a
//! practice's or a PO's evaluation as of a day as `assessment-results`.
//!
//! Pure functions of the catalog and of the same compliance views the API and the packets use.
//! The documents are deterministic: every UUID is a version 5 UUID derived from stable names
//! (the catalog, the practice, the criterion, the record, the day), and every timestamp is
//! derived from a day (the catalog's effective day at 00:00 UTC; the as-of day at 00:00 in the
//! practice's time zone), so the same records always give the same bytes. No array is ever
//! written empty and no value is ever null: OSCAL wants at least one item or none at all.
//!
//! How our words map onto OSCAL:
//! - a criterion `4.1` is the control `pcmh-4.1` with a `label` prop `4.1`, a `statement` part
//!   (`pcmh-4.1_smt`, the policy's wording) and an `assessment-objective` part (`pcmh-4.1_obj`,
//!   its evidence requirements in words); controls are grouped by scope (`practice`,
//!   `physician-organization`);
//! - a finding targets the criterion's objective: met is `satisfied` and implemented, partially
//!   met `not-satisfied` and partial, not met `not-satisfied` (no implementation status: nothing
//!   is planned). OSCAL's objective status has only `satisfied` and `not-satisfied`, so not
//!   applicable is the implementation status `not-applicable` (with the reason in its remarks)
//!   beside the status `satisfied` with the reason token `not-applicable`: a criterion that does
//!   not apply asks nothing more of the practice;
//! - each supporting record is an observation (`EXAMINE`, collected on the record's day); the
//!   attestation in force is an observation (`INTERVIEW`, type `attestation`); evidence
//!   documents are back-matter resources with their SHA-256.
//!
//! Our own props carry the namespace [`NAMESPACE`].

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, TimeZone};
use serde::Serialize;
use uuid::Uuid;

use crate::catalog::in_words::{self, list as words};
use crate::catalog::{Catalog, Criterion, Population, Scope, Vocabulary};
use crate::ids::{CriterionId, DocumentId};
use crate::records::{Attestation, Organization, Practice, RecordKind, RecordRef, Records};
use crate::rules::view::{AttestedCriterion, OrganizationCompliance, PracticeCompliance};
use crate::rules::Status;
use crate::store::documents::StoredDocument;

/// The OSCAL version the documents are written against.
pub const OSCAL_VERSION: &str = "1.1.3";

/// The namespace of pcmh-track's own props (OSCAL props without `ns` are OSCAL's own).
pub const NAMESPACE: &str = "https://pcmh-track.org/ns/oscal";

/// The UUID namespace every UUID of our documents is derived in (a v5 UUID of [`NAMESPACE`]).
fn uuid_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, NAMESPACE.as_bytes())
}

/// The version 5 UUID of a stable name.
fn uuid_of(name: &str) -> String {
    Uuid::new_v5(&uuid_namespace(), name.as_bytes()).to_string()
}

/// The control id of a criterion: `4.1` becomes `pcmh-4.1` (OSCAL ids must start with a letter).
pub fn control_id(criterion: &CriterionId) -> String {
    format!("pcmh-{criterion}")
}

/// The id of a criterion's assessment objective, which findings target.
pub fn objective_id(criterion: &CriterionId) -> String {
    format!("pcmh-{criterion}_obj")
}

/// A text on one line, trimmed (OSCAL's titles and strings allow no line break or outer space).
fn line(text: &str, fallback: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        fallback.to_owned()
    } else {
        joined
    }
}

/// Some(list) unless it is empty.
fn some<T>(list: Vec<T>) -> Option<Vec<T>> {
    (!list.is_empty()).then_some(list)
}

/// A timestamp as OSCAL writes it: seconds, and its offset (`Z` for UTC).
fn timestamp(at: DateTime<FixedOffset>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The first instant of `day` in the IANA time zone `zone` (UTC for a name that is not one),
/// with its offset. A day whose midnight a clock change skips starts at the first hour it has.
pub fn start_of_day(day: NaiveDate, zone: &str) -> DateTime<FixedOffset> {
    let utc = || day.and_time(chrono::NaiveTime::MIN).and_utc().fixed_offset();
    let Ok(tz) = zone.parse::<chrono_tz::Tz>() else {
        return utc();
    };
    (0..24)
        .filter_map(|hour| day.and_hms_opt(hour, 0, 0))
        .find_map(|local| tz.from_local_datetime(&local).earliest())
        .map_or_else(utc, |at| at.fixed_offset())
}

// ---------------------------------------------------------------------------------------------
// The OSCAL structures written (only the fields used).

/// A name/value property; ours carry [`NAMESPACE`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Prop {
    /// The property's name.
    pub name: String,
    /// Its namespace: none for OSCAL's own props.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ns: Option<String>,
    /// Its value.
    pub value: String,
}

impl Prop {
    /// One of OSCAL's own props.
    fn oscal(name: &str, value: impl Into<String>) -> Self {
        Prop {
            name: name.into(),
            ns: None,
            value: value.into(),
        }
    }

    /// One of ours.
    fn ours(name: &str, value: impl Into<String>) -> Self {
        Prop {
            name: name.into(),
            ns: Some(NAMESPACE.into()),
            value: value.into(),
        }
    }
}

/// A link to another element or resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Link {
    /// Where it points.
    pub href: String,
    /// How the target relates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
}

/// A document's metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Metadata {
    /// Its title.
    pub title: String,
    /// When it was last changed (derived from a day, so it is the same every time).
    pub last_modified: String,
    /// The document's version.
    pub version: String,
    /// The OSCAL version it conforms to.
    pub oscal_version: String,
    /// Our props.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub props: Option<Vec<Prop>>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// A part of a control: its statement or its assessment objective.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Part {
    /// The part's id.
    pub id: String,
    /// Its name (`statement`, `assessment-objective`).
    pub name: String,
    /// Its text (Markdown).
    pub prose: String,
    /// Our props.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub props: Option<Vec<Prop>>,
}

/// A control: one criterion.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Control {
    /// `pcmh-` and the criterion id.
    pub id: String,
    /// Always `criterion`.
    pub class: String,
    /// The criterion's title.
    pub title: String,
    /// Its label (the criterion id) and our props.
    pub props: Vec<Prop>,
    /// The criteria it is related to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Link>>,
    /// Its statement and assessment objective.
    pub parts: Vec<Part>,
}

/// The criteria of one scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Group {
    /// `practice` or `physician-organization`.
    pub id: String,
    /// Always `scope`.
    pub class: String,
    /// Who the criteria concern.
    pub title: String,
    /// The criteria, in policy order.
    pub controls: Vec<Control>,
}

/// A hash of a resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Hash {
    /// Always `SHA-256`.
    pub algorithm: String,
    /// Lower-case hex.
    pub value: String,
}

/// Where a resource can be read, and its hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Rlink {
    /// Where.
    pub href: String,
    /// Its media type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Its hashes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashes: Option<Vec<Hash>>,
}

/// A back-matter resource: an evidence document, or the note that there is no assessment plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Resource {
    /// Its UUID.
    pub uuid: String,
    /// Its title.
    pub title: String,
    /// What it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Our props.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub props: Option<Vec<Prop>>,
    /// Where it can be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rlinks: Option<Vec<Rlink>>,
}

/// The resources a document refers to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct BackMatter {
    /// The resources (never empty when written).
    pub resources: Vec<Resource>,
}

/// An OSCAL catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct OscalCatalogBody {
    /// Its UUID.
    pub uuid: String,
    /// Its metadata.
    pub metadata: Metadata,
    /// The criteria, by scope.
    pub groups: Vec<Group>,
}

/// An OSCAL catalog document: `{"catalog": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct OscalCatalog {
    /// The catalog.
    pub catalog: OscalCatalogBody,
}

/// Where the assessment plan is: a back-matter resource saying there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ImportAp {
    /// `#` and the resource's UUID.
    pub href: String,
}

/// One control named as reviewed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SelectControl {
    /// The control's id.
    pub control_id: String,
}

/// The controls a result reviewed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ControlSelection {
    /// Every control (written `{}`), when there is no criterion to name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_all: Option<BTreeMap<String, String>>,
    /// The controls named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_controls: Option<Vec<SelectControl>>,
}

/// The controls a result reviewed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReviewedControls {
    /// One selection.
    pub control_selections: Vec<ControlSelection>,
}

/// Evidence an observation rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RelevantEvidence {
    /// `#` and a back-matter resource's UUID.
    pub href: String,
    /// What it is.
    pub description: String,
}

/// An observation: a record examined, or the attestation in force.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Observation {
    /// Its UUID.
    pub uuid: String,
    /// Its title.
    pub title: String,
    /// What was observed.
    pub description: String,
    /// The kind and id of the record, in our props.
    pub props: Vec<Prop>,
    /// `EXAMINE` for a record, `INTERVIEW` for an attestation.
    pub methods: Vec<String>,
    /// `attestation` for the attestation in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    /// The evidence documents it rests on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relevant_evidence: Option<Vec<RelevantEvidence>>,
    /// The record's day at 00:00 in the practice's time zone.
    pub collected: String,
}

/// Whether the objective is satisfied.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ObjectiveStatus {
    /// `satisfied` or `not-satisfied`.
    pub state: String,
    /// `pass`, `fail` or `not-applicable`.
    pub reason: String,
    /// Why, for a criterion that does not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// How far the criterion is implemented.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ImplementationStatus {
    /// `implemented`, `partial` or `not-applicable`.
    pub state: String,
    /// Why, for a criterion that does not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// What a finding concludes about a criterion's objective.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct FindingTarget {
    /// Always `objective-id`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The criterion's objective id.
    pub target_id: String,
    /// The conclusion.
    pub status: ObjectiveStatus,
    /// How far it is implemented (none for not met).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation_status: Option<ImplementationStatus>,
}

/// An observation a finding rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RelatedObservation {
    /// Its UUID.
    pub observation_uuid: String,
}

/// The finding on one criterion.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Finding {
    /// Its UUID.
    pub uuid: String,
    /// The criterion and its title.
    pub title: String,
    /// The computed status and its reasons.
    pub description: String,
    /// The computed status, its agreement with the attestation, in our props.
    pub props: Vec<Prop>,
    /// The conclusion about the criterion's objective.
    pub target: FindingTarget,
    /// The records and the attestation it rests on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_observations: Option<Vec<RelatedObservation>>,
}

/// One evaluation: of a practice, or of the PO's own criteria.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AssessmentResult {
    /// Its UUID.
    pub uuid: String,
    /// Who was evaluated, as of when.
    pub title: String,
    /// What was evaluated.
    pub description: String,
    /// The as-of day at 00:00 in the practice's time zone.
    pub start: String,
    /// The catalog and the practice or PO, in our props.
    pub props: Vec<Prop>,
    /// The criteria evaluated.
    pub reviewed_controls: ReviewedControls,
    /// The records examined and the attestations in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observations: Option<Vec<Observation>>,
    /// One finding per criterion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<Finding>>,
}

/// An OSCAL assessment-results body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AssessmentResultsBody {
    /// Its UUID.
    pub uuid: String,
    /// Its metadata.
    pub metadata: Metadata,
    /// The note that there is no separate assessment plan.
    pub import_ap: ImportAp,
    /// The evaluations.
    pub results: Vec<AssessmentResult>,
    /// The note on the assessment plan and the evidence documents.
    pub back_matter: BackMatter,
}

/// An OSCAL assessment-results document: `{"assessment-results": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct OscalAssessmentResults {
    /// The assessment results.
    pub assessment_results: AssessmentResultsBody,
}

/// An OSCAL document as pretty-printed JSON bytes (the same value always gives the same bytes).
pub fn to_json<T: Serialize>(document: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(document).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

// ---------------------------------------------------------------------------------------------
// The catalog.

/// A scope's group id and title.
fn scope_group(scope: Scope) -> (&'static str, &'static str) {
    match scope {
        Scope::Practice => ("practice", "Criteria each practice meets from its own records"),
        Scope::PhysicianOrganization => (
            "physician-organization",
            "Criteria the physician organization meets over all its practices",
        ),
    }
}

/// A criterion as an OSCAL control.
fn control(criterion: &Criterion, vocabulary: &Vocabulary) -> Control {
    let id = control_id(&criterion.id);
    let mut props = vec![
        Prop::oscal("label", criterion.id.as_str()),
        Prop::ours("scope", scope_group(criterion.scope).0),
    ];
    for population in &criterion.population {
        props.push(Prop::ours(
            "population",
            match population {
                Population::InitialFocus => "initial-focus",
                Population::AllPatients => "all-patients",
            },
        ));
    }
    if criterion.allow_not_applicable {
        props.push(Prop::ours("allow-not-applicable", "true"));
    }
    let links = criterion
        .related
        .iter()
        .map(|r| Link {
            href: format!("#{}", control_id(r)),
            rel: Some("related".into()),
        })
        .collect();
    let requirements: Vec<String> = criterion
        .evidence
        .iter()
        .map(|r| format!("- {}", in_words::requirement(r, vocabulary)))
        .collect();
    let objective = format!(
        "The records show {}the following:\n\n{}",
        if criterion.evidence.len() == 1 { "" } else { "all of " },
        requirements.join("\n")
    );
    let kinds = criterion
        .evidence
        .iter()
        .map(|r| Prop::ours("evidence-kind", r.kind().replace('_', "-")))
        .collect();
    Control {
        class: "criterion".into(),
        title: line(&criterion.title, criterion.id.as_str()),
        props,
        links: some(links),
        parts: vec![
            Part {
                id: format!("{id}_smt"),
                name: "statement".into(),
                prose: criterion.text.trim().to_owned(),
                props: None,
            },
            Part {
                id: objective_id(&criterion.id),
                name: "assessment-objective".into(),
                prose: objective,
                props: some(kinds),
            },
        ],
        id,
    }
}

/// A catalog version as an OSCAL catalog: every criterion a control, grouped by scope.
/// `last-modified` is the version's effective day at 00:00 UTC.
pub fn catalog(catalog: &Catalog) -> OscalCatalog {
    let groups = [Scope::Practice, Scope::PhysicianOrganization]
        .into_iter()
        .filter_map(|scope| {
            let controls: Vec<Control> = catalog
                .criteria
                .iter()
                .filter(|c| c.scope == scope)
                .map(|c| control(c, &catalog.vocabulary))
                .collect();
            let (id, title) = scope_group(scope);
            (!controls.is_empty()).then(|| Group {
                id: id.into(),
                class: "scope".into(),
                title: title.into(),
                controls,
            })
        })
        .collect();
    let mut props = vec![Prop::ours("catalog-id", catalog.id.clone())];
    if let Some(from) = &catalog.upgrade_from {
        props.push(Prop::ours("upgrades-from", from.version.to_string()));
    }
    OscalCatalog {
        catalog: OscalCatalogBody {
            uuid: uuid_of(&format!("catalog/{}/{}", catalog.id, catalog.version)),
            metadata: Metadata {
                title: line(&catalog.title, &catalog.id),
                last_modified: timestamp(start_of_day(catalog.effective, "UTC")),
                version: catalog.version.to_string(),
                oscal_version: OSCAL_VERSION.into(),
                props: Some(props),
                remarks: Some(format!(
                    "The criteria of {} (pcmh-track catalog {} version {}), in force from {}. \
                     Source: {}. Props in the namespace {NAMESPACE} are pcmh-track's own.",
                    line(&catalog.title, &catalog.id),
                    catalog.id,
                    catalog.version,
                    catalog.effective,
                    line(&catalog.source, "not named")
                )),
            },
            groups,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Assessment results.

/// An evidence document offered to an assessment, with where it can be read.
#[derive(Debug, Clone)]
pub struct EvidenceDocument<'a> {
    /// The document and the facts of its file (its SHA-256).
    pub document: &'a StoredDocument,
    /// Where its file can be read: an API path, or its path relative to the OSCAL file.
    pub href: String,
}

/// What one result is made from: a practice's view, or the PO's own criteria.
struct Subject<'a> {
    /// `practice/{id}` or `organization/{id}`: the start of every UUID name of the result.
    name: String,
    /// Who, in words.
    title: String,
    /// The IANA time zone its days are read in.
    time_zone: &'a str,
    /// The day evaluated.
    as_of: NaiveDate,
    /// The catalog evaluated against.
    catalog: &'a Catalog,
    /// The criteria with their results and attestations.
    criteria: &'a [AttestedCriterion],
    /// The records the results point to.
    records: &'a Records,
    /// Our props of the result.
    props: Vec<Prop>,
}

/// A record's day (the day it counts from), what it is in words, and the document it keeps.
fn record_facts(
    records: &Records,
    vocabulary: &Vocabulary,
    record: RecordRef,
) -> (Option<NaiveDate>, String, Option<DocumentId>) {
    let id = record.id;
    match record.kind {
        RecordKind::Practice => match records.practices.iter().find(|p| p.id.0 == id) {
            Some(p) => (
                None,
                format!(
                    "The profile of practice {id} ({}), with its declared initial-focus population.",
                    line(&p.name, "unnamed")
                ),
                None,
            ),
            None => (None, format!("The profile of practice {id}."), None),
        },
        RecordKind::Staff => match records.staff.iter().find(|s| s.id.0 == id) {
            Some(s) => (
                Some(s.started_on),
                format!(
                    "Staff member {id} ({}), working in the practice since {}.",
                    s.role.label(),
                    s.started_on
                ),
                None,
            ),
            None => (None, format!("Staff member {id}."), None),
        },
        RecordKind::Training => match records.trainings.iter().find(|t| t.id.0 == id) {
            Some(t) => (
                Some(t.completed_on),
                format!(
                    "Training record {id}: {} completed on {} by staff member {}.",
                    Vocabulary::label(&vocabulary.training_topics, &t.topic),
                    t.completed_on,
                    t.staff_id
                ),
                t.document_id,
            ),
            None => (None, format!("Training record {id}."), None),
        },
        RecordKind::TeamMeeting => match records.meetings.iter().find(|m| m.id.0 == id) {
            Some(m) => (
                Some(m.held_on),
                format!(
                    "Team meeting {id} ({}) held on {}, {} attendees.",
                    Vocabulary::label(&vocabulary.meeting_kinds, &m.kind),
                    m.held_on,
                    m.attendees.len()
                ),
                None,
            ),
            None => (None, format!("Team meeting {id}."), None),
        },
        RecordKind::CarePlan => match records.care_plans.iter().find(|p| p.id.0 == id) {
            Some(p) => (
                Some(p.discussed_on),
                format!("Care plan {id} ({}) discussed on {}.", p.kind.label(), p.discussed_on),
                None,
            ),
            None => (None, format!("Care plan {id}."), None),
        },
        RecordKind::CarePlanShare => {
            let found = records
                .care_plans
                .iter()
                .find_map(|p| p.shares.iter().find(|s| s.id.0 == id).map(|s| (p, s)));
            match found {
                Some((plan, share)) => (
                    Some(share.shared_on),
                    format!(
                        "Share {id} of care plan {} ({}) with care partner {} on {}.",
                        plan.id,
                        plan.kind.label(),
                        share.partner_id,
                        share.shared_on
                    ),
                    None,
                ),
                None => (None, format!("Care plan share {id}."), None),
            }
        }
        RecordKind::Attestation => match records.attestations.iter().find(|a| a.id.0 == id) {
            Some(a) => (Some(a.effective_on), attestation_words(a), None),
            None => (None, format!("Attestation {id}."), None),
        },
        RecordKind::Document => match records.documents.iter().find(|d| d.id.0 == id) {
            Some(d) => (
                Some(d.effective_on),
                format!(
                    "Document {id}: {} ({}), in force from {}.",
                    line(&d.title, "untitled"),
                    Vocabulary::label(&vocabulary.document_types, &d.document_type),
                    d.effective_on
                ),
                Some(d.id),
            ),
            None => (None, format!("Document {id}."), Some(DocumentId(id))),
        },
        RecordKind::SurveyResult => match records.surveys.iter().find(|s| s.id.0 == id) {
            Some(s) => (
                Some(s.conducted_on),
                format!(
                    "Survey result {id} ({}) conducted until {}, {} respondents.",
                    Vocabulary::label(&vocabulary.survey_kinds, &s.kind),
                    s.conducted_on,
                    s.respondents
                ),
                None,
            ),
            None => (None, format!("Survey result {id}."), None),
        },
        RecordKind::PeriodicReport => match records.reports.iter().find(|r| r.id.0 == id) {
            Some(r) => (
                Some(r.period_end),
                format!(
                    "Periodic report {id} ({}) covering {} to {}.",
                    Vocabulary::label(&vocabulary.report_types, &r.report_type),
                    r.period_start,
                    r.period_end
                ),
                r.document_id,
            ),
            None => (None, format!("Periodic report {id}."), None),
        },
    }
}

/// An attestation in words.
fn attestation_words(a: &Attestation) -> String {
    let statement = a.statement.trim();
    let mut out = format!(
        "Attestation {} of criterion {}: {} ({}) attests that it is {}, effective from {} \
         (made under catalog version {}).",
        a.id,
        a.criterion,
        line(&a.signer, "the signer"),
        line(&a.signer_role, "no role given"),
        a.status.label(),
        a.effective_on,
        a.catalog_version
    );
    if !statement.is_empty() {
        out.push_str(&format!("\n\nStatement: {statement}"));
    }
    out
}

/// A record's kind in words, as an observation's title starts.
fn kind_words(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Practice => "Practice profile",
        RecordKind::Staff => "Staff member",
        RecordKind::Training => "Training record",
        RecordKind::TeamMeeting => "Team meeting",
        RecordKind::CarePlan => "Care plan",
        RecordKind::CarePlanShare => "Care plan share",
        RecordKind::Attestation => "Attestation",
        RecordKind::Document => "Document",
        RecordKind::SurveyResult => "Survey result",
        RecordKind::PeriodicReport => "Periodic report",
    }
}

/// A record's kind as our prop writes it.
fn kind_name(kind: RecordKind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(s)) => s.replace('_', "-"),
        _ => "record".into(),
    }
}

/// The documents of an assessment, by id, with their back-matter UUIDs.
struct Documents<'a> {
    by_id: BTreeMap<DocumentId, (String, &'a EvidenceDocument<'a>)>,
}

impl<'a> Documents<'a> {
    /// The documents, each once (the first of the same id is kept).
    fn new(documents: impl IntoIterator<Item = &'a EvidenceDocument<'a>>) -> Self {
        let mut by_id = BTreeMap::new();
        for d in documents {
            let id = d.document.document.id;
            by_id
                .entry(id)
                .or_insert_with(|| (uuid_of(&format!("document/{}", id.0)), d));
        }
        Documents { by_id }
    }

    /// The evidence link to document `id`, when the assessment has it.
    fn evidence(&self, id: DocumentId) -> Option<RelevantEvidence> {
        self.by_id.get(&id).map(|(uuid, d)| RelevantEvidence {
            href: format!("#{uuid}"),
            description: format!("Document {}: {}", id, line(&d.document.document.title, "untitled")),
        })
    }

    /// The documents as back-matter resources, by id.
    fn resources(&self, vocabulary: &Vocabulary) -> Vec<Resource> {
        self.by_id
            .values()
            .map(|(uuid, d)| {
                let doc = &d.document.document;
                let file = &d.document.file;
                Resource {
                    uuid: uuid.clone(),
                    title: line(&doc.title, "Untitled document"),
                    description: Some(format!(
                        "Evidence document {} ({}), in force from {}; file {} ({} bytes).",
                        doc.id,
                        Vocabulary::label(&vocabulary.document_types, &doc.document_type),
                        doc.effective_on,
                        line(&file.file_name, "unnamed"),
                        file.size_bytes
                    )),
                    props: Some(
                        std::iter::once(Prop::ours("document-id", doc.id.0.to_string()))
                            .chain(std::iter::once(Prop::ours("document-type", doc.document_type.as_str())))
                            .chain(doc.criteria.iter().map(|c| Prop::ours("criterion", c.as_str())))
                            .collect(),
                    ),
                    rlinks: Some(vec![Rlink {
                        href: d.href.clone(),
                        media_type: Some(line(&file.media_type, "application/octet-stream")),
                        hashes: Some(vec![Hash {
                            algorithm: "SHA-256".into(),
                            value: file.sha256.clone(),
                        }]),
                    }]),
                }
            })
            .collect()
    }
}

/// The status of a criterion's objective as OSCAL says it (see the module's notes).
pub fn target_status(status: Status, why: Option<String>) -> (ObjectiveStatus, Option<ImplementationStatus>) {
    let objective = |state: &str, reason: &str, remarks: Option<String>| ObjectiveStatus {
        state: state.into(),
        reason: reason.into(),
        remarks,
    };
    let implementation = |state: &str, remarks: Option<String>| {
        Some(ImplementationStatus {
            state: state.into(),
            remarks,
        })
    };
    match status {
        Status::Met => (
            objective("satisfied", "pass", None),
            implementation("implemented", None),
        ),
        Status::PartiallyMet => (
            objective("not-satisfied", "fail", None),
            implementation("partial", None),
        ),
        Status::NotMet => (objective("not-satisfied", "fail", None), None),
        Status::NotApplicable => {
            let why = why.unwrap_or_else(|| "The criterion does not apply.".into());
            (
                objective("satisfied", "not-applicable", Some(why.clone())),
                implementation("not-applicable", Some(why)),
            )
        }
    }
}

/// A status as our prop writes it.
fn status_name(status: Status) -> &'static str {
    match status {
        Status::Met => "met",
        Status::PartiallyMet => "partially-met",
        Status::NotMet => "not-met",
        Status::NotApplicable => "not-applicable",
    }
}

/// One result: a finding per criterion, an observation per supporting record and per
/// attestation in force.
fn result(subject: &Subject<'_>, documents: &Documents<'_>) -> AssessmentResult {
    let base = format!("{}/{}", subject.name, subject.as_of);
    let start = timestamp(start_of_day(subject.as_of, subject.time_zone));
    let vocabulary = &subject.catalog.vocabulary;
    let mut observations: BTreeMap<RecordRef, Observation> = BTreeMap::new();
    let mut findings = Vec::new();
    for item in subject.criteria {
        let result = &item.result;
        let mut related = Vec::new();
        if let Some(a) = &item.attestation {
            let key = RecordRef::new(RecordKind::Attestation, a.id.0);
            let observation = observations.entry(key).or_insert_with(|| Observation {
                uuid: uuid_of(&format!("{base}/record/attestation/{}", a.id.0)),
                title: format!("Attestation {} of criterion {}", a.id, a.criterion),
                description: attestation_words(a),
                props: vec![
                    Prop::ours("record-kind", "attestation"),
                    Prop::ours("record-id", a.id.0.to_string()),
                    Prop::ours("attested-status", a.status.label().replace(' ', "-")),
                ],
                methods: vec!["INTERVIEW".into()],
                types: Some(vec!["attestation".into()]),
                relevant_evidence: some(a.evidence.iter().filter_map(|d| documents.evidence(*d)).collect()),
                collected: timestamp(start_of_day(a.effective_on, subject.time_zone)),
            });
            related.push(observation.uuid.clone());
        }
        for record in &result.records {
            let observation = observations.entry(*record).or_insert_with(|| {
                let (day, description, document) = record_facts(subject.records, vocabulary, *record);
                let kind = kind_name(record.kind);
                Observation {
                    uuid: uuid_of(&format!("{base}/record/{kind}/{}", record.id)),
                    title: format!("{} {}", kind_words(record.kind), record.id),
                    description,
                    props: vec![
                        Prop::ours("record-kind", kind.clone()),
                        Prop::ours("record-id", record.id.to_string()),
                    ],
                    methods: vec!["EXAMINE".into()],
                    types: None,
                    relevant_evidence: some(document.and_then(|d| documents.evidence(d)).into_iter().collect()),
                    collected: day.map_or_else(|| start.clone(), |day| timestamp(start_of_day(day, subject.time_zone))),
                }
            });
            if !related.contains(&observation.uuid) {
                related.push(observation.uuid.clone());
            }
        }
        let reasons: Vec<String> = result
            .reasons
            .iter()
            .map(|r| r.trim())
            .filter(|r| !r.is_empty())
            .map(|r| format!("- {r}"))
            .collect();
        let mut description = format!("Computed status: {}.", result.status.label());
        if !reasons.is_empty() {
            description.push_str("\n\n");
            description.push_str(&reasons.join("\n"));
        }
        let agreement = item.agreement.reason.trim();
        if !agreement.is_empty() {
            description.push_str(&format!("\n\nAttestation: {agreement}"));
        }
        let why = (result.status == Status::NotApplicable).then(|| {
            let why: Vec<&str> = result
                .reasons
                .iter()
                .map(|r| r.trim())
                .filter(|r| !r.is_empty())
                .collect();
            match (why.is_empty(), &item.attestation) {
                (false, _) => format!("{}.", why.join("; ").trim_end_matches('.')),
                (true, Some(a)) if !a.statement.trim().is_empty() => a.statement.trim().to_owned(),
                _ => "The criterion does not apply.".into(),
            }
        });
        let (status, implementation_status) = target_status(result.status, why);
        let mut props = vec![
            Prop::ours("status", status_name(result.status)),
            Prop::ours(
                "agreement",
                match serde_json::to_value(item.agreement.status) {
                    Ok(serde_json::Value::String(s)) => s.replace('_', "-"),
                    _ => "unknown".into(),
                },
            ),
        ];
        if item.needs_reattestation {
            props.push(Prop::ours("needs-reattestation", "true"));
        }
        findings.push(Finding {
            uuid: uuid_of(&format!("{base}/finding/{}", result.criterion)),
            title: format!(
                "Criterion {}: {}",
                result.criterion,
                line(&result.title, result.criterion.as_str())
            ),
            description,
            props,
            target: FindingTarget {
                kind: "objective-id".into(),
                target_id: objective_id(&result.criterion),
                status,
                implementation_status,
            },
            related_observations: some(
                related
                    .into_iter()
                    .map(|observation_uuid| RelatedObservation { observation_uuid })
                    .collect(),
            ),
        });
    }
    let controls: Vec<SelectControl> = subject
        .criteria
        .iter()
        .map(|c| SelectControl {
            control_id: control_id(&c.result.criterion),
        })
        .collect();
    let selection = if controls.is_empty() {
        ControlSelection {
            include_all: Some(BTreeMap::new()),
            include_controls: None,
        }
    } else {
        ControlSelection {
            include_all: None,
            include_controls: Some(controls),
        }
    };
    let mut observations: Vec<Observation> = observations.into_values().collect();
    observations.sort_by(|a, b| a.collected.cmp(&b.collected).then_with(|| a.uuid.cmp(&b.uuid)));
    AssessmentResult {
        uuid: uuid_of(&format!("{base}/result")),
        title: format!("{} as of {}", subject.title, subject.as_of),
        description: format!(
            "{} evaluated against {} (catalog {} version {}) as of {}, from its records, each \
             criterion beside the attestation in force.",
            subject.title,
            line(&subject.catalog.title, &subject.catalog.id),
            subject.catalog.id,
            subject.catalog.version,
            subject.as_of
        ),
        start,
        props: subject.props.clone(),
        reviewed_controls: ReviewedControls {
            control_selections: vec![selection],
        },
        observations: some(observations),
        findings: some(findings),
    }
}

/// The back-matter resource saying that there is no separate assessment plan.
fn no_plan(document: &str, catalogs: &[&Catalog]) -> Resource {
    let named: Vec<String> = catalogs
        .iter()
        .map(|c| format!("{} version {}", c.id, c.version))
        .collect();
    Resource {
        uuid: uuid_of(&format!("{document}/no-assessment-plan")),
        title: "No separate assessment plan".into(),
        description: Some(format!(
            "There is no separate assessment plan. pcmh-track evaluates every criterion of the \
             catalog ({}) from the records, by the evidence requirements each criterion's \
             assessment objective states; the catalog is available as OSCAL at \
             /api/v1/catalogs/{{catalog}}/versions/{{version}}/oscal.",
            words(&named, "and")
        )),
        props: None,
        rlinks: None,
    }
}

/// An assessment-results document of `results` with `documents` in its back matter.
fn document(
    name: &str,
    metadata: Metadata,
    catalogs: &[&Catalog],
    results: Vec<AssessmentResult>,
    documents: &Documents<'_>,
    vocabulary: &Vocabulary,
) -> OscalAssessmentResults {
    let plan = no_plan(name, catalogs);
    let import_ap = ImportAp {
        href: format!("#{}", plan.uuid),
    };
    let mut resources = vec![plan];
    resources.extend(documents.resources(vocabulary));
    OscalAssessmentResults {
        assessment_results: AssessmentResultsBody {
            uuid: uuid_of(name),
            metadata,
            import_ap,
            results,
            back_matter: BackMatter { resources },
        },
    }
}

/// A basis in a UUID name: nothing for today's corrected records.
fn basis_name(basis: &crate::records::Basis) -> String {
    basis
        .as_known_on
        .map_or_else(String::new, |day| format!("/known-on/{day}"))
}

/// What a practice's assessment results are made from.
#[derive(Debug, Clone, Copy)]
pub struct PracticeAssessment<'a> {
    /// The practice's compliance view, as the API returns it.
    pub compliance: &'a PracticeCompliance,
    /// The catalog version it was evaluated against.
    pub catalog: &'a Catalog,
    /// The records it was evaluated from (the supporting records' days and words).
    pub records: &'a Records,
    /// Its evidence documents in force on the day, with their SHA-256.
    pub documents: &'a [EvidenceDocument<'a>],
}

fn practice_props(practice: &Practice, catalog: &Catalog) -> Vec<Prop> {
    vec![
        Prop::ours("practice-id", practice.id.0.to_string()),
        Prop::ours("organization-id", practice.organization_id.0.to_string()),
        Prop::ours("catalog-id", catalog.id.clone()),
        Prop::ours("catalog-version", catalog.version.to_string()),
        Prop::ours("time-zone", line(&practice.time_zone, "UTC")),
    ]
}

fn practice_subject<'a>(input: &PracticeAssessment<'a>) -> Subject<'a> {
    let practice = &input.compliance.practice;
    Subject {
        name: format!("practice/{}", practice.id.0),
        title: format!("Practice {} ({})", practice.id, line(&practice.name, "unnamed")),
        time_zone: &practice.time_zone,
        as_of: input.compliance.as_of,
        catalog: input.catalog,
        criteria: &input.compliance.criteria,
        records: input.records,
        props: practice_props(practice, input.catalog),
    }
}

/// A practice's evaluation as of a day as OSCAL assessment results: one result, one finding
/// per criterion of its catalog version.
pub fn assessment_results(input: &PracticeAssessment<'_>) -> OscalAssessmentResults {
    let compliance = input.compliance;
    let practice = &compliance.practice;
    let name = format!(
        "assessment-results/practice/{}/{}{}",
        practice.id.0,
        compliance.as_of,
        basis_name(&compliance.basis)
    );
    let subject = practice_subject(input);
    let documents = Documents::new(input.documents);
    let result = result(&subject, &documents);
    let metadata = Metadata {
        title: format!(
            "Compliance of practice {} ({}) with {} {} as of {}",
            practice.id,
            line(&practice.name, "unnamed"),
            line(&input.catalog.title, &input.catalog.id),
            input.catalog.version,
            compliance.as_of
        ),
        last_modified: result.start.clone(),
        version: compliance.as_of.to_string(),
        oscal_version: OSCAL_VERSION.into(),
        props: Some(records_props(&compliance.basis)),
        remarks: Some(remarks()),
    };
    document(
        &name,
        metadata,
        &[input.catalog],
        vec![result],
        &documents,
        &input.catalog.vocabulary,
    )
}

/// The basis of an evaluation as our props.
fn records_props(basis: &crate::records::Basis) -> Vec<Prop> {
    let mut props = vec![Prop::ours(
        "records",
        if basis.as_known_on.is_some() {
            "as-known-on"
        } else {
            "corrected"
        },
    )];
    if let Some(day) = basis.as_known_on {
        props.push(Prop::ours("as-known-on", day.to_string()));
    }
    props
}

fn remarks() -> String {
    format!(
        "Written by pcmh-track from the same evaluation as its API and packets. last-modified \
         is the as-of day at 00:00, so the same records give the same document. Props in the \
         namespace {NAMESPACE} are pcmh-track's own."
    )
}

/// What a PO's assessment results are made from.
#[derive(Debug, Clone)]
pub struct OrganizationAssessment<'a> {
    /// The PO's compliance view, as the API returns it (its own criteria, the day).
    pub compliance: &'a OrganizationCompliance,
    /// The catalog its own criteria were evaluated against.
    pub catalog: &'a Catalog,
    /// All its practices' records and its own.
    pub records: &'a Records,
    /// Its own evidence documents in force on the day.
    pub documents: &'a [EvidenceDocument<'a>],
    /// Each practice's full evaluation, by practice id.
    pub practices: Vec<PracticeAssessment<'a>>,
}

/// A PO's evaluation as of a day as OSCAL assessment results: one result for the PO-level
/// criteria (its day read in UTC, as the PO's API reads it), then one result per practice (its
/// day in the practice's time zone), each with one finding per criterion it assesses.
pub fn organization_assessment_results(input: &OrganizationAssessment<'_>) -> OscalAssessmentResults {
    let compliance = input.compliance;
    let organization: &Organization = &compliance.organization;
    let name = format!(
        "assessment-results/organization/{}/{}{}",
        organization.id.0,
        compliance.as_of,
        basis_name(&compliance.basis)
    );
    let documents = Documents::new(
        input
            .documents
            .iter()
            .chain(input.practices.iter().flat_map(|p| p.documents.iter())),
    );
    let po = Subject {
        name: format!("organization/{}", organization.id.0),
        title: format!(
            "Physician organization {} ({})",
            organization.id,
            line(&organization.name, "unnamed")
        ),
        time_zone: "UTC",
        as_of: compliance.as_of,
        catalog: input.catalog,
        criteria: &compliance.organization_criteria,
        records: input.records,
        props: vec![
            Prop::ours("organization-id", organization.id.0.to_string()),
            Prop::ours("catalog-id", input.catalog.id.clone()),
            Prop::ours("catalog-version", input.catalog.version.to_string()),
            Prop::ours("scope", "physician-organization"),
        ],
    };
    let mut results = vec![result(&po, &documents)];
    results.extend(input.practices.iter().map(|p| result(&practice_subject(p), &documents)));
    let mut catalogs: Vec<&Catalog> = vec![input.catalog];
    for p in &input.practices {
        if !catalogs
            .iter()
            .any(|c| c.id == p.catalog.id && c.version == p.catalog.version)
        {
            catalogs.push(p.catalog);
        }
    }
    let metadata = Metadata {
        title: format!(
            "Compliance of physician organization {} ({}) and its practices as of {}",
            organization.id,
            line(&organization.name, "unnamed"),
            compliance.as_of
        ),
        last_modified: results[0].start.clone(),
        version: compliance.as_of.to_string(),
        oscal_version: OSCAL_VERSION.into(),
        props: Some(records_props(&compliance.basis)),
        remarks: Some(remarks()),
    };
    document(
        &name,
        metadata,
        &catalogs,
        results,
        &documents,
        &input.catalog.vocabulary,
    )
}

#[cfg(test)]
#[path = "oscal_tests.rs"]
mod tests;
