//! The records practices and POs keep as evidence, as plain values.
//!
//! Every record carries the date it documents (training completed on, meeting held on, report
//! period, document effective date). The rules look only at that date: evidence entered in
//! January for December counts for December.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::*;

/// A staff member's role in the practice; the care team's disciplines are counted by role.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Practice leadership: office manager, practice administrator, medical director.
    OfficeLeader,
    /// Physician (MD or DO).
    Physician,
    /// Nurse practitioner.
    NursePractitioner,
    /// Physician assistant.
    PhysicianAssistant,
    /// Registered or licensed practical nurse.
    Nurse,
    /// Medical assistant.
    MedicalAssistant,
    /// Care manager.
    CareManager,
    /// Care coordinator.
    CareCoordinator,
    /// Behavioral health provider.
    BehavioralHealth,
    /// Pharmacist.
    Pharmacist,
    /// Social worker.
    SocialWorker,
    /// Community health worker.
    CommunityHealthWorker,
    /// Dietitian or nutritionist.
    Dietitian,
    /// Front office and scheduling staff.
    FrontOffice,
    /// Any other role.
    Other,
}

impl Role {
    /// Every role, in the order they are listed.
    pub const ALL: [Role; 15] = [
        Role::OfficeLeader,
        Role::Physician,
        Role::NursePractitioner,
        Role::PhysicianAssistant,
        Role::Nurse,
        Role::MedicalAssistant,
        Role::CareManager,
        Role::CareCoordinator,
        Role::BehavioralHealth,
        Role::Pharmacist,
        Role::SocialWorker,
        Role::CommunityHealthWorker,
        Role::Dietitian,
        Role::FrontOffice,
        Role::Other,
    ];

    /// The role in plain words.
    pub fn label(self) -> &'static str {
        match self {
            Role::OfficeLeader => "office leader",
            Role::Physician => "physician",
            Role::NursePractitioner => "nurse practitioner",
            Role::PhysicianAssistant => "physician assistant",
            Role::Nurse => "nurse",
            Role::MedicalAssistant => "medical assistant",
            Role::CareManager => "care manager",
            Role::CareCoordinator => "care coordinator",
            Role::BehavioralHealth => "behavioral health provider",
            Role::Pharmacist => "pharmacist",
            Role::SocialWorker => "social worker",
            Role::CommunityHealthWorker => "community health worker",
            Role::Dietitian => "dietitian",
            Role::FrontOffice => "front office",
            Role::Other => "other role",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A physician organization (PO): it coordinates care management for its practices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Organization {
    /// The PO's id.
    pub id: OrganizationId,
    /// Its name.
    pub name: String,
}

/// A practice of a PO, with the initial-focus population it declared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Practice {
    /// The practice's id.
    pub id: PracticeId,
    /// The PO the practice belongs to.
    pub organization_id: OrganizationId,
    /// The practice's name.
    pub name: String,
    /// The patient population selected for initial focus (e.g. "adults with diabetes"), once declared.
    pub initial_focus_population: Option<String>,
    /// The catalog the practice is assessed against.
    pub catalog_id: String,
    /// The catalog version in force for the practice.
    pub catalog_version: String,
    /// The day the practice joined its PO, when known: a PO's trend counts it from that day on.
    #[serde(default)]
    pub joined_on: Option<NaiveDate>,
    /// The practice's time zone (IANA name): its "today" and the times its pages show.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
}

/// The time zone a practice keeps unless it says otherwise.
pub const DEFAULT_TIME_ZONE: &str = "America/Detroit";

fn default_time_zone() -> String {
    DEFAULT_TIME_ZONE.into()
}

/// The calendar day it is in the time zone `zone` (an IANA name) at the instant `now`; UTC's
/// day for a name that is not a time zone.
pub fn day_in(zone: &str, now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    zone.parse::<chrono_tz::Tz>()
        .map_or_else(|_| now.date_naive(), |tz| now.with_timezone(&tz).date_naive())
}

impl Practice {
    /// The practice's today at the instant `now`, in its own time zone.
    pub fn today(&self, now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
        day_in(&self.time_zone, now)
    }
}

/// A staff member of a practice and the dates they were active.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Staff {
    /// The staff member's id.
    pub id: StaffId,
    /// The practice they work in.
    pub practice_id: PracticeId,
    /// Their name (staff names are not patient information).
    pub name: String,
    /// Their role.
    pub role: Role,
    /// The first day they worked in the practice.
    pub started_on: NaiveDate,
    /// The last day they worked in the practice, if they left.
    pub ended_on: Option<NaiveDate>,
    /// Whether it was voided, and what it corrects or was corrected by.
    #[serde(flatten)]
    pub correction: Correction,
}

