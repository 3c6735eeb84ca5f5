//! Adding staff and recording their last day.

use crate::access::Actor;
use crate::ids::{PracticeId, StaffId};
use crate::records::Staff;
use crate::store::staff::{self, NewStaff, StaffUpdate};
use crate::store::{audit, Store, StoreResult};

use super::snapshot;

/// Adds a staff member to `practice`.
pub fn add_staff(store: &Store, actor: &Actor, practice: PracticeId, form: &NewStaff) -> StoreResult<Staff> {
    store.write_audited(actor.audit("create", "staff"), |c, _| staff::create(c, practice, form))
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
        audit::hold(c)?;
        event.before = Some(snapshot(&staff::get(c, practice, id)?)?);
        staff::update(c, practice, id, form)
    })
}
