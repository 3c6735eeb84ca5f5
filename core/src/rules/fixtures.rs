//! Records built in a few words, for the rules' tests.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};

use crate::catalog::{Catalog, Scope, Vocabulary};
use crate::ids::*;
use crate::records::*;

use super::Evaluation;

pub fn d(s: &str) -> NaiveDate {
    s.parse().expect("a test date")
}

pub fn term(s: &str) -> Term {
    Term::parse(s).expect("a test term")
}

pub fn cid(s: &str) -> CriterionId {
    CriterionId::parse(s).expect("a test criterion id")
}

/// A catalog with labels for the terms the tests use and no criteria.
pub fn vocabulary_catalog() -> Catalog {
    let labels = |pairs: &[(&str, &str)]| -> BTreeMap<Term, String> {
        pairs.iter().map(|(t, l)| (term(t), (*l).to_owned())).collect()
    };
    Catalog {
        id: "test".into(),
        version: semver::Version::new(1, 0, 0),
        effective: d("2020-01-01"),
        title: "Test".into(),
        source: "Test".into(),
        upgrade_from: None,
        vocabulary: Vocabulary {
            training_topics: labels(&[
                ("pcmh_n_model", "PCMH-N model"),
                ("chronic_care_model", "Chronic Care Model"),
                ("practice_transformation", "practice transformation"),
                ("care_manager_onboarding", "care manager onboarding"),
            ]),
            document_types: labels(&[("care_management_workflow", "care management workflow")]),
            survey_kinds: labels(&[
                ("patient_satisfaction", "patient satisfaction survey"),
                ("office_efficiency", "office efficiency survey"),
            ]),
            report_types: labels(&[("member_list", "member list")]),
            meeting_kinds: labels(&[("case_conference", "case conference"), ("huddle", "huddle")]),
        },
        criteria: Vec::new(),
    }
}

/// A practice's records, written step by step.
pub struct Book {
    pub records: Records,
    next: i64,
}

pub const PRACTICE: PracticeId = PracticeId(1);

impl Book {
    /// One practice, with its initial-focus population declared, and nothing else.
    pub fn new() -> Self {
        Book {
            records: Records {
                practices: vec![Practice {
                    id: PRACTICE,
                    organization_id: OrganizationId(1),
                    name: "Maple Street Family Medicine".into(),
                    initial_focus_population: Some("adults with diabetes".into()),
                    catalog_id: "pcmh-n-domain-4".into(),
                    catalog_version: "1.0.0".into(),
                    joined_on: None,
                    time_zone: crate::records::DEFAULT_TIME_ZONE.into(),
                }],
                ..Records::default()
            },
            next: 100,
        }
    }

    fn id(&mut self) -> i64 {
        self.next += 1;
        self.next
    }

    pub fn evaluation<'a>(&'a self, catalog: &'a Catalog, as_of: &str) -> Evaluation<'a> {
        Evaluation::for_practice(catalog, &self.records, d(as_of))
    }

    pub fn organization_evaluation<'a>(&'a self, catalog: &'a Catalog, as_of: &str) -> Evaluation<'a> {
        Evaluation {
            subject: Scope::PhysicianOrganization,
            ..self.evaluation(catalog, as_of)
        }
    }

    pub fn add_practice(&mut self, id: i64, name: &str) -> PracticeId {
        self.records.practices.push(Practice {
            id: PracticeId(id),
            organization_id: OrganizationId(1),
            name: name.into(),
            initial_focus_population: None,
            catalog_id: "pcmh-n-domain-4".into(),
            catalog_version: "1.0.0".into(),
            joined_on: None,
            time_zone: crate::records::DEFAULT_TIME_ZONE.into(),
        });
        PracticeId(id)
    }

    pub fn staff(&mut self, name: &str, role: Role, started: &str) -> StaffId {
        self.staff_in(PRACTICE, name, role, started)
    }

    pub fn staff_in(&mut self, practice: PracticeId, name: &str, role: Role, started: &str) -> StaffId {
        let id = StaffId(self.id());
        self.records.staff.push(Staff {
            id,
            practice_id: practice,
            name: name.into(),
            role,
            started_on: d(started),
            ended_on: None,
            correction: Default::default(),
        });
        id
    }

    pub fn left(&mut self, staff: StaffId, ended: &str) {
        if let Some(s) = self.records.staff.iter_mut().find(|s| s.id == staff) {
            s.ended_on = Some(d(ended));
        }
    }

    pub fn training(&mut self, staff: StaffId, topic: &str, completed: &str) -> TrainingId {
        let id = TrainingId(self.id());
        self.records.trainings.push(TrainingRecord {
            id,
            staff_id: staff,
            topic: term(topic),
            completed_on: d(completed),
            hours: 1.5,
            trainer: None,
            document_id: None,
            correction: Default::default(),
        });
        id
    }

