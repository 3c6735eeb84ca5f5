//! Kept evaluations always equal fresh ones. Random sequences of audited writes (staff joining
//! and leaving, back-dated trainings, meetings, care plans and their shares, surveys, reports,
//! documents, attestations and their corrections, voids, catalog upgrades, changes to a
//! practice) interleaved with days passing and passes of the background worker; after each
//! step the PO's matrix, due lists and trend read from kept evaluations must equal, as JSON,
//! those computed from the records. Only the core actions write, so the test also shows that
//! every action marks what it changes stale. Runs on SQLite, and on a fresh PostgreSQL database
//! when `PCMH_TEST_POSTGRES_URL` is set.

mod common;

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use common::TestDatabase;
use serde_json::Value;

use pcmh_core::access::{Actor, Principal, TokenRole};
use pcmh_core::actions::attestations::{Attesting, UploadedEvidence};
use pcmh_core::actions::documents::ReceivedFile;
use pcmh_core::actions::{self, admin, attestations, care_plans, documents, meetings, po_admin, practices, staff};
use pcmh_core::actions::{surveys, trainings};
use pcmh_core::catalog::{Catalog, CatalogSet, CriterionId, EvidenceRequirement, Scope, Term};
use pcmh_core::ids::{
    CarePlanId, DocumentId, OrganizationId, PeriodicReportId, PracticeId, StaffId, SurveyResultId, TeamMeetingId,
    TrainingId,
};
use pcmh_core::records::{AttestedStatus, CarePlan, CarePlanKind, Owner, Role, ShareMethod};
use pcmh_core::rules::organization::{month_end, DueFilter};
use pcmh_core::rules::view;
use pcmh_core::store::attestations::NewAttestation;
use pcmh_core::store::care_plans::{CarePlanUpdate, NewCarePlan, NewCarePlanShare};
use pcmh_core::store::documents::{DocumentFile, NewDocument};
use pcmh_core::store::files::{EvidenceFiles, FolderFiles};
use pcmh_core::store::meetings::{FollowUpCompletion, NewAttendee, NewFollowUp, NewMeeting};
use pcmh_core::store::organizations::NewOrganization;
use pcmh_core::store::practices::{NewPractice, PracticeUpdate};
use pcmh_core::store::reports::NewReport;
use pcmh_core::store::staff::{NewStaff, StaffUpdate};
use pcmh_core::store::surveys::NewSurvey;
use pcmh_core::store::trainings::{ImportRow, Imported, NewTraining};
use pcmh_core::store::voids::{Replaces, Void};
use pcmh_core::store::{kept, records, Store, StoreError, StoreResult};

/// Seeds run per backend, and steps per seed.
const SEEDS: u64 = 6;
const STEPS: usize = 40;

/// A deterministic stream of pseudo-random numbers (SplitMix64) from a seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    /// True `percent` times in 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.index(items.len()))
        }
    }
}

fn catalogs() -> CatalogSet {
    CatalogSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy-catalog"))
        .expect("the released catalogs load")
}

fn term(text: &str) -> Term {
    Term::parse(text).expect("a term")
}

fn criterion(text: &str) -> CriterionId {
    CriterionId::parse(text).expect("a criterion id")
}

fn before(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(days)).expect("a date")
}

fn after(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_add_days(Days::new(days)).expect("a date")
}

/// The last day of the month before `day`'s.
fn previous_month_end(day: NaiveDate) -> NaiveDate {
    day.with_day(1).and_then(|d| d.pred_opt()).expect("a date")
}

/// Up to 12 differences between the fresh and the kept JSON, each with its path.
fn differences(path: &str, fresh: &Value, kept: &Value, out: &mut Vec<String>) {
    if out.len() >= 12 || fresh == kept {
        return;
    }
    match (fresh, kept) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let null = Value::Null;
                differences(
                    &format!("{path}.{key}"),
                    a.get(key).unwrap_or(&null),
                    b.get(key).unwrap_or(&null),
                    out,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}[{i}]"), x, y, out);
            }
        }
        _ => {
            let short = |v: &Value| {
                let text = v.to_string();
                if text.chars().count() > 300 {
                    format!("{}…", text.chars().take(300).collect::<String>())
                } else {
                    text
                }
            };
            out.push(format!("{path}: fresh {} / kept {}", short(fresh), short(kept)));
        }
    }
}

/// Names `label` and the differing paths unless `fresh` and `kept` are the same JSON.
fn same<T: serde::Serialize, U: serde::Serialize>(label: &str, what: &str, fresh: &T, kept: &U) -> Result<(), String> {
    let fresh = serde_json::to_value(fresh).expect("JSON");
    let kept = serde_json::to_value(kept).expect("JSON");
    if fresh == kept {
        return Ok(());
    }
    let mut out = Vec::new();
    differences("$", &fresh, &kept, &mut out);
    Err(format!(
        "{label}: the kept {what} differs from the fresh one:\n  {}",
        out.join("\n  ")
    ))
}

/// Whether a refused write is one of the refusals a user can cause (never a fault).
fn refused(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::NotFound { .. } | StoreError::Conflict { .. } | StoreError::Invalid { .. }
    )
}

struct Po {
    id: OrganizationId,
    practices: Vec<PracticeId>,
}

struct Member {
    practice: PracticeId,
    id: StaffId,
    role: Role,
    started_on: NaiveDate,
}

/// The store, what the test has written to it and the day it evaluates.
struct World<'s> {
    store: &'s Store,
    catalogs: &'s CatalogSet,
    files: FolderFiles,
    principal: Principal,
    /// The PO the steps mostly write to, and a second one.
    pos: Vec<Po>,
    staff: Vec<Member>,
    trainings: Vec<(PracticeId, TrainingId)>,
    meetings: Vec<(PracticeId, TeamMeetingId)>,
    /// Follow-up items not done yet: practice, meeting, item, the day the meeting was held.
    follow_ups: Vec<(PracticeId, TeamMeetingId, i64, NaiveDate)>,
    plans: Vec<CarePlan>,
    surveys: Vec<(PracticeId, SurveyResultId)>,
    reports: Vec<(OrganizationId, PeriodicReportId)>,
    documents: Vec<(OrganizationId, Owner, DocumentId)>,
    /// The day the views are asked for ("today").
    day: NaiveDate,
    random: Random,
    seed: u64,
    serial: u64,
    upgraded: bool,
    /// Time spent writing, computing fresh views and reading kept ones.
    timing: [Duration; 3],
}

