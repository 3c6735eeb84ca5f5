//! Recording survey results of a practice and filing periodic reports of a PO.

use crate::access::Actor;
use crate::catalog::{Catalog, CatalogSet};
use crate::ids::{OrganizationId, PeriodicReportId, PracticeId, SurveyResultId};
use crate::records::{Owner, PeriodicReport, SurveyResult};
use crate::store::reports::{self, NewReport};
use crate::store::surveys::{self, NewSurvey};
use crate::store::voids::Void;
use crate::store::{practices, Store, StoreError, StoreResult};

use super::{link_replaced, practice_catalog, void_record, void_replaced};

/// Records the result of a survey of `practice`, of a kind of the practice's catalog.
pub fn add_survey(
    store: &Store,
    catalogs: &CatalogSet,
    actor: &Actor,
    practice: PracticeId,
    form: &NewSurvey,
) -> StoreResult<SurveyResult> {
    let catalog = store.read(|c| practice_catalog(c, catalogs, practice).map(|(_, catalog)| catalog))?;
    store.write_audited(actor.audit("create", "survey"), |c, _| {
        let replaced = void_replaced(c, actor, form.replaces.as_ref(), |c, id, mark| {
            surveys::void(c, practice, SurveyResultId(id), mark)
        })?;
        let created = surveys::create(c, practice, catalog, form)?;
        link_replaced(c, actor, "survey", replaced, created.id.0, |c, old, new| {
            surveys::link(c, practice, SurveyResultId(old), SurveyResultId(new))
        })?;
        surveys::get(c, practice, created.id)
    })
}

/// Voids the survey result `id` of `practice`, entered by mistake.
pub fn void_survey(
    store: &Store,
    actor: &Actor,
    practice: PracticeId,
    id: SurveyResultId,
    why: &Void,
) -> StoreResult<SurveyResult> {
    void_record(store, actor, "survey", why, |c, mark| {
        surveys::void(c, practice, id, mark)
    })
}

/// Voids the periodic report `id` of `organization`, filed by mistake.
pub fn void_report(
    store: &Store,
    actor: &Actor,
    organization: OrganizationId,
    id: PeriodicReportId,
    why: &Void,
) -> StoreResult<PeriodicReport> {
    void_record(store, actor, "report", why, |c, mark| {
        reports::void(c, organization, id, mark)
    })
}

/// The catalog a report is filed under: the version its practice is assessed against when it
/// is about a practice of `organization`, else the one the PO's practices use.
fn report_catalog(
    store: &Store,
    catalogs: &CatalogSet,
    organization: OrganizationId,
    about: Option<PracticeId>,
) -> StoreResult<Catalog> {
    let (used, practice) = store.read(|c| {
        let used = practices::catalog_versions(c, organization)?;
        let practice = match about.map(|id| practices::get(c, id)) {
            Some(Ok(practice)) => Some(practice),
            None | Some(Err(StoreError::NotFound { .. })) => None,
            Some(Err(other)) => return Err(other),
        };
        Ok((used, practice))
    })?;
    let internal = |e: crate::catalog::CatalogNotLoaded| StoreError::Internal(e.to_string());
    // A practice that is not the PO's is refused by the store with a 422 naming practice_id.
    let catalog = match practice.filter(|p| p.organization_id == organization) {
        Some(practice) => catalogs
            .named(&practice.catalog_id, &practice.catalog_version)
            .map_err(internal)?,
        None => catalogs
            .for_organization(
                used.iter().map(|(id, version)| (id.as_str(), version.as_str())),
                chrono::Utc::now().date_naive(),
            )
            .map_err(internal)?,
    };
    Ok(catalog.clone())
}

/// Files a periodic report of `organization`, PO-wide or about one of its practices.
pub fn add_report(
    store: &Store,
    catalogs: &CatalogSet,
    actor: &Actor,
    organization: OrganizationId,
    form: &NewReport,
) -> StoreResult<PeriodicReport> {
    let catalog = report_catalog(store, catalogs, organization, form.practice_id)?;
    store.write_audited(actor.audit("create", "report"), |c, event| {
        let replaced = void_replaced(c, actor, form.replaces.as_ref(), |c, id, mark| {
            reports::void(c, organization, PeriodicReportId(id), mark)
        })?;
        let created = reports::create(c, organization, &catalog, form)?;
        link_replaced(c, actor, "report", replaced, created.id.0, |c, old, new| {
            reports::link(c, organization, PeriodicReportId(old), PeriodicReportId(new))
        })?;
        let created = reports::get(c, organization, created.id)?;
        // A report about one of the PO's practices concerns that practice too.
        if let Owner::Practice(practice) = created.owner {
            event.practice = Some(practice);
        }
        Ok(created)
    })
}
