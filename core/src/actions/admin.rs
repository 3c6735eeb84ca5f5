//! The administrator's actions on POs and practices (create and rename a PO, rename a practice,
//! move a practice to a later catalog version) and the scope of the audit trail a role reads.
//! The JSON API and the admin's pages call these same functions.

use serde::Deserialize;
use validator::Validate;

use crate::access::{Actor, Principal, TokenRole};
use crate::catalog::CatalogSet;
use crate::ids::{OrganizationId, PracticeId};
use crate::records::{Organization, Practice};
use crate::rules::attested;
use crate::store::audit::{self, EventFilter};
use crate::store::organizations::{self, NewOrganization};
use crate::store::{practices, Store, StoreError, StoreResult};

use super::snapshot;

/// A new name for a PO or a practice.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    /// The new name.
    #[check(not_blank, max_length = 200)]
    pub name: String,
}

/// The version a practice moves to.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct CatalogVersion {
    /// A later version of the practice's catalog.
    #[check(min_length = 1, max_length = 50)]
    pub to_version: String,
}

/// Creates a PO (the API's `POST /organizations`).
pub fn create_organization(store: &Store, actor: &Actor, form: &NewOrganization) -> StoreResult<Organization> {
    store.write_audited(actor.audit("create", "organization"), |c, event| {
        let created = organizations::create(c, form)?;
        event.organization = Some(created.id);
        Ok(created)
    })
}

/// Renames the PO `id`.
pub fn rename_organization(
    store: &Store,
    actor: &Actor,
    id: OrganizationId,
    form: &Rename,
) -> StoreResult<Organization> {
    store.write_audited(actor.audit("rename", "organization"), |c, event| {
        event.organization = Some(id);
        audit::hold(c, event.organization)?;
        event.before = Some(snapshot(&organizations::get(c, id)?)?);
        organizations::rename(c, id, &form.name)
    })
}

/// Renames the practice `id`.
pub fn rename_practice(store: &Store, actor: &Actor, id: PracticeId, form: &Rename) -> StoreResult<Practice> {
    store.write_audited(actor.audit("rename", "practice"), |c, event| {
        audit::hold(c, event.organization)?;
        event.before = Some(snapshot(&practices::get(c, id)?)?);
        practices::rename(c, id, &form.name)
    })
}

/// Moves the practice `id` to a later version of its catalog, reachable by the catalog's
/// mappings (the API's `POST /practices/{id}/catalog-upgrade`); a 422 on `to_version` otherwise.
pub fn upgrade_practice_catalog(
    store: &Store,
    catalogs: &CatalogSet,
    actor: &Actor,
    id: PracticeId,
    to_version: &str,
) -> StoreResult<Practice> {
    store.write_audited(actor.audit("upgrade", "practice"), |c, event| {
        audit::hold(c, event.organization)?;
        let practice = practices::get(c, id)?;
        let target = attested::upgrade_target(catalogs, &practice.catalog_id, &practice.catalog_version, to_version)
            .map_err(|why| StoreError::invalid("to_version", "catalog_upgrade", why))?;
        event.before = Some(snapshot(&practice)?);
        practices::set_catalog_version(c, id, target)
    })
}

/// The audit events `principal` may read of those `filter` asks for: every event for an
/// admin; a po_manager or auditor only within its PO or practice. `None` when the filter asks
/// for a PO or practice outside that scope (or the role reads no audit trail).
pub fn audit_scope(principal: &Principal, mut filter: EventFilter) -> Option<EventFilter> {
    if principal.role == TokenRole::Admin {
        return Some(filter);
    }
    match (principal.practice, principal.organization) {
        (Some(own), _) => {
            if filter.practice.is_some_and(|p| p != own)
                || filter.organization.is_some_and(|o| Some(o) != principal.organization)
            {
                return None;
            }
            filter.practice = Some(own);
        }
        (None, Some(own)) => {
            if filter.organization.is_some_and(|o| o != own) {
                return None;
            }
            filter.organization = Some(own);
        }
        (None, None) => return None,
    }
    Some(filter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: TokenRole, organization: Option<i64>, practice: Option<i64>) -> Principal {
        Principal {
            token_id: None,
            user_id: Some(1),
            role,
            organization: organization.map(OrganizationId),
            practice: practice.map(PracticeId),
        }
    }

    #[test]
    fn the_audit_trail_is_narrowed_to_the_scope() {
        let admin = principal(TokenRole::Admin, None, None);
        assert_eq!(
            audit_scope(&admin, EventFilter::default()),
            Some(EventFilter::default())
        );
        let po = principal(TokenRole::Auditor, Some(1), None);
        let narrowed = audit_scope(&po, EventFilter::default()).unwrap();
        assert_eq!(narrowed.organization, Some(OrganizationId(1)));
        let other = EventFilter {
            organization: Some(OrganizationId(2)),
            ..EventFilter::default()
        };
        assert_eq!(audit_scope(&po, other), None);
        let practice = principal(TokenRole::Auditor, Some(1), Some(3));
        let asked = EventFilter {
            practice: Some(PracticeId(4)),
            ..EventFilter::default()
        };
        assert_eq!(audit_scope(&practice, asked), None);
        assert_eq!(
            audit_scope(&practice, EventFilter::default()).unwrap().practice,
            Some(PracticeId(3))
        );
    }
}
