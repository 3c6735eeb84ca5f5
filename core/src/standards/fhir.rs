//! HL7 FHIR R4 (4.0.1): a practice's advance care plans and survivorship care plans of a period
//! and each sharing of them with a care partner, as a `Bundle` of type `collection`.
//!
//! A pure function of the records: no clock, no database. Every `fullUrl` is a version-5 UUID
//! derived from the practice and the record's id, and every instant is derived from a recorded
//! day in the practice's time zone, so the same records give the same bytes.
//!
//! What it says and what it leaves out:
//! - a patient is a `Patient` holding only the opaque practice-local reference as its
//!   `identifier`: never a name or a birth date;
//! - a plan is a `DocumentReference` shaped as US Core's ADI DocumentReference asks. pcmh-track
//!   keeps no patient documents, so its `content` attachment only says, in its `title`, where the
//!   plan is kept; it carries no data and no URL;
//! - an advance care plan established by the period's end is also a `Consent` (scope `adr`,
//!   category `acd`) whose source is the plan's `DocumentReference`;
//! - each share of the period is a `Communication` to the care partner (an `Organization`); every
//!   partner named on a plan is listed in the plan's `context.related`, so a partner never shared
//!   with shows as an `Organization` that no `Communication` reaches.
//!
//! The plan is described as of the period's end: an execution or a share after it is left out.

use chrono::{Duration, NaiveDate, NaiveTime, SecondsFormat, TimeZone};
use serde::Serialize;
use uuid::Uuid;

use crate::packet::Period;
use crate::records::{CarePartner, CarePlan, CarePlanKind, CarePlanShare, Practice, ShareMethod, Staff};

/// The media type of a FHIR resource in JSON.
pub const MEDIA_TYPE: &str = "application/fhir+json";

/// The project's own URI: the root of its identifier systems and of the names its UUIDs derive from.
pub const PROJECT_URI: &str = "https://pcmh-track.org";

const LOINC: &str = "http://loinc.org";
const US_CORE_DOCUMENT_CATEGORY: &str = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category";
const CONSENT_SCOPE: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
const CONSENT_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/consentcategorycodes";
const PARTICIPATION_MODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode";

/// A FHIR `Bundle` of type `collection`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// Always `Bundle`.
    pub resource_type: &'static str,
    /// The bundle's id: a UUID derived from the practice and the period.
    pub id: String,
    /// When its content was last changed: the end of the period.
    pub meta: Meta,
    /// Which export of which practice and period it is.
    pub identifier: Identifier,
    /// Always `collection`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The end of the period, in the practice's time zone.
    pub timestamp: String,
    /// The resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<Entry>,
}

/// A resource's metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// An instant with its offset.
    pub last_updated: String,
}

/// One entry of a bundle.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// `urn:uuid:` and the resource's id.
    pub full_url: String,
    /// The resource.
    pub resource: Resource,
}

/// The resources the bundle holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType")]
pub enum Resource {
    /// The practice, or a care partner.
    Organization(Organization),
    /// A patient, by opaque reference only.
    Patient(Patient),
    /// The staff member who initiated a plan.
    Practitioner(Practitioner),
    /// That staff member's role in the practice.
    PractitionerRole(PractitionerRole),
    /// A care plan.
    DocumentReference(DocumentReference),
    /// An advance directive.
    Consent(Consent),
    /// One share of a plan with a care partner.
    Communication(Communication),
}

/// An identifier in a system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identifier {
    /// The system's URI.
    pub system: String,
    /// The value.
    pub value: String,
}

/// A reference to another entry of the bundle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    /// The entry's `fullUrl`.
    pub reference: String,
    /// What it names, in words (never a patient's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// A code of a code system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coding {
    /// The code system's URI.
    pub system: &'static str,
    /// The code.
    pub code: &'static str,
    /// The code system's display for it.
    pub display: &'static str,
}

/// A concept: codes and words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeableConcept {
    /// Its codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    /// In words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A person's name as one text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HumanName {
    /// The whole name.
    pub text: String,
}

