//! Helpers for bulk loads (`pcmh demo generate`).

use diesel::connection::SimpleConnection;

use super::{on_backend, Connection, StoreResult};

/// Refreshes the query planner's statistics after a bulk load (`ANALYZE` on both backends).
///
/// Without statistics SQLite answers `organization_id = ? AND (practice_id = ? OR practice_id IS NULL)`
/// (a practice's attestations and documents) by scanning all of the PO's rows; with them it
/// searches the practice index.
pub fn analyze(conn: &mut Connection) -> StoreResult<()> {
    on_backend!(conn, |c| c.batch_execute("ANALYZE"))?;
    Ok(())
}
