//! (being written) documents.

use super::{Connection, StoreResult};
use crate::records::{Document, Practice};

/// Every record of `practice` and of its PO, for the rules.
pub(crate) fn all(_conn: &mut Connection, _practice: &Practice) -> StoreResult<Vec<Document>> {
    Ok(Vec::new())
}
