//! (being written) meetings.

use super::{Connection, StoreResult};
use crate::ids::PracticeId;
use crate::records::TeamMeeting;

/// Every record of `practice`, for the rules.
pub(crate) fn all(_conn: &mut Connection, _practice: PracticeId) -> StoreResult<Vec<TeamMeeting>> {
    Ok(Vec::new())
}
