//! Staff of a practice.

use actix_web::{get, patch, post, web, HttpResponse};
use pcmh_core::actions::staff as actions;
use pcmh_core::ids::{PracticeId, StaffId};
use pcmh_core::records::Staff;
use pcmh_core::store::staff::{self, NewStaff, StaffUpdate};
use pcmh_core::store::Listing;
use utoipa_actix_web::service_config::ServiceConfig;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson, ValidQuery};
use super::{AppState, ListQuery};

/// Adds a staff member to a practice.
#[utoipa::path(
    tag = "staff",
    operation_id = "create_staff",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body = NewStaff,
    responses(
        (status = 201, description = "Created", body = Staff),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/staff")]
async fn create_staff(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<NewStaff>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let practice = PracticeId(path.into_inner());
    let created = blocking(move || Ok(actions::add_staff(&store, &caller.actor(), practice, &form)?)).await?;
    Ok(super::created(
        format!("/api/v1/practices/{practice}/staff/{}", created.id),
        &created,
    ))
}

/// Lists a practice's staff; `from`/`to` keep those active at some point in that range.
#[utoipa::path(
    tag = "staff",
    operation_id = "list_staff",
    params(("practice_id" = i64, Path, description = "The practice's id"), ListQuery),
    responses(
        (status = 200, description = "A page of staff", body = Listing<Staff>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/staff")]
async fn list_staff(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<web::Json<Listing<Staff>>, ApiError> {
    let store = state.store.clone();
    let practice = PracticeId(path.into_inner());
    let (range, page) = (query.range()?, query.page());
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| staff::list(c, practice, range, page))?)).await?,
    ))
}

/// One staff member.
#[utoipa::path(
    tag = "staff",
    operation_id = "get_staff",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("staff_id" = i64, Path, description = "The staff member's id")
    ),
    responses(
        (status = 200, description = "The staff member", body = Staff),
        (status = 404, description = "No such practice or staff member", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/staff/{staff_id}")]
async fn get_staff(state: web::Data<AppState>, path: web::Path<(i64, i64)>) -> Result<web::Json<Staff>, ApiError> {
    let store = state.store.clone();
    let (practice, id) = path.into_inner();
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| staff::get(c, PracticeId(practice), StaffId(id)))?)).await?,
    ))
}

/// Records a staff member's last day (or clears it).
#[utoipa::path(
    tag = "staff",
    operation_id = "update_staff",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("staff_id" = i64, Path, description = "The staff member's id")
    ),
    request_body = StaffUpdate,
    responses(
        (status = 200, description = "The staff member as now recorded", body = Staff),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice or staff member", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody)
    )
)]
#[patch("/practices/{practice_id}/staff/{staff_id}")]
async fn update_staff(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    ValidJson(form): ValidJson<StaffUpdate>,
) -> Result<web::Json<Staff>, ApiError> {
    let store = state.store.clone();
    let (practice, id) = (PracticeId(path.0), StaffId(path.1));
    Ok(web::Json(
        blocking(move || Ok(actions::update_staff(&store, &caller.actor(), practice, id, &form)?)).await?,
    ))
}

/// Registers the staff routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(create_staff)
        .service(list_staff)
        .service(get_staff)
        .service(update_staff);
}
