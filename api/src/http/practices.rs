//! A practice, its declarations, and its compliance as of a date.

use actix_web::http::header::ContentType;
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::NaiveDate;
use pcmh_core::ids::PracticeId;
use pcmh_core::records::Practice;
use pcmh_core::rules::view::PracticeCompliance;
use pcmh_core::store::practices::{self, PracticeUpdate};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson, ValidQuery};
use super::AppState;

/// One practice.
#[utoipa::path(
    tag = "practices",
    operation_id = "get_practice",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    responses(
        (status = 200, description = "The practice", body = Practice),
        (status = 404, description = "No such practice", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}")]
async fn get_practice(state: web::Data<AppState>, path: web::Path<i64>) -> Result<web::Json<Practice>, ApiError> {
    let store = state.store.clone();
    let id = PracticeId(path.into_inner());
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| practices::get(c, id))?)).await?,
    ))
}

/// Records a practice's declarations (its initial-focus population, the day it joined, its time zone).
#[utoipa::path(
    tag = "practices",
    operation_id = "update_practice",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body = PracticeUpdate,
    responses(
        (status = 200, description = "The practice as now recorded", body = Practice),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody)
    )
)]
#[patch("/practices/{practice_id}")]
async fn update_practice(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<PracticeUpdate>,
) -> Result<web::Json<Practice>, ApiError> {
    let store = state.store.clone();
    let id = PracticeId(path.into_inner());
    Ok(web::Json(
        blocking(move || {
            Ok(pcmh_core::actions::practices::update_practice(
                &store,
                &caller.actor(),
                id,
                &form,
            )?)
        })
        .await?,
    ))
}

/// The day to evaluate compliance for.
#[pcmh_core::checks::checked]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// The day (YYYY-MM-DD); the practice's today, in its time zone, if omitted.
    #[check(date)]
    pub as_of: Option<NaiveDate>,
    /// Evaluate the records as they were known at the end of this day (YYYY-MM-DD, UTC): those
    /// recorded by then, records voided only later counting as not voided. If omitted, today's
    /// corrected records (voided ones left out). The answer's `basis` says which.
    #[check(date)]
    pub as_known_on: Option<NaiveDate>,
}

/// Evaluates every criterion for the practice as of a day, from its stored records.
#[utoipa::path(
    tag = "practices",
    operation_id = "get_practice_compliance",
    params(("practice_id" = i64, Path, description = "The practice's id"), AsOf),
    responses(
        (status = 200, description = "The practice's compliance", body = PracticeCompliance),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/compliance")]
async fn get_practice_compliance(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<AsOf>,
) -> Result<HttpResponse, ApiError> {
    let id = PracticeId(path.into_inner());
    let (store, catalogs) = (state.store.clone(), state.catalogs.clone());
    let json = blocking(move || {
        Ok(pcmh_core::actions::compliance::practice_compliance_json(
            &store,
            &catalogs,
            id,
            query.as_of,
            chrono::Utc::now(),
            pcmh_core::records::Basis::known_on(query.as_known_on),
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().content_type(ContentType::json()).body(json.to_vec()))
}

/// The catalog version to move a practice to.
#[pcmh_core::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogUpgrade {
    /// A later version of the practice's catalog, e.g. "1.1.0".
    #[check(min_length = 1, max_length = 50)]
    pub to_version: String,
}

/// Moves a practice to a later version of its catalog. Attestations of criteria the mapping
/// keeps carry over; the others are flagged as needing re-attestation in the views.
#[utoipa::path(
    tag = "practices",
    operation_id = "upgrade_practice_catalog",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body = CatalogUpgrade,
    responses(
        (status = 200, description = "The practice, now assessed against the new version", body = Practice),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "The version is unknown, not later, or not reachable by the catalog's mappings", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/catalog-upgrade")]
async fn upgrade_practice_catalog(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<CatalogUpgrade>,
) -> Result<web::Json<Practice>, ApiError> {
    let store = state.store.clone();
    let catalogs = state.catalogs.clone();
    let id = PracticeId(path.into_inner());
    Ok(web::Json(
        blocking(move || {
            Ok(pcmh_core::actions::admin::upgrade_practice_catalog(
                &store,
                &catalogs,
                &caller.actor(),
                id,
                &form.to_version,
            )?)
        })
        .await?,
    ))
}

/// Registers the practice routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(get_practice)
        .service(update_practice)
        .service(get_practice_compliance)
        .service(upgrade_practice_catalog);
}
