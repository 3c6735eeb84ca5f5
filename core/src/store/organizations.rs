//! Physician organizations (POs).

use diesel::prelude::*;
use serde::Deserialize;
use validator::Validate;

use super::schema::organizations;
use super::{now, on_backend, Connection, Listing, Page, StoreError, StoreResult};
use crate::ids::OrganizationId;
use crate::records::Organization;

/// What is needed to create a PO.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    /// The PO's name, unique among POs.
    #[check(not_blank, max_length = 200)]
    pub name: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = organizations)]
struct Row {
    id: i64,
    name: String,
}

impl From<Row> for Organization {
    fn from(row: Row) -> Self {
        Organization {
            id: OrganizationId(row.id),
            name: row.name,
        }
    }
}

/// Creates a PO.
pub fn create(conn: &mut Connection, form: &NewOrganization) -> StoreResult<Organization> {
    let name = form.name.trim();
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(organizations::table)
        .values((organizations::name.eq(name), organizations::recorded_at.eq(now())))
        .returning(organizations::id)
        .get_result(c))
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            message: format!("a physician organization named \"{name}\" already exists"),
        },
        other => other,
    })?;
    Ok(Organization {
        id: OrganizationId(id),
        name: name.to_owned(),
    })
}

/// The PO with `id`.
pub fn get(conn: &mut Connection, id: OrganizationId) -> StoreResult<Organization> {
    let row: Option<Row> = on_backend!(conn, |c| organizations::table
        .find(id.0)
        .select(Row::as_select())
        .first(c)
        .optional())?;
    row.map(Organization::from)
        .ok_or_else(|| StoreError::not_found("organization", id))
}

/// A page of POs by id; with `only`, just that PO (`Some(None)`: none at all).
pub fn list(
    conn: &mut Connection,
    only: Option<Option<OrganizationId>>,
    page: Page,
) -> StoreResult<Listing<Organization>> {
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let build = || {
            let mut query = organizations::table.into_boxed();
            if let Some(only) = only {
                query = query.filter(organizations::id.eq(only.map_or(-1, |o| o.0)));
            }
            query
        };
        let rows = build()
            .order(organizations::id)
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = build().count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    Ok(Listing {
        items: rows.into_iter().map(Organization::from).collect(),
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// Renames the PO `id` (the name stays unique among POs).
pub fn rename(conn: &mut Connection, id: OrganizationId, name: &str) -> StoreResult<Organization> {
    get(conn, id)?;
    let name = name.trim();
    on_backend!(conn, |c| diesel::update(organizations::table.find(id.0))
        .set(organizations::name.eq(name))
        .execute(c))
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            message: format!("a physician organization named \"{name}\" already exists"),
        },
        other => other,
    })?;
    get(conn, id)
}
