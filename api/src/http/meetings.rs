//! Inter-disciplinary team meetings of a practice, their attendees and follow-up items.

use actix_web::{get, patch, post, web, HttpResponse};
use pcmh_core::actions::meetings as actions;
use pcmh_core::ids::{PracticeId, TeamMeetingId};
use pcmh_core::store::meetings::{self, FollowUpCompletion, MeetingRecord, NewMeeting};
use pcmh_core::store::Listing;
use utoipa_actix_web::service_config::ServiceConfig;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson, ValidQuery};
use super::{AppState, ListQuery};

/// Records a team meeting with its attendees and follow-up items, all or nothing.
#[utoipa::path(
    tag = "meetings",
    operation_id = "create_meeting",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body = NewMeeting,
    responses(
        (status = 201, description = "Created", body = MeetingRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (an unknown meeting kind, a staff member of another practice, a follow-up date before the meeting, ...)", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/meetings")]
async fn create_meeting(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<NewMeeting>,
) -> Result<HttpResponse, ApiError> {
    let app = state.clone();
    let practice = PracticeId(path.into_inner());
    let created = blocking(move || {
        Ok(actions::record_meeting(
            &app.store,
            &app.catalogs,
            &caller.actor(),
            practice,
            &form,
        )?)
    })
    .await?;
    Ok(super::created(
        format!("/api/v1/practices/{practice}/meetings/{}", created.id),
        &created,
    ))
}

/// Lists a practice's team meetings, oldest first; `from`/`to` filter on the day they were held.
#[utoipa::path(
    tag = "meetings",
    operation_id = "list_meetings",
    params(("practice_id" = i64, Path, description = "The practice's id"), ListQuery),
    responses(
        (status = 200, description = "A page of meetings", body = Listing<MeetingRecord>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/meetings")]
async fn list_meetings(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<web::Json<Listing<MeetingRecord>>, ApiError> {
    let store = state.store.clone();
    let practice = PracticeId(path.into_inner());
    let (range, page) = (query.range()?, query.page());
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| meetings::list(c, practice, range, page))?)).await?,
    ))
}

/// One team meeting with its attendees and follow-up items.
#[utoipa::path(
    tag = "meetings",
    operation_id = "get_meeting",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("meeting_id" = i64, Path, description = "The meeting's id")
    ),
    responses(
        (status = 200, description = "The meeting", body = MeetingRecord),
        (status = 404, description = "No such practice, or no such meeting of the practice", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/meetings/{meeting_id}")]
async fn get_meeting(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<MeetingRecord>, ApiError> {
    let store = state.store.clone();
    let (practice, id) = path.into_inner();
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| meetings::get(c, PracticeId(practice), TeamMeetingId(id)))?)).await?,
    ))
}

/// Records the day a follow-up item was done: the only change a recorded meeting accepts.
#[utoipa::path(
    tag = "meetings",
    operation_id = "complete_follow_up",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("meeting_id" = i64, Path, description = "The meeting's id"),
        ("follow_up_id" = i64, Path, description = "The follow-up item's id")
    ),
    request_body = FollowUpCompletion,
    responses(
        (status = 200, description = "The meeting as now recorded", body = MeetingRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice, meeting of the practice, or follow-up of the meeting", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (a day before the meeting, ...)", body = ErrorBody)
    )
)]
#[patch("/practices/{practice_id}/meetings/{meeting_id}/follow-ups/{follow_up_id}")]
async fn complete_follow_up(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64, i64)>,
    ValidJson(form): ValidJson<FollowUpCompletion>,
) -> Result<web::Json<MeetingRecord>, ApiError> {
    let store = state.store.clone();
    let (practice, meeting, follow_up) = path.into_inner();
    let (practice, meeting) = (PracticeId(practice), TeamMeetingId(meeting));
    Ok(web::Json(
        blocking(move || {
            Ok(actions::complete_follow_up(
                &store,
                &caller.actor(),
                practice,
                meeting,
                follow_up,
                &form,
            )?)
        })
        .await?,
    ))
}

/// Registers the meeting routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(create_meeting)
        .service(list_meetings)
        .service(get_meeting)
        .service(complete_follow_up);
}