impl Staff {
    /// Whether the staff member works in the practice on `date`.
    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.started_on <= date && self.ended_on.is_none_or(|end| date <= end)
    }
}

/// A completed training of one staff member on one topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrainingRecord {
    /// The record's id.
    pub id: TrainingId,
    /// Who was trained.
    pub staff_id: StaffId,
    /// The topic, a term of the catalog's `training_topics`.
    pub topic: Term,
    /// The day the training was completed.
    pub completed_on: NaiveDate,
    /// How long it took, in hours.
    pub hours: f64,
    /// Who gave the training.
    pub trainer: Option<String>,
    /// The training material or certificate kept as a document.
    pub document_id: Option<DocumentId>,
    /// Whether it was voided, and what it corrects or was corrected by.
    #[serde(flatten)]
    pub correction: Correction,
}

/// One attendee of a team meeting, by role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attendee {
    /// The role the attendee held at the meeting.
    pub role: Role,
    /// The staff member, when they are on the practice's roster (partners from a health plan are not).
    pub staff_id: Option<StaffId>,
}

/// A follow-up item agreed at a team meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowUp {
    /// What is to be done.
    pub description: String,
    /// Who owns it.
    pub owner: Option<StaffId>,
    /// When it is due.
    pub due_on: NaiveDate,
    /// When it was done, if it was.
    pub completed_on: Option<NaiveDate>,
    /// Whether it was voided, and what it corrects or was corrected by.
    #[serde(flatten)]
    pub correction: Correction,
}

/// An inter-disciplinary team meeting (case conference) of a practice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TeamMeeting {
    /// The meeting's id.
    pub id: TeamMeetingId,
    /// The practice that held it.
    pub practice_id: PracticeId,
    /// The day it was held.
    pub held_on: NaiveDate,
    /// The kind of meeting, a term of the catalog's `meeting_kinds`.
    pub kind: Term,
    /// Who attended, by role.
    pub attendees: Vec<Attendee>,
    /// How many patients' care was reviewed.
    pub patients_reviewed: u32,
    /// Whether the meeting is documented in the reviewed patients' charts.
    pub documented_in_chart: bool,
    /// The follow-up items it agreed.
    pub follow_ups: Vec<FollowUp>,
    /// Whether it was voided, and what it corrects or was corrected by.
    #[serde(flatten)]
    pub correction: Correction,
}

impl TeamMeeting {
    /// The distinct roles that attended.
    pub fn disciplines(&self) -> std::collections::BTreeSet<Role> {
        self.attendees.iter().map(|a| a.role).collect()
    }
}

/// The two kinds of care plan the policy asks practices to establish and share.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CarePlanKind {
    /// An advance care plan (4.16, 4.22).
    AdvanceCarePlan,
    /// A survivorship care plan for a patient completing treatment for a serious condition (4.17).
    SurvivorshipCarePlan,
}

impl CarePlanKind {
    /// The kind in plain words.
    pub fn label(self) -> &'static str {
        match self {
            CarePlanKind::AdvanceCarePlan => "advance care plan",
            CarePlanKind::SurvivorshipCarePlan => "survivorship care plan",
        }
    }
}

/// A care partner who should receive a copy of a care plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CarePartner {
    /// The partner's id.
    pub id: CarePartnerId,
    /// Who the partner is ("Cardiology, St. Mary's", "health plan care manager").
    pub name: String,
}

/// How a care plan was shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareMethod {
    /// Through an electronic health record or health information exchange.
    Electronic,
    /// Through a patient or partner portal.
    Portal,
    /// By fax.
    Fax,
    /// By post.
    Mail,
    /// Handed over in person.
    InPerson,
}

/// One sharing of a care plan with one of its care partners.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CarePlanShare {
    /// The share's id.
    pub id: CarePlanShareId,
    /// The partner it was shared with (one of the plan's own partners).
    pub partner_id: CarePartnerId,
    /// The day it was shared.
    pub shared_on: NaiveDate,
    /// How it was shared.
    pub method: ShareMethod,
    /// Whether it was voided, and what it corrects or was corrected by.
    #[serde(flatten)]
    pub correction: Correction,
}

/// A care plan of one patient, known only by an opaque practice-local reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CarePlan {
    /// The plan's id.
    pub id: CarePlanId,
    /// The practice that keeps it.
    pub practice_id: PracticeId,
    /// Advance care plan or survivorship care plan.
    pub kind: CarePlanKind,
    /// The opaque practice-local patient reference (never a name or a date of birth).
    pub patient_ref: String,
    /// The provider who initiated the plan.
    pub initiating_provider: StaffId,
    /// The day the plan was discussed with the patient.
    pub discussed_on: NaiveDate,
    /// The day the plan was executed (signed or established), if it was.
    pub established_on: Option<NaiveDate>,
    /// Whether the plan is documented in the patient's medical record.
    pub documented_in_record: bool,
    /// The care partners who should receive a copy.
    pub care_partners: Vec<CarePartner>,
    /// Each time the plan was shared with a partner.
    pub shares: Vec<CarePlanShare>,
    /// Whether it was voided, and what it corrects or was corrected by.
    #[serde(flatten)]
    pub correction: Correction,
}

