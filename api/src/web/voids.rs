//! Voiding a record entered by mistake from the page that lists it: a "Void" button with a
//! reason on each row (the API's `void_*` operations). The page comes back with a notice: the
//! record stays listed, marked voided, and no longer counts. (Training voids on its own page;
//! amending is each record's form, through `corrections::read_replaces`.)

use actix_web::{post, web, HttpResponse};
use pcmh_core::access::Actor;
use pcmh_core::actions;
use pcmh_core::ids::{
    CarePlanId, CarePlanShareId, DocumentId, OrganizationId, PeriodicReportId, PracticeId, StaffId, SurveyResultId,
    TeamMeetingId,
};
use pcmh_core::records::Owner;
use pcmh_core::store::voids::Void;
use pcmh_core::store::{Store, StoreResult};

use super::auth::run;
use super::{forms, Posted, WebError};
use crate::http::AppState;

/// What a void posts and where the page is: the reason, the page to go back to, and the record in words.
struct Voiding {
    why: Void,
    page: String,
    what: String,
}

impl Voiding {
    fn new(posted: &Posted, page: String, what: String) -> Self {
        Voiding {
            why: Void {
                reason: posted.fields.get("reason").unwrap_or_default().to_owned(),
            },
            page,
            what,
        }
    }

    /// Voids with `void` as `actor`, then goes back to the page with what happened.
    async fn finish(
        self,
        state: &web::Data<AppState>,
        actor: Actor,
        void: impl FnOnce(&Store, &Actor, &Void) -> StoreResult<()> + Send + 'static,
    ) -> Result<HttpResponse, WebError> {
        let Voiding { why, page, what } = self;
        if validator::Validate::validate(&why).is_err() {
            return Ok(forms::redirect(
                &page,
                &format!("{what} was not voided: say why (at most 500 characters)."),
            ));
        }
        let app = state.clone();
        let outcome = run(move || forms::outcome(void(&app.store, &actor, &why))).await?;
        Ok(match outcome {
            Ok(()) => forms::redirect(
                &page,
                &format!("{what} was voided: it stays listed, marked voided, and no longer counts."),
            ),
            Err(errors) => {
                let mut messages = errors.general;
                messages.extend(errors.fields.into_values());
                forms::redirect(&page, &format!("{what} was not voided: {}", messages.join("; ")))
            }
        })
    }
}

/// Voids a staff member entered by mistake (one no record names).
#[post("/practices/{id}/staff/{staff_id}/void")]
async fn void_staff(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (id, staff) = path.into_inner();
    let practice = posted.viewer.practice_to_write(&state, id).await?;
    let voiding = Voiding::new(
        &posted,
        format!("/practices/{id}/staff"),
        format!("Staff member {staff}"),
    );
    voiding
        .finish(&state, posted.viewer.actor(&practice), move |store, actor, why| {
            actions::staff::void_staff(store, actor, PracticeId(id), StaffId(staff), why).map(drop)
        })
        .await
}

/// Voids a meeting entered by mistake.
#[post("/practices/{id}/meetings/{meeting_id}/void")]
async fn void_meeting(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (id, meeting) = path.into_inner();
    let practice = posted.viewer.practice_to_write(&state, id).await?;
    let voiding = Voiding::new(
        &posted,
        format!("/practices/{id}/meetings"),
        format!("Meeting {meeting}"),
    );
    voiding
        .finish(&state, posted.viewer.actor(&practice), move |store, actor, why| {
            actions::meetings::void_meeting(store, actor, PracticeId(id), TeamMeetingId(meeting), why).map(drop)
        })
        .await
}

/// Voids a follow-up item of a meeting, entered by mistake.
#[post("/practices/{id}/meetings/{meeting_id}/follow-ups/{follow_up_id}/void")]
async fn void_follow_up(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (id, meeting, follow_up) = path.into_inner();
    let practice = posted.viewer.practice_to_write(&state, id).await?;
    let voiding = Voiding::new(
        &posted,
        format!("/practices/{id}/meetings"),
        format!("Follow-up {follow_up}"),
    );
    voiding
        .finish(&state, posted.viewer.actor(&practice), move |store, actor, why| {
            actions::meetings::void_follow_up(store, actor, PracticeId(id), TeamMeetingId(meeting), follow_up, why)
                .map(drop)
        })
        .await
}

