//! Everything the rules need about a practice, loaded in one go.

use super::{attestations, care_plans, documents, meetings, practices, reports, staff, surveys, trainings};
use super::{Connection, StoreResult};
use crate::ids::PracticeId;
use crate::records::{Practice, Records};

/// The practice and all its records (and the PO-level records that concern it).
pub fn for_practice(conn: &mut Connection, id: PracticeId) -> StoreResult<(Practice, Records)> {
    let practice = practices::get(conn, id)?;
    let records = Records {
        staff: staff::all(conn, id)?,
        trainings: trainings::all(conn, id)?,
        meetings: meetings::all(conn, id)?,
        care_plans: care_plans::all(conn, id)?,
        attestations: attestations::all(conn, &practice)?,
        documents: documents::all(conn, &practice)?,
        surveys: surveys::all(conn, id)?,
        reports: reports::all(conn, &practice)?,
        practices: vec![practice.clone()],
    };
    Ok((practice, records))
}