const ROLES: [Role; 8] = [
    Role::Physician,
    Role::Nurse,
    Role::CareManager,
    Role::MedicalAssistant,
    Role::BehavioralHealth,
    Role::NursePractitioner,
    Role::OfficeLeader,
    Role::FrontOffice,
];

/// A practice made at the start: its catalog version, how many days before the first day it
/// joined its PO, its time zone, and whether it declares an initial-focus population.
type PracticeLayout = (&'static str, Option<u64>, Option<&'static str>, bool);

const ZONES: [&str; 5] = [
    "America/Detroit",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Asia/Tokyo",
    "Pacific/Kiritimati",
];

impl<'s> World<'s> {
    /// Two POs made through the actions: the first with four practices (three on 1.0.0, one on
    /// 1.1.0; one that joined a month ago, two in other time zones), the second with one; and
    /// some staff in each practice.
    fn new(store: &'s Store, catalogs: &'s CatalogSet, dir: &Path, seed: u64) -> Self {
        let principal = Principal {
            token_id: None,
            user_id: None,
            role: TokenRole::Admin,
            organization: None,
            practice: None,
        };
        let day = after(NaiveDate::from_ymd_opt(2026, 3, 10).expect("a date"), seed * 23 % 200);
        let mut world = World {
            store,
            catalogs,
            files: FolderFiles::new(dir.join("evidence")),
            principal,
            pos: Vec::new(),
            staff: Vec::new(),
            trainings: Vec::new(),
            meetings: Vec::new(),
            follow_ups: Vec::new(),
            plans: Vec::new(),
            surveys: Vec::new(),
            reports: Vec::new(),
            documents: Vec::new(),
            day,
            random: Random(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x4B45_5054),
            seed,
            serial: 0,
            upgraded: false,
            timing: Default::default(),
        };
        let layout: [&[PracticeLayout]; 2] = [
            &[
                ("1.0.0", None, None, true),
                ("1.0.0", Some(30), Some("America/Los_Angeles"), true),
                ("1.1.0", None, Some("Pacific/Honolulu"), true),
                ("1.0.0", None, None, false),
            ],
            &[("1.0.0", None, None, true)],
        ];
        for (n, specs) in layout.iter().enumerate() {
            let anyone = Actor {
                principal,
                organization: None,
                practice: None,
            };
            let organization = admin::create_organization(
                store,
                &anyone,
                &NewOrganization {
                    name: format!("Kept PO {seed}-{n}"),
                },
            )
            .expect("a PO");
            let mut po = Po {
                id: organization.id,
                practices: Vec::new(),
            };
            for (k, (version, joined_days_ago, zone, focus)) in specs.iter().enumerate() {
                let practice = po_admin::create_practice(
                    store,
                    catalogs,
                    &world.on_organization(organization.id),
                    organization.id,
                    &NewPractice {
                        name: format!("Practice {n}-{k}"),
                        initial_focus_population: focus.then(|| "adults with diabetes".into()),
                        catalog_version: Some((*version).into()),
                        joined_on: joined_days_ago.map(|days| before(day, days)),
                        time_zone: zone.map(Into::into),
                    },
                )
                .expect("a practice");
                po.practices.push(practice.id);
            }
            world.pos.push(po);
        }
        let all: Vec<PracticeId> = world.pos.iter().flat_map(|po| po.practices.clone()).collect();
        for (k, practice) in all.into_iter().enumerate() {
            let roles: &[Role] = if k % 3 == 2 {
                &[Role::Physician, Role::Nurse]
            } else {
                &[Role::Physician, Role::Nurse, Role::CareManager]
            };
            for role in roles {
                let started_on = before(day, 400 + 97 * k as u64);
                world.hire(practice, *role, started_on, None).expect("staff");
            }
        }
        world
    }

    fn on_organization(&self, organization: OrganizationId) -> Actor {
        Actor {
            principal: self.principal,
            organization: Some(organization),
            practice: None,
        }
    }

    fn organization_of(&self, practice: PracticeId) -> OrganizationId {
        self.pos
            .iter()
            .find(|po| po.practices.contains(&practice))
            .map(|po| po.id)
            .expect("a practice of a PO")
    }

    fn on_practice(&self, practice: PracticeId) -> Actor {
        Actor {
            principal: self.principal,
            organization: Some(self.organization_of(practice)),
            practice: Some(practice),
        }
    }

    /// The catalog version `practice` is assessed against now.
    fn catalog_of(&self, practice: PracticeId) -> &'s Catalog {
        let found = self
            .store
            .read(|c| pcmh_core::store::practices::get(c, practice))
            .expect("the practice");
        self.catalogs
            .named(&found.catalog_id, &found.catalog_version)
            .expect("its catalog")
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    fn hire(
        &mut self,
        practice: PracticeId,
        role: Role,
        started_on: NaiveDate,
        ended_on: Option<NaiveDate>,
    ) -> StoreResult<String> {
        let serial = self.next_serial();
        let member = staff::add_staff(
            self.store,
            &self.on_practice(practice),
            practice,
            &NewStaff {
                name: format!("Staff {serial}"),
                role,
                started_on,
                ended_on,
                replaces: None,
            },
        )?;
        self.staff.push(Member {
            practice,
            id: member.id,
            role,
            started_on,
        });
        Ok(format!(
            "add staff {} ({role:?}) to practice {practice}, started {started_on}, ended {ended_on:?}",
            member.id
        ))
    }

    /// A practice of the PO most steps write to (sometimes the second PO's).
    fn some_practice(&mut self) -> PracticeId {
        let po = if self.random.chance(15) { 1 } else { 0 };
        let practices = self.pos[po].practices.clone();
        *self.random.pick(&practices).expect("a practice")
    }

    fn some_organization(&mut self) -> OrganizationId {
        if self.random.chance(15) {
            self.pos[1].id
        } else {
            self.pos[0].id
        }
    }

    /// A day before today: mostly within `recent` days, sometimes years back.
    fn back_dated(&mut self, recent: u64) -> NaiveDate {
        let days = if self.random.chance(25) {
            365 * (1 + self.random.below(3)) + self.random.below(365)
        } else {
            self.random.below(recent)
        };
        before(self.day, days)
    }