/// An organization: the practice, or a care partner (by name only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organization {
    /// The resource's id.
    pub id: String,
    /// The practice's or the partner's id in pcmh-track.
    pub identifier: Vec<Identifier>,
    /// Its name.
    pub name: String,
}

/// A patient: the opaque practice-local reference, nothing else.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Patient {
    /// The resource's id.
    pub id: String,
    /// The practice-local patient reference.
    pub identifier: Vec<Identifier>,
}

/// A staff member of the practice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Practitioner {
    /// The resource's id.
    pub id: String,
    /// The staff member's id in pcmh-track.
    pub identifier: Vec<Identifier>,
    /// Their name.
    pub name: Vec<HumanName>,
}

/// A staff member's role in the practice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PractitionerRole {
    /// The resource's id.
    pub id: String,
    /// The staff member.
    pub practitioner: Reference,
    /// The practice.
    pub organization: Reference,
    /// The role, in words.
    pub code: Vec<CodeableConcept>,
}

/// The content of a document reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Content {
    /// Where the document is kept (no data, no URL).
    pub attachment: Attachment,
}

/// An attachment that only names where the document is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attachment {
    /// Where the plan is kept, in words.
    pub title: String,
}

/// The clinical context of a document reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Context {
    /// The care partners who should receive a copy.
    pub related: Vec<Reference>,
}

/// A care plan as a document reference (US Core ADI DocumentReference).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReference {
    /// The resource's id.
    pub id: String,
    /// The plan's id in pcmh-track.
    pub identifier: Vec<Identifier>,
    /// Always `current`: voided plans are left out.
    pub status: &'static str,
    /// `final` once established by the period's end, else `preliminary`.
    pub doc_status: &'static str,
    /// The kind of plan.
    #[serde(rename = "type")]
    pub kind: CodeableConcept,
    /// Advance directives, or clinical note.
    pub category: Vec<CodeableConcept>,
    /// The patient.
    pub subject: Reference,
    /// The plan's day (established, else discussed) at 00:00 in the practice's time zone.
    pub date: String,
    /// The staff member who initiated it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub author: Vec<Reference>,
    /// The practice, when the plan is documented in the patient's medical record there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custodian: Option<Reference>,
    /// What happened to the plan, in words.
    pub description: String,
    /// Where the plan is kept.
    pub content: Vec<Content>,
    /// The care partners named on the plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

/// An advance directive.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    /// The resource's id.
    pub id: String,
    /// Always `active`.
    pub status: &'static str,
    /// `adr`: advance care directive.
    pub scope: CodeableConcept,
    /// `acd`: advance directive.
    pub category: Vec<CodeableConcept>,
    /// The patient.
    pub patient: Reference,
    /// The day the plan was established, at 00:00 in the practice's time zone.
    pub date_time: String,
    /// The patient, who made the directive.
    pub performer: Vec<Reference>,
    /// The practice, which keeps it.
    pub organization: Vec<Reference>,
    /// The plan's document reference.
    pub source_reference: Reference,
    /// The rule it is made under (R4 invariant ppc-1 asks for a policy or a policy rule).
    pub policy_rule: CodeableConcept,
}

/// What a communication carried.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    /// The plan's document reference.
    pub content_reference: Reference,
}

/// One share of a plan with a care partner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Communication {
    /// The resource's id.
    pub id: String,
    /// The share's id in pcmh-track.
    pub identifier: Vec<Identifier>,
    /// Always `completed`.
    pub status: &'static str,
    /// The patient.
    pub subject: Reference,
    /// The day shared, at 00:00 in the practice's time zone.
    pub sent: String,
    /// The care partner.
    pub recipient: Vec<Reference>,
    /// The practice.
    pub sender: Reference,
    /// How it was shared.
    pub medium: Vec<CodeableConcept>,
    /// The plan.
    pub payload: Vec<Payload>,
}

/// The names of a practice's records: identifier systems and the URLs its UUIDs derive from.
struct Names {
    practice: String,
    zone: Option<chrono_tz::Tz>,
}

