//! Everything the rules need about a practice, loaded in one go.

use super::voids::Known;
use super::{attestations, care_plans, documents, meetings, practices, reports, staff, surveys, trainings};
use super::{organizations, Connection, Store, StoreResult};
use std::collections::HashMap;

use crate::ids::{OrganizationId, PracticeId};
pub use crate::records::OrganizationRecords;
use crate::records::{Owner, Practice, Records};

/// The practice and all its records that count today, voided ones left out (and the PO-level
/// records that concern it). Call it inside [`Connection::snapshot`] for a view of one moment.
pub fn for_practice(conn: &mut Connection, id: PracticeId) -> StoreResult<(Practice, Records)> {
    for_practice_known(conn, id, Known::of(crate::records::Basis::corrected()))
}

/// The practice and its records that `known` counts: those not voided today, those known on a
/// past day, or every one (voided ones flagged).
pub fn for_practice_known(conn: &mut Connection, id: PracticeId, known: Known) -> StoreResult<(Practice, Records)> {
    let practice = practices::get(conn, id)?;
    let records = Records {
        staff: staff::all(conn, id, known)?,
        trainings: trainings::all(conn, id, known)?,
        meetings: meetings::all(conn, id, known)?,
        care_plans: care_plans::all(conn, id, known)?,
        attestations: attestations::all(conn, practice.organization_id, Some(id))?,
        documents: documents::all(conn, practice.organization_id, Some(id), known)?,
        surveys: surveys::all(conn, id, known)?,
        reports: reports::all(conn, practice.organization_id, Some(id), known)?,
        practices: vec![practice.clone()],
    };
    Ok((practice, records))
}

/// Every row of a PO's tables, as loaded, before grouping by practice.
struct Tables {
    practices: Vec<Practice>,
    staff: Vec<crate::records::Staff>,
    trainings: Vec<(PracticeId, crate::records::TrainingRecord)>,
    meetings: Vec<crate::records::TeamMeeting>,
    care_plans: Vec<crate::records::CarePlan>,
    surveys: Vec<crate::records::SurveyResult>,
    attestations: Vec<crate::records::Attestation>,
    documents: Vec<crate::records::Document>,
    reports: Vec<crate::records::PeriodicReport>,
}

/// The tables of the first half of a PO's rows: about half of the database's work for a large PO.
type PeopleAndAttestations = (
    Vec<crate::records::Staff>,
    Vec<(PracticeId, crate::records::TrainingRecord)>,
    Vec<crate::records::SurveyResult>,
    Vec<crate::records::Attestation>,
    Vec<crate::records::Document>,
);

/// The other half: meetings with attendees and follow-ups, care plans with partners and shares,
/// periodic reports.
type Activities = (
    Vec<crate::records::TeamMeeting>,
    Vec<crate::records::CarePlan>,
    Vec<crate::records::PeriodicReport>,
);

/// The PO, its practices and the first half of its tables.
fn first_half(
    conn: &mut Connection,
    id: OrganizationId,
    known: Known,
) -> StoreResult<(crate::records::Organization, Vec<Practice>, PeopleAndAttestations)> {
    let organization = organizations::get(conn, id)?;
    let practices = practices::all_of_organization(conn, id)?;
    let people = (
        staff::all_of_organization(conn, id, known)?,
        trainings::all_of_organization(conn, id, known)?,
        surveys::all_of_organization(conn, id, known)?,
        attestations::all_of_organization(conn, id)?,
        documents::all_of_organization(conn, id, known)?,
    );
    Ok((organization, practices, people))
}

/// The second half of a PO's tables.
fn second_half(conn: &mut Connection, id: OrganizationId, known: Known) -> StoreResult<Activities> {
    Ok((
        meetings::all_of_organization(conn, id, known)?,
        care_plans::all_of_organization(conn, id, known)?,
        reports::all_of_organization(conn, id, known)?,
    ))
}

/// Both halves put together, grouped by practice.
fn assemble(
    (organization, practices, first): (crate::records::Organization, Vec<Practice>, PeopleAndAttestations),
    (meetings, care_plans, reports): Activities,
) -> OrganizationRecords {
    let (staff, trainings, surveys, attestations, documents) = first;
    group(
        organization,
        Tables {
            practices,
            staff,
            trainings,
            meetings,
            care_plans,
            surveys,
            attestations,
            documents,
            reports,
        },
    )
}

/// The PO, its practices with their records, and the combined records for the PO-level
/// evaluation, from one snapshot of the database.
///
/// Loads each table once for the whole PO (not once per practice), in two halves read at the same
/// time on PostgreSQL ([`Store::read_in_parallel`]), and groups the rows by practice in memory;
/// each practice's records come out in the same order as [`for_practice`] gives them.
pub fn organization(store: &Store, id: OrganizationId) -> StoreResult<OrganizationRecords> {
    organization_known(store, id, Known::of(crate::records::Basis::corrected()))
}

/// [`organization`], with the records `known` counts (those known on a past day, say).
pub fn organization_known(store: &Store, id: OrganizationId, known: Known) -> StoreResult<OrganizationRecords> {
    let (first, second) = store.read_in_parallel(|c| first_half(c, id, known), |c| second_half(c, id, known))?;
    Ok(assemble(first, second))
}

