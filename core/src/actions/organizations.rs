//! Reading a PO as a whole: its practices' records and its own, loaded on one snapshot and
//! evaluated by the pure views.

use chrono::NaiveDate;

use crate::catalog::CatalogSet;
use crate::ids::OrganizationId;
use crate::records::{Basis, OrganizationRecords};
use crate::rules::view::{self, OrganizationCompliance};
use crate::store::voids::Known;
use crate::store::{records, Store, StoreError, StoreResult};

/// Frees a PO's records on another thread: hundreds of thousands of small allocations take a
/// tenth of a second to free, which the caller need not wait for.
pub fn free_later(loaded: OrganizationRecords) {
    let freeing = std::thread::Builder::new()
        .name("free-po-records".into())
        .spawn(move || drop(loaded));
    // Without a thread the records were dropped with the error, on this one.
    drop(freeing);
}

/// The PO's compliance as of `as_of`: every practice against its own catalog version, the
/// counts per criterion and per practice, and the PO-level criteria beside the PO's own
/// attestations (the JSON API's `/organizations/{id}/compliance` and the PO dashboard), read from
/// the kept evaluations.
pub fn organization_compliance(
    store: &Store,
    catalogs: &CatalogSet,
    organization: OrganizationId,
    as_of: NaiveDate,
) -> StoreResult<OrganizationCompliance> {
    super::kept::organization_compliance(store, catalogs, organization, as_of)
}

/// Whether a PO view from the records `basis` names is computed from every record (records known
/// on a past day) rather than read from kept evaluations: such views take a turn among the
/// server's heavy computations.
pub fn computes_from_records(basis: Basis) -> bool {
    basis != Basis::corrected()
}

/// [`organization_compliance`] from the records `basis` names: today's corrected ones (kept), or
/// those known at the end of a past day (computed from every record of the PO, given up when
/// `abandoned` is set before the records are loaded or before they are evaluated).
pub fn organization_compliance_on(
    store: &Store,
    catalogs: &CatalogSet,
    organization: OrganizationId,
    as_of: NaiveDate,
    basis: Basis,
    abandoned: &super::Abandoned,
) -> StoreResult<OrganizationCompliance> {
    if !computes_from_records(basis) {
        return organization_compliance(store, catalogs, organization, as_of);
    }
    abandoned.check()?;
    let loaded = records::organization_known(store, organization, Known::of(basis))?;
    if let Err(stop) = abandoned.check() {
        free_later(loaded);
        return Err(stop);
    }
    let compliance = view::organization_compliance(catalogs, &loaded, as_of);
    free_later(loaded);
    let mut compliance = compliance.map_err(|e| StoreError::Internal(e.to_string()))?;
    compliance.basis = basis;
    Ok(compliance)
}
