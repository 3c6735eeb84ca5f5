//! Running a PO: adding a practice, and moving the PO with all its practices to a later
//! catalog version (previewed first: which criteria change, which attestations need renewing).
//!
//! The JSON API (`/organizations/{id}/practices`, `/organizations/{id}/catalog-upgrade`) and
//! the PO's pages call these same functions.

use crate::access::Actor;
use crate::catalog::{diff, CatalogDiff};
use crate::catalog::{Catalog, CatalogSet};
use crate::ids::{OrganizationId, PracticeId};
use crate::records::{Owner, Practice};
use crate::rules::attested::{self, OrganizationUpgrade};
use crate::store::attestations::{self, AttestationFilter};
use crate::store::practices::{self, NewPractice};
use crate::store::{audit, Page, Store, StoreError, StoreResult};

use super::snapshot;

/// The catalog a new practice is assessed against: the version named, or the one in force today.
pub fn catalog_for_new_practice<'a>(catalogs: &'a CatalogSet, version: Option<&str>) -> StoreResult<&'a Catalog> {
    let id = catalogs
        .ids()
        .first()
        .copied()
        .ok_or_else(|| StoreError::Internal("no catalog is loaded".into()))?;
    match version {
        Some(text) => semver::Version::parse(text)
            .ok()
            .and_then(|v| catalogs.get(id, &v))
            .ok_or_else(|| {
                let known: Vec<String> = catalogs
                    .iter()
                    .filter(|(_, c)| c.id == id)
                    .map(|(_, c)| c.version.to_string())
                    .collect();
                StoreError::invalid(
                    "catalog_version",
                    "known_version",
                    format!("{id} has no version {text} (known: {})", known.join(", ")),
                )
            }),
        None => catalogs
            .in_force(id, chrono::Utc::now().date_naive())
            .ok_or_else(|| StoreError::Internal(format!("no version of {id} is in force today"))),
    }
}

/// Adds a practice to `organization`, assessed against the catalog version `form` names (the
/// one in force today if none).
pub fn create_practice(
    store: &Store,
    catalogs: &CatalogSet,
    actor: &Actor,
    organization: OrganizationId,
    form: &NewPractice,
) -> StoreResult<Practice> {
    let catalog = catalog_for_new_practice(catalogs, form.catalog_version.as_deref())?;
    store.write_audited(actor.audit("create", "practice"), |c, event| {
        let created = practices::create(c, organization, catalog, form)?;
        event.organization = Some(created.organization_id);
        event.practice = Some(created.id);
        Ok(created)
    })
}

/// A PO moved to a later catalog version (as its audit event's `after` records it).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CatalogUpgraded {
    /// The PO.
    pub organization_id: OrganizationId,
    /// The version every practice is now assessed against.
    pub catalog_version: String,
    /// The practices moved, as they now stand.
    pub upgraded: Vec<Practice>,
    /// The practices that were already assessed against it.
    pub already_on_version: Vec<PracticeId>,
}

fn plan<'a>(catalogs: &'a CatalogSet, all: &[Practice], to_version: &str) -> StoreResult<OrganizationUpgrade<'a>> {
    attested::plan_organization_upgrade(catalogs, all, to_version)
        .map_err(|why| StoreError::invalid("to_version", "catalog_upgrade", why))
}

/// Moves `organization` with every one of its practices to `to_version`, all or nothing.
pub fn upgrade_organization_catalog(
    store: &Store,
    catalogs: &CatalogSet,
    actor: &Actor,
    organization: OrganizationId,
    to_version: &str,
) -> StoreResult<CatalogUpgraded> {
    store.write_audited(actor.audit("upgrade", "organization"), |c, event| {
        audit::hold(c, event.organization)?;
        let all = practices::all_of_organization(c, organization)?;
        let plan = plan(catalogs, &all, to_version)?;
        let moving: Vec<&Practice> = all
            .iter()
            .filter(|p| plan.moving.iter().any(|(m, _)| *m == p.id))
            .collect();
        event.before = Some(snapshot(&moving)?);
        let mut upgraded = Vec::with_capacity(plan.moving.len());
        let mut version = String::new();
        for (practice, target) in &plan.moving {
            version = target.version.to_string();
            upgraded.push(practices::set_catalog_version(c, *practice, target)?);
        }
        Ok(CatalogUpgraded {
            organization_id: organization,
            catalog_version: version,
            upgraded,
            already_on_version: plan.already,
        })
    })
}

