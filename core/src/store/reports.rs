//! (being written) reports.

use super::{Connection, StoreResult};
use crate::records::{PeriodicReport, Practice};

/// Every record of `practice` and of its PO, for the rules.
pub(crate) fn all(_conn: &mut Connection, _practice: &Practice) -> StoreResult<Vec<PeriodicReport>> {
    Ok(Vec::new())
}