    pub fn meeting(&mut self, held: &str, roles: &[Role], documented: bool) -> TeamMeetingId {
        let id = TeamMeetingId(self.id());
        self.records.meetings.push(TeamMeeting {
            id,
            practice_id: PRACTICE,
            held_on: d(held),
            kind: term("case_conference"),
            attendees: roles.iter().map(|&role| Attendee { role, staff_id: None }).collect(),
            patients_reviewed: 4,
            documented_in_chart: documented,
            follow_ups: Vec::new(),
            correction: Default::default(),
        });
        id
    }

    pub fn follow_up(&mut self, meeting: TeamMeetingId, what: &str, due: &str, completed: Option<&str>) {
        if let Some(m) = self.records.meetings.iter_mut().find(|m| m.id == meeting) {
            m.follow_ups.push(FollowUp {
                description: what.into(),
                owner: None,
                due_on: d(due),
                completed_on: completed.map(d),
                correction: Default::default(),
            });
        }
    }

    /// A care plan with `partners` care partners and no share yet.
    pub fn care_plan(
        &mut self,
        kind: CarePlanKind,
        discussed: &str,
        established: Option<&str>,
        documented: bool,
        partners: usize,
    ) -> CarePlanId {
        let id = CarePlanId(self.id());
        let care_partners = (0..partners)
            .map(|n| CarePartner {
                id: CarePartnerId(id.0 * 10 + n as i64),
                name: format!("partner {n}"),
            })
            .collect();
        self.records.care_plans.push(CarePlan {
            id,
            practice_id: PRACTICE,
            kind,
            patient_ref: format!("PT-{:05}", id.0),
            initiating_provider: StaffId(1),
            discussed_on: d(discussed),
            established_on: established.map(d),
            documented_in_record: documented,
            care_partners,
            shares: Vec::new(),
            correction: Default::default(),
        });
        id
    }

    pub fn share(&mut self, plan: CarePlanId, partner: usize, shared: &str) -> CarePlanShareId {
        let id = CarePlanShareId(self.id());
        if let Some(p) = self.records.care_plans.iter_mut().find(|p| p.id == plan) {
            let partner_id = p.care_partners[partner].id;
            p.shares.push(CarePlanShare {
                id,
                partner_id,
                shared_on: d(shared),
                method: ShareMethod::Electronic,
                correction: Default::default(),
            });
        }
        id
    }

    pub fn attest(&mut self, criterion: &str, status: AttestedStatus, effective: &str) -> AttestationId {
        let id = AttestationId(self.id());
        self.records.attestations.push(Attestation {
            id,
            owner: Owner::Practice(PRACTICE),
            criterion: cid(criterion),
            catalog_version: "1.0.0".into(),
            status,
            effective_on: d(effective),
            signer: "Dana Reyes".into(),
            signer_role: "practice manager".into(),
            statement: "Reviewed with the care team.".into(),
            evidence: Vec::new(),
            supersedes: None,
            recorded_at: Utc.with_ymd_and_hms(2026, 1, 5, 12, 0, 0).single().expect("a time"),
        });
        id
    }

    pub fn supersede(&mut self, old: AttestationId, status: AttestedStatus, effective: &str) -> AttestationId {
        let criterion = self
            .records
            .attestations
            .iter()
            .find(|a| a.id == old)
            .map(|a| a.criterion.to_string())
            .expect("the attestation to correct");
        let id = self.attest(&criterion, status, effective);
        if let Some(a) = self.records.attestations.iter_mut().find(|a| a.id == id) {
            a.supersedes = Some(old);
        }
        id
    }

    pub fn document(&mut self, document_type: &str, criteria: &[&str], effective: &str) -> DocumentId {
        let id = DocumentId(self.id());
        self.records.documents.push(Document {
            id,
            owner: Owner::Practice(PRACTICE),
            title: format!("{document_type} {effective}"),
            document_type: term(document_type),
            criteria: criteria.iter().map(|c| cid(c)).collect(),
            effective_on: d(effective),
            correction: Default::default(),
        });
        id
    }

    pub fn survey(&mut self, kind: &str, conducted: &str) -> SurveyResultId {
        let id = SurveyResultId(self.id());
        self.records.surveys.push(SurveyResult {
            id,
            practice_id: PRACTICE,
            kind: term(kind),
            conducted_on: d(conducted),
            respondents: 120,
            score: 87.5,
            correction: Default::default(),
        });
        id
    }

    pub fn report(&mut self, report_type: &str, start: &str, end: &str) -> PeriodicReportId {
        let id = PeriodicReportId(self.id());
        self.records.reports.push(PeriodicReport {
            id,
            owner: Owner::Organization(OrganizationId(1)),
            report_type: term(report_type),
            period_start: d(start),
            period_end: d(end),
            document_id: None,
            correction: Default::default(),
        });
        id
    }

    /// A report of `report_type` for each month from `first` through `last` ("YYYY-MM").
    pub fn monthly_reports(&mut self, report_type: &str, first: &str, last: &str) {
        let mut month = d(&format!("{first}-01"));
        let end = d(&format!("{last}-01"));
        while month <= end {
            let next = month.checked_add_months(chrono::Months::new(1)).expect("a month");
            let last_day = next.pred_opt().expect("a day");
            self.report(report_type, &month.to_string(), &last_day.to_string());
            month = next;
        }
    }
}