impl Names {
    fn new(practice: &Practice) -> Self {
        Names {
            practice: format!("{PROJECT_URI}/practices/{}", practice.id),
            zone: practice.time_zone.parse().ok(),
        }
    }

    /// The identifier system of a kind of record of the practice (`patients`, `staff`, ...).
    fn system(&self, kind: &str) -> String {
        format!("{}/{kind}", self.practice)
    }

    /// The `urn:uuid:` of the record `path` of the practice (`""` for the practice itself).
    fn url(&self, path: &str) -> String {
        let name = if path.is_empty() {
            self.practice.clone()
        } else {
            format!("{}/{path}", self.practice)
        };
        format!("urn:uuid:{}", Uuid::new_v5(&Uuid::NAMESPACE_URL, name.as_bytes()))
    }

    /// `day` at `time` in the practice's time zone, with its offset; a local time a clock change
    /// skips (midnight in some zones) moves on to the first that exists. UTC for a zone that is
    /// not one.
    fn instant(&self, day: NaiveDate, time: NaiveTime) -> String {
        let local = day.and_time(time);
        if let Some(zone) = self.zone {
            for minutes in (0..=180).step_by(30) {
                if let Some(at) = zone
                    .from_local_datetime(&(local + Duration::minutes(minutes)))
                    .earliest()
                {
                    return at.to_rfc3339_opts(SecondsFormat::Secs, false);
                }
            }
        }
        local.and_utc().to_rfc3339_opts(SecondsFormat::Secs, false)
    }

    fn start_of(&self, day: NaiveDate) -> String {
        self.instant(day, NaiveTime::MIN)
    }
}

/// The resource id of an entry's `urn:uuid:` full URL.
fn id_of(full_url: &str) -> String {
    full_url.trim_start_matches("urn:uuid:").to_owned()
}

fn reference(full_url: &str, display: Option<&str>) -> Reference {
    Reference {
        reference: full_url.to_owned(),
        display: display.map(str::to_owned),
    }
}

fn coded(system: &'static str, code: &'static str, display: &'static str, text: Option<&str>) -> CodeableConcept {
    CodeableConcept {
        coding: vec![Coding { system, code, display }],
        text: text.map(str::to_owned),
    }
}

/// The type and category of a plan's document.
///
/// An advance care plan is LOINC 81334-5 "Patient Personal advance care plan" in LOINC 42348-3
/// "Advance directives", as US Core's ADI DocumentReference asks. For a survivorship care plan we
/// found no LOINC document code of its own: 74156-1 "Oncology Plan of care and summary note" is
/// the nearest, but it is for cancer, and the policy's survivorship plans are for any serious
/// condition. So the type is the general LOINC 18776-5 "Plan of care note" (in the C-CDA care plan
/// document types), with the kind in its `text`, and the category US Core's `clinical-note`.
fn kind_and_category(kind: CarePlanKind) -> (CodeableConcept, CodeableConcept) {
    match kind {
        CarePlanKind::AdvanceCarePlan => (
            coded(
                LOINC,
                "81334-5",
                "Patient Personal advance care plan",
                Some("Advance care plan"),
            ),
            coded(LOINC, "42348-3", "Advance directives", None),
        ),
        CarePlanKind::SurvivorshipCarePlan => (
            coded(LOINC, "18776-5", "Plan of care note", Some("Survivorship care plan")),
            coded(US_CORE_DOCUMENT_CATEGORY, "clinical-note", "Clinical Note", None),
        ),
    }
}

/// How a plan was shared, in v3 ParticipationMode: through an EHR or an HIE is `ELECTRONIC`
/// (electronic data); through a portal `ONLINEWRIT` (online written); by fax `FAXWRIT` (telefax);
/// by post `MAILWRIT` (mail); handed over in person `WRITTEN` (written: a paper copy given, which
/// `PHYSICAL`, an action beyond communication, would not describe).
fn medium(method: ShareMethod) -> CodeableConcept {
    let (code, display, text) = match method {
        ShareMethod::Electronic => ("ELECTRONIC", "electronic data", "Electronic health record or exchange"),
        ShareMethod::Portal => ("ONLINEWRIT", "online written", "Portal"),
        ShareMethod::Fax => ("FAXWRIT", "telefax", "Fax"),
        ShareMethod::Mail => ("MAILWRIT", "mail", "Mail"),
        ShareMethod::InPerson => ("WRITTEN", "written", "Handed over in person"),
    };
    coded(PARTICIPATION_MODE, code, display, Some(text))
}

