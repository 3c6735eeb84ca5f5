//! A realistic large physician organization with years of records, generated for measurements
//! (`pcmh demo generate`, the benchmarks).
//!
//! Every record goes through the same store functions as the API (so it obeys the same rules and
//! gets its catalog id/version and `recorded_at`), one transaction per practice. Training records
//! go in through the batched `trainings::import`. No audit events are written for generated data:
//! it is measurement data, not a practice's history. At the end the planner's statistics are
//! refreshed (`ANALYZE`).
//!
//! Every generated document gets its own small evidence file (a few hundred bytes to a few KB of
//! text naming the document), so a packet copies as many distinct files as it lists. With
//! [`GenerateOptions::evidence_files`] the first practice (the "largest practice") also gets that
//! many scanned-evidence documents dated within the year before `today`, with files of mixed sizes
//! like real scans (tens to hundreds of KB of bytes from a seeded counter, so the same options
//! give the same files). Generated files are written straight into the evidence folder without
//! `fsync` (they are measurement data; the API's uploads go through [`EvidenceFiles::commit`](crate::store::files::EvidenceFiles::commit)).

use std::cell::Cell;
use std::fs;
use std::io;
use std::time::Instant;

use chrono::{Datelike, Days, Months, NaiveDate};

use crate::catalog::{Catalog, EvidenceRequirement, Scope};
use crate::hash::sha256_hex;
use crate::ids::{CriterionId, DocumentId, OrganizationId, PracticeId, StaffId, Term};
use crate::records::{AttestedStatus, CarePlanKind, Owner, Role, ShareMethod};
use crate::store::attestations::{self, NewAttestation};
use crate::store::care_plans::{self, NewCarePlan, NewCarePlanShare};
use crate::store::documents::{self, DocumentFile, NewDocument};
use crate::store::files::{FolderFiles, StoredFile};
use crate::store::meetings::{self, NewAttendee, NewFollowUp, NewMeeting};
use crate::store::organizations::{self, NewOrganization};
use crate::store::practices::{self, NewPractice};
use crate::store::reports::{self, NewReport};
use crate::store::staff::{self, NewStaff};
use crate::store::surveys::{self, NewSurvey};
use crate::store::trainings::{self, Imported, NewTraining};
use crate::store::{bulk, Connection, Store, StoreError, StoreResult};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// How many practices (at least 1).
    pub practices: u32,
    /// How many years of records, counted back from `today` (1 to 20).
    pub years: u32,
    /// The day the records lead up to.
    pub today: NaiveDate,
    /// How many extra scanned-evidence documents the first practice gets within the year before `today` (0 for none).
    pub evidence_files: u32,
}

/// What was generated.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The new PO.
    pub organization: OrganizationId,
    /// Its first practice, the one that got the extra evidence documents.
    pub first_practice: PracticeId,
    /// How many practices.
    pub practices: u32,
    /// How many records (store rows the API would write), all tables together.
    pub records: u64,
    /// How many documents, each with its own evidence file.
    pub documents: u64,
    /// The total size of the evidence files written, in bytes.
    pub evidence_bytes: u64,
    /// How long writing took, in seconds (without `ANALYZE`).
    pub seconds: f64,
}

/// Progress so far, handed to the caller's callback every 100 practices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Practices written.
    pub practices: u32,
    /// Records written.
    pub records: u64,
    /// Seconds since the start.
    pub seconds: f64,
}