    fn members_of(&self, practice: PracticeId) -> Vec<(StaffId, Role, NaiveDate)> {
        self.staff
            .iter()
            .filter(|m| m.practice == practice)
            .map(|m| (m.id, m.role, m.started_on))
            .collect()
    }

    fn add_staff(&mut self) -> StoreResult<String> {
        let practice = self.some_practice();
        let role = *self.random.pick(&ROLES).expect("a role");
        let started_on = self.back_dated(120);
        let ended_on = self.random.chance(10).then(|| after(started_on, self.random.below(60)));
        self.hire(practice, role, started_on, ended_on)
    }

    fn staff_leaving(&mut self) -> StoreResult<String> {
        let Some(index) = (!self.staff.is_empty()).then(|| self.random.index(self.staff.len())) else {
            return Ok("no staff to leave".into());
        };
        let (practice, id, started_on) = {
            let m = &self.staff[index];
            (m.practice, m.id, m.started_on)
        };
        let ended_on = if self.random.chance(15) {
            None
        } else {
            Some(before(self.day, self.random.below(90)).max(started_on))
        };
        staff::update_staff(
            self.store,
            &self.on_practice(practice),
            practice,
            id,
            &StaffUpdate { ended_on },
        )?;
        Ok(format!("staff {id} of practice {practice} leaves on {ended_on:?}"))
    }

    fn record_training(&mut self) -> StoreResult<String> {
        let practice = self.some_practice();
        let members = self.members_of(practice);
        let Some(&(id, _, started_on)) = self.random.pick(&members) else {
            return Ok("no staff to train".into());
        };
        let catalog = self.catalog_of(practice);
        let topics: Vec<Term> = catalog.vocabulary.training_topics.keys().cloned().collect();
        let topic = self.random.pick(&topics).expect("a topic").clone();
        let completed_on = self.back_dated(60).max(started_on);
        let earlier: Vec<TrainingId> = self
            .trainings
            .iter()
            .filter(|(p, _)| *p == practice)
            .map(|(_, t)| *t)
            .collect();
        let replaces = if self.random.chance(20) {
            self.random.pick(&earlier).map(|t| Replaces {
                id: t.0,
                reason: "The date was wrong.".into(),
            })
        } else {
            None
        };
        let created = trainings::record_training(
            self.store,
            self.catalogs,
            &self.on_practice(practice),
            practice,
            &NewTraining {
                staff_id: id,
                topic: topic.clone(),
                completed_on,
                hours: 1.5,
                trainer: Some("PO transformation team".into()),
                document_id: None,
                replaces: replaces.clone(),
            },
        )?;
        if let Some(r) = &replaces {
            self.trainings.retain(|(_, t)| t.0 != r.id);
        }
        self.trainings.push((practice, created.id));
        Ok(format!(
            "training {} of staff {id} (practice {practice}) on {topic}, completed {completed_on}, replacing {:?}",
            created.id,
            replaces.map(|r| r.id)
        ))
    }

    fn record_meeting(&mut self) -> StoreResult<String> {
        let practice = self.some_practice();
        let mut members = self.members_of(practice);
        let catalog = self.catalog_of(practice);
        let kinds: Vec<Term> = catalog.vocabulary.meeting_kinds.keys().cloned().collect();
        let kind = self.random.pick(&kinds).expect("a meeting kind").clone();
        let held_on = self.back_dated(45);
        let mut attendees = Vec::new();
        for _ in 0..3 {
            if members.is_empty() {
                break;
            }
            let (id, role, _) = members.remove(self.random.index(members.len()));
            attendees.push(NewAttendee {
                role,
                staff_id: Some(id),
            });
        }
        let follow_ups = if self.random.chance(30) {
            let due_on = after(held_on, self.random.below(30));
            vec![NewFollowUp {
                description: "Call the specialist".into(),
                owner: None,
                due_on,
                completed_on: self.random.chance(50).then(|| after(held_on, self.random.below(40))),
            }]
        } else {
            Vec::new()
        };
        let created = meetings::record_meeting(
            self.store,
            self.catalogs,
            &self.on_practice(practice),
            practice,
            &NewMeeting {
                held_on,
                kind: kind.clone(),
                attendees,
                patients_reviewed: 3,
                documented_in_chart: self.random.chance(85),
                follow_ups,
                replaces: None,
            },
        )?;
        self.meetings.push((practice, created.id));
        for item in created.follow_ups.iter().filter(|f| f.completed_on.is_none()) {
            self.follow_ups.push((practice, created.id, item.id, held_on));
        }
        Ok(format!(
            "meeting {} ({kind}) of practice {practice} held {held_on}",
            created.id
        ))
    }

    fn complete_follow_up(&mut self) -> StoreResult<String> {
        if self.follow_ups.is_empty() {
            return Ok("no follow-up item to complete".into());
        }
        let (practice, meeting, item, held_on) = self.follow_ups.remove(self.random.index(self.follow_ups.len()));
        let completed_on = after(held_on, self.random.below(40));
        meetings::complete_follow_up(
            self.store,
            &self.on_practice(practice),
            practice,
            meeting,
            item,
            &FollowUpCompletion { completed_on },
        )?;
        Ok(format!(
            "follow-up {item} of meeting {meeting} (practice {practice}) done on {completed_on}"
        ))
    }

    /// Trainings of a practice's staff imported from a file, all or nothing, under one audit event.
    fn import_trainings(&mut self) -> StoreResult<String> {
        let practice = self.some_practice();
        let members = self.members_of(practice);
        let catalog = self.catalog_of(practice);
        let topics: Vec<Term> = catalog.vocabulary.training_topics.keys().cloned().collect();
        let mut rows = Vec::new();
        for line in 2..3 + self.random.below(3) {
            let Some(&(staff_id, _, started_on)) = self.random.pick(&members) else {
                break;
            };
            rows.push(ImportRow {
                line,
                staff_name: None,
                form: NewTraining {
                    staff_id,
                    topic: self.random.pick(&topics).expect("a topic").clone(),
                    completed_on: self.back_dated(90).max(started_on),
                    hours: 2.0,
                    trainer: None,
                    document_id: None,
                    replaces: None,
                },
            });
        }
        match trainings::import_trainings(self.store, self.catalogs, &self.on_practice(practice), practice, &rows)? {
            Imported::Written(written) => {
                self.trainings.extend(written.iter().map(|t| (practice, t.id)));
                Ok(format!(
                    "import of {} trainings into practice {practice}",
                    written.len()
                ))
            }
            Imported::Refused(problems) => Ok(format!("refused: import into practice {practice}: {problems:?}")),
        }
    }

