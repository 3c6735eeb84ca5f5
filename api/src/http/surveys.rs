//! Survey results of a practice: patient satisfaction, office efficiency, ...

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use pcmh_core::actions::surveys as actions;
use pcmh_core::catalog::Term;
use pcmh_core::ids::{PracticeId, SurveyResultId};
use pcmh_core::records::SurveyResult;
use pcmh_core::store::surveys::{self, NewSurvey, SurveyFilter};
use pcmh_core::store::Listing;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson, ValidQuery};
use super::{AppState, ListQuery};

/// Records the result of a survey of the practice.
#[utoipa::path(
    tag = "surveys",
    operation_id = "create_survey",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body = NewSurvey,
    responses(
        (status = 201, description = "Created", body = SurveyResult),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (for instance a kind outside the catalog)", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/surveys")]
async fn create_survey(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<NewSurvey>,
) -> Result<HttpResponse, ApiError> {
    let practice = PracticeId(path.into_inner());
    let app = state.clone();
    let created = blocking(move || {
        Ok(actions::add_survey(
            &app.store,
            &app.catalogs,
            &caller.actor(),
            practice,
            &form,
        )?)
    })
    .await?;
    Ok(super::created(
        format!("/api/v1/practices/{practice}/surveys/{}", created.id),
        &created,
    ))
}

/// Paging, the date range of the surveys, and their kind.
#[pcmh_core::checks::checked]
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SurveyQuery {
    /// How many items to return, 1 to 500 (default 100).
    #[check(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many items to skip (default 0).
    #[check(minimum = 0)]
    pub offset: Option<i64>,
    /// Only surveys conducted on this day or later.
    #[check(date)]
    pub from: Option<NaiveDate>,
    /// Only surveys conducted on this day or earlier.
    #[check(date)]
    pub to: Option<NaiveDate>,
    /// Only surveys of this kind.
    pub kind: Option<Term>,
}

/// Lists a practice's survey results by the day they were conducted; `from`/`to` filter on that day.
#[utoipa::path(
    tag = "surveys",
    operation_id = "list_surveys",
    params(("practice_id" = i64, Path, description = "The practice's id"), SurveyQuery),
    responses(
        (status = 200, description = "A page of survey results", body = Listing<SurveyResult>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/surveys")]
async fn list_surveys(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<SurveyQuery>,
) -> Result<web::Json<Listing<SurveyResult>>, ApiError> {
    let store = state.store.clone();
    let practice = PracticeId(path.into_inner());
    let list = ListQuery {
        limit: query.limit,
        offset: query.offset,
        from: query.from,
        to: query.to,
    };
    let filter = SurveyFilter {
        kind: query.kind,
        conducted: list.range()?,
    };
    let page = list.page();
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| surveys::list(c, practice, &filter, page))?)).await?,
    ))
}

/// One survey result.
#[utoipa::path(
    tag = "surveys",
    operation_id = "get_survey",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("survey_id" = i64, Path, description = "The survey result's id")
    ),
    responses(
        (status = 200, description = "The survey result", body = SurveyResult),
        (status = 404, description = "No such practice, or no such survey result in it", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/surveys/{survey_id}")]
async fn get_survey(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<SurveyResult>, ApiError> {
    let store = state.store.clone();
    let (practice, id) = path.into_inner();
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| surveys::get(c, PracticeId(practice), SurveyResultId(id)))?)).await?,
    ))
}

/// Registers the survey routes.
pub fn configure(config: &mut ServiceConfig) {
    config.service(create_survey).service(list_surveys).service(get_survey);
}
