//! (being written) trainings.

use super::{Connection, StoreResult};
use crate::ids::PracticeId;
use crate::records::TrainingRecord;

/// Every record of `practice`, for the rules.
pub(crate) fn all(_conn: &mut Connection, _practice: PracticeId) -> StoreResult<Vec<TrainingRecord>> {
    Ok(Vec::new())
}