    /// Records a plan's execution date later, or whether it is documented in the record.
    fn update_care_plan(&mut self) -> StoreResult<String> {
        if self.plans.is_empty() {
            return Ok("no care plan to update".into());
        }
        let index = self.random.index(self.plans.len());
        let (practice, id, discussed_on, established_on, documented) = {
            let plan = &self.plans[index];
            (
                plan.practice_id,
                plan.id,
                plan.discussed_on,
                plan.established_on,
                plan.documented_in_record,
            )
        };
        let form = if established_on.is_none() {
            CarePlanUpdate {
                established_on: Some(after(discussed_on, self.random.below(20))),
                documented_in_record: None,
            }
        } else {
            CarePlanUpdate {
                established_on: None,
                documented_in_record: Some(!documented),
            }
        };
        let updated = care_plans::update_care_plan(self.store, &self.on_practice(practice), practice, id, &form)?;
        self.plans[index] = updated;
        Ok(format!("update care plan {id} of practice {practice}: {form:?}"))
    }

    fn add_care_plan(&mut self) -> StoreResult<String> {
        let practice = self.some_practice();
        let members = self.members_of(practice);
        let Some(&(provider, _, _)) = self.random.pick(&members) else {
            return Ok("no provider for a care plan".into());
        };
        let kind = if self.random.chance(70) {
            CarePlanKind::AdvanceCarePlan
        } else {
            CarePlanKind::SurvivorshipCarePlan
        };
        let discussed_on = self.back_dated(200);
        let established_on = self
            .random
            .chance(75)
            .then(|| after(discussed_on, self.random.below(10)));
        let mut partners = vec!["Community pharmacy".to_owned()];
        if self.random.chance(50) {
            partners.push("Cardiology, Lakeside Regional".into());
        }
        let serial = self.next_serial();
        let plan = care_plans::add_care_plan(
            self.store,
            &self.on_practice(practice),
            practice,
            &NewCarePlan {
                kind,
                patient_ref: format!("KEPT-{}-{serial}", self.seed),
                initiating_provider: provider,
                discussed_on,
                established_on,
                documented_in_record: self.random.chance(80),
                care_partners: partners,
                replaces: None,
            },
        )?;
        let text = format!(
            "care plan {} ({kind:?}) of practice {practice}, discussed {discussed_on}, established {established_on:?}",
            plan.id
        );
        self.plans.push(plan);
        Ok(text)
    }

    fn share_care_plan(&mut self) -> StoreResult<String> {
        let established: Vec<&CarePlan> = self.plans.iter().filter(|p| p.established_on.is_some()).collect();
        let Some(plan) = (!established.is_empty()).then(|| established[self.random.index(established.len())]) else {
            return Ok("no established care plan to share".into());
        };
        let (practice, id) = (plan.practice_id, plan.id);
        let partner = plan.care_partners[self.random.index(plan.care_partners.len())].id;
        let shared_on = after(plan.established_on.expect("established"), self.random.below(45));
        let method = if self.random.chance(50) {
            ShareMethod::Electronic
        } else {
            ShareMethod::Portal
        };
        let share = care_plans::share_care_plan(
            self.store,
            &self.on_practice(practice),
            practice,
            id,
            &NewCarePlanShare {
                partner_id: partner,
                shared_on,
                method,
                replaces: None,
            },
        )?;
        Ok(format!(
            "share {} of care plan {id} (practice {practice}) on {shared_on}",
            share.id
        ))
    }

    fn add_survey(&mut self) -> StoreResult<String> {
        let practice = self.some_practice();
        let catalog = self.catalog_of(practice);
        let kinds: Vec<Term> = catalog.vocabulary.survey_kinds.keys().cloned().collect();
        let kind = self.random.pick(&kinds).expect("a survey kind").clone();
        let conducted_on = self.back_dated(365);
        let created = surveys::add_survey(
            self.store,
            self.catalogs,
            &self.on_practice(practice),
            practice,
            &NewSurvey {
                kind: kind.clone(),
                conducted_on,
                respondents: 50 + u32::try_from(self.random.below(100)).unwrap_or(0),
                score: 60.0 + self.random.below(40) as f64,
                replaces: None,
            },
        )?;
        self.surveys.push((practice, created.id));
        Ok(format!(
            "survey {} ({kind}) of practice {practice}, {conducted_on}",
            created.id
        ))
    }

    fn add_report(&mut self) -> StoreResult<String> {
        let organization = self.some_organization();
        let months = u32::try_from(self.random.below(15)).unwrap_or(0);
        let start = self
            .day
            .with_day(1)
            .and_then(|d| d.checked_sub_months(Months::new(months)))
            .expect("a month");
        let about = if self.random.chance(20) {
            let practices = self
                .pos
                .iter()
                .find(|po| po.id == organization)
                .map(|po| po.practices.clone())
                .unwrap_or_default();
            self.random.pick(&practices).copied()
        } else {
            None
        };
        let created = surveys::add_report(
            self.store,
            self.catalogs,
            &self.on_organization(organization),
            organization,
            &NewReport {
                report_type: term("member_list"),
                period_start: start,
                period_end: month_end(start),
                practice_id: about,
                document_id: None,
                replaces: None,
            },
        )?;
        self.reports.push((organization, created.id));
        Ok(format!(
            "report {} of PO {organization} for {start} (about practice {about:?})",
            created.id
        ))
    }

