//! Attestations of criteria by a practice or by its PO. There is no PATCH and no DELETE: an
//! attestation is immutable, and a correction is a new attestation that supersedes it.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use pcmh_core::actions::attestations::{self as actions, Attesting};
use pcmh_core::ids::{AttestationId, CriterionId, OrganizationId, PracticeId};
use pcmh_core::store::attestations::{self, AttestationFilter, AttestationRecord, NewAttestation};
use pcmh_core::store::Listing;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson, ValidQuery};
use super::{AppState, ListQuery};

/// Paging, a range of effective dates, and which attestations to show.
#[pcmh_core::checks::checked]
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttestationQuery {
    /// How many items to return, 1 to 500 (default 100).
    #[check(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many items to skip (default 0).
    #[check(minimum = 0)]
    pub offset: Option<i64>,
    /// Only attestations effective on this day or later.
    #[check(date)]
    pub from: Option<NaiveDate>,
    /// Only attestations effective on this day or earlier.
    #[check(date)]
    pub to: Option<NaiveDate>,
    /// Only attestations of this criterion, e.g. 4.3.
    pub criterion: Option<CriterionId>,
    /// `true`: only attestations not superseded by a correction.
    pub current: Option<bool>,
}

impl AttestationQuery {
    /// The filter and page asked for, or a 422 when the date range ends before it starts.
    fn parts(&self) -> Result<(AttestationFilter, pcmh_core::store::Page), ApiError> {
        let list = ListQuery {
            limit: self.limit,
            offset: self.offset,
            from: self.from,
            to: self.to,
        };
        let filter = AttestationFilter {
            criterion: self.criterion.clone(),
            current_only: self.current.unwrap_or(false),
            effective: list.range()?,
        };
        Ok((filter, list.page()))
    }
}

/// Makes a practice's attestation of a practice-level criterion; with `supersedes`, a
/// correction of an earlier one.
#[utoipa::path(
    tag = "attestations",
    operation_id = "create_practice_attestation",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body = NewAttestation,
    responses(
        (status = 201, description = "Created", body = AttestationRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 409, description = "The attestation to supersede was already superseded", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/attestations")]
async fn create_practice_attestation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<NewAttestation>,
) -> Result<HttpResponse, ApiError> {
    let id = PracticeId(path.into_inner());
    let (store, catalogs) = (state.store.clone(), state.catalogs.clone());
    let created = blocking(move || {
        Ok(actions::attest_for_practice(
            &store,
            &catalogs,
            &caller.actor(),
            id,
            &Attesting::as_asked(form),
        )?)
    })
    .await?;
    Ok(super::created(
        format!("/api/v1/practices/{id}/attestations/{}", created.attestation.id),
        &created,
    ))
}

/// Lists a practice's attestations by effective date; `from`/`to` filter on the effective date.
#[utoipa::path(
    tag = "attestations",
    operation_id = "list_practice_attestations",
    params(("practice_id" = i64, Path, description = "The practice's id"), AttestationQuery),
    responses(
        (status = 200, description = "A page of attestations", body = Listing<AttestationRecord>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/attestations")]
async fn list_practice_attestations(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<AttestationQuery>,
) -> Result<web::Json<Listing<AttestationRecord>>, ApiError> {
    let store = state.store.clone();
    let practice = PracticeId(path.into_inner());
    let (filter, page) = query.parts()?;
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| attestations::list_for_practice(c, practice, &filter, page))?)).await?,
    ))
}

/// One attestation of a practice, with the correction that superseded it, if any.
#[utoipa::path(
    tag = "attestations",
    operation_id = "get_practice_attestation",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("attestation_id" = i64, Path, description = "The attestation's id")
    ),
    responses(
        (status = 200, description = "The attestation", body = AttestationRecord),
        (status = 404, description = "No such practice or attestation", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/attestations/{attestation_id}")]
async fn get_practice_attestation(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<AttestationRecord>, ApiError> {
    let store = state.store.clone();
    let (practice, id) = path.into_inner();
    Ok(web::Json(
        blocking(move || {
            Ok(store.read(|c| attestations::get_for_practice(c, PracticeId(practice), AttestationId(id)))?)
        })
        .await?,
    ))
}

/// Makes a PO-level attestation (criteria 4.24-4.28) under the catalog version the PO's
/// practices use; with `supersedes`, a correction of an earlier one.
#[utoipa::path(
    tag = "attestations",
    operation_id = "create_organization_attestation",
    params(("organization_id" = i64, Path, description = "The PO's id")),
    request_body = NewAttestation,
    responses(
        (status = 201, description = "Created", body = AttestationRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 409, description = "The attestation to supersede was already superseded", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody)
    )
)]
#[post("/organizations/{organization_id}/attestations")]
async fn create_organization_attestation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<NewAttestation>,
) -> Result<HttpResponse, ApiError> {
    let organization = OrganizationId(path.into_inner());
    let catalog = state.catalog_of_organization(organization).await?;
    let store = state.store.clone();
    let created = blocking(move || {
        Ok(actions::attest_for_organization(
            &store,
            &caller.actor(),
            organization,
            &catalog,
            &Attesting::as_asked(form),
        )?)
    })
    .await?;
    Ok(super::created(
        format!(
            "/api/v1/organizations/{organization}/attestations/{}",
            created.attestation.id
        ),
        &created,
    ))
}

/// Lists a PO's own attestations by effective date; `from`/`to` filter on the effective date.
#[utoipa::path(
    tag = "attestations",
    operation_id = "list_organization_attestations",
    params(("organization_id" = i64, Path, description = "The PO's id"), AttestationQuery),
    responses(
        (status = 200, description = "A page of attestations", body = Listing<AttestationRecord>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/attestations")]
async fn list_organization_attestations(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<AttestationQuery>,
) -> Result<web::Json<Listing<AttestationRecord>>, ApiError> {
    let store = state.store.clone();
    let organization = OrganizationId(path.into_inner());
    let (filter, page) = query.parts()?;
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| attestations::list_for_organization(c, organization, &filter, page))?))
            .await?,
    ))
}

/// One PO-level attestation, with the correction that superseded it, if any.
#[utoipa::path(
    tag = "attestations",
    operation_id = "get_organization_attestation",
    params(
        ("organization_id" = i64, Path, description = "The PO's id"),
        ("attestation_id" = i64, Path, description = "The attestation's id")
    ),
    responses(
        (status = 200, description = "The attestation", body = AttestationRecord),
        (status = 404, description = "No such PO or attestation", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/attestations/{attestation_id}")]
async fn get_organization_attestation(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<AttestationRecord>, ApiError> {
    let store = state.store.clone();
    let (organization, id) = path.into_inner();
    Ok(web::Json(
        blocking(move || {
            Ok(store
                .read(|c| attestations::get_for_organization(c, OrganizationId(organization), AttestationId(id)))?)
        })
        .await?,
    ))
}

/// Registers the attestation routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(create_practice_attestation)
        .service(list_practice_attestations)
        .service(get_practice_attestation)
        .service(create_organization_attestation)
        .service(list_organization_attestations)
        .service(get_organization_attestation);
}