/// Generates a PO with `options.practices` practices and `options.years` years of records into
/// `store`, each document's evidence file into `files`, against `catalog`; calls `progress` every
/// 100 practices.
pub fn generate(
    store: &Store,
    files: &FolderFiles,
    catalog: &Catalog,
    options: &GenerateOptions,
    progress: &mut dyn FnMut(Progress),
) -> StoreResult<Generated> {
    let GenerateOptions {
        practices,
        years,
        today,
        evidence_files,
    } = *options;
    if practices == 0 || !(1..=20).contains(&years) {
        return Err(StoreError::invalid(
            "practices",
            "range",
            "at least 1 practice and between 1 and 20 years",
        ));
    }
    let started = Instant::now();
    let organization = store
        .write(|conn| {
            organizations::create(
                conn,
                &NewOrganization {
                    name: format!("Generated PO ({practices} practices, {years} years)"),
                },
            )
        })?
        .id;
    let generator = Generator {
        today,
        years,
        catalog,
        files,
        organization,
        serial: Cell::new(0),
        documents: Cell::new(0),
        bytes: Cell::new(0),
    };
    let mut records = store.write(|conn| generator.organization_evidence(conn))?;
    let mut first = None;
    for n in 0..practices {
        let (practice, count) = store.write(|conn| {
            let (practice, mut count) = generator.practice(conn, n)?;
            if n == 0 {
                count += generator.scans(conn, practice, evidence_files)?;
            }
            Ok((practice, count))
        })?;
        first.get_or_insert(practice);
        records += count;
        if (n + 1) % 100 == 0 {
            progress(Progress {
                practices: n + 1,
                records,
                seconds: started.elapsed().as_secs_f64(),
            });
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    // Fresh planner statistics, as after any bulk load (see `bulk::analyze`).
    store.read(bulk::analyze)?;
    Ok(Generated {
        organization,
        first_practice: first.unwrap_or(PracticeId(0)),
        practices,
        records,
        documents: generator.documents.get(),
        evidence_bytes: generator.bytes.get(),
        seconds,
    })
}

/// Stores `bytes` in `files` under their SHA-256, written to a temporary file and renamed into
/// place, without `fsync` (generated data).
fn store_generated(files: &FolderFiles, bytes: &[u8]) -> io::Result<StoredFile> {
    let sha256 = sha256_hex(bytes);
    let target = files
        .path_of(&sha256)
        .ok_or_else(|| io::Error::other("a SHA-256 is 64 hex digits"))?;
    if !target.is_file() {
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        let temp_dir = files.temp_dir();
        fs::create_dir_all(&temp_dir)?;
        let temp = temp_dir.join(format!("generated-{}-{sha256}", std::process::id()));
        fs::write(&temp, bytes)?;
        fs::rename(&temp, &target)?;
    }
    Ok(StoredFile {
        sha256,
        size_bytes: bytes.len() as u64,
    })
}

/// A deterministic stream of pseudo-random numbers (SplitMix64) from a seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The size of the `k`th scan: mostly tens of KB, some hundreds, a few near 1 MB.
fn scan_size(random: &mut SplitMix) -> usize {
    let pick = random.next();
    let kib = match pick % 10 {
        0..=5 => 20 + pick / 10 % 100,  // 20–119 KiB: a page or two
        6..=8 => 120 + pick / 10 % 280, // 120–399 KiB: a multi-page scan
        _ => 400 + pick / 10 % 500,     // 400–899 KiB: a long or colour scan
    };
    usize::try_from(kib).unwrap_or(64) * 1024
}

fn term(text: &str) -> StoreResult<Term> {
    Term::parse(text).map_err(|e| StoreError::invalid("generate", "term", e.to_string()))
}

/// How complete a generated practice's records are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Diligence {
    Thorough,
    Patchy,
    Starting,
}

const FIRST_NAMES: &[&str] = &[
    "Ana", "Sam", "Priya", "Ben", "Gus", "Iris", "Cara", "Olga", "Tom", "Helen", "Marcus", "Lena", "Jo", "Ray", "Nina",
    "Victor", "Ruth", "Dana", "Omar", "Mei", "Luis", "Grace", "Ivan", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Lopez",
    "Whitfield",
    "Nair",
    "Okafor",
    "Hale",
    "Park",
    "Diaz",
    "Berg",
    "Reyes",
    "Cho",
    "Webb",
    "Fischer",
    "Kim",
    "Alvarez",
    "Patel",
    "Mensah",
    "Cole",
    "Haddad",
    "Chen",
    "Garcia",
    "Novak",
    "Osei",
    "Ivanova",
    "Moreau",
];
const PLACES: &[&str] = &[
    "Maple Street",
    "Riverside",
    "Hillcrest",
    "Lakeview",
    "Oak Park",
    "Northgate",
    "Cedar Hills",
    "Harbor",
    "Westfield",
    "Pine Ridge",
    "Elm Grove",
    "Brookside",
];
const SPECIALTIES: &[&str] = &[
    "Family Medicine",
    "Pediatrics",
    "Internal Medicine",
    "Primary Care",
    "Community Health",
];
const FOCUS: &[&str] = &[
    "adults with diabetes",
    "children with persistent asthma",
    "adults with heart failure",
    "patients with COPD",
    "older adults with multiple chronic conditions",
];
const PARTNERS: &[&str] = &[
    "Cardiology, Lakeside Regional",
    "Health plan care manager",
    "Community pharmacy",
    "Home health agency",
    "Pulmonology clinic",
];

struct Generator<'a> {
    today: NaiveDate,
    years: u32,
    catalog: &'a Catalog,
    files: &'a FolderFiles,
    organization: OrganizationId,
    /// Numbers the generated evidence files, so each one's content differs.
    serial: Cell<u64>,
    /// How many documents were written.
    documents: Cell<u64>,
    /// How many bytes of evidence files were written.
    bytes: Cell<u64>,
}