/// Groups a PO's rows by practice (PO-level attestations, documents and reports go to every
/// practice) and gathers the combined records.
fn group(organization: crate::records::Organization, tables: Tables) -> OrganizationRecords {
    let Tables {
        practices: all_practices,
        staff: all_staff,
        trainings: all_trainings,
        meetings: all_meetings,
        care_plans: all_care_plans,
        surveys: all_surveys,
        attestations: all_attestations,
        documents: all_documents,
        reports: all_reports,
    } = tables;
    let index: HashMap<PracticeId, usize> = all_practices.iter().enumerate().map(|(n, p)| (p.id, n)).collect();
    let mut grouped: Vec<Records> = all_practices
        .iter()
        .map(|practice| Records {
            practices: vec![practice.clone()],
            ..Records::default()
        })
        .collect();
    let slot = |practice: PracticeId| index.get(&practice).copied();
    for member in all_staff {
        if let Some(n) = slot(member.practice_id) {
            grouped[n].staff.push(member);
        }
    }
    for (practice, training) in all_trainings {
        if let Some(n) = slot(practice) {
            grouped[n].trainings.push(training);
        }
    }
    for meeting in all_meetings {
        if let Some(n) = slot(meeting.practice_id) {
            grouped[n].meetings.push(meeting);
        }
    }
    for plan in all_care_plans {
        if let Some(n) = slot(plan.practice_id) {
            grouped[n].care_plans.push(plan);
        }
    }
    for survey in all_surveys {
        if let Some(n) = slot(survey.practice_id) {
            grouped[n].surveys.push(survey);
        }
    }
    // PO-level records concern every practice; a practice's own concern only it. Both kinds are
    // pushed in the loaders' order, so each practice sees them interleaved as `for_practice` does.
    for attestation in &all_attestations {
        match attestation.owner {
            Owner::Organization(_) => grouped
                .iter_mut()
                .for_each(|r| r.attestations.push(attestation.clone())),
            Owner::Practice(p) => {
                if let Some(n) = slot(p) {
                    grouped[n].attestations.push(attestation.clone());
                }
            }
        }
    }
    for document in &all_documents {
        match document.owner {
            Owner::Organization(_) => grouped.iter_mut().for_each(|r| r.documents.push(document.clone())),
            Owner::Practice(p) => {
                if let Some(n) = slot(p) {
                    grouped[n].documents.push(document.clone());
                }
            }
        }
    }
    for report in &all_reports {
        match report.owner {
            Owner::Organization(_) => grouped.iter_mut().for_each(|r| r.reports.push(report.clone())),
            Owner::Practice(p) => {
                if let Some(n) = slot(p) {
                    grouped[n].reports.push(report.clone());
                }
            }
        }
    }

    // The combined records: every practice's own, plus the PO's own (those of no practice).
    let mut combined = Records {
        attestations: all_attestations,
        documents: all_documents,
        reports: all_reports,
        practices: all_practices.clone(),
        ..Records::default()
    };
    for records in &grouped {
        combined.staff.extend(records.staff.iter().cloned());
        combined.trainings.extend(records.trainings.iter().cloned());
        combined.meetings.extend(records.meetings.iter().cloned());
        combined.care_plans.extend(records.care_plans.iter().cloned());
        combined.surveys.extend(records.surveys.iter().cloned());
    }
    OrganizationRecords {
        organization,
        practices: all_practices.into_iter().zip(grouped).collect(),
        combined,
    }
}

/// Rows of `rows` grouped in the order of `practices` (each practice's rows in the order loaded),
/// rows of other practices left out: the order [`group`] gives the combined records.
fn in_practice_order<T>(practices: &[Practice], rows: Vec<T>, of: impl Fn(&T) -> PracticeId) -> Vec<T> {
    let index: HashMap<PracticeId, usize> = practices.iter().enumerate().map(|(n, p)| (p.id, n)).collect();
    let mut keyed: Vec<(usize, T)> = rows
        .into_iter()
        .filter_map(|row| index.get(&of(&row)).map(|&n| (n, row)))
        .collect();
    keyed.sort_by_key(|(n, _)| *n);
    keyed.into_iter().map(|(_, row)| row).collect()
}

/// The PO, its practices, and the combined records the PO-level criteria read (today's corrected
/// ones): every practice's staff and attestations and the kinds `read` names, in the order
/// [`organization`] gives its combined records, the other kinds left empty. Call it inside
/// [`Connection::snapshot`].
pub fn organization_combined(
    conn: &mut Connection,
    id: OrganizationId,
    read: crate::rules::kept::RecordsRead,
) -> StoreResult<(crate::records::Organization, Vec<Practice>, Records)> {
    let known = Known::of(crate::records::Basis::corrected());
    let organization = organizations::get(conn, id)?;
    let practices = practices::all_of_organization(conn, id)?;
    let staff = in_practice_order(&practices, staff::all_of_organization(conn, id, known)?, |s| {
        s.practice_id
    });
    let trainings = if read.trainings {
        in_practice_order(
            &practices,
            trainings::all_of_organization(conn, id, known)?,
            |(p, _)| *p,
        )
        .into_iter()
        .map(|(_, t)| t)
        .collect()
    } else {
        Vec::new()
    };
    let meetings = if read.meetings {
        in_practice_order(&practices, meetings::all_of_organization(conn, id, known)?, |m| {
            m.practice_id
        })
    } else {
        Vec::new()
    };
    let care_plans = if read.care_plans {
        in_practice_order(&practices, care_plans::all_of_organization(conn, id, known)?, |p| {
            p.practice_id
        })
    } else {
        Vec::new()
    };
    let surveys = if read.surveys {
        in_practice_order(&practices, surveys::all_of_organization(conn, id, known)?, |s| {
            s.practice_id
        })
    } else {
        Vec::new()
    };
    let combined = Records {
        attestations: attestations::all_of_organization(conn, id)?,
        documents: if read.documents {
            documents::all_of_organization(conn, id, known)?
        } else {
            Vec::new()
        },
        reports: if read.reports {
            reports::all_of_organization(conn, id, known)?
        } else {
            Vec::new()
        },
        practices: practices.clone(),
        staff,
        trainings,
        meetings,
        care_plans,
        surveys,
    };
    Ok((organization, practices, combined))
}