/// Voids a care plan entered by mistake.
#[post("/practices/{id}/care-plans/{plan_id}/void")]
async fn void_care_plan(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (id, plan) = path.into_inner();
    let practice = posted.viewer.practice_to_write(&state, id).await?;
    let voiding = Voiding::new(
        &posted,
        format!("/practices/{id}/care-plans"),
        format!("Care plan {plan}"),
    );
    voiding
        .finish(&state, posted.viewer.actor(&practice), move |store, actor, why| {
            actions::care_plans::void_care_plan(store, actor, PracticeId(id), CarePlanId(plan), why).map(drop)
        })
        .await
}

/// Voids a share of a care plan recorded by mistake.
#[post("/practices/{id}/care-plans/{plan_id}/shares/{share_id}/void")]
async fn void_care_plan_share(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (id, plan, share) = path.into_inner();
    let practice = posted.viewer.practice_to_write(&state, id).await?;
    let voiding = Voiding::new(&posted, format!("/practices/{id}/care-plans"), format!("Share {share}"));
    voiding
        .finish(&state, posted.viewer.actor(&practice), move |store, actor, why| {
            actions::care_plans::void_care_plan_share(
                store,
                actor,
                PracticeId(id),
                CarePlanId(plan),
                CarePlanShareId(share),
                why,
            )
            .map(drop)
        })
        .await
}

/// Voids a survey result entered by mistake.
#[post("/practices/{id}/surveys/{survey_id}/void")]
async fn void_survey(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (id, survey) = path.into_inner();
    let practice = posted.viewer.practice_to_write(&state, id).await?;
    let voiding = Voiding::new(
        &posted,
        format!("/practices/{id}/surveys"),
        format!("Survey result {survey}"),
    );
    voiding
        .finish(&state, posted.viewer.actor(&practice), move |store, actor, why| {
            actions::surveys::void_survey(store, actor, PracticeId(id), SurveyResultId(survey), why).map(drop)
        })
        .await
}

/// Voids a document of the practice uploaded by mistake.
#[post("/practices/{id}/documents/{document_id}/void")]
async fn void_practice_document(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (id, document) = path.into_inner();
    let practice = posted.viewer.practice_to_write(&state, id).await?;
    let voiding = Voiding::new(
        &posted,
        format!("/practices/{id}/documents"),
        format!("Document {document}"),
    );
    voiding
        .finish(&state, posted.viewer.actor(&practice), move |store, actor, why| {
            actions::documents::void_document(store, actor, Owner::Practice(PracticeId(id)), DocumentId(document), why)
                .map(drop)
        })
        .await
}

/// Voids a PO-level document uploaded by mistake.
#[post("/organizations/{id}/documents/{document_id}/void")]
async fn void_organization_document(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (id, document) = path.into_inner();
    let organization = posted.viewer.organization_to_write(&state, id).await?;
    let voiding = Voiding::new(
        &posted,
        format!("/organizations/{id}/records"),
        format!("Document {document}"),
    );
    voiding
        .finish(
            &state,
            posted.viewer.organization_actor(&organization),
            move |store, actor, why| {
                actions::documents::void_document(
                    store,
                    actor,
                    Owner::Organization(OrganizationId(id)),
                    DocumentId(document),
                    why,
                )
                .map(drop)
            },
        )
        .await
}

/// Voids a periodic report filed by mistake.
#[post("/organizations/{id}/reports/{report_id}/void")]
async fn void_report(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (id, report) = path.into_inner();
    let organization = posted.viewer.organization_to_write(&state, id).await?;
    let voiding = Voiding::new(
        &posted,
        format!("/organizations/{id}/records"),
        format!("Report {report}"),
    );
    voiding
        .finish(
            &state,
            posted.viewer.organization_actor(&organization),
            move |store, actor, why| {
                actions::surveys::void_report(store, actor, OrganizationId(id), PeriodicReportId(report), why).map(drop)
            },
        )
        .await
}

/// Registers the void routes of the pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(void_staff)
        .service(void_meeting)
        .service(void_follow_up)
        .service(void_care_plan)
        .service(void_care_plan_share)
        .service(void_survey)
        .service(void_practice_document)
        .service(void_organization_document)
        .service(void_report);
}
