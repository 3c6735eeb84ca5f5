//! The auditor packet: a period's "From" and "To" days, and the same signed ZIP the API's
//! `POST /api/v1/practices/{id}/packets` returns. Exporting is a read: auditors may.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Months;
use pcmh_core::packet;
use pcmh_core::records::Practice;

use super::auth::run;
use super::forms::{self, Fields, FormErrors, Kind};
use super::{Chrome, Posted, Viewer, WebError};
use crate::http::packets::{export, zip_response, PacketRequest};
use crate::http::AppState;

#[derive(Template)]
#[template(path = "packet.html")]
struct PacketPage {
    chrome: Chrome,
    practice_id: i64,
    form: Fields,
    errors: FormErrors,
}

fn render(
    viewer: &Viewer,
    practice: &Practice,
    notice: Option<String>,
    form: Fields,
    errors: FormErrors,
) -> Result<HttpResponse, WebError> {
    let failed = !errors.is_empty();
    let page = PacketPage {
        chrome: Chrome::practice(viewer, practice, "/packet", format!("Packet · {}", practice.name))
            .with_notice(notice),
        practice_id: practice.id.0,
        form,
        errors: errors.keep_fields(&["from", "to"]),
    };
    forms::answer(&page, failed)
}

/// The packet form, with the last twelve months filled in.
#[get("/practices/{id}/packet")]
async fn packet_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let practice = viewer.practice(&state, path.into_inner()).await?;
    let today = practice.today(chrono::Utc::now());
    let from = today
        .checked_sub_months(Months::new(12))
        .and_then(|d| d.succ_opt())
        .unwrap_or(today);
    let form = Fields(vec![
        ("from".into(), from.to_string()),
        ("to".into(), today.to_string()),
    ]);
    render(&viewer, &practice, forms::notice(&req), form, FormErrors::default())
}

/// Downloads the signed packet for the period (the API's `create_packet`).
#[post("/practices/{id}/packet")]
async fn download_packet(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let (viewer, practice, period) = match period_of(&state, posted, path.into_inner()).await? {
        Ok(asked) => asked,
        Err(page) => return Ok(page),
    };
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let (file, record) = run(move || Ok(export(&app, &actor, id, period)?)).await?;
    Ok(zip_response(file, record.practice_id, period))
}

/// The period of a posted packet form, or the same page with the messages beside the fields.
async fn period_of(
    state: &web::Data<AppState>,
    posted: Posted,
    id: i64,
) -> Result<Result<(Viewer, Practice, packet::Period), HttpResponse>, WebError> {
    let Posted { viewer, fields } = posted;
    let practice = viewer.practice(state, id).await?;
    let request: PacketRequest = match fields.read(&[("from", Kind::Text), ("to", Kind::Text)]) {
        Ok(request) => request,
        Err(errors) => return render(&viewer, &practice, None, fields, errors).map(Err),
    };
    match forms::outcome(packet::check_period(request.from, request.to))? {
        Ok(period) => Ok(Ok((viewer, practice, period))),
        Err(errors) => render(&viewer, &practice, None, fields, errors).map(Err),
    }
}

/// A JSON export to save.
fn attachment(content_type: &str, name: String, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

/// The period's care plans and their sharing as a FHIR R4 Bundle (the API's
/// `get_care_plans_fhir`), for the care partners' and health plans' systems.
#[post("/practices/{id}/packet/fhir")]
async fn download_fhir(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let (_, practice, period) = match period_of(&state, posted, path.into_inner()).await? {
        Ok(asked) => asked,
        Err(page) => return Ok(page),
    };
    let (app, id) = (state.clone(), practice.id);
    let bundle = run(move || Ok(pcmh_core::actions::care_plans::care_plans_fhir(&app.store, id, period)?)).await?;
    Ok(attachment(
        pcmh_core::standards::fhir::MEDIA_TYPE,
        format!("practice-{}-care-plans-{}-{}.fhir.json", id.0, period.from, period.to),
        pcmh_core::standards::to_json(&bundle),
    ))
}

/// The practice's compliance on the period's last day as OSCAL assessment results (the API's
/// `get_practice_compliance_oscal`), for compliance tools.
#[post("/practices/{id}/packet/oscal")]
async fn download_oscal(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let (_, practice, period) = match period_of(&state, posted, path.into_inner()).await? {
        Ok(asked) => asked,
        Err(page) => return Ok(page),
    };
    let (app, id) = (state.clone(), practice.id);
    let bytes = run(move || {
        Ok(pcmh_core::actions::oscal::practice_assessment_results(
            &app.store,
            &app.catalogs,
            id,
            Some(period.to),
            chrono::Utc::now(),
            pcmh_core::records::Basis::corrected(),
        )?)
    })
    .await?;
    Ok(attachment(
        "application/json",
        format!("practice-{}-assessment-results-{}.oscal.json", id.0, period.to),
        bytes,
    ))
}

/// Registers the packet pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(packet_page)
        .service(download_packet)
        .service(download_fhir)
        .service(download_oscal);
}