/// An attestation that will no longer hold after the upgrade.
#[derive(Debug, Clone)]
pub struct RenewalNeeded {
    /// The practice, or `None` for the PO's own attestation.
    pub practice: Option<Practice>,
    /// The criterion attested.
    pub criterion: crate::ids::CriterionId,
    /// Why it must be attested again.
    pub why: String,
}

/// What an upgrade would do, shown before it is confirmed.
#[derive(Debug, Clone)]
pub struct UpgradePreview {
    /// The version asked for.
    pub to_version: String,
    /// The practices that would move, with the version each is on now.
    pub moving: Vec<Practice>,
    /// The practices already on that version.
    pub already: Vec<Practice>,
    /// Per version the practices move from, the criteria changed between it and the target.
    pub changes: Vec<CatalogDiff>,
    /// The attestations in force that would need renewing.
    pub renewals: Vec<RenewalNeeded>,
}

/// What moving `organization` to `to_version` would change, without changing anything: the
/// same plan the upgrade follows (refused with the same 422), the criteria changed, and the
/// attestations in force (the practices' and the PO's) that would no longer carry over.
pub fn preview_organization_upgrade(
    store: &Store,
    catalogs: &CatalogSet,
    organization: OrganizationId,
    to_version: &str,
) -> StoreResult<UpgradePreview> {
    let page = Page { limit: 500, offset: 0 };
    let current = AttestationFilter {
        current_only: true,
        ..AttestationFilter::default()
    };
    store.read(|c| {
        let all = practices::all_of_organization(c, organization)?;
        let plan = plan(catalogs, &all, to_version)?;
        let target = plan.moving.first().map(|(_, t)| *t);
        let mut preview = UpgradePreview {
            to_version: target.map_or_else(|| to_version.trim().to_owned(), |t| t.version.to_string()),
            moving: Vec::new(),
            already: all.iter().filter(|p| plan.already.contains(&p.id)).cloned().collect(),
            changes: Vec::new(),
            renewals: Vec::new(),
        };
        for (id, target) in &plan.moving {
            let Some(practice) = all.iter().find(|p| p.id == *id) else {
                continue;
            };
            let from = catalogs
                .named(&practice.catalog_id, &practice.catalog_version)
                .map_err(|e| StoreError::Internal(e.to_string()))?;
            if !preview
                .changes
                .iter()
                .any(|d| d.from_version == from.version.to_string())
            {
                preview.changes.push(diff(from, target));
            }
            let listing = attestations::list_for_practice(c, practice.id, &current, page)?;
            for record in listing.items {
                if record.attestation.owner != Owner::Practice(practice.id) {
                    continue;
                }
                if let Some(why) = attested::needs_reattestation(catalogs, target, &record.attestation) {
                    preview.renewals.push(RenewalNeeded {
                        practice: Some(practice.clone()),
                        criterion: record.attestation.criterion.clone(),
                        why,
                    });
                }
            }
            preview.moving.push(practice.clone());
        }
        if let Some(target) = target {
            let listing = attestations::list_for_organization(c, organization, &current, page)?;
            for record in listing.items {
                if let Some(why) = attested::needs_reattestation(catalogs, target, &record.attestation) {
                    preview.renewals.push(RenewalNeeded {
                        practice: None,
                        criterion: record.attestation.criterion.clone(),
                        why,
                    });
                }
            }
        }
        Ok(preview)
    })
}