    /// A document of a practice or a PO, its file kept in the temporary evidence folder.
    fn upload_document(&mut self) -> StoreResult<String> {
        let (organization, owner, actor) = if self.random.chance(70) {
            let practice = self.some_practice();
            (
                self.organization_of(practice),
                Owner::Practice(practice),
                self.on_practice(practice),
            )
        } else {
            let organization = self.some_organization();
            (
                organization,
                Owner::Organization(organization),
                self.on_organization(organization),
            )
        };
        let catalog = documents::owner_catalog(self.store, self.catalogs, owner)?;
        let scope = match owner {
            Owner::Practice(_) => Scope::Practice,
            Owner::Organization(_) => Scope::PhysicianOrganization,
        };
        let documented: Vec<(CriterionId, Term)> = catalog
            .criteria
            .iter()
            .filter(|c| c.scope == scope)
            .filter_map(|c| {
                c.evidence.iter().find_map(|r| match r {
                    EvidenceRequirement::Document(d) => d.types.first().map(|t| (c.id.clone(), t.clone())),
                    _ => None,
                })
            })
            .collect();
        let (criterion, document_type) = self.random.pick(&documented).expect("a documented criterion").clone();
        let effective_on = self.back_dated(300);
        let serial = self.next_serial();
        let mut upload = self.files.begin().map_err(StoreError::Files)?;
        write!(upload, "Evidence {serial} of seed {} for {criterion}", self.seed).map_err(StoreError::Files)?;
        let created = documents::upload_document(
            self.store,
            &self.files,
            &catalog,
            &actor,
            owner,
            &NewDocument {
                title: format!("Evidence {serial}"),
                document_type: document_type.clone(),
                criteria: vec![criterion.clone()],
                effective_on,
                replaces: None,
            },
            ReceivedFile {
                upload,
                file_name: format!("evidence-{serial}.txt"),
                media_type: "text/plain".into(),
            },
        )?;
        self.documents.push((organization, owner, created.document.id));
        Ok(format!(
            "document {} ({document_type}, {criterion}) of {owner:?}, effective {effective_on}",
            created.document.id
        ))
    }

    fn status_for(&mut self, allow_not_applicable: bool) -> AttestedStatus {
        match self.random.below(10) {
            0..=4 => AttestedStatus::InPlace,
            5 | 6 => AttestedStatus::PartiallyInPlace,
            7 => AttestedStatus::NotInPlace,
            _ if allow_not_applicable => AttestedStatus::NotApplicable,
            _ => AttestedStatus::InPlace,
        }
    }

    /// An attestation of a practice or of a PO; half of them correct the one in force.
    fn attest(&mut self, for_po: bool) -> StoreResult<String> {
        let (owner, catalog, actor, organization) = if for_po {
            let organization = self.some_organization();
            let catalog = documents::owner_catalog(self.store, self.catalogs, Owner::Organization(organization))?;
            (
                Owner::Organization(organization),
                catalog,
                self.on_organization(organization),
                organization,
            )
        } else {
            let practice = self.some_practice();
            (
                Owner::Practice(practice),
                self.catalog_of(practice).clone(),
                self.on_practice(practice),
                self.organization_of(practice),
            )
        };
        let scope = if for_po {
            Scope::PhysicianOrganization
        } else {
            Scope::Practice
        };
        let attested: Vec<(CriterionId, bool)> = catalog
            .criteria
            .iter()
            .filter(|c| c.scope == scope)
            .filter(|c| {
                c.evidence
                    .iter()
                    .any(|r| matches!(r, EvidenceRequirement::Attestation(_)))
            })
            .map(|c| (c.id.clone(), c.allow_not_applicable))
            .collect();
        let (criterion, allow_not_applicable) = self.random.pick(&attested).expect("an attested criterion").clone();
        let status = self.status_for(allow_not_applicable);
        let effective_on = if self.random.chance(10) {
            after(self.day, self.random.below(30))
        } else {
            self.back_dated(200)
        };
        let usable: Vec<DocumentId> = self
            .documents
            .iter()
            .filter(|(o, doc_owner, _)| {
                *o == organization && (*doc_owner == owner || matches!(doc_owner, Owner::Organization(_)))
            })
            .map(|(_, _, id)| *id)
            .collect();
        let evidence: Vec<DocumentId> = if self.random.chance(30) {
            self.random.pick(&usable).copied().into_iter().collect()
        } else {
            Vec::new()
        };
        let supersede_in_force = self.random.chance(50);
        let attesting = Attesting {
            form: NewAttestation {
                criterion: criterion.clone(),
                status,
                effective_on,
                signer: "Olga Berg".into(),
                signer_role: "practice manager".into(),
                statement: "Reviewed with the care team.".into(),
                evidence,
                supersedes: None,
            },
            upload: None,
            supersede_in_force,
        };
        let created = match owner {
            Owner::Practice(practice) => {
                attestations::attest_for_practice(self.store, self.catalogs, &actor, practice, &attesting)?
            }
            Owner::Organization(organization) => {
                attestations::attest_for_organization(self.store, &actor, organization, &catalog, &attesting)?
            }
        };
        Ok(format!(
            "attestation {} of {criterion} by {owner:?}: {status:?} from {effective_on}, superseding {:?}",
            created.attestation.id, created.attestation.supersedes
        ))
    }

    fn void_something(&mut self) -> StoreResult<String> {
        let why = Void {
            reason: "Entered by mistake.".into(),
        };
        match self.random.below(7) {
            0 if !self.trainings.is_empty() => {
                let (practice, id) = self.trainings.remove(self.random.index(self.trainings.len()));
                trainings::void_training(self.store, &self.on_practice(practice), practice, id, &why)?;
                Ok(format!("void training {id} of practice {practice}"))
            }
            1 if !self.staff.is_empty() => {
                let index = self.random.index(self.staff.len());
                let (practice, id) = (self.staff[index].practice, self.staff[index].id);
                // Refused (409) while a record names them: they stay.
                staff::void_staff(self.store, &self.on_practice(practice), practice, id, &why)?;
                self.staff.remove(index);
                Ok(format!("void staff {id} of practice {practice}"))
            }
            2 if !self.meetings.is_empty() => {
                let (practice, id) = self.meetings.remove(self.random.index(self.meetings.len()));
                meetings::void_meeting(self.store, &self.on_practice(practice), practice, id, &why)?;
                Ok(format!("void meeting {id} of practice {practice}"))
            }
            3 if !self.plans.is_empty() => {
                let plan = self.plans.remove(self.random.index(self.plans.len()));
                let (practice, id): (PracticeId, CarePlanId) = (plan.practice_id, plan.id);
                care_plans::void_care_plan(self.store, &self.on_practice(practice), practice, id, &why)?;
                Ok(format!("void care plan {id} of practice {practice}"))
            }
            4 if !self.surveys.is_empty() => {
                let (practice, id) = self.surveys.remove(self.random.index(self.surveys.len()));
                surveys::void_survey(self.store, &self.on_practice(practice), practice, id, &why)?;
                Ok(format!("void survey {id} of practice {practice}"))
            }
            5 if !self.reports.is_empty() => {
                let (organization, id) = self.reports.remove(self.random.index(self.reports.len()));
                surveys::void_report(self.store, &self.on_organization(organization), organization, id, &why)?;
                Ok(format!("void report {id} of PO {organization}"))
            }
            6 if !self.documents.is_empty() => {
                let (organization, owner, id) = self.documents.remove(self.random.index(self.documents.len()));
                let actor = match owner {
                    Owner::Practice(practice) => self.on_practice(practice),
                    Owner::Organization(_) => self.on_organization(organization),
                };
                documents::void_document(self.store, &actor, owner, id, &why)?;
                Ok(format!("void document {id} of {owner:?}"))
            }
            _ => Ok("nothing of that kind to void".into()),
        }
    }

