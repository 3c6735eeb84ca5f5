//! Recording team meetings and the completion of their follow-up items.

use crate::access::Actor;
use crate::catalog::CatalogSet;
use crate::ids::{PracticeId, TeamMeetingId};
use crate::store::meetings::{self, FollowUpCompletion, MeetingRecord, NewMeeting};
use crate::store::{audit, Store, StoreResult};

use super::{practice_catalog, snapshot};

/// Records a meeting of `practice` with its attendees and follow-ups, all or nothing, its kind
/// taken from the practice's catalog version.
pub fn record_meeting(
    store: &Store,
    catalogs: &CatalogSet,
    actor: &Actor,
    practice: PracticeId,
    form: &NewMeeting,
) -> StoreResult<MeetingRecord> {
    store.write_audited(actor.audit("create", "meeting"), |c, _| {
        let (_, catalog) = practice_catalog(c, catalogs, practice)?;
        meetings::create(c, practice, catalog, form)
    })
}

/// Records the day the follow-up item `follow_up` of `meeting` was done. The event is about the
/// follow-up item; its `before` and `after` are the meeting as it was and is.
pub fn complete_follow_up(
    store: &Store,
    actor: &Actor,
    practice: PracticeId,
    meeting: TeamMeetingId,
    follow_up: i64,
    form: &FollowUpCompletion,
) -> StoreResult<MeetingRecord> {
    store.write_audited(actor.audit("update", "follow_up"), |c, event| {
        event.record_id = Some(follow_up);
        audit::hold(c)?;
        event.before = Some(snapshot(&meetings::get(c, practice, meeting)?)?);
        meetings::complete_follow_up(c, practice, meeting, follow_up, form)
    })
}
