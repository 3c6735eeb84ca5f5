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
    let Posted { viewer, fields } = posted;
    let practice = viewer.practice(&state, path.into_inner()).await?;
    let request: PacketRequest = match fields.read(&[("from", Kind::Text), ("to", Kind::Text)]) {
        Ok(request) => request,
        Err(errors) => return render(&viewer, &practice, None, fields, errors),
    };
    let period = match forms::outcome(packet::check_period(request.from, request.to))? {
        Ok(period) => period,
        Err(errors) => return render(&viewer, &practice, None, fields, errors),
    };
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let (file, record) = run(move || Ok(export(&app, &actor, id, period)?)).await?;
    Ok(zip_response(file, record.practice_id, period))
}

/// Registers the packet pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(packet_page).service(download_packet);
}