    /// Moves a practice, or a whole PO, to catalog 1.1.0.
    fn upgrade(&mut self) -> StoreResult<String> {
        self.upgraded = true;
        if self.random.chance(50) {
            let practice = self.some_practice();
            let upgraded = admin::upgrade_practice_catalog(
                self.store,
                self.catalogs,
                &self.on_practice(practice),
                practice,
                "1.1.0",
            )?;
            Ok(format!("upgrade practice {practice} to {}", upgraded.catalog_version))
        } else {
            let organization = self.some_organization();
            let upgraded = po_admin::upgrade_organization_catalog(
                self.store,
                self.catalogs,
                &self.on_organization(organization),
                organization,
                "1.1.0",
            )?;
            Ok(format!(
                "upgrade PO {organization} to 1.1.0 (moved {:?})",
                upgraded.upgraded.iter().map(|p| p.id.0).collect::<Vec<_>>()
            ))
        }
    }

    /// A practice joining a PO (on either catalog version; sometimes after some month ends).
    fn add_practice(&mut self) -> StoreResult<String> {
        let index = usize::from(self.random.chance(30));
        let organization = self.pos[index].id;
        let version = if self.random.chance(50) { "1.0.0" } else { "1.1.0" };
        let joined_on = self.random.chance(50).then(|| before(self.day, self.random.below(60)));
        let serial = self.next_serial();
        let practice = po_admin::create_practice(
            self.store,
            self.catalogs,
            &self.on_organization(organization),
            organization,
            &NewPractice {
                name: format!("Practice {serial}"),
                initial_focus_population: Some("children with persistent asthma".into()),
                catalog_version: Some(version.into()),
                joined_on,
                time_zone: Some((*self.random.pick(&ZONES).expect("a zone")).into()),
            },
        )?;
        self.pos[index].practices.push(practice.id);
        let started_on = self.back_dated(300);
        self.hire(practice.id, Role::Physician, started_on, None)?;
        Ok(format!(
            "practice {} joins PO {organization} on {version}, joined_on {joined_on:?}, with one physician",
            practice.id
        ))
    }

    fn update_practice(&mut self) -> StoreResult<String> {
        let practice = self.some_practice();
        let mut form = PracticeUpdate {
            initial_focus_population: None,
            joined_on: None,
            time_zone: None,
        };
        match self.random.below(3) {
            0 => form.time_zone = Some((*self.random.pick(&ZONES).expect("a zone")).into()),
            1 => {
                // Sometimes joined after some of the trend's month ends, even after today.
                form.joined_on = Some(if self.random.chance(30) {
                    after(self.day, self.random.below(40))
                } else {
                    before(self.day, self.random.below(200))
                });
            }
            _ => form.initial_focus_population = Some(format!("focus population {}", self.next_serial())),
        }
        practices::update_practice(self.store, &self.on_practice(practice), practice, &form)?;
        Ok(format!("update practice {practice}: {form:?}"))
    }

    fn days_pass(&mut self) -> String {
        let days = 1 + self.random.below(60);
        self.day = after(self.day, days);
        format!("{days} days pass: today is {}", self.day)
    }

    /// One pass of the background worker as of today at some hour (UTC).
    fn refresh(&mut self) -> StoreResult<String> {
        let hour = u32::try_from(self.random.below(24)).unwrap_or(0);
        let now = Utc.from_utc_datetime(&self.day.and_hms_opt(hour, 30, 0).expect("a time"));
        let limit = *self.random.pick(&[1_usize, 3, 1000]).expect("a limit");
        let done = actions::kept::refresh(self.store, self.catalogs, now, limit)?;
        Ok(format!("refresh at {now} (limit {limit}): {done:?}"))
    }

    /// One random step; its description, or why it was refused.
    fn step(&mut self, step: usize) -> String {
        if step == STEPS * 2 / 3 && !self.upgraded {
            return describe(self.upgrade());
        }
        match self.random.below(110) {
            0..=7 => describe(self.add_staff()),
            8..=13 => describe(self.staff_leaving()),
            14..=27 => describe(self.record_training()),
            28..=33 => describe(self.record_meeting()),
            34..=38 => describe(self.add_care_plan()),
            39..=42 => describe(self.share_care_plan()),
            43..=45 => describe(self.add_survey()),
            46..=52 => describe(self.attest(false)),
            53..=58 => describe(self.attest(true)),
            59..=63 => describe(self.add_report()),
            64..=67 => describe(self.upload_document()),
            68..=74 => describe(self.void_something()),
            75..=78 => describe(self.upgrade()),
            79..=81 => describe(self.update_practice()),
            82 => describe(self.add_practice()),
            83..=93 => self.days_pass(),
            94..=99 => describe(self.refresh()),
            100..=103 => describe(self.update_care_plan()),
            104..=106 => describe(self.complete_follow_up()),
            _ => describe(self.import_trainings()),
        }
    }

    /// Every PO's matrix (today and at the last month end), a due list and the trend (since the
    /// last month end, or over a year), from kept evaluations, against the same computed from the
    /// records; sometimes each kept view is read twice (the second reads what the first kept).
    fn check(&mut self, label: &str, long_trend: bool) {
        if let Err(difference) = self.compare(label, long_trend) {
            panic!("{difference}");
        }
    }

