//! (being written) surveys.

use super::{Connection, StoreResult};
use crate::ids::PracticeId;
use crate::records::SurveyResult;

/// Every record of `practice`, for the rules.
pub(crate) fn all(_conn: &mut Connection, _practice: PracticeId) -> StoreResult<Vec<SurveyResult>> {
    Ok(Vec::new())
}
