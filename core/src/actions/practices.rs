//! A practice's own declarations: its initial-focus population, the day it joined its PO and
//! its time zone.

use crate::access::Actor;
use crate::ids::PracticeId;
use crate::records::Practice;
use crate::store::practices::{self, PracticeUpdate};
use crate::store::{audit, Store, StoreResult};

use super::snapshot;

/// Changes the fields of a practice the form gives; the others stay as they are.
pub fn update_practice(store: &Store, actor: &Actor, id: PracticeId, form: &PracticeUpdate) -> StoreResult<Practice> {
    store.write_audited(actor.audit("update", "practice"), |c, event| {
        audit::hold(c, event.organization)?;
        event.before = Some(snapshot(&practices::get(c, id)?)?);
        practices::update(c, id, form)
    })
}
