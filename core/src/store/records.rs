//! Everything the rules need about a practice, loaded in one go.

use super::{attestations, care_plans, documents, meetings, practices, reports, staff, surveys, trainings};
use super::{organizations, Connection, Page, StoreResult};
use crate::ids::{OrganizationId, PracticeId};
use crate::records::{Organization, Owner, Practice, Records};

/// The practice and all its records (and the PO-level records that concern it).
pub fn for_practice(conn: &mut Connection, id: PracticeId) -> StoreResult<(Practice, Records)> {
    let practice = practices::get(conn, id)?;
    let records = Records {
        staff: staff::all(conn, id)?,
        trainings: trainings::all(conn, id)?,
        meetings: meetings::all(conn, id)?,
        care_plans: care_plans::all(conn, id)?,
        attestations: attestations::all(conn, practice.organization_id, Some(id))?,
        documents: documents::all(conn, practice.organization_id, Some(id))?,
        surveys: surveys::all(conn, id)?,
        reports: reports::all(conn, practice.organization_id, Some(id))?,
        practices: vec![practice.clone()],
    };
    Ok((practice, records))
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

/// The PO, its practices with their records, and the combined records for the PO-level evaluation.
///
/// Loads practice by practice (N queries per table); to be batched for POs with many practices.
pub fn for_organization(conn: &mut Connection, id: OrganizationId) -> StoreResult<OrganizationRecords> {
    let organization = organizations::get(conn, id)?;
    let mut all_practices = Vec::new();
    let mut offset = 0;
    loop {
        let page = practices::list(conn, id, Page { limit: 500, offset })?;
        let count = page.items.len();
        all_practices.extend(page.items);
        offset += 500;
        if count < 500 || offset >= page.total {
            break;
        }
    }
    // The PO's own records: those of no practice.
    let mut combined = Records {
        attestations: attestations::all(conn, id, None)?,
        documents: documents::all(conn, id, None)?,
        reports: reports::all(conn, id, None)?,
        ..Records::default()
    };
    let mut loaded = Vec::with_capacity(all_practices.len());
    for practice in all_practices {
        let (practice, records) = for_practice(conn, practice.id)?;
        let own = |owner: &Owner| matches!(owner, Owner::Practice(p) if *p == practice.id);
        combined.practices.push(practice.clone());
        combined.staff.extend(records.staff.iter().cloned());
        combined.trainings.extend(records.trainings.iter().cloned());
        combined.meetings.extend(records.meetings.iter().cloned());
        combined.care_plans.extend(records.care_plans.iter().cloned());
        combined.surveys.extend(records.surveys.iter().cloned());
        combined
            .attestations
            .extend(records.attestations.iter().filter(|a| own(&a.owner)).cloned());
        combined
            .documents
            .extend(records.documents.iter().filter(|d| own(&d.owner)).cloned());
        combined
            .reports
            .extend(records.reports.iter().filter(|r| own(&r.owner)).cloned());
        loaded.push((practice, records));
    }
    Ok(OrganizationRecords {
        organization,
        practices: loaded,
        combined,
    })
}
