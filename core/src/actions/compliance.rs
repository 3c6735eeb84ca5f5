//! Reading a practice's compliance: its records on one snapshot, evaluated by the pure view.

use chrono::{DateTime, NaiveDate, Utc};

use crate::catalog::CatalogSet;
use crate::ids::PracticeId;
use crate::rules::view::{self, PracticeCompliance};
use crate::store::{records, Store, StoreError, StoreResult};

/// The practice's compliance as of `as_of`, or as of its own today (in its time zone) at `now`.
pub fn practice_compliance(
    store: &Store,
    catalogs: &CatalogSet,
    practice: PracticeId,
    as_of: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> StoreResult<PracticeCompliance> {
    let (practice, records) = store.read(|c| c.snapshot(|c| records::for_practice(c, practice)))?;
    let as_of = as_of.unwrap_or_else(|| practice.today(now));
    view::practice_compliance(catalogs, practice, &records, as_of).map_err(|e| StoreError::Internal(e.to_string()))
}
