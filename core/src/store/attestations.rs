//! (being written) attestations.

use super::{Connection, StoreResult};
use crate::records::{Attestation, Practice};

/// Every record of `practice` and of its PO, for the rules.
pub(crate) fn all(_conn: &mut Connection, _practice: &Practice) -> StoreResult<Vec<Attestation>> {
    Ok(Vec::new())
}