/// Builds the bundle as entries are added, each resource once.
struct Builder<'a> {
    names: Names,
    practice: &'a Practice,
    practice_url: String,
    entries: Vec<Entry>,
    seen: std::collections::HashSet<String>,
}

impl Builder<'_> {
    /// Adds `resource` at `full_url` unless it is there already.
    fn add(&mut self, full_url: &str, resource: impl FnOnce(String) -> Resource) {
        if self.seen.insert(full_url.to_owned()) {
            self.entries.push(Entry {
                full_url: full_url.to_owned(),
                resource: resource(id_of(full_url)),
            });
        }
    }

    fn patient(&mut self, patient_ref: &str) -> String {
        let url = self.names.url(&format!("patients/{patient_ref}"));
        let system = self.names.system("patients");
        self.add(&url, |id| {
            Resource::Patient(Patient {
                id,
                identifier: vec![Identifier {
                    system,
                    value: patient_ref.to_owned(),
                }],
            })
        });
        url
    }

    fn practitioner(&mut self, staff: &Staff) -> String {
        let url = self.names.url(&format!("staff/{}", staff.id));
        let role_url = self.names.url(&format!("staff/{}/role", staff.id));
        let system = self.names.system("staff");
        self.add(&url, |id| {
            Resource::Practitioner(Practitioner {
                id,
                identifier: vec![Identifier {
                    system,
                    value: staff.id.to_string(),
                }],
                name: vec![HumanName {
                    text: staff.name.clone(),
                }],
            })
        });
        let (practitioner, organization) = (
            reference(&url, Some(&staff.name)),
            reference(&self.practice_url, Some(&self.practice.name)),
        );
        self.add(&role_url, |id| {
            Resource::PractitionerRole(PractitionerRole {
                id,
                practitioner,
                organization,
                code: vec![CodeableConcept {
                    coding: Vec::new(),
                    text: Some(staff.role.label().to_owned()),
                }],
            })
        });
        url
    }

    fn partner(&mut self, partner: &CarePartner) -> String {
        let url = self.names.url(&format!("care-partners/{}", partner.id));
        let system = self.names.system("care-partners");
        self.add(&url, |id| {
            Resource::Organization(Organization {
                id,
                identifier: vec![Identifier {
                    system,
                    value: partner.id.to_string(),
                }],
                name: partner.name.clone(),
            })
        });
        url
    }

    fn plan(&mut self, plan: &CarePlan, staff: &[Staff], period: Period) {
        let established = plan.established_on.filter(|day| *day <= period.to);
        let shares: Vec<&CarePlanShare> = plan
            .shares
            .iter()
            .filter(|s| !s.correction.is_voided() && period.contains(s.shared_on))
            .collect();
        let patient = self.patient(&plan.patient_ref);
        let author = staff
            .iter()
            .find(|s| s.id == plan.initiating_provider)
            .map(|s| (self.practitioner(s), s.name.clone()));
        let partners: Vec<(String, &CarePartner)> = plan.care_partners.iter().map(|p| (self.partner(p), p)).collect();
        let url = self.names.url(&format!("care-plans/{}", plan.id));
        let (kind, category) = kind_and_category(plan.kind);
        let kept = if plan.documented_in_record {
            format!(
                "Kept in the patient's medical record at {}; this export carries no copy",
                self.practice.name
            )
        } else {
            "Not documented in the patient's medical record; this export carries no copy".to_owned()
        };
        let mut description = format!(
            "{} discussed with the patient on {}",
            capitalized(plan.kind.label()),
            plan.discussed_on
        );
        if let Some(day) = established {
            description.push_str(&format!("; established on {day}"));
        }
        let document = DocumentReference {
            id: id_of(&url),
            identifier: vec![Identifier {
                system: self.names.system("care-plans"),
                value: plan.id.to_string(),
            }],
            status: "current",
            doc_status: if established.is_some() { "final" } else { "preliminary" },
            kind,
            category: vec![category],
            subject: reference(&patient, None),
            date: self.names.start_of(established.unwrap_or(plan.discussed_on)),
            author: author.iter().map(|(url, name)| reference(url, Some(name))).collect(),
            custodian: plan
                .documented_in_record
                .then(|| reference(&self.practice_url, Some(&self.practice.name))),
            description,
            content: vec![Content {
                attachment: Attachment { title: kept },
            }],
            context: (!partners.is_empty()).then(|| Context {
                related: partners.iter().map(|(url, p)| reference(url, Some(&p.name))).collect(),
            }),
        };
        self.add(&url, |_| Resource::DocumentReference(document));
        if let (CarePlanKind::AdvanceCarePlan, Some(day)) = (plan.kind, established) {
            let consent_url = self.names.url(&format!("care-plans/{}/advance-directive", plan.id));
            let consent = Consent {
                id: id_of(&consent_url),
                status: "active",
                scope: coded(CONSENT_SCOPE, "adr", "Advanced Care Directive", None),
                category: vec![coded(CONSENT_CATEGORY, "acd", "Advance Directive", None)],
                patient: reference(&patient, None),
                date_time: self.names.start_of(day),
                performer: vec![reference(&patient, None)],
                organization: vec![reference(&self.practice_url, Some(&self.practice.name))],
                source_reference: reference(&url, None),
                policy_rule: CodeableConcept {
                    coding: Vec::new(),
                    text: Some("The practice's advance care planning process".to_owned()),
                },
            };
            self.add(&consent_url, |_| Resource::Consent(consent));
        }
        for share in shares {
            let Some((partner_url, partner)) = partners.iter().find(|(_, p)| p.id == share.partner_id) else {
                continue; // the store only records shares with the plan's own partners
            };
            let share_url = self.names.url(&format!("care-plan-shares/{}", share.id));
            let communication = Communication {
                id: id_of(&share_url),
                identifier: vec![Identifier {
                    system: self.names.system("care-plan-shares"),
                    value: share.id.to_string(),
                }],
                status: "completed",
                subject: reference(&patient, None),
                sent: self.names.start_of(share.shared_on),
                recipient: vec![reference(partner_url, Some(&partner.name))],
                sender: reference(&self.practice_url, Some(&self.practice.name)),
                medium: vec![medium(share.method)],
                payload: vec![Payload {
                    content_reference: reference(&url, None),
                }],
            };
            self.add(&share_url, |_| Resource::Communication(communication));
        }
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Whether `plan` counts in `period`: not voided, and discussed, established or shared (a share
/// not voided) within it.
fn in_period(plan: &CarePlan, period: Period) -> bool {
    !plan.correction.is_voided()
        && (period.contains(plan.discussed_on)
            || plan.established_on.is_some_and(|day| period.contains(day))
            || plan
                .shares
                .iter()
                .any(|s| !s.correction.is_voided() && period.contains(s.shared_on)))
}

/// The care plans of `practice` that count in `period`, and their shares within it, as a FHIR R4
/// `Bundle` of type `collection`; `staff` names the initiating providers (voided staff included,
/// as a plan may name one). Plans of other practices are left out; the order of `plans` does not
/// matter.
pub fn care_plans_bundle(practice: &Practice, staff: &[Staff], plans: &[CarePlan], period: Period) -> Bundle {
    let names = Names::new(practice);
    let practice_url = names.url("");
    let bundle_url = names.url(&format!("fhir/care-plans/{}/{}", period.from, period.to));
    let timestamp = names.instant(period.to, NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN));
    let mut builder = Builder {
        names,
        practice,
        practice_url: practice_url.clone(),
        entries: Vec::new(),
        seen: Default::default(),
    };
    builder.add(&practice_url, |id| {
        Resource::Organization(Organization {
            id,
            identifier: vec![Identifier {
                system: format!("{PROJECT_URI}/practices"),
                value: practice.id.to_string(),
            }],
            name: practice.name.clone(),
        })
    });
    let mut counted: Vec<&CarePlan> = plans
        .iter()
        .filter(|p| p.practice_id == practice.id && in_period(p, period))
        .collect();
    counted.sort_by_key(|p| (p.discussed_on, p.id));
    for plan in counted {
        builder.plan(plan, staff, period);
    }
    Bundle {
        resource_type: "Bundle",
        id: id_of(&bundle_url),
        meta: Meta {
            last_updated: timestamp.clone(),
        },
        identifier: Identifier {
            system: builder.names.system("exports"),
            value: format!("fhir-care-plans-{}-{}", period.from, period.to),
        },
        kind: "collection",
        timestamp,
        entry: builder.entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CarePartnerId, CarePlanId, CarePlanShareId, OrganizationId, PracticeId, StaffId};
    use crate::records::{Correction, Role, Voided};
    use serde_json::Value;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn practice() -> Practice {
        Practice {
            id: PracticeId(7),
            organization_id: OrganizationId(1),
            name: "North Clinic".into(),
            initial_focus_population: None,
            catalog_id: "pcmh-n-domain-4".into(),
            catalog_version: "1.1.0".into(),
            joined_on: None,
            time_zone: "America/Detroit".into(),
        }
    }

    fn staff() -> Vec<Staff> {
        vec![Staff {
            id: StaffId(3),
            practice_id: PracticeId(7),
            name: "Dr. Ana Ruiz".into(),
            role: Role::Physician,
            started_on: day("2020-01-01"),
            ended_on: None,
            correction: Correction::default(),
        }]
    }

    fn voided() -> Correction {
        Correction {
            voided: Some(Voided {
                at: chrono::DateTime::UNIX_EPOCH,
                by: "Office manager".into(),
                user_id: None,
                token_id: None,
                reason: "entered twice".into(),
            }),
            ..Correction::default()
        }
    }

    fn share(id: i64, partner: i64, on: &str, method: ShareMethod, correction: Correction) -> CarePlanShare {
        CarePlanShare {
            id: CarePlanShareId(id),
            partner_id: CarePartnerId(partner),
            shared_on: day(on),
            method,
            correction,
        }
    }

    fn plans() -> Vec<CarePlan> {
        let partners = vec![
            CarePartner {
                id: CarePartnerId(1),
                name: "Cardiology, St. Mary's".into(),
            },
            CarePartner {
                id: CarePartnerId(2),
                name: "Health plan care manager".into(),
            },
            CarePartner {
                id: CarePartnerId(3),
                name: "Hospice of the Lakes".into(),
            },
        ];
        let acp = CarePlan {
            id: CarePlanId(10),
            practice_id: PracticeId(7),
            kind: CarePlanKind::AdvanceCarePlan,
            patient_ref: "MRN-0042".into(),
            initiating_provider: StaffId(3),
            discussed_on: day("2025-03-04"),
            established_on: Some(day("2025-03-10")),
            documented_in_record: true,
            care_partners: partners,
            shares: vec![
                share(100, 1, "2025-03-12", ShareMethod::Electronic, Correction::default()),
                share(101, 2, "2025-04-01", ShareMethod::Fax, Correction::default()),
                share(102, 3, "2025-04-02", ShareMethod::Mail, voided()),
                share(103, 1, "2026-02-01", ShareMethod::Portal, Correction::default()),
            ],
            correction: Correction::default(),
        };
        let survivorship = CarePlan {
            id: CarePlanId(11),
            kind: CarePlanKind::SurvivorshipCarePlan,
            patient_ref: "MRN-0077".into(),
            discussed_on: day("2025-06-01"),
            established_on: None,
            documented_in_record: false,
            care_partners: Vec::new(),
            shares: Vec::new(),
            ..acp.clone()
        };
        let voided_plan = CarePlan {
            id: CarePlanId(12),
            patient_ref: "MRN-0099".into(),
            correction: voided(),
            ..acp.clone()
        };
        let outside = CarePlan {
            id: CarePlanId(13),
            patient_ref: "MRN-0100".into(),
            discussed_on: day("2024-01-01"),
            established_on: Some(day("2024-01-02")),
            shares: Vec::new(),
            ..acp.clone()
        };
        vec![acp, survivorship, voided_plan, outside]
    }

    fn year() -> Period {
        Period {
            from: day("2025-01-01"),
            to: day("2025-12-31"),
        }
    }

    fn bundle() -> Value {
        serde_json::to_value(care_plans_bundle(&practice(), &staff(), &plans(), year())).unwrap()
    }

    fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["resource"])
            .filter(|r| r["resourceType"] == kind)
            .collect()
    }

    #[test]
    fn a_patient_carries_only_its_opaque_reference() {
        let bundle = bundle();
        let patients = resources(&bundle, "Patient");
        assert_eq!(
            patients.len(),
            2,
            "the voided plan's and the older plan's patients are left out"
        );
        for patient in patients {
            let keys: Vec<&str> = patient.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, ["id", "identifier", "resourceType"]);
            assert_eq!(patient["identifier"].as_array().unwrap().len(), 1);
            assert_eq!(
                patient["identifier"][0]["system"],
                "https://pcmh-track.org/practices/7/patients"
            );
        }
        let text = bundle.to_string();
        assert!(!text.contains("MRN-0099") && !text.contains("MRN-0100"));
    }

    #[test]
    fn the_same_records_give_the_same_bytes_in_any_order() {
        let once = serde_json::to_vec(&care_plans_bundle(&practice(), &staff(), &plans(), year())).unwrap();
        let mut reversed = plans();
        reversed.reverse();
        let again = serde_json::to_vec(&care_plans_bundle(&practice(), &staff(), &reversed, year())).unwrap();
        assert_eq!(once, again);
        let bundle = bundle();
        assert_eq!(bundle["timestamp"], "2025-12-31T23:59:59-05:00");
        assert_eq!(bundle["meta"]["lastUpdated"], bundle["timestamp"]);
        assert_eq!(bundle["type"], "collection");
    }

    #[test]
    fn each_share_of_the_period_not_voided_is_one_communication() {
        let bundle = bundle();
        let communications = resources(&bundle, "Communication");
        let shares: Vec<&str> = communications
            .iter()
            .map(|c| c["identifier"][0]["value"].as_str().unwrap())
            .collect();
        assert_eq!(
            shares,
            ["100", "101"],
            "the voided share and the one after the period are left out"
        );
        assert_eq!(communications[0]["medium"][0]["coding"][0]["code"], "ELECTRONIC");
        assert_eq!(communications[1]["medium"][0]["coding"][0]["code"], "FAXWRIT");
        assert_eq!(communications[0]["sent"], "2025-03-12T00:00:00-04:00");
        // The partner never shared with in the period is an Organization named on the plan.
        let organizations: Vec<&str> = resources(&bundle, "Organization")
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            organizations,
            [
                "North Clinic",
                "Cardiology, St. Mary's",
                "Health plan care manager",
                "Hospice of the Lakes"
            ]
        );
        let documents = resources(&bundle, "DocumentReference");
        assert_eq!(documents.len(), 2);
        assert_eq!(documents[0]["context"]["related"].as_array().unwrap().len(), 3);
        let reached: Vec<&Value> = communications.iter().map(|c| &c["recipient"][0]["reference"]).collect();
        let hospice = &documents[0]["context"]["related"][2]["reference"];
        assert!(!reached.contains(&hospice));
    }

    #[test]
    fn plans_are_shaped_as_us_core_adi_asks_and_the_directive_is_a_consent() {
        let bundle = bundle();
        let documents = resources(&bundle, "DocumentReference");
        let acp = documents[0];
        assert_eq!(acp["status"], "current");
        assert_eq!(acp["docStatus"], "final");
        assert_eq!(acp["type"]["coding"][0]["code"], "81334-5");
        assert_eq!(acp["category"][0]["coding"][0]["code"], "42348-3");
        assert_eq!(acp["date"], "2025-03-10T00:00:00-04:00");
        assert!(acp["content"][0]["attachment"].get("data").is_none());
        let survivorship = documents[1];
        assert_eq!(survivorship["docStatus"], "preliminary");
        assert_eq!(survivorship["type"]["coding"][0]["code"], "18776-5");
        assert!(survivorship.get("custodian").is_none() && survivorship.get("context").is_none());
        let consents = resources(&bundle, "Consent");
        assert_eq!(
            consents.len(),
            1,
            "only the established advance care plan is a directive"
        );
        let consent = consents[0];
        assert_eq!(consent["scope"]["coding"][0]["code"], "adr");
        assert_eq!(consent["category"][0]["coding"][0]["code"], "acd");
        assert!(consent.get("policyRule").is_some() || consent.get("policy").is_some());
        let acp_url = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["resource"]["resourceType"] == "DocumentReference")
            .map(|e| e["fullUrl"].clone())
            .unwrap();
        assert_eq!(consent["sourceReference"]["reference"], acp_url);
        let author = &acp["author"][0]["reference"];
        let practitioner = resources(&bundle, "Practitioner")[0];
        assert_eq!(
            author.as_str().unwrap(),
            format!("urn:uuid:{}", practitioner["id"].as_str().unwrap())
        );
        assert_eq!(
            resources(&bundle, "PractitionerRole")[0]["code"][0]["text"],
            "physician"
        );
    }

    /// Every empty array, empty object, empty string or null in `value`, by path.
    fn empties(value: &Value, path: &str, out: &mut Vec<String>) {
        match value {
            Value::Null => out.push(path.to_owned()),
            Value::String(s) if s.trim().is_empty() => out.push(path.to_owned()),
            Value::Array(items) if items.is_empty() => out.push(path.to_owned()),
            Value::Object(fields) if fields.is_empty() => out.push(path.to_owned()),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    empties(item, &format!("{path}[{i}]"), out);
                }
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    empties(item, &format!("{path}.{key}"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn nothing_is_empty_or_null_and_every_reference_is_an_entry() {
        for bundle in [
            bundle(),
            serde_json::to_value(care_plans_bundle(&practice(), &[], &[], year())).unwrap(),
        ] {
            let mut found = Vec::new();
            empties(&bundle, "$", &mut found);
            assert!(found.is_empty(), "{found:?}");
            let entries = bundle["entry"].as_array().unwrap();
            let urls: std::collections::HashSet<&str> =
                entries.iter().map(|e| e["fullUrl"].as_str().unwrap()).collect();
            assert_eq!(urls.len(), entries.len(), "full URLs are unique");
            for entry in entries {
                let url = entry["fullUrl"].as_str().unwrap();
                assert_eq!(url, format!("urn:uuid:{}", entry["resource"]["id"].as_str().unwrap()));
                assert_eq!(Uuid::parse_str(&url[9..]).unwrap().get_version_num(), 5);
            }
            let text = bundle.to_string();
            for (at, _) in text.match_indices("\"reference\":\"") {
                let rest = &text[at + 13..];
                let target = &rest[..rest.find('"').unwrap()];
                assert!(urls.contains(target), "{target} is not an entry");
            }
        }
    }

    #[test]
    fn a_day_starts_at_the_first_local_time_that_exists() {
        let names = Names::new(&Practice {
            time_zone: "America/Santiago".into(),
            ..practice()
        });
        // Chile moved its clocks from 00:00 to 01:00 on 2025-09-07.
        assert_eq!(names.start_of(day("2025-09-07")), "2025-09-07T01:00:00-03:00");
        let unknown = Names::new(&Practice {
            time_zone: "Mars/Olympus".into(),
            ..practice()
        });
        assert_eq!(unknown.start_of(day("2025-09-07")), "2025-09-07T00:00:00+00:00");
    }
}
