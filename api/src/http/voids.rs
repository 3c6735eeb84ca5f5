//! Voiding records entered by mistake: `POST .../{id}/void` with a reason, for every kind of
//! record a practice or a PO keeps. A voided record stays stored and listed, flagged `voided`
//! (when, by whom, why); no evaluation counts it. Voiding twice is a 409; a record of another
//! practice or PO is a 404; an auditor may not void (403). A correction is a new record that
//! names the one it `replaces`, made with the kind's create operation.

use actix_web::{post, web};
use pcmh_core::actions::care_plans as care_plan_actions;
use pcmh_core::actions::documents as document_actions;
use pcmh_core::actions::meetings as meeting_actions;
use pcmh_core::actions::staff as staff_actions;
use pcmh_core::actions::surveys as survey_actions;
use pcmh_core::actions::trainings as training_actions;
use pcmh_core::ids::{
    CarePlanId, CarePlanShareId, DocumentId, OrganizationId, PeriodicReportId, PracticeId, StaffId, SurveyResultId,
    TeamMeetingId, TrainingId,
};
use pcmh_core::records::{CarePlan, CarePlanShare, Owner, PeriodicReport, Staff, SurveyResult, TrainingRecord};
use pcmh_core::store::documents::StoredDocument;
use pcmh_core::store::meetings::{FollowUpRecord, MeetingRecord};
use pcmh_core::store::voids::Void;
use utoipa_actix_web::service_config::ServiceConfig;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson};
use super::AppState;

