//! Policy catalogs and their criteria, as loaded at start.

use actix_web::{get, web};
use pcmh_core::catalog::{Catalog, Criterion, CriterionId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiError, ErrorBody};
use super::AppState;

/// One catalog version, in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogSummary {
    /// The catalog's id.
    pub id: String,
    /// The version.
    pub version: String,
    /// The day from which it applies.
    pub effective: chrono::NaiveDate,
    /// The policy's title.
    pub title: String,
    /// How many criteria it has.
    pub criteria: usize,
    /// The version it upgrades from, if any.
    pub upgrades_from: Option<String>,
}

fn find<'a>(state: &'a AppState, id: &str, version: &str) -> Result<&'a Catalog, ApiError> {
    let not_found = || ApiError::NotFound(format!("catalog {id} version {version} was not found"));
    let parsed = semver::Version::parse(version).map_err(|_| not_found())?;
    state.catalogs.get(id, &parsed).ok_or_else(not_found)
}

/// Lists every catalog version the server has loaded.
#[utoipa::path(
    tag = "catalogs",
    operation_id = "list_catalogs",
    responses((status = 200, description = "Every catalog version", body = Vec<CatalogSummary>))
)]
#[get("/catalogs")]
async fn list_catalogs(state: web::Data<AppState>) -> web::Json<Vec<CatalogSummary>> {
    web::Json(
        state
            .catalogs
            .iter()
            .map(|(_, c)| CatalogSummary {
                id: c.id.clone(),
                version: c.version.to_string(),
                effective: c.effective,
                title: c.title.clone(),
                criteria: c.criteria.len(),
                upgrades_from: c.upgrade_from.as_ref().map(|m| m.version.to_string()),
            })
            .collect(),
    )
}

/// A catalog version with all its criteria and evidence requirements.
#[utoipa::path(
    tag = "catalogs",
    operation_id = "get_catalog",
    params(("catalog" = String, Path, description = "The catalog id"), ("version" = String, Path, description = "The version")),
    responses(
        (status = 200, description = "The catalog", body = Object),
        (status = 404, description = "No such catalog version", body = ErrorBody)
    )
)]
#[get("/catalogs/{catalog}/versions/{version}")]
async fn get_catalog(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<web::Json<Catalog>, ApiError> {
    let (id, version) = path.into_inner();
    find(&state, &id, &version).cloned().map(web::Json)
}

/// One criterion of a catalog version.
#[utoipa::path(
    tag = "catalogs",
    operation_id = "get_criterion",
    params(
        ("catalog" = String, Path, description = "The catalog id"),
        ("version" = String, Path, description = "The version"),
        ("criterion" = String, Path, description = "The criterion id, e.g. 4.1")
    ),
    responses(
        (status = 200, description = "The criterion", body = Object),
        (status = 404, description = "No such catalog version or criterion", body = ErrorBody)
    )
)]
#[get("/catalogs/{catalog}/versions/{version}/criteria/{criterion}")]
async fn get_criterion(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<web::Json<Criterion>, ApiError> {
    let (id, version, criterion) = path.into_inner();
    let catalog = find(&state, &id, &version)?;
    let not_found = || ApiError::NotFound(format!("criterion {criterion} is not in {id} {version}"));
    let criterion_id = CriterionId::parse(&criterion).map_err(|_| not_found())?;
    catalog
        .criterion(&criterion_id)
        .cloned()
        .map(web::Json)
        .ok_or_else(not_found)
}

/// Registers the catalog routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(list_catalogs)
        .service(get_catalog)
        .service(get_criterion);
}
