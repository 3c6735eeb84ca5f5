//! Reading a practice's compliance: its records on one snapshot, evaluated by the pure view.

use chrono::{DateTime, NaiveDate, Utc};

use crate::catalog::CatalogSet;
use crate::ids::PracticeId;
use crate::records::Basis;
use crate::rules::view::{self, PracticeCompliance};
use crate::store::voids::Known;
use crate::store::{records, Store, StoreError, StoreResult};

/// The practice's compliance as of `as_of`, or as of its own today (in its time zone) at `now`.
pub fn practice_compliance(
    store: &Store,
    catalogs: &CatalogSet,
    practice: PracticeId,
    as_of: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> StoreResult<PracticeCompliance> {
    practice_compliance_on(store, catalogs, practice, as_of, now, Basis::corrected())
}

/// [`practice_compliance`] from the records `basis` names: today's corrected ones, or those
/// known at the end of a past day (recorded by then; voided only later counts as not voided).
pub fn practice_compliance_on(
    store: &Store,
    catalogs: &CatalogSet,
    practice: PracticeId,
    as_of: Option<NaiveDate>,
    now: DateTime<Utc>,
    basis: Basis,
) -> StoreResult<PracticeCompliance> {
    let known = Known::of(basis);
    let (practice, records) = store.read(|c| c.snapshot(|c| records::for_practice_known(c, practice, known)))?;
    let as_of = as_of.unwrap_or_else(|| practice.today(now));
    let mut compliance = view::practice_compliance(catalogs, practice, &records, as_of)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    compliance.basis = basis;
    Ok(compliance)
}