impl Generator<'_> {
    fn months_ago(&self, months: u32) -> NaiveDate {
        self.today.checked_sub_months(Months::new(months)).unwrap_or(self.today)
    }

    fn mid_month(&self, months: u32) -> NaiveDate {
        let d = self.months_ago(months);
        d.with_day(15).unwrap_or(d)
    }

    fn span(&self) -> u32 {
        self.years * 12
    }

    /// Stores `bytes` as the file of the next document and counts it.
    fn evidence_file(&self, bytes: &[u8], file_name: String, media_type: &str) -> StoreResult<DocumentFile> {
        let stored = store_generated(self.files, bytes)?;
        self.documents.set(self.documents.get() + 1);
        self.bytes.set(self.bytes.get() + stored.size_bytes);
        Ok(DocumentFile {
            file_name,
            media_type: media_type.into(),
            size_bytes: i64::try_from(stored.size_bytes).unwrap_or(i64::MAX),
            sha256: stored.sha256,
        })
    }

    /// The next serial number of a generated file.
    fn next_serial(&self) -> u64 {
        let serial = self.serial.get() + 1;
        self.serial.set(serial);
        serial
    }

    fn document(
        &self,
        conn: &mut Connection,
        owner: Owner,
        document_type: &str,
        criterion: &CriterionId,
        effective_on: NaiveDate,
        title: String,
    ) -> StoreResult<DocumentId> {
        // A small text file naming the document: a few hundred bytes to a few KB.
        let serial = self.next_serial();
        let owner_text = match owner {
            Owner::Practice(p) => format!("practice {}", p.0),
            Owner::Organization(o) => format!("physician organization {}", o.0),
        };
        let mut text = format!(
            "Generated evidence for measurements (pcmh demo generate), file {serial}\n\
             Title: {title}\nType: {document_type}\nCriterion: {criterion}\nEffective on: {effective_on}\n\
             Owner: {owner_text}\n\n"
        );
        for line in 0..(serial % 40) {
            text.push_str(&format!(
                "{line:>3}. Reviewed with the care team; see the practice's records for {criterion} ({effective_on}).\n"
            ));
        }
        let file = self.evidence_file(text.as_bytes(), format!("{document_type}-{serial}.txt"), "text/plain")?;
        let form = NewDocument {
            title,
            document_type: term(document_type)?,
            criteria: vec![criterion.clone()],
            effective_on,
            replaces: None,
        };
        Ok(documents::create(conn, owner, self.catalog, &form, &file)?.document.id)
    }

    /// `count` scanned-evidence documents of `practice`, dated within the year before today,
    /// each with its own file of a scan's size; returns how many records.
    fn scans(&self, conn: &mut Connection, practice: PracticeId, count: u32) -> StoreResult<u64> {
        let documented: Vec<(&CriterionId, &str)> = self
            .catalog
            .criteria
            .iter()
            .filter(|c| c.scope == Scope::Practice)
            .filter_map(|c| {
                c.evidence.iter().find_map(|r| match r {
                    EvidenceRequirement::Document(d) => d.types.first().map(|t| (&c.id, t.as_str())),
                    _ => None,
                })
            })
            .collect();
        if documented.is_empty() || count == 0 {
            return Ok(0);
        }
        let mut random = SplitMix(0x5043_4D48_5343_414E ^ u64::from(count));
        for k in 0..count {
            let (criterion, kind) = documented[k as usize % documented.len()];
            let effective_on = self
                .today
                .checked_sub_days(Days::new(u64::from(k) * 364 / u64::from(count)))
                .unwrap_or(self.today);
            let title = format!("Scanned evidence {} of {count}: {kind} for {criterion}", k + 1);
            let size = scan_size(&mut random);
            let mut bytes = format!(
                "Generated scan for measurements (pcmh demo generate): {title}, {effective_on}, practice {}\n",
                practice.0
            )
            .into_bytes();
            while bytes.len() < size {
                bytes.extend_from_slice(&random.next().to_le_bytes());
            }
            bytes.truncate(size);
            let file = self.evidence_file(&bytes, format!("scan-{:05}.bin", k + 1), "application/octet-stream")?;
            let form = NewDocument {
                title,
                document_type: term(kind)?,
                criteria: vec![criterion.clone()],
                effective_on,
                replaces: None,
            };
            documents::create(conn, Owner::Practice(practice), self.catalog, &form, &file)?;
        }
        Ok(u64::from(count))
    }

    /// One practice and all its records, in the caller's transaction; returns it and how many records.
    fn practice(&self, conn: &mut Connection, n: u32) -> StoreResult<(PracticeId, u64)> {
        // Half thorough, a third patchy, the rest just starting.
        let diligence = match n % 6 {
            0..=2 => Diligence::Thorough,
            3 | 4 => Diligence::Patchy,
            _ => Diligence::Starting,
        };
        let i = n as usize;
        let name = format!(
            "{} {} #{}",
            PLACES[i % PLACES.len()],
            SPECIALTIES[(i / PLACES.len()) % SPECIALTIES.len()],
            n + 1
        );
        let created = practices::create(
            conn,
            self.organization,
            self.catalog,
            &NewPractice {
                name,
                initial_focus_population: (n % 4 != 3).then(|| FOCUS[i % FOCUS.len()].into()),
                catalog_version: None,
                joined_on: Some(self.months_ago(self.span())),
                time_zone: None,
            },
        )?;
        let practice = created.id;
        let mut count = 1;
        let roster: &[Role] = match diligence {
            Diligence::Thorough => &[
                Role::Physician,
                Role::Physician,
                Role::NursePractitioner,
                Role::Nurse,
                Role::CareManager,
                Role::BehavioralHealth,
                Role::MedicalAssistant,
                Role::OfficeLeader,
                Role::FrontOffice,
            ],
            Diligence::Patchy => &[
                Role::Physician,
                Role::PhysicianAssistant,
                Role::Nurse,
                Role::CareManager,
                Role::MedicalAssistant,
                Role::OfficeLeader,
            ],
            Diligence::Starting => &[Role::Physician, Role::Nurse, Role::FrontOffice],
        };
        let mut team = Vec::new();
        for (k, role) in roster.iter().enumerate() {
            // Started between 1 month and the whole span (plus a year) ago; a few have left.
            let months = 1 + ((n as usize * 7 + k * 13) as u32 % (self.span() + 12));
            let ended_on = (k % 7 == 5 && months > 6).then(|| self.months_ago(months / 3));
            let member = staff::create(
                conn,
                practice,
                &NewStaff {
                    name: format!(
                        "{} {}",
                        FIRST_NAMES[(i + k * 5) % FIRST_NAMES.len()],
                        LAST_NAMES[(i * 3 + k) % LAST_NAMES.len()]
                    ),
                    role: *role,
                    started_on: self.months_ago(months),
                    ended_on,
                    replaces: None,
                },
            )?;
            count += 1;
            team.push((member.id, *role, months, ended_on.is_some()));
        }
        count += self.trainings(conn, practice, &team, diligence, n)?;
        count += self.meetings(conn, practice, &team, diligence, n)?;
        count += self.surveys(conn, practice, diligence, n)?;
        count += self.care_plans(conn, practice, &team, diligence, n)?;
        count += self.practice_evidence(conn, practice, diligence)?;
        Ok((practice, count))
    }

    fn trainings(
        &self,
        conn: &mut Connection,
        practice: PracticeId,
        team: &[(StaffId, Role, u32, bool)],
        diligence: Diligence,
        n: u32,
    ) -> StoreResult<u64> {
        let mut rows = Vec::new();
        for (k, (id, role, months, _)) in team.iter().enumerate() {
            if *months < 2 {
                continue;
            }
            // Yearly refreshers since the first day (a patchy practice skips some years).
            let mut since = months.saturating_sub(1);
            let mut year = 0;
            while since >= 1 {
                let skip = match diligence {
                    Diligence::Thorough => false,
                    Diligence::Patchy => (year + k) % 3 == 2,
                    Diligence::Starting => year > 0,
                };
                if !skip {
                    let topics: &[&str] = if (k + n as usize) % 2 == 1 && diligence != Diligence::Thorough {
                        &["pcmh_n_model", "chronic_care_model"]
                    } else {
                        &["pcmh_n_model", "chronic_care_model", "practice_transformation"]
                    };
                    for topic in topics {
                        rows.push(NewTraining {
                            staff_id: *id,
                            topic: term(topic)?,
                            completed_on: self.months_ago(since),
                            hours: 1.0 + f64::from((since + k as u32) % 4) * 0.5,
                            trainer: Some("PO practice transformation team".into()),
                            document_id: None,
                            replaces: None,
                        });
                    }
                    if *role == Role::CareManager && year == 0 {
                        rows.push(NewTraining {
                            staff_id: *id,
                            topic: term("care_manager_onboarding")?,
                            completed_on: self.months_ago(since),
                            hours: 16.0,
                            trainer: Some("PO care management lead".into()),
                            document_id: None,
                            replaces: None,
                        });
                    }
                }
                year += 1;
                if since <= 12 {
                    break;
                }
                since -= 12;
            }
        }
        let numbered: Vec<(u64, NewTraining)> = rows.into_iter().enumerate().map(|(k, r)| (k as u64 + 2, r)).collect();
        match trainings::import(conn, practice, self.catalog, &numbered)? {
            Imported::Written(written) => Ok(written.len() as u64),
            Imported::Refused(problems) => Err(StoreError::invalid(
                "trainings",
                "generate",
                format!("generated training rows were refused: {problems:?}"),
            )),
        }
    }

    fn meetings(
        &self,
        conn: &mut Connection,
        practice: PracticeId,
        team: &[(StaffId, Role, u32, bool)],
        diligence: Diligence,
        n: u32,
    ) -> StoreResult<u64> {
        let mut count = 0;
        for months in 1..=self.span() {
            let skip = match diligence {
                Diligence::Thorough => (months + n) % 17 == 0,
                Diligence::Patchy => (months + n) % 4 == 0,
                Diligence::Starting => months % 3 != 1,
            };
            if skip {
                continue;
            }
            let held_on = self.mid_month(months);
            let attendees: Vec<NewAttendee> = team
                .iter()
                .filter(|(_, role, started, ended)| {
                    !ended && *started > months && !matches!(role, Role::FrontOffice | Role::OfficeLeader)
                })
                .take(3 + (months % 3) as usize)
                .map(|(id, role, _, _)| NewAttendee {
                    role: *role,
                    staff_id: Some(*id),
                })
                .collect();
            if attendees.is_empty() {
                continue;
            }
            let follow_ups = if months % 5 == 1 {
                vec![NewFollowUp {
                    description: "Call the specialist about shared patients' medication changes".into(),
                    owner: attendees.first().and_then(|a| a.staff_id),
                    due_on: held_on.checked_add_days(Days::new(14)).unwrap_or(held_on),
                    completed_on: (months > 1).then(|| held_on.checked_add_days(Days::new(9)).unwrap_or(held_on)),
                }]
            } else {
                Vec::new()
            };
            let form = NewMeeting {
                held_on,
                kind: term(if months % 4 == 0 {
                    "care_team_huddle"
                } else {
                    "case_conference"
                })?,
                attendees,
                patients_reviewed: 2 + (months + n) % 6,
                documented_in_chart: !(diligence == Diligence::Patchy && months % 7 == 3),
                follow_ups,
                replaces: None,
            };
            meetings::create(conn, practice, self.catalog, &form)?;
            count += 1;
        }
        Ok(count)
    }

    fn surveys(&self, conn: &mut Connection, practice: PracticeId, diligence: Diligence, n: u32) -> StoreResult<u64> {
        let mut count = 0;
        for year in 0..self.years {
            let skip = match diligence {
                Diligence::Thorough => false,
                Diligence::Patchy => (year + n) % 2 == 1,
                Diligence::Starting => true,
            };
            if skip {
                continue;
            }
            for (kind, score) in [("patient_satisfaction", 86.5), ("office_efficiency", 78.0)] {
                let form = NewSurvey {
                    kind: term(kind)?,
                    conducted_on: self.months_ago(2 + year * 12 + n % 5),
                    respondents: 80 + (n * 37 + year * 11) % 150,
                    score: score - f64::from((n + year) % 9),
                    replaces: None,
                };
                surveys::create(conn, practice, self.catalog, &form)?;
                count += 1;
            }
        }
        Ok(count)
    }

    fn care_plans(
        &self,
        conn: &mut Connection,
        practice: PracticeId,
        team: &[(StaffId, Role, u32, bool)],
        diligence: Diligence,
        n: u32,
    ) -> StoreResult<u64> {
        let Some((provider, _, started, _)) = team
            .iter()
            .find(|(_, role, _, ended)| *role == Role::Physician && !ended)
        else {
            return Ok(0);
        };
        let per_year = match diligence {
            Diligence::Thorough => 8,
            Diligence::Patchy => 4,
            Diligence::Starting => 0,
        };
        let mut count = 0;
        for k in 0..per_year * self.years {
            // Spread over the span, never before the provider's first day.
            let months = 1 + (k * 12 / per_year.max(1)) % self.span();
            if months >= *started {
                continue;
            }
            let discussed_on = self.months_ago(months);
            let kind = if k % 4 == 3 {
                CarePlanKind::SurvivorshipCarePlan
            } else {
                CarePlanKind::AdvanceCarePlan
            };
            let plan = care_plans::create(
                conn,
                practice,
                &NewCarePlan {
                    kind,
                    patient_ref: format!("GEN-{}-{:05}", practice.0, k + 1),
                    initiating_provider: *provider,
                    discussed_on,
                    established_on: (k % 6 != 5).then_some(discussed_on),
                    documented_in_record: !(diligence == Diligence::Patchy && k % 5 == 2),
                    care_partners: vec![
                        PARTNERS[((n + k) as usize) % PARTNERS.len()].into(),
                        PARTNERS[((n + k + 1) as usize) % PARTNERS.len()].into(),
                    ],
                    replaces: None,
                },
            )?;
            count += 1;
            if plan.established_on.is_none() {
                continue; // Discussed, not yet established: nothing to share.
            }
            for (p, partner) in plan.care_partners.iter().enumerate() {
                if diligence == Diligence::Patchy && p == 1 && k % 2 == 1 {
                    continue; // Never shared with this partner: a gap for 4.22.
                }
                let share = NewCarePlanShare {
                    partner_id: partner.id,
                    shared_on: discussed_on
                        .checked_add_days(Days::new(3 + p as u64))
                        .unwrap_or(discussed_on),
                    method: if p == 0 {
                        ShareMethod::Electronic
                    } else {
                        ShareMethod::Portal
                    },
                    replaces: None,
                };
                care_plans::share(conn, practice, plan.id, &share)?;
                count += 1;
            }
        }
        Ok(count)
    }

    /// Documents and attestations of the practice's criteria, renewed every year.
    fn practice_evidence(&self, conn: &mut Connection, practice: PracticeId, diligence: Diligence) -> StoreResult<u64> {
        if diligence == Diligence::Starting {
            return Ok(0);
        }
        let owner = Owner::Practice(practice);
        let mut count = 0;
        for year in 0..self.years {
            for (n, criterion) in self.catalog.criteria.iter().enumerate() {
                if criterion.scope != Scope::Practice {
                    continue;
                }
                let gap = diligence == Diligence::Patchy && n % 4 == 1;
                let effective_on = self.months_ago(3 + year * 12);
                for requirement in &criterion.evidence {
                    match requirement {
                        EvidenceRequirement::Document(document) if !gap => {
                            let kind = document.types.first().map_or("training_material", Term::as_str);
                            let title = format!("{} ({}), {}", criterion.title, criterion.id, effective_on.year());
                            self.document(conn, owner, kind, &criterion.id, effective_on, title)?;
                            count += 1;
                        }
                        EvidenceRequirement::Attestation(_) if !(gap && year == 0) => {
                            let status = match (diligence, n % 5) {
                                (Diligence::Patchy, 0) => AttestedStatus::PartiallyInPlace,
                                _ if criterion.allow_not_applicable && diligence == Diligence::Patchy => {
                                    AttestedStatus::NotApplicable
                                }
                                _ => AttestedStatus::InPlace,
                            };
                            let form = NewAttestation {
                                criterion: criterion.id.clone(),
                                status,
                                effective_on,
                                signer: "Olga Berg".into(),
                                signer_role: "practice manager".into(),
                                statement: "Reviewed with the care team at the yearly PCMH meeting.".into(),
                                evidence: Vec::new(),
                                supersedes: None,
                            };
                            attestations::create_for_practice(conn, practice, self.catalog, &form)?;
                            count += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(count)
    }

    /// The PO's own evidence: monthly member lists, yearly workflow documents and attestations.
    fn organization_evidence(&self, conn: &mut Connection) -> StoreResult<u64> {
        let organization = self.organization;
        let owner = Owner::Organization(organization);
        let mut count = 0;
        for months in 1..=self.span() {
            if months % 11 == 5 {
                continue; // Some months' member lists are missing.
            }
            let start = self.months_ago(months).with_day(1).unwrap_or(self.today);
            let end = crate::rules::organization::month_end(start);
            let form = NewReport {
                report_type: term("member_list")?,
                period_start: start,
                period_end: end,
                practice_id: None,
                document_id: None,
                replaces: None,
            };
            reports::create(conn, organization, self.catalog, &form)?;
            count += 1;
        }
        for year in 0..self.years {
            for (id, kind, status) in [
                ("4.24", "care_management_workflow", AttestedStatus::InPlace),
                ("4.26", "billing_support_process", AttestedStatus::PartiallyInPlace),
                ("4.28", "opioid_treatment_support", AttestedStatus::InPlace),
            ] {
                let criterion =
                    CriterionId::parse(id).map_err(|e| StoreError::invalid("generate", "criterion", e.to_string()))?;
                let effective_on = self.months_ago(6 + year * 12);
                let title = format!("PO {kind} ({id}), {}", effective_on.year());
                let document = self.document(conn, owner, kind, &criterion, effective_on, title)?;
                let form = NewAttestation {
                    criterion,
                    status,
                    effective_on,
                    signer: "Mara Quinn".into(),
                    signer_role: "PO care management director".into(),
                    statement: "Confirmed across the PO's practices at the yearly review.".into(),
                    evidence: vec![document],
                    supersedes: None,
                };
                attestations::create_for_organization(conn, organization, self.catalog, &form)?;
                count += 2;
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;
    use crate::catalog::CatalogSet;
    use crate::store::documents::DocumentFilter;
    use crate::store::{DateRange, Page};

    fn catalog(today: NaiveDate) -> Catalog {
        let catalogs = CatalogSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy-catalog"))
            .expect("the released catalogs load");
        let id = catalogs.ids().first().map(|id| (*id).to_owned()).expect("a catalog");
        catalogs
            .in_force(&id, today)
            .or_else(|| catalogs.latest(&id))
            .expect("a version")
            .clone()
    }

    /// Every stored evidence file (name and size), outside the temporary folder.
    fn stored(root: &Path) -> BTreeSet<(String, u64)> {
        let mut out = BTreeSet::new();
        for dir in fs::read_dir(root).expect("the evidence folder") {
            let dir = dir.expect("an entry").path();
            if dir.file_name().is_some_and(|n| n == "tmp") {
                continue;
            }
            for file in fs::read_dir(&dir).expect("a folder") {
                let file = file.expect("a file");
                let size = file.metadata().expect("metadata").len();
                out.insert((file.file_name().to_string_lossy().into_owned(), size));
            }
        }
        out
    }

    fn run(dir: &Path, options: &GenerateOptions) -> (Store, Generated) {
        let store = Store::open(&Store::default_url(dir)).expect("a SQLite file");
        store.migrate().expect("migrations");
        let files = FolderFiles::new(dir.join("evidence"));
        let generated = generate(&store, &files, &catalog(options.today), options, &mut |_| {}).expect("generated");
        (store, generated)
    }

    #[test]
    fn every_document_has_its_own_file_and_the_largest_practice_its_scans() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date");
        let options = GenerateOptions {
            practices: 3,
            years: 1,
            today,
            evidence_files: 12,
        };
        let first = tempfile::tempdir().expect("a folder");
        let (store, generated) = run(first.path(), &options);
        let files = stored(&first.path().join("evidence"));
        assert_eq!(
            files.len() as u64,
            generated.documents,
            "one distinct file per document"
        );
        assert_eq!(
            files.iter().map(|(_, size)| size).sum::<u64>(),
            generated.evidence_bytes
        );

        let range = DateRange {
            from: today.checked_sub_days(Days::new(364)),
            to: Some(today),
        };
        let page = Page { limit: 500, offset: 0 };
        let listed = store
            .read(|c| {
                documents::list(
                    c,
                    Owner::Practice(generated.first_practice),
                    &DocumentFilter::default(),
                    range,
                    page,
                )
            })
            .expect("listed");
        let scans: Vec<_> = listed
            .items
            .iter()
            .filter(|d| d.file.file_name.starts_with("scan-"))
            .collect();
        assert_eq!(scans.len(), 12, "all scans fall in the year before today");
        assert!(
            scans.iter().all(|d| d.file.size_bytes >= 20 * 1024),
            "scans are tens of KB or more"
        );
        assert!(
            listed.items.len() > scans.len(),
            "the practice's own yearly documents too"
        );

        // Same options, same files.
        let second = tempfile::tempdir().expect("a folder");
        run(second.path(), &options);
        assert_eq!(stored(&second.path().join("evidence")), files);
    }
}
