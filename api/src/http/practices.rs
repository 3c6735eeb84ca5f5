//! A practice, its declarations, and its compliance as of a date.

use actix_web::{get, patch, web};
use chrono::NaiveDate;
use pcmh_core::ids::PracticeId;
use pcmh_core::records::Practice;
use pcmh_core::rules::{evaluate_all, CriterionResult, Evaluation, Status};
use pcmh_core::store::audit;
use pcmh_core::store::practices::{self, PracticeUpdate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson, ValidQuery};
use super::organizations::snapshot;
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

/// Records a practice's declarations (its initial-focus population).
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
            Ok(store.write_audited(caller.audit("update", "practice"), |c, event| {
                audit::hold(c)?;
                event.before = Some(snapshot(&practices::get(c, id)?)?);
                practices::update(c, id, &form)
            })?)
        })
        .await?,
    ))
}

/// The day to evaluate compliance for.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// The day (YYYY-MM-DD); today if omitted.
    #[validate(custom(function = "pcmh_core::checks::plausible_date"))]
    pub as_of: Option<NaiveDate>,
}

/// How many criteria have each status.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct StatusCounts {
    /// Met.
    pub met: usize,
    /// Partially met.
    pub partially_met: usize,
    /// Not met.
    pub not_met: usize,
    /// Not applicable.
    pub not_applicable: usize,
}

/// A practice's compliance with its catalog version, criterion by criterion.
#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeCompliance {
    /// The practice.
    pub practice: Practice,
    /// The day evaluated.
    pub as_of: NaiveDate,
    /// The catalog evaluated against.
    pub catalog_id: String,
    /// Its version.
    pub catalog_version: String,
    /// How many criteria have each status.
    pub summary: StatusCounts,
    /// One result per criterion, in catalog order.
    pub criteria: Vec<CriterionResult>,
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
) -> Result<web::Json<PracticeCompliance>, ApiError> {
    let id = PracticeId(path.into_inner());
    let as_of = query.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let store = state.store.clone();
    let (practice, records) =
        blocking(move || Ok(store.read(|c| pcmh_core::store::records::for_practice(c, id))?)).await?;
    let catalog = state.catalog(&practice.catalog_id, &practice.catalog_version)?;
    let criteria = evaluate_all(&Evaluation::for_practice(catalog, &records, as_of));
    let mut summary = StatusCounts::default();
    for result in &criteria {
        match result.status {
            Status::Met => summary.met += 1,
            Status::PartiallyMet => summary.partially_met += 1,
            Status::NotMet => summary.not_met += 1,
            Status::NotApplicable => summary.not_applicable += 1,
        }
    }
    Ok(web::Json(PracticeCompliance {
        catalog_id: practice.catalog_id.clone(),
        catalog_version: practice.catalog_version.clone(),
        practice,
        as_of,
        summary,
        criteria,
    }))
}

/// Registers the practice routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(get_practice)
        .service(update_practice)
        .service(get_practice_compliance);
}