/// Voids a staff member entered by mistake.
///
/// They stay stored and listed (flagged `voided`), and no evaluation counts them. A staff member
/// any record names (a training, a meeting attended, a follow-up owned, a care plan initiated)
/// cannot be voided: record their last day instead.
#[utoipa::path(
    tag = "staff",
    operation_id = "void_staff",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("staff_id" = i64, Path, description = "The staff member's id")
    ),
    request_body = Void,
    responses(
        (status = 200, description = "The voided staff member", body = Staff),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice, or no such staff member in it", body = ErrorBody),
        (status = 409, description = "The staff member was already voided, or a record names them (record their last day with `PATCH .../staff/{staff_id}` instead)", body = ErrorBody),
        (status = 422, description = "The reason is blank or longer than 500 characters", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/staff/{staff_id}/void")]
async fn void_staff(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    ValidJson(why): ValidJson<Void>,
) -> Result<web::Json<Staff>, ApiError> {
    let store = state.store.clone();
    let (a, b) = path.into_inner();
    let actor = caller.actor();
    Ok(web::Json(
        blocking(move || {
            Ok(staff_actions::void_staff(
                &store,
                &actor,
                PracticeId(a),
                StaffId(b),
                &why,
            )?)
        })
        .await?,
    ))
}

/// Voids a training record entered by mistake.
///
/// It stays stored and listed (flagged `voided`), and no evaluation counts it. To correct it,
/// record the right training with `replaces`.
#[utoipa::path(
    tag = "trainings",
    operation_id = "void_training",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("training_id" = i64, Path, description = "The training record's id")
    ),
    request_body = Void,
    responses(
        (status = 200, description = "The voided training record", body = TrainingRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice, or no such training record in it", body = ErrorBody),
        (status = 409, description = "The training record was already voided", body = ErrorBody),
        (status = 422, description = "The reason is blank or longer than 500 characters", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/trainings/{training_id}/void")]
async fn void_training(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    ValidJson(why): ValidJson<Void>,
) -> Result<web::Json<TrainingRecord>, ApiError> {
    let store = state.store.clone();
    let (a, b) = path.into_inner();
    let actor = caller.actor();
    Ok(web::Json(
        blocking(move || {
            Ok(training_actions::void_training(
                &store,
                &actor,
                PracticeId(a),
                TrainingId(b),
                &why,
            )?)
        })
        .await?,
    ))
}

/// Voids a team meeting entered by mistake (twice, say).
///
/// It stays stored and listed (flagged `voided`), and no evaluation counts it or its follow-up
/// items. To correct it, record the right meeting with `replaces`.
#[utoipa::path(
    tag = "meetings",
    operation_id = "void_meeting",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("meeting_id" = i64, Path, description = "The meeting's id")
    ),
    request_body = Void,
    responses(
        (status = 200, description = "The voided meeting", body = MeetingRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice, or no such meeting in it", body = ErrorBody),
        (status = 409, description = "The meeting was already voided", body = ErrorBody),
        (status = 422, description = "The reason is blank or longer than 500 characters", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/meetings/{meeting_id}/void")]
async fn void_meeting(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    ValidJson(why): ValidJson<Void>,
) -> Result<web::Json<MeetingRecord>, ApiError> {
    let store = state.store.clone();
    let (a, b) = path.into_inner();
    let actor = caller.actor();
    Ok(web::Json(
        blocking(move || {
            Ok(meeting_actions::void_meeting(
                &store,
                &actor,
                PracticeId(a),
                TeamMeetingId(b),
                &why,
            )?)
        })
        .await?,
    ))
}

/// Voids a follow-up item of a meeting, entered by mistake.
///
/// It stays stored and listed with its meeting (flagged `voided`), and falls due no more.
#[utoipa::path(
    tag = "meetings",
    operation_id = "void_follow_up",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("meeting_id" = i64, Path, description = "The meeting's id"),
        ("follow_up_id" = i64, Path, description = "The follow-up item's id")
    ),
    request_body = Void,
    responses(
        (status = 200, description = "The voided follow-up item", body = FollowUpRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice, meeting of the practice, or follow-up of the meeting", body = ErrorBody),
        (status = 409, description = "The follow-up item was already voided", body = ErrorBody),
        (status = 422, description = "The reason is blank or longer than 500 characters", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/meetings/{meeting_id}/follow-ups/{follow_up_id}/void")]
async fn void_follow_up(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64, i64)>,
    ValidJson(why): ValidJson<Void>,
) -> Result<web::Json<FollowUpRecord>, ApiError> {
    let store = state.store.clone();
    let (a, b, c) = path.into_inner();
    let actor = caller.actor();
    Ok(web::Json(
        blocking(move || {
            Ok(meeting_actions::void_follow_up(
                &store,
                &actor,
                PracticeId(a),
                TeamMeetingId(b),
                c,
                &why,
            )?)
        })
        .await?,
    ))
}

/// Voids a care plan entered by mistake.
///
/// It stays stored and listed (flagged `voided`), and no evaluation counts it or its shares. To
/// correct it, record the right plan with `replaces`.
#[utoipa::path(
    tag = "care_plans",
    operation_id = "void_care_plan",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("care_plan_id" = i64, Path, description = "The care plan's id")
    ),
    request_body = Void,
    responses(
        (status = 200, description = "The voided care plan", body = CarePlan),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice, or no such care plan in it", body = ErrorBody),
        (status = 409, description = "The care plan was already voided", body = ErrorBody),
        (status = 422, description = "The reason is blank or longer than 500 characters", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/care-plans/{care_plan_id}/void")]
async fn void_care_plan(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    ValidJson(why): ValidJson<Void>,
) -> Result<web::Json<CarePlan>, ApiError> {
    let store = state.store.clone();
    let (a, b) = path.into_inner();
    let actor = caller.actor();
    Ok(web::Json(
        blocking(move || {
            Ok(care_plan_actions::void_care_plan(
                &store,
                &actor,
                PracticeId(a),
                CarePlanId(b),
                &why,
            )?)
        })
        .await?,
    ))
}

/// Voids a share of a care plan recorded by mistake (for the wrong partner, say).
///
/// It stays stored and listed with its plan (flagged `voided`), and no evaluation counts it. To
/// correct it, record the right share with `replaces`.
#[utoipa::path(
    tag = "care_plans",
    operation_id = "void_care_plan_share",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("care_plan_id" = i64, Path, description = "The care plan's id"),
        ("share_id" = i64, Path, description = "The share's id")
    ),
    request_body = Void,
    responses(
        (status = 200, description = "The voided share", body = CarePlanShare),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice, care plan of the practice, or share of the plan", body = ErrorBody),
        (status = 409, description = "The share was already voided", body = ErrorBody),
        (status = 422, description = "The reason is blank or longer than 500 characters", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/care-plans/{care_plan_id}/shares/{share_id}/void")]
async fn void_care_plan_share(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64, i64)>,
    ValidJson(why): ValidJson<Void>,
) -> Result<web::Json<CarePlanShare>, ApiError> {
    let store = state.store.clone();
    let (a, b, c) = path.into_inner();
    let actor = caller.actor();
    Ok(web::Json(
        blocking(move || {
            Ok(care_plan_actions::void_care_plan_share(
                &store,
                &actor,
                PracticeId(a),
                CarePlanId(b),
                CarePlanShareId(c),
                &why,
            )?)
        })
        .await?,
    ))
}

/// Voids a survey result entered by mistake.
///
/// It stays stored and listed (flagged `voided`), and no evaluation counts it. To correct it,
/// record the right result with `replaces`.
#[utoipa::path(
    tag = "surveys",
    operation_id = "void_survey",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("survey_id" = i64, Path, description = "The survey result's id")
    ),
    request_body = Void,
    responses(
        (status = 200, description = "The voided survey result", body = SurveyResult),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice, or no such survey result in it", body = ErrorBody),
        (status = 409, description = "The survey result was already voided", body = ErrorBody),
        (status = 422, description = "The reason is blank or longer than 500 characters", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/surveys/{survey_id}/void")]
async fn void_survey(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    ValidJson(why): ValidJson<Void>,
) -> Result<web::Json<SurveyResult>, ApiError> {
    let store = state.store.clone();
    let (a, b) = path.into_inner();
    let actor = caller.actor();
    Ok(web::Json(
        blocking(move || {
            Ok(survey_actions::void_survey(
                &store,
                &actor,
                PracticeId(a),
                SurveyResultId(b),
                &why,
            )?)
        })
        .await?,
    ))
}

/// Voids a document of the practice uploaded by mistake (to the wrong practice, say).
///
/// It and its file stay stored and listed (flagged `voided`), and no evaluation counts it. To
/// correct it, upload the right document with `replaces` in its metadata.
#[utoipa::path(
    tag = "documents",
    operation_id = "void_practice_document",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("document_id" = i64, Path, description = "The document's id")
    ),
    request_body = Void,
    responses(
        (status = 200, description = "The voided document", body = StoredDocument),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice, or no such document of the practice's own (a PO-level document is voided by its PO)", body = ErrorBody),
        (status = 409, description = "The document was already voided", body = ErrorBody),
        (status = 422, description = "The reason is blank or longer than 500 characters", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/documents/{document_id}/void")]
async fn void_practice_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    ValidJson(why): ValidJson<Void>,
) -> Result<web::Json<StoredDocument>, ApiError> {
    let store = state.store.clone();
    let (a, b) = path.into_inner();
    let actor = caller.actor();
    Ok(web::Json(
        blocking(move || {
            Ok(document_actions::void_document(
                &store,
                &actor,
                Owner::Practice(PracticeId(a)),
                DocumentId(b),
                &why,
            )?)
        })
        .await?,
    ))
}

/// Voids a PO-level document uploaded by mistake.
///
/// It and its file stay stored and listed (flagged `voided`), and no evaluation counts it. To
/// correct it, upload the right document with `replaces` in its metadata.
#[utoipa::path(
    tag = "documents",
    operation_id = "void_organization_document",
    params(
        ("organization_id" = i64, Path, description = "The PO's id"),
        ("document_id" = i64, Path, description = "The document's id")
    ),
    request_body = Void,
    responses(
        (status = 200, description = "The voided document", body = StoredDocument),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such PO, or no such PO-level document of it", body = ErrorBody),
        (status = 409, description = "The document was already voided", body = ErrorBody),
        (status = 422, description = "The reason is blank or longer than 500 characters", body = ErrorBody)
    )
)]
#[post("/organizations/{organization_id}/documents/{document_id}/void")]
async fn void_organization_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    ValidJson(why): ValidJson<Void>,
) -> Result<web::Json<StoredDocument>, ApiError> {
    let store = state.store.clone();
    let (a, b) = path.into_inner();
    let actor = caller.actor();
    Ok(web::Json(
        blocking(move || {
            Ok(document_actions::void_document(
                &store,
                &actor,
                Owner::Organization(OrganizationId(a)),
                DocumentId(b),
                &why,
            )?)
        })
        .await?,
    ))
}

/// Voids a periodic report filed by mistake.
///
/// It stays stored and listed (flagged `voided`), and no evaluation counts it. To correct it, file
/// the right report with `replaces`.
#[utoipa::path(
    tag = "reports",
    operation_id = "void_report",
    params(
        ("organization_id" = i64, Path, description = "The PO's id"),
        ("report_id" = i64, Path, description = "The report's id")
    ),
    request_body = Void,
    responses(
        (status = 200, description = "The voided report", body = PeriodicReport),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such PO, or no such report of it", body = ErrorBody),
        (status = 409, description = "The report was already voided", body = ErrorBody),
        (status = 422, description = "The reason is blank or longer than 500 characters", body = ErrorBody)
    )
)]
#[post("/organizations/{organization_id}/reports/{report_id}/void")]
async fn void_report(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    ValidJson(why): ValidJson<Void>,
) -> Result<web::Json<PeriodicReport>, ApiError> {
    let store = state.store.clone();
    let (a, b) = path.into_inner();
    let actor = caller.actor();
    Ok(web::Json(
        blocking(move || {
            Ok(survey_actions::void_report(
                &store,
                &actor,
                OrganizationId(a),
                PeriodicReportId(b),
                &why,
            )?)
        })
        .await?,
    ))
}

/// Registers the void routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(void_staff)
        .service(void_training)
        .service(void_meeting)
        .service(void_follow_up)
        .service(void_care_plan)
        .service(void_care_plan_share)
        .service(void_survey)
        .service(void_practice_document)
        .service(void_organization_document)
        .service(void_report);
}
