//! Recording survey results of a practice and filing periodic reports of a PO.

use crate::access::Actor;
use crate::catalog::{Catalog, CatalogSet};
use crate::ids::{OrganizationId, PracticeId};
use crate::records::{Owner, PeriodicReport, SurveyResult};
use crate::store::reports::{self, NewReport};
use crate::store::surveys::{self, NewSurvey};
use crate::store::{practices, Store, StoreError, StoreResult};

use super::practice_catalog;

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
        surveys::create(c, practice, catalog, form)
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
        let created = reports::create(c, organization, &catalog, form)?;
        // A report about one of the PO's practices concerns that practice too.
        if let Owner::Practice(practice) = created.owner {
            event.practice = Some(practice);
        }
        Ok(created)
    })
}
