//! The actions people take, each written once: the JSON API and the web pages call the same
//! function, which loads what the action needs (the practice's catalog), writes in one
//! transaction and appends the audit event naming the actor (a token or a signed-in person).
//!
//! The caller has already decided access with [`crate::access::decide`]; an action checks the
//! record rules (through the store) and nothing about HTTP.

pub mod admin;
pub mod attestations;
pub mod care_plans;
pub mod compliance;
pub mod documents;
pub mod meetings;
pub mod organizations;
pub mod people;
pub mod po_admin;
pub mod practices;
pub mod staff;
pub mod surveys;
pub mod trainings;

use serde::Serialize;
use serde_json::Value;

use crate::catalog::{Catalog, CatalogSet};
use crate::ids::PracticeId;
use crate::records::Practice;
use crate::store::{Connection, StoreError, StoreResult};

/// A record as JSON, for the `before` of an audit event.
pub fn snapshot<T: Serialize>(record: &T) -> StoreResult<Value> {
    serde_json::to_value(record).map_err(|e| StoreError::Internal(e.to_string()))
}

/// The practice `id` and the catalog version it is assessed against.
pub fn practice_catalog<'a>(
    conn: &mut Connection,
    catalogs: &'a CatalogSet,
    id: PracticeId,
) -> StoreResult<(Practice, &'a Catalog)> {
    let practice = crate::store::practices::get(conn, id)?;
    let catalog = catalogs
        .named(&practice.catalog_id, &practice.catalog_version)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    Ok((practice, catalog))
}
