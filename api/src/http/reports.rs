//! Periodic reports of a PO (monthly member lists, ...), PO-wide or about one of its practices.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use pcmh_core::actions::surveys as actions;
use pcmh_core::ids::{OrganizationId, PeriodicReportId, PracticeId, Term};
use pcmh_core::records::PeriodicReport;
use pcmh_core::store::reports::{self, NewReport, ReportFilter};
use pcmh_core::store::{Listing, Page};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson, ValidQuery};
use super::{AppState, ListQuery};

/// Paging, a range of period starts, and which reports of the PO to show.
#[pcmh_core::checks::checked]
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// How many items to return, 1 to 500 (default 100).
    #[check(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many items to skip (default 0).
    #[check(minimum = 0)]
    pub offset: Option<i64>,
    /// Only reports whose period starts on this day or later.
    #[check(date)]
    pub from: Option<NaiveDate>,
    /// Only reports whose period starts on this day or earlier.
    #[check(date)]
    pub to: Option<NaiveDate>,
    /// Only reports of this type, e.g. member_list.
    pub report_type: Option<Term>,
    /// Only reports about this practice of the PO.
    pub practice_id: Option<i64>,
}

/// Paging, a range of period starts, and which of the reports concerning a practice to show.
#[pcmh_core::checks::checked]
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PracticeReportQuery {
    /// How many items to return, 1 to 500 (default 100).
    #[check(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many items to skip (default 0).
    #[check(minimum = 0)]
    pub offset: Option<i64>,
    /// Only reports whose period starts on this day or later.
    #[check(date)]
    pub from: Option<NaiveDate>,
    /// Only reports whose period starts on this day or earlier.
    #[check(date)]
    pub to: Option<NaiveDate>,
    /// Only reports of this type, e.g. member_list.
    pub report_type: Option<Term>,
}

/// The filter and page of a list, or a 422 when the date range ends before it starts.
fn parts(
    list: ListQuery,
    report_type: Option<Term>,
    practice_id: Option<i64>,
) -> Result<(ReportFilter, Page), ApiError> {
    let filter = ReportFilter {
        report_type,
        practice_id: practice_id.map(PracticeId),
        period_start: list.range()?,
    };
    Ok((filter, list.page()))
}

/// Files a periodic report of a PO, PO-wide or about one of its practices.
#[utoipa::path(
    tag = "reports",
    operation_id = "create_report",
    params(("organization_id" = i64, Path, description = "The PO's id")),
    request_body = NewReport,
    responses(
        (status = 201, description = "Created", body = PeriodicReport),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody)
    )
)]
#[post("/organizations/{organization_id}/reports")]
async fn create_report(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<NewReport>,
) -> Result<HttpResponse, ApiError> {
    let organization = OrganizationId(path.into_inner());
    let app = state.clone();
    let created = blocking(move || {
        Ok(actions::add_report(
            &app.store,
            &app.catalogs,
            &caller.actor(),
            organization,
            &form,
        )?)
    })
    .await?;
    Ok(super::created(
        format!("/api/v1/organizations/{organization}/reports/{}", created.id),
        &created,
    ))
}

/// Lists a PO's reports by the start of their period; `from`/`to` filter on it.
#[utoipa::path(
    tag = "reports",
    operation_id = "list_reports",
    params(("organization_id" = i64, Path, description = "The PO's id"), ReportQuery),
    responses(
        (status = 200, description = "A page of reports", body = Listing<PeriodicReport>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/reports")]
async fn list_reports(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<ReportQuery>,
) -> Result<web::Json<Listing<PeriodicReport>>, ApiError> {
    let store = state.store.clone();
    let organization = OrganizationId(path.into_inner());
    let list = ListQuery {
        limit: query.limit,
        offset: query.offset,
        from: query.from,
        to: query.to,
    };
    let (filter, page) = parts(list, query.report_type, query.practice_id)?;
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| reports::list(c, organization, &filter, page))?)).await?,
    ))
}

/// One periodic report of a PO.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_report",
    params(
        ("organization_id" = i64, Path, description = "The PO's id"),
        ("report_id" = i64, Path, description = "The report's id")
    ),
    responses(
        (status = 200, description = "The report", body = PeriodicReport),
        (status = 404, description = "No such PO or report", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/reports/{report_id}")]
async fn get_report(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<PeriodicReport>, ApiError> {
    let store = state.store.clone();
    let (organization, id) = path.into_inner();
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| reports::get(c, OrganizationId(organization), PeriodicReportId(id)))?))
            .await?,
    ))
}

/// Lists the reports that concern a practice, by the start of their period: those about the
/// practice and its PO's PO-wide ones.
#[utoipa::path(
    tag = "reports",
    operation_id = "list_practice_reports",
    params(("practice_id" = i64, Path, description = "The practice's id"), PracticeReportQuery),
    responses(
        (status = 200, description = "A page of reports", body = Listing<PeriodicReport>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/reports")]
async fn list_practice_reports(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<PracticeReportQuery>,
) -> Result<web::Json<Listing<PeriodicReport>>, ApiError> {
    let store = state.store.clone();
    let practice = PracticeId(path.into_inner());
    let list = ListQuery {
        limit: query.limit,
        offset: query.offset,
        from: query.from,
        to: query.to,
    };
    let (filter, page) = parts(list, query.report_type, None)?;
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| reports::list_for_practice(c, practice, &filter, page))?)).await?,
    ))
}

/// Registers the report routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(create_report)
        .service(list_reports)
        .service(get_report)
        .service(list_practice_reports);
}
