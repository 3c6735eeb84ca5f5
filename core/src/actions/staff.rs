//! Adding staff and recording their last day.

use crate::access::Actor;
use crate::ids::{PracticeId, StaffId};
use crate::records::Staff;
use crate::store::staff::{self, NewStaff, StaffUpdate};
use crate::store::voids::Void;
use crate::store::{audit, Store, StoreResult};

use super::{link_replaced, snapshot, void_record, void_replaced};

/// Adds a staff member to `practice`; a correction (`replaces`) voids the staff member it
/// replaces (who must have no records) in the same transaction.
pub fn add_staff(store: &Store, actor: &Actor, practice: PracticeId, form: &NewStaff) -> StoreResult<Staff> {
    store.write_audited(actor.audit("create", "staff"), |c, _| {
        let replaced = void_replaced(c, actor, form.replaces.as_ref(), |c, id, mark| {
            staff::void(c, practice, StaffId(id), mark)
        })?;
        let created = staff::create(c, practice, form)?;
        link_replaced(c, actor, "staff", replaced, created.id.0, |c, old, new| {
            staff::link(c, practice, StaffId(old), StaffId(new))
        })?;
        staff::get(c, practice, created.id)
    })
}

/// Voids the staff member `id` of `practice`, entered by mistake; refused (409) when any
/// record names them: their last day is recorded instead.
pub fn void_staff(store: &Store, actor: &Actor, practice: PracticeId, id: StaffId, why: &Void) -> StoreResult<Staff> {
    void_record(store, actor, "staff", why, |c, mark| staff::void(c, practice, id, mark))
}

/// Changes what is recorded of a staff member (their last day).
pub fn update_staff(
    store: &Store,
    actor: &Actor,
    practice: PracticeId,
    id: StaffId,
    form: &StaffUpdate,
) -> StoreResult<Staff> {
    store.write_audited(actor.audit("update", "staff"), |c, event| {
        audit::hold(c, event.organization)?;
        event.before = Some(snapshot(&staff::get(c, practice, id)?)?);
        staff::update(c, practice, id, form)
    })
}
