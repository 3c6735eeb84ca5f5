//! Recording care plans with their care partners, changing what is recorded of them, and each
//! share with a partner.

use crate::access::Actor;
use crate::ids::{CarePlanId, CarePlanShareId, PracticeId};
use crate::packet::Period;
use crate::records::{CarePlan, CarePlanShare};
use crate::standards::fhir;
use crate::store::care_plans::{self, CarePlanUpdate, NewCarePlan, NewCarePlanShare};
use crate::store::voids::{Known, Void};
use crate::store::{audit, practices, staff, Store, StoreResult};

use super::{link_replaced, snapshot, void_record, void_replaced};

/// Records a care plan of `practice` with its care partners.
pub fn add_care_plan(store: &Store, actor: &Actor, practice: PracticeId, form: &NewCarePlan) -> StoreResult<CarePlan> {
    store.write_audited(actor.audit("create", "care_plan"), |c, _| {
        let replaced = void_replaced(c, actor, form.replaces.as_ref(), |c, id, mark| {
            care_plans::void(c, practice, CarePlanId(id), mark)
        })?;
        let created = care_plans::create(c, practice, form)?;
        link_replaced(c, actor, "care_plan", replaced, created.id.0, |c, old, new| {
            care_plans::link(c, practice, CarePlanId(old), CarePlanId(new))
        })?;
        care_plans::get(c, practice, created.id)
    })
}

/// Voids the care plan `id` of `practice`, entered by mistake (its shares no longer count with it).
pub fn void_care_plan(
    store: &Store,
    actor: &Actor,
    practice: PracticeId,
    id: CarePlanId,
    why: &Void,
) -> StoreResult<CarePlan> {
    void_record(store, actor, "care_plan", why, |c, mark| {
        care_plans::void(c, practice, id, mark)
    })
}

/// Voids the share `share` of the care plan `plan` of `practice`, recorded by mistake.
pub fn void_care_plan_share(
    store: &Store,
    actor: &Actor,
    practice: PracticeId,
    plan: CarePlanId,
    share: CarePlanShareId,
    why: &Void,
) -> StoreResult<CarePlanShare> {
    void_record(store, actor, "care_plan_share", why, |c, mark| {
        care_plans::void_share(c, practice, plan, share, mark)
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
        audit::hold(c, event.organization)?;
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
        let replaced = void_replaced(c, actor, form.replaces.as_ref(), |c, old, mark| {
            care_plans::void_share(c, practice, id, CarePlanShareId(old), mark)
        })?;
        let created = care_plans::share(c, practice, id, form)?;
        link_replaced(c, actor, "care_plan_share", replaced, created.id.0, |c, old, new| {
            care_plans::link_share(c, practice, id, CarePlanShareId(old), CarePlanShareId(new))
        })?;
        care_plans::get_share(c, practice, id, created.id)
    })
}

/// The care plans of `practice` that count in `period` and their shares within it, as a FHIR R4
/// `Bundle`, read on one snapshot (voided plans and shares are left out by the export, which
/// also reads voided staff: a plan may name one as its initiating provider).
pub fn care_plans_fhir(store: &Store, practice: PracticeId, period: Period) -> StoreResult<fhir::Bundle> {
    store.read(|c| {
        c.snapshot(|c| {
            let found = practices::get(c, practice)?;
            let staff = staff::all(c, practice, Known::everything())?;
            let plans = care_plans::all(c, practice, Known::everything())?;
            Ok(fhir::care_plans_bundle(&found, &staff, &plans, period))
        })
    })
}
