//! Physician organizations (POs) and their practices.

use actix_web::{get, post, web, HttpResponse};
use pcmh_core::access::TokenRole;
use pcmh_core::actions::po_admin;
use pcmh_core::ids::{OrganizationId, PracticeId};
use pcmh_core::records::{Organization, Practice};
use pcmh_core::store::organizations::{self, NewOrganization};
use pcmh_core::store::practices::{self, NewPractice};
use pcmh_core::store::Listing;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson, ValidQuery};
use super::practices::CatalogUpgrade;
use super::{AppState, ListQuery};

/// Creates a physician organization.
#[utoipa::path(
    tag = "organizations",
    operation_id = "create_organization",
    request_body = NewOrganization,
    responses(
        (status = 201, description = "Created", body = Organization),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 409, description = "A PO with this name exists", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody)
    )
)]
#[post("/organizations")]
async fn create_organization(
    state: web::Data<AppState>,
    caller: Caller,
    ValidJson(form): ValidJson<NewOrganization>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let organization = blocking(move || {
        Ok(pcmh_core::actions::admin::create_organization(
            &store,
            &caller.actor(),
            &form,
        )?)
    })
    .await?;
    Ok(super::created(
        format!("/api/v1/organizations/{}", organization.id),
        &organization,
    ))
}

/// Lists physician organizations.
#[utoipa::path(
    tag = "organizations",
    operation_id = "list_organizations",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of POs", body = Listing<Organization>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/organizations")]
async fn list_organizations(
    state: web::Data<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<web::Json<Listing<Organization>>, ApiError> {
    let store = state.store.clone();
    let page = query.page();
    // Each caller sees the POs its token covers: all for an admin, its own for PO-scoped tokens.
    let principal = caller.principal;
    let only = match principal.role {
        TokenRole::Admin => None,
        _ => Some(principal.organization.filter(|o| principal.covers_organization(*o))),
    };
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| organizations::list(c, only, page))?)).await?,
    ))
}

/// One physician organization.
#[utoipa::path(
    tag = "organizations",
    operation_id = "get_organization",
    params(("organization_id" = i64, Path, description = "The PO's id")),
    responses(
        (status = 200, description = "The PO", body = Organization),
        (status = 404, description = "No such PO", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}")]
async fn get_organization(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<web::Json<Organization>, ApiError> {
    let store = state.store.clone();
    let id = OrganizationId(path.into_inner());
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| organizations::get(c, id))?)).await?,
    ))
}

/// Creates a practice of a PO, assessed against the catalog version in force today unless
/// another is named.
#[utoipa::path(
    tag = "practices",
    operation_id = "create_practice",
    params(("organization_id" = i64, Path, description = "The PO's id")),
    request_body = NewPractice,
    responses(
        (status = 201, description = "Created", body = Practice),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 409, description = "The PO has a practice with this name", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody)
    )
)]
#[post("/organizations/{organization_id}/practices")]
async fn create_practice(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<NewPractice>,
) -> Result<HttpResponse, ApiError> {
    let organization = OrganizationId(path.into_inner());
    let (store, catalogs) = (state.store.clone(), state.catalogs.clone());
    let practice = blocking(move || {
        Ok(po_admin::create_practice(
            &store,
            &catalogs,
            &caller.actor(),
            organization,
            &form,
        )?)
    })
    .await?;
    Ok(super::created(format!("/api/v1/practices/{}", practice.id), &practice))
}

/// Lists the practices of a PO.
#[utoipa::path(
    tag = "practices",
    operation_id = "list_practices",
    params(("organization_id" = i64, Path, description = "The PO's id"), ListQuery),
    responses(
        (status = 200, description = "A page of practices", body = Listing<Practice>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/practices")]
async fn list_practices(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<web::Json<Listing<Practice>>, ApiError> {
    let store = state.store.clone();
    let organization = OrganizationId(path.into_inner());
    let page = query.page();
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| practices::list(c, organization, page))?)).await?,
    ))
}

/// A PO's move to a later catalog version: the practices moved and those already there.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationCatalogUpgrade {
    /// The PO.
    pub organization_id: OrganizationId,
    /// The version every practice (and so the PO's own criteria) is now assessed against.
    pub catalog_version: String,
    /// The practices moved, as they now stand.
    pub upgraded: Vec<Practice>,
    /// The practices that were already assessed against it.
    pub already_on_version: Vec<PracticeId>,
}

/// Moves a PO, with every one of its practices, to a later version of the catalog, all or
/// nothing. Attestations of criteria the mapping keeps carry over; the others are flagged as
/// needing re-attestation in the practice and PO views.
#[utoipa::path(
    tag = "organizations",
    operation_id = "upgrade_organization_catalog",
    params(("organization_id" = i64, Path, description = "The PO's id")),
    request_body = CatalogUpgrade,
    responses(
        (status = 200, description = "The practices moved", body = OrganizationCatalogUpgrade),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 422, description = "The version is unknown, not later, not reachable by the catalog's mappings for some practice, or the PO has no practice to move", body = ErrorBody)
    )
)]
#[post("/organizations/{organization_id}/catalog-upgrade")]
async fn upgrade_organization_catalog(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<CatalogUpgrade>,
) -> Result<web::Json<OrganizationCatalogUpgrade>, ApiError> {
    let (store, catalogs) = (state.store.clone(), state.catalogs.clone());
    let id = OrganizationId(path.into_inner());
    let done = blocking(move || {
        Ok(po_admin::upgrade_organization_catalog(
            &store,
            &catalogs,
            &caller.actor(),
            id,
            &form.to_version,
        )?)
    })
    .await?;
    Ok(web::Json(OrganizationCatalogUpgrade {
        organization_id: id,
        catalog_version: done.catalog_version,
        upgraded: done.upgraded,
        already_on_version: done.already_on_version,
    }))
}

/// Registers the PO routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(create_organization)
        .service(list_organizations)
        .service(get_organization)
        .service(create_practice)
        .service(list_practices)
        .service(upgrade_organization_catalog);
}