    fn compare(&mut self, label: &str, long_trend: bool) -> Result<(), String> {
        let times = if self.random.chance(30) { 2 } else { 1 };
        let within = *self.random.pick(&[30, 60, 366]).expect("a look-ahead");
        let by_practice = self.random.chance(25);
        let (store, catalogs, today) = (self.store, self.catalogs, self.day);
        let last_month_end = previous_month_end(today);
        let from = if long_trend {
            today.checked_sub_months(Months::new(12)).expect("a date")
        } else {
            last_month_end
        };
        let (mut fresh_time, mut kept_time) = (Duration::ZERO, Duration::ZERO);
        for po in &self.pos {
            let label = format!("{label} [PO {}, today {today}]", po.id);
            let loaded = timed(&mut fresh_time, || {
                records::organization(store, po.id).expect("the PO's records")
            });
            // The trend first: the matrix at the last month end then reads what it kept.
            let fresh = timed(&mut fresh_time, || {
                view::organization_trend(catalogs, &loaded, from, today).expect("fresh trend")
            });
            for _ in 0..times {
                let (count, kept) = timed(&mut kept_time, || {
                    read(&label, "trend", || {
                        actions::kept::organization_trend(store, catalogs, po.id, from, today)
                    })
                });
                if count != loaded.practices.len() {
                    return Err(format!("{label}: the trend counts {count} practices"));
                }
                same(&label, &format!("trend from {from}"), &fresh, &kept)?;
            }
            for day in [today, last_month_end] {
                let fresh = timed(&mut fresh_time, || {
                    view::organization_compliance(catalogs, &loaded, day).expect("fresh compliance")
                });
                for _ in 0..times {
                    let kept = timed(&mut kept_time, || {
                        read(&label, "compliance", || {
                            actions::kept::organization_compliance(store, catalogs, po.id, day)
                        })
                    });
                    same(&label, &format!("compliance as of {day}"), &fresh, &kept)?;
                }
            }
            let filter = DueFilter {
                criterion: None,
                practice: by_practice.then(|| po.practices[0]),
            };
            let fresh = timed(&mut fresh_time, || {
                view::organization_due(catalogs, &loaded, today, within, &filter).expect("fresh due list")
            });
            for _ in 0..times {
                let kept = timed(&mut kept_time, || {
                    read(&label, "due list", || {
                        actions::kept::organization_due(store, catalogs, po.id, today, within, &filter)
                    })
                });
                same(
                    &label,
                    &format!("due list within {within} days ({filter:?})"),
                    &fresh,
                    &kept,
                )?;
            }
            // Each practice's own view, which the server keeps in memory by the revision of the
            // practice's records: the same bytes as the view computed from the records.
            for (practice, records) in &loaded.practices {
                let fresh = view::practice_compliance(catalogs, practice.clone(), records, today).expect("fresh view");
                let fresh = serde_json::to_vec(&fresh).expect("the view serializes");
                for _ in 0..times {
                    let kept = timed(&mut kept_time, || {
                        read(&label, "practice view", || {
                            actions::compliance::practice_compliance_json(
                                store,
                                catalogs,
                                practice.id,
                                Some(today),
                                chrono::Utc::now(),
                                pcmh_core::records::Basis::corrected(),
                            )
                        })
                    });
                    if kept.as_ref() != fresh.as_slice() {
                        let (fresh, kept): (Value, Value) = (
                            serde_json::from_slice(&fresh).expect("JSON"),
                            serde_json::from_slice(&kept).expect("JSON"),
                        );
                        same(&label, &format!("the view of practice {}", practice.id), &fresh, &kept)?;
                    }
                }
            }
        }
        self.timing[1] += fresh_time;
        self.timing[2] += kept_time;
        Ok(())
    }
}

/// Runs `work`, adding the time it took to `total`.
fn timed<T>(total: &mut Duration, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let value = work();
    *total += started.elapsed();
    value
}

/// A view read from kept evaluations, or a panic naming `label`.
fn read<T>(label: &str, what: &str, view: impl FnOnce() -> StoreResult<T>) -> T {
    view().unwrap_or_else(|e| panic!("{label}: the kept {what} failed: {e:?}"))
}

fn describe(done: StoreResult<String>) -> String {
    match done {
        Ok(text) => text,
        Err(e) if refused(&e) => format!("refused: {e}"),
        Err(e) => panic!("a write failed for a reason no user causes: {e:?}"),
    }
}

/// Runs every seed on `store` (a fresh database per backend: the seeds' POs sit side by side).
fn random_writes_keep_evaluations_equal_to_fresh(backend: &str, store: &Store) {
    let catalogs = catalogs();
    let dir = tempfile::tempdir().expect("a temp dir");
    let started = Instant::now();
    let mut refusals = 0;
    let mut timing = [Duration::ZERO; 3];
    for seed in 1..=SEEDS {
        let mut world = World::new(store, &catalogs, dir.path(), seed);
        world.check(&format!("{backend} seed {seed} after setup"), true);
        for step in 1..=STEPS {
            let writing = Instant::now();
            let done = world.step(step);
            world.timing[0] += writing.elapsed();
            if done.starts_with("refused") {
                refusals += 1;
            }
            let label = format!("{backend} seed {seed} step {step} ({done})");
            world.check(&label, step % 10 == 0);
        }
        for (total, spent) in timing.iter_mut().zip(world.timing) {
            *total += spent;
        }
    }
    eprintln!(
        "{backend}: {SEEDS} seeds × {STEPS} steps checked in {:.1} s ({refusals} steps refused; \
         {:.1} s writing, {:.1} s fresh views, {:.1} s kept views)",
        started.elapsed().as_secs_f64(),
        timing[0].as_secs_f64(),
        timing[1].as_secs_f64(),
        timing[2].as_secs_f64(),
    );
}

