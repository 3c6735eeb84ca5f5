//! (being written) care_plans.

use super::{Connection, StoreResult};
use crate::ids::PracticeId;
use crate::records::CarePlan;

/// Every record of `practice`, for the rules.
pub(crate) fn all(_conn: &mut Connection, _practice: PracticeId) -> StoreResult<Vec<CarePlan>> {
    Ok(Vec::new())
}