/// Who a record belongs to: one practice, or a PO as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    /// A practice's own record.
    Practice(PracticeId),
    /// A PO-level record.
    Organization(OrganizationId),
}

/// What an attestation says of a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttestedStatus {
    /// Fully in place and in use by all appropriate team members.
    InPlace,
    /// In place in part.
    PartiallyInPlace,
    /// Not in place.
    NotInPlace,
    /// Does not apply to this practice or PO.
    NotApplicable,
}

impl AttestedStatus {
    /// The status in plain words.
    pub fn label(self) -> &'static str {
        match self {
            AttestedStatus::InPlace => "in place",
            AttestedStatus::PartiallyInPlace => "partially in place",
            AttestedStatus::NotInPlace => "not in place",
            AttestedStatus::NotApplicable => "not applicable",
        }
    }
}

/// A signed statement that a criterion is (or is not) in place. Immutable: a correction supersedes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attestation {
    /// The attestation's id.
    pub id: AttestationId,
    /// The practice or PO attesting.
    pub owner: Owner,
    /// The criterion attested.
    pub criterion: CriterionId,
    /// The catalog version the attestation was made under.
    pub catalog_version: String,
    /// What it says.
    pub status: AttestedStatus,
    /// The day from which the statement holds.
    pub effective_on: NaiveDate,
    /// Who signed it.
    pub signer: String,
    /// The signer's role or title.
    pub signer_role: String,
    /// The statement in the signer's words.
    pub statement: String,
    /// Documents offered in support.
    pub evidence: Vec<DocumentId>,
    /// The earlier attestation this one corrects.
    pub supersedes: Option<AttestationId>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// A document kept as evidence (a policy, a workflow, training material, a report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Document {
    /// The document's id.
    pub id: DocumentId,
    /// The practice or PO that keeps it.
    pub owner: Owner,
    /// Its title.
    pub title: String,
    /// Its type, a term of the catalog's `document_types`.
    pub document_type: Term,
    /// The criteria it supports.
    pub criteria: Vec<CriterionId>,
    /// The day from which it is in force.
    pub effective_on: NaiveDate,
    /// Whether it was voided, and what it corrects or was corrected by.
    #[serde(flatten)]
    pub correction: Correction,
}

/// The result of one survey (patient satisfaction, office efficiency, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SurveyResult {
    /// The result's id.
    pub id: SurveyResultId,
    /// The practice surveyed.
    pub practice_id: PracticeId,
    /// The kind of survey, a term of the catalog's `survey_kinds`.
    pub kind: Term,
    /// The last day of the survey.
    pub conducted_on: NaiveDate,
    /// How many people answered.
    pub respondents: u32,
    /// The overall score, in percent.
    pub score: f64,
    /// Whether it was voided, and what it corrects or was corrected by.
    #[serde(flatten)]
    pub correction: Correction,
}

/// A report that covers a period (a monthly member list, a utilization report, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PeriodicReport {
    /// The report's id.
    pub id: PeriodicReportId,
    /// The practice or PO it was made for.
    pub owner: Owner,
    /// Its type, a term of the catalog's `report_types`.
    pub report_type: Term,
    /// The first day of the period it covers.
    pub period_start: NaiveDate,
    /// The last day of the period it covers.
    pub period_end: NaiveDate,
    /// The report itself, kept as a document.
    pub document_id: Option<DocumentId>,
    /// Whether it was voided, and what it corrects or was corrected by.
    #[serde(flatten)]
    pub correction: Correction,
}

/// The records the rules look at: one practice's, or a PO's together with all its practices'.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Records {
    /// The practices covered.
    pub practices: Vec<Practice>,
    /// Their staff.
    pub staff: Vec<Staff>,
    /// Training records of that staff.
    pub trainings: Vec<TrainingRecord>,
    /// Team meetings.
    pub meetings: Vec<TeamMeeting>,
    /// Care plans with their partners and shares.
    pub care_plans: Vec<CarePlan>,
    /// Attestations.
    pub attestations: Vec<Attestation>,
    /// Documents.
    pub documents: Vec<Document>,
    /// Survey results.
    pub surveys: Vec<SurveyResult>,
    /// Periodic reports.
    pub reports: Vec<PeriodicReport>,
}

