//! Practices of a PO, each assessed against one catalog version.

use diesel::prelude::*;
use serde::Deserialize;
use validator::Validate;

use super::schema::practices;
use super::{now, on_backend, organizations, Connection, Listing, Page, StoreError, StoreResult};
use crate::catalog::Catalog;
use crate::ids::{OrganizationId, PracticeId};
use crate::records::Practice;

/// What is needed to create a practice.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPractice {
    /// The practice's name, unique within its PO.
    #[check(not_blank, max_length = 200)]
    pub name: String,
    /// The patient population selected for initial focus, if already declared.
    #[check(not_blank, max_length = 500)]
    pub initial_focus_population: Option<String>,
    /// The catalog version to assess the practice against; by default the one in force today.
    #[check(max_length = 50)]
    pub catalog_version: Option<String>,
    /// The day the practice joined its PO (YYYY-MM-DD), if known: a PO's trend counts it from then on.
    #[serde(default)]
    #[check(date)]
    pub joined_on: Option<chrono::NaiveDate>,
    /// The practice's time zone, an IANA name (default America/Detroit): its "today".
    #[serde(default)]
    #[check(time_zone)]
    pub time_zone: Option<String>,
}

/// Changes to a practice's declarations.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeUpdate {
    /// The patient population selected for initial focus.
    #[check(not_blank, max_length = 500)]
    pub initial_focus_population: Option<String>,
    /// The day the practice joined its PO (YYYY-MM-DD); left as it is when omitted.
    #[check(date)]
    pub joined_on: Option<chrono::NaiveDate>,
    /// The practice's time zone, an IANA name; left as it is when omitted.
    #[serde(default)]
    #[check(time_zone)]
    pub time_zone: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = practices)]
struct Row {
    id: i64,
    organization_id: i64,
    name: String,
    initial_focus_population: Option<String>,
    catalog_id: String,
    catalog_version: String,
    joined_on: Option<chrono::NaiveDate>,
    time_zone: String,
}

impl From<Row> for Practice {
    fn from(row: Row) -> Self {
        Practice {
            id: PracticeId(row.id),
            organization_id: OrganizationId(row.organization_id),
            name: row.name,
            initial_focus_population: row.initial_focus_population,
            catalog_id: row.catalog_id,
            catalog_version: row.catalog_version,
            joined_on: row.joined_on,
            time_zone: row.time_zone,
        }
    }
}

/// Creates a practice of `organization`, assessed against `catalog`.
pub fn create(
    conn: &mut Connection,
    organization: OrganizationId,
    catalog: &Catalog,
    form: &NewPractice,
) -> StoreResult<Practice> {
    organizations::get(conn, organization)?;
    let name = form.name.trim();
    let focus = form.initial_focus_population.as_deref().map(str::trim);
    let version = catalog.version.to_string();
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(practices::table)
        .values((
            practices::organization_id.eq(organization.0),
            practices::name.eq(name),
            practices::initial_focus_population.eq(focus),
            practices::catalog_id.eq(&catalog.id),
            practices::catalog_version.eq(&version),
            practices::recorded_at.eq(now()),
            practices::joined_on.eq(form.joined_on),
            practices::time_zone.eq(form.time_zone.as_deref().unwrap_or(crate::records::DEFAULT_TIME_ZONE)),
        ))
        .returning(practices::id)
        .get_result(c))
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            message: format!("this organization already has a practice named \"{name}\""),
        },
        other => other,
    })?;
    get(conn, PracticeId(id))
}

/// The practice with `id`.
pub fn get(conn: &mut Connection, id: PracticeId) -> StoreResult<Practice> {
    let row: Option<Row> = on_backend!(conn, |c| practices::table
        .find(id.0)
        .select(Row::as_select())
        .first(c)
        .optional())?;
    row.map(Practice::from)
        .ok_or_else(|| StoreError::not_found("practice", id))
}

/// Records the practice's declarations: each field given replaces the stored one, an omitted
/// field stays as it is.
pub fn update(conn: &mut Connection, id: PracticeId, form: &PracticeUpdate) -> StoreResult<Practice> {
    get(conn, id)?;
    if let Some(focus) = form.initial_focus_population.as_deref().map(str::trim) {
        on_backend!(conn, |c| diesel::update(practices::table.find(id.0))
            .set(practices::initial_focus_population.eq(focus))
            .execute(c))?;
    }
    if let Some(zone) = &form.time_zone {
        on_backend!(conn, |c| diesel::update(practices::table.find(id.0))
            .set(practices::time_zone.eq(zone))
            .execute(c))?;
    }
    if let Some(joined_on) = form.joined_on {
        on_backend!(conn, |c| diesel::update(practices::table.find(id.0))
            .set(practices::joined_on.eq(joined_on))
            .execute(c))?;
    }
    get(conn, id)
}

/// Moves the practice to another version of its catalog (the caller checks the upgrade is allowed).
pub fn set_catalog_version(conn: &mut Connection, id: PracticeId, catalog: &Catalog) -> StoreResult<Practice> {
    get(conn, id)?;
    let version = catalog.version.to_string();
    on_backend!(conn, |c| diesel::update(practices::table.find(id.0))
        .set(practices::catalog_version.eq(&version))
        .execute(c))?;
    get(conn, id)
}

/// A page of the practices of `organization`, by id.
pub fn list(conn: &mut Connection, organization: OrganizationId, page: Page) -> StoreResult<Listing<Practice>> {
    organizations::get(conn, organization)?;
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let query = practices::table.filter(practices::organization_id.eq(organization.0));
        let rows = query
            .order(practices::id)
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = query.count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    Ok(Listing {
        items: rows.into_iter().map(Practice::from).collect(),
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// Every practice of `organization`, by id.
pub fn all_of_organization(conn: &mut Connection, organization: OrganizationId) -> StoreResult<Vec<Practice>> {
    organizations::get(conn, organization)?;
    let rows: Vec<Row> = on_backend!(conn, |c| practices::table
        .filter(practices::organization_id.eq(organization.0))
        .order(practices::id)
        .select(Row::as_select())
        .load(c))?;
    Ok(rows.into_iter().map(Practice::from).collect())
}

/// The catalog versions the practices of `organization` are assessed against, as (id, version).
pub fn catalog_versions(conn: &mut Connection, organization: OrganizationId) -> StoreResult<Vec<(String, String)>> {
    organizations::get(conn, organization)?;
    Ok(on_backend!(conn, |c| practices::table
        .filter(practices::organization_id.eq(organization.0))
        .select((practices::catalog_id, practices::catalog_version))
        .distinct()
        .load(c))?)
}

/// The ids of the practices of `organization`, as a subquery (`practice_id.eq_any(ids_of(..))`).
pub(crate) fn ids_of(
    organization: OrganizationId,
) -> diesel::dsl::Select<
    diesel::dsl::Filter<practices::table, diesel::dsl::Eq<practices::organization_id, i64>>,
    practices::id,
> {
    practices::table
        .filter(practices::organization_id.eq(organization.0))
        .select(practices::id)
}

/// Renames the practice `id` (the name stays unique within its PO).
pub fn rename(conn: &mut Connection, id: PracticeId, name: &str) -> StoreResult<Practice> {
    get(conn, id)?;
    let name = name.trim();
    on_backend!(conn, |c| diesel::update(practices::table.find(id.0))
        .set(practices::name.eq(name))
        .execute(c))
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            message: format!("this organization already has a practice named \"{name}\""),
        },
        other => other,
    })?;
    get(conn, id)
}