/// Writes that are refused and rolled back leave every kept evaluation current (the revisions
/// they bumped inside their transaction are rolled back with them); one that is written marks them
/// stale, and the views still equal fresh ones.
fn rolled_back_writes_leave_kept_evaluations_current(backend: &str, store: &Store) {
    let catalogs = catalogs();
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut world = World::new(store, &catalogs, dir.path(), 99);
    for _ in 0..12 {
        world.step(1);
    }
    let label = format!("{backend} rollback");
    world.check(&format!("{label}: warm"), true);
    let fingerprint = catalogs.fingerprint();
    let organizations: Vec<OrganizationId> = world.pos.iter().map(|po| po.id).collect();
    let practices: Vec<PracticeId> = world.pos.iter().flat_map(|po| po.practices.clone()).collect();
    let revisions = |store: &Store| {
        store
            .read(|c| {
                let mut all = Vec::new();
                for o in &organizations {
                    all.push(kept::organization_revision(c, *o)?);
                }
                for p in &practices {
                    all.push(kept::practice_revision(c, *p)?);
                }
                Ok(all)
            })
            .expect("revisions")
    };
    // (current, stale) kept rows: rows of days the views no longer ask for may be stale.
    let counts = |store: &Store| store.read(|c| kept::counts(c, fingerprint)).expect("counts");
    let revised = revisions(store);
    let counted = counts(store);
    assert!(counted.0 > 0, "{label}: the views kept evaluations");

    // A training of a staff member of another practice: refused before anything is written.
    let (one, other) = (world.pos[0].practices[0], world.pos[0].practices[1]);
    let stranger = world.members_of(other)[0].0;
    let refused_training = trainings::record_training(
        store,
        &catalogs,
        &world.on_practice(one),
        one,
        &NewTraining {
            staff_id: stranger,
            topic: term("pcmh_n_model"),
            completed_on: world.day,
            hours: 1.0,
            trainer: None,
            document_id: None,
            replaces: None,
        },
    );
    assert!(
        matches!(&refused_training, Err(StoreError::Invalid { field, .. }) if field == "staff_id"),
        "{label}: {refused_training:?}"
    );

    // An attestation uploaded with its evidence document, refused after the document and its
    // audit event (which marks the practice stale) were written in the same transaction.
    let stored = world
        .files
        .put_reader(&mut &b"evidence of a refused attestation"[..])
        .expect("a stored file");
    let refused_attestation = attestations::attest_for_practice(
        store,
        &catalogs,
        &world.on_practice(one),
        one,
        &Attesting {
            form: NewAttestation {
                criterion: criterion("4.24"),
                status: AttestedStatus::InPlace,
                effective_on: world.day,
                signer: "Olga Berg".into(),
                signer_role: "practice manager".into(),
                statement: "A PO-level criterion, attested by a practice.".into(),
                evidence: Vec::new(),
                supersedes: None,
            },
            upload: Some(UploadedEvidence {
                form: NewDocument {
                    title: "Workflow".into(),
                    document_type: term("care_management_workflow"),
                    criteria: vec![criterion("4.2")],
                    effective_on: world.day,
                    replaces: None,
                },
                file: DocumentFile {
                    file_name: "workflow.txt".into(),
                    media_type: "text/plain".into(),
                    size_bytes: i64::try_from(stored.size_bytes).expect("a size"),
                    sha256: stored.sha256,
                },
            }),
            supersede_in_force: false,
        },
    );
    assert!(
        matches!(&refused_attestation, Err(StoreError::Invalid { field, .. }) if field == "criterion"),
        "{label}: {refused_attestation:?}"
    );

    // A duplicate practice name in the PO: refused by the database's unique key.
    let duplicate = po_admin::create_practice(
        store,
        &catalogs,
        &world.on_organization(world.pos[0].id),
        world.pos[0].id,
        &NewPractice {
            name: "Practice 0-0".into(),
            initial_focus_population: None,
            catalog_version: Some("1.0.0".into()),
            joined_on: None,
            time_zone: None,
        },
    );
    assert!(
        matches!(&duplicate, Err(StoreError::Conflict { .. })),
        "{label}: {duplicate:?}"
    );

    assert_eq!(revisions(store), revised, "{label}: refused writes changed no revision");
    assert_eq!(
        counts(store),
        counted,
        "{label}: refused writes left every kept evaluation current"
    );
    world.check(&format!("{label}: after the refused writes"), true);

    // A write that is kept marks its practice's and its PO's evaluations stale.
    let description = world.record_training().expect("a training");
    assert_ne!(revisions(store), revised, "{label}: {description} changed a revision");
    let now = counts(store);
    assert!(
        now.0 < counted.0 && now.1 > counted.1,
        "{label}: {description} made kept evaluations stale ({counted:?} current/stale before, {now:?} after)"
    );
    world.check(&format!("{label}: after {description}"), true);
}

/// The comparison can fail: an attestation written without an audit event (no action does
/// that) marks nothing stale, so the kept matrix stays behind the records and the check names
/// the difference.
#[test]
fn sqlite_a_write_that_marks_nothing_stale_is_caught() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = common::sqlite(dir.path());
    let catalogs = catalogs();
    let mut world = World::new(&store, &catalogs, dir.path(), 7);
    world.check("warm", false);
    let practice = world.pos[0].practices[0];
    let catalog = world.catalog_of(practice);
    let form = NewAttestation {
        criterion: criterion("4.3"),
        status: AttestedStatus::InPlace,
        effective_on: world.day,
        signer: "Olga Berg".into(),
        signer_role: "practice manager".into(),
        statement: "Written behind the actions' back.".into(),
        evidence: Vec::new(),
        supersedes: None,
    };
    store
        .write(|c| pcmh_core::store::attestations::create_for_practice(c, practice, catalog, &form))
        .expect("an attestation written without its audit event");
    let message = world
        .compare("unaudited", false)
        .expect_err("the kept matrix no longer equals the fresh one");
    assert!(
        message.starts_with("unaudited [PO ") && message.contains("differs from the fresh one"),
        "{message}"
    );
}

#[test]
fn sqlite_kept_evaluations_equal_fresh_ones_after_random_writes() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = common::sqlite(dir.path());
    random_writes_keep_evaluations_equal_to_fresh("SQLite", &store);
}

#[test]
fn postgres_kept_evaluations_equal_fresh_ones_after_random_writes() {
    let Some((database, store)) = TestDatabase::create("kept_random", &["synchronous_commit TO off"]) else {
        eprintln!("SKIPPED: set PCMH_TEST_POSTGRES_URL");
        return;
    };
    random_writes_keep_evaluations_equal_to_fresh("PostgreSQL", &store);
    drop(store);
    drop(database);
}

#[test]
fn sqlite_refused_writes_leave_kept_evaluations_current() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = common::sqlite(dir.path());
    rolled_back_writes_leave_kept_evaluations_current("SQLite", &store);
}

#[test]
fn postgres_refused_writes_leave_kept_evaluations_current() {
    let Some((database, store)) = TestDatabase::create("kept_rollback", &["synchronous_commit TO off"]) else {
        eprintln!("SKIPPED: set PCMH_TEST_POSTGRES_URL");
        return;
    };
    rolled_back_writes_leave_kept_evaluations_current("PostgreSQL", &store);
    drop(store);
    drop(database);
}