/// A PO's practices, each with its records, and everything together for the PO-level criteria.
#[derive(Debug, Clone)]
pub struct OrganizationRecords {
    /// The PO.
    pub organization: Organization,
    /// Each practice of the PO (by id) with its own records and the PO-level ones that concern it.
    pub practices: Vec<(Practice, Records)>,
    /// All practices' records plus the PO's own attestations, documents and reports.
    pub combined: Records,
}

/// The kinds of record a compliance result can point to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A practice (its declared initial-focus population).
    Practice,
    /// A staff member.
    Staff,
    /// A training record.
    Training,
    /// A team meeting.
    TeamMeeting,
    /// A care plan.
    CarePlan,
    /// A care plan share.
    CarePlanShare,
    /// An attestation.
    Attestation,
    /// A document.
    Document,
    /// A survey result.
    SurveyResult,
    /// A periodic report.
    PeriodicReport,
}

/// A pointer to one record that supports a result.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    utoipa::ToSchema,
)]
pub struct RecordRef {
    /// The kind of record.
    pub kind: RecordKind,
    /// Its id.
    pub id: i64,
}

impl RecordRef {
    /// A pointer to a record of `kind` with `id`.
    pub fn new(kind: RecordKind, id: i64) -> Self {
        Self { kind, id }
    }
}

/// Who voided a record, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Voided {
    /// When it was voided.
    pub at: DateTime<Utc>,
    /// Who voided it: the person's name, or the token's label.
    pub by: String,
    /// The signed-in person who voided it, if a person did.
    pub user_id: Option<i64>,
    /// The token that voided it, if a token did.
    pub token_id: Option<i64>,
    /// Why, in the words of whoever voided it.
    pub reason: String,
}

/// Whether a record was voided, and the corrections it takes part in. A voided record stays
/// stored and listed, but no evaluation counts it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Correction {
    /// Who voided the record, when and why; null while it counts.
    #[serde(default)]
    pub voided: Option<Voided>,
    /// The id of the record of the same kind this one corrects (which was voided when this one was recorded).
    #[serde(default)]
    pub replaces: Option<i64>,
    /// The id of the record that corrects this one.
    #[serde(default)]
    pub replaced_by: Option<i64>,
}

impl Correction {
    /// Whether the record was voided.
    pub fn is_voided(&self) -> bool {
        self.voided.is_some()
    }
}

/// Which records an evaluation counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordsCounted {
    /// Today's corrected records: every record not voided (the default).
    #[default]
    Corrected,
    /// The records as they were known at the end of a past day (UTC): those recorded by then,
    /// voided ones counting if they were voided only later.
    AsKnownOn,
}

/// The records an evaluation was made from: today's corrected ones, or those known on a past day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Basis {
    /// Which records were counted.
    pub records: RecordsCounted,
    /// The day whose knowledge was used, for `as_known_on`.
    pub as_known_on: Option<NaiveDate>,
}

impl Basis {
    /// Today's corrected records.
    pub fn corrected() -> Self {
        Basis::default()
    }

    /// The records known at the end of `day` (UTC), when a day is given; else today's corrected ones.
    pub fn known_on(day: Option<NaiveDate>) -> Self {
        match day {
            Some(day) => Basis {
                records: RecordsCounted::AsKnownOn,
                as_known_on: Some(day),
            },
            None => Basis::corrected(),
        }
    }
}

impl Records {
    /// The same records without the voided ones (nor the voided shares, follow-ups, ...
    /// within those kept): what an evaluation of today's corrected records counts.
    pub fn without_voided(&self) -> Records {
        let keep = |c: &Correction| !c.is_voided();
        Records {
            practices: self.practices.clone(),
            staff: self.staff.iter().filter(|r| keep(&r.correction)).cloned().collect(),
            trainings: self.trainings.iter().filter(|r| keep(&r.correction)).cloned().collect(),
            meetings: self
                .meetings
                .iter()
                .filter(|r| keep(&r.correction))
                .map(|m| TeamMeeting {
                    follow_ups: m.follow_ups.iter().filter(|f| keep(&f.correction)).cloned().collect(),
                    ..m.clone()
                })
                .collect(),
            care_plans: self
                .care_plans
                .iter()
                .filter(|r| keep(&r.correction))
                .map(|p| CarePlan {
                    shares: p.shares.iter().filter(|s| keep(&s.correction)).cloned().collect(),
                    ..p.clone()
                })
                .collect(),
            attestations: self.attestations.clone(),
            documents: self.documents.iter().filter(|r| keep(&r.correction)).cloned().collect(),
            surveys: self.surveys.iter().filter(|r| keep(&r.correction)).cloned().collect(),
            reports: self.reports.iter().filter(|r| keep(&r.correction)).cloned().collect(),
        }
    }
}
