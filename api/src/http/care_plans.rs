//! Advance care plans and survivorship care plans, their care partners and each share.
//!
//! Patient references are never logged; nothing here logs a request body.

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::NaiveDate;
use pcmh_core::actions::care_plans as actions;
use pcmh_core::ids::{CarePlanId, PracticeId};
use pcmh_core::records::{CarePlan, CarePlanKind, CarePlanShare};
use pcmh_core::store::care_plans::{self, CarePlanUpdate, NewCarePlan, NewCarePlanShare};
use pcmh_core::store::Listing;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson, ValidQuery};
use super::{AppState, ListQuery};

/// The media type of the FHIR export.
const FHIR_JSON: &str = pcmh_core::standards::fhir::MEDIA_TYPE;

/// Paging, a range of discussion dates, and the kind of plan.
#[pcmh_core::checks::checked]
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CarePlanQuery {
    /// How many items to return, 1 to 500 (default 100).
    #[check(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many items to skip (default 0).
    #[check(minimum = 0)]
    pub offset: Option<i64>,
    /// Only plans discussed on this day or later.
    #[check(date)]
    pub from: Option<NaiveDate>,
    /// Only plans discussed on this day or earlier.
    #[check(date)]
    pub to: Option<NaiveDate>,
    /// Only plans of this kind.
    #[param(inline)]
    pub kind: Option<CarePlanKind>,
}

/// The period of a FHIR export, both days included.
#[pcmh_core::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CarePlanFhirQuery {
    /// The first day (YYYY-MM-DD).
    #[check(date)]
    pub from: NaiveDate,
    /// The last day (YYYY-MM-DD), not before `from`.
    #[check(date)]
    pub to: NaiveDate,
}

impl CarePlanQuery {
    fn list(&self) -> ListQuery {
        ListQuery {
            limit: self.limit,
            offset: self.offset,
            from: self.from,
            to: self.to,
        }
    }
}

/// Records a care plan with its care partners.
#[utoipa::path(
    tag = "care_plans",
    operation_id = "create_care_plan",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body = NewCarePlan,
    responses(
        (status = 201, description = "Created", body = CarePlan),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (a patient reference that looks like a name or a date of birth, a provider of another practice, ...)", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/care-plans")]
async fn create_care_plan(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<NewCarePlan>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let practice = PracticeId(path.into_inner());
    let created = blocking(move || Ok(actions::add_care_plan(&store, &caller.actor(), practice, &form)?)).await?;
    Ok(super::created(
        format!("/api/v1/practices/{practice}/care-plans/{}", created.id),
        &created,
    ))
}

/// Lists a practice's care plans, oldest discussion first; `from`/`to` filter on the day discussed.
#[utoipa::path(
    tag = "care_plans",
    operation_id = "list_care_plans",
    params(("practice_id" = i64, Path, description = "The practice's id"), CarePlanQuery),
    responses(
        (status = 200, description = "A page of care plans", body = Listing<CarePlan>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/care-plans")]
async fn list_care_plans(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<CarePlanQuery>,
) -> Result<web::Json<Listing<CarePlan>>, ApiError> {
    let store = state.store.clone();
    let practice = PracticeId(path.into_inner());
    let list = query.list();
    let (range, page, kind) = (list.range()?, list.page(), query.kind);
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| care_plans::list(c, practice, kind, range, page))?)).await?,
    ))
}

/// A practice's care plans of a period and their sharing, as an HL7 FHIR R4 (4.0.1) Bundle.
///
/// A `Bundle` of type `collection`: the plans discussed, established or shared within
/// `from`..`to` (voided ones left out) as `DocumentReference`s, each patient only as its opaque
/// reference, an advance care plan established by `to` also as a `Consent`, each share of the
/// period as a `Communication` to the care partner. The same records give the same bytes.
#[utoipa::path(
    tag = "care_plans",
    operation_id = "get_care_plans_fhir",
    params(("practice_id" = i64, Path, description = "The practice's id"), CarePlanFhirQuery),
    responses(
        (status = 200, description = "A FHIR R4 Bundle", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule (`to` before `from`, ...)", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/care-plans/fhir")]
async fn get_care_plans_fhir(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<CarePlanFhirQuery>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let practice = PracticeId(path.into_inner());
    let period = pcmh_core::packet::check_period(query.from, query.to)?;
    let bundle = blocking(move || Ok(actions::care_plans_fhir(&store, practice, period)?)).await?;
    Ok(HttpResponse::Ok()
        .content_type(FHIR_JSON)
        .body(pcmh_core::standards::to_json(&bundle)))
}

/// One care plan with its care partners and shares.
#[utoipa::path(
    tag = "care_plans",
    operation_id = "get_care_plan",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("care_plan_id" = i64, Path, description = "The care plan's id")
    ),
    responses(
        (status = 200, description = "The care plan", body = CarePlan),
        (status = 404, description = "No such practice, or no such care plan of the practice", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/care-plans/{care_plan_id}")]
async fn get_care_plan(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<CarePlan>, ApiError> {
    let store = state.store.clone();
    let (practice, id) = path.into_inner();
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| care_plans::get(c, PracticeId(practice), CarePlanId(id)))?)).await?,
    ))
}

/// Records a plan's execution date or its documentation in the medical record.
#[utoipa::path(
    tag = "care_plans",
    operation_id = "update_care_plan",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("care_plan_id" = i64, Path, description = "The care plan's id")
    ),
    request_body = CarePlanUpdate,
    responses(
        (status = 200, description = "The care plan as now recorded", body = CarePlan),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice, or no such care plan of the practice", body = ErrorBody),
        (status = 409, description = "The plan was already shared, so its established_on can no longer change", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody)
    )
)]
#[patch("/practices/{practice_id}/care-plans/{care_plan_id}")]
async fn update_care_plan(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    ValidJson(form): ValidJson<CarePlanUpdate>,
) -> Result<web::Json<CarePlan>, ApiError> {
    let store = state.store.clone();
    let (practice, id) = (PracticeId(path.0), CarePlanId(path.1));
    Ok(web::Json(
        blocking(move || Ok(actions::update_care_plan(&store, &caller.actor(), practice, id, &form)?)).await?,
    ))
}

/// Records that a care plan was shared with one of its care partners.
#[utoipa::path(
    tag = "care_plans",
    operation_id = "create_care_plan_share",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("care_plan_id" = i64, Path, description = "The care plan's id")
    ),
    request_body = NewCarePlanShare,
    responses(
        (status = 201, description = "Created", body = CarePlanShare),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice, or no such care plan of the practice", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (a partner of another plan, a plan not yet established, a day before it was established, ...)", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/care-plans/{care_plan_id}/shares")]
async fn create_care_plan_share(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    ValidJson(form): ValidJson<NewCarePlanShare>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let (practice, id) = (PracticeId(path.0), CarePlanId(path.1));
    let created = blocking(move || Ok(actions::share_care_plan(&store, &caller.actor(), practice, id, &form)?)).await?;
    // A share has no page of its own: the plan lists its shares.
    Ok(super::created(
        format!("/api/v1/practices/{practice}/care-plans/{id}"),
        &created,
    ))
}

/// Registers the care plan routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(create_care_plan)
        .service(list_care_plans)
        // Before `get_care_plan`, whose `{care_plan_id}` would take `fhir` for an id.
        .service(get_care_plans_fhir)
        .service(get_care_plan)
        .service(update_care_plan)
        .service(create_care_plan_share);
}
