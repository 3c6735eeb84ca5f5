//! Recording team meetings and the completion of their follow-up items.

use crate::access::Actor;
use crate::catalog::CatalogSet;
use crate::ids::{PracticeId, TeamMeetingId};
use crate::store::meetings::{self, FollowUpCompletion, FollowUpRecord, MeetingRecord, NewMeeting};
use crate::store::voids::Void;
use crate::store::{audit, Store, StoreResult};

use super::{link_replaced, practice_catalog, snapshot, void_record, void_replaced};

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
        let replaced = void_replaced(c, actor, form.replaces.as_ref(), |c, id, mark| {
            meetings::void(c, practice, TeamMeetingId(id), mark)
        })?;
        let created = meetings::create(c, practice, catalog, form)?;
        link_replaced(c, actor, "meeting", replaced, created.id.0, |c, old, new| {
            meetings::link(c, practice, TeamMeetingId(old), TeamMeetingId(new))
        })?;
        meetings::get(c, practice, created.id)
    })
}

/// Voids the meeting `id` of `practice`, entered by mistake (its follow-up items no longer
/// count with it).
pub fn void_meeting(
    store: &Store,
    actor: &Actor,
    practice: PracticeId,
    id: TeamMeetingId,
    why: &Void,
) -> StoreResult<MeetingRecord> {
    void_record(store, actor, "meeting", why, |c, mark| {
        meetings::void(c, practice, id, mark)
    })
}

/// Voids the follow-up item `follow_up` of the meeting `meeting` of `practice`, entered by mistake.
pub fn void_follow_up(
    store: &Store,
    actor: &Actor,
    practice: PracticeId,
    meeting: TeamMeetingId,
    follow_up: i64,
    why: &Void,
) -> StoreResult<FollowUpRecord> {
    void_record(store, actor, "follow_up", why, |c, mark| {
        meetings::void_follow_up(c, practice, meeting, follow_up, mark)
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
        audit::hold(c, event.organization)?;
        event.before = Some(snapshot(&meetings::get(c, practice, meeting)?)?);
        meetings::complete_follow_up(c, practice, meeting, follow_up, form)
    })
}
