//! Recording care plans with their care partners, changing what is recorded of them, and each
//! share with a partner.

use crate::access::Actor;
use crate::ids::{CarePlanId, PracticeId};
use crate::records::{CarePlan, CarePlanShare};
use crate::store::care_plans::{self, CarePlanUpdate, NewCarePlan, NewCarePlanShare};
use crate::store::{audit, Store, StoreResult};

use super::snapshot;

/// Records a care plan of `practice` with its care partners.
pub fn add_care_plan(store: &Store, actor: &Actor, practice: PracticeId, form: &NewCarePlan) -> StoreResult<CarePlan> {
    store.write_audited(actor.audit("create", "care_plan"), |c, _| {
        care_plans::create(c, practice, form)
    })
}

/// Records a plan's execution date or its documentation in the medical record.
pub fn update_care_plan(
    store: &Store,
    actor: &Actor,
    practice: PracticeId,
    id: CarePlanId,
    form: &CarePlanUpdate,
) -> StoreResult<CarePlan> {
    store.write_audited(actor.audit("update", "care_plan"), |c, event| {
        audit::hold(c)?;
        event.before = Some(snapshot(&care_plans::get(c, practice, id)?)?);
        care_plans::update(c, practice, id, form)
    })
}

/// Records that the plan `id` of `practice` was shared with one of its care partners.
pub fn share_care_plan(
    store: &Store,
    actor: &Actor,
    practice: PracticeId,
    id: CarePlanId,
    form: &NewCarePlanShare,
) -> StoreResult<CarePlanShare> {
    store.write_audited(actor.audit("share", "care_plan_share"), |c, _| {
        care_plans::share(c, practice, id, form)
    })
}
