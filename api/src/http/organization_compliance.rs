//! The PO's compliance views: the practice × criterion matrix with the PO-level criteria, what
//! falls due across the PO, and a month-by-month trend.

use actix_web::{get, web};
use chrono::{Datelike, NaiveDate};
use pcmh_core::actions::{kept, organizations};
use pcmh_core::ids::{CriterionId, OrganizationId, PracticeId};
use pcmh_core::rules::organization::{months_spanned, DueFilter, OrganizationDueItem, TrendPoint, MAX_TREND_MONTHS};
use pcmh_core::rules::view::OrganizationCompliance;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidQuery};
use super::AppState;

/// The day to evaluate the PO's compliance for.
#[pcmh_core::checks::checked]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganizationAsOf {
    /// The day (YYYY-MM-DD); today if omitted.
    #[check(date)]
    pub as_of: Option<NaiveDate>,
    /// Evaluate the records as they were known at the end of this day (YYYY-MM-DD, UTC): those
    /// recorded by then, records voided only later counting as not voided. If omitted, today's
    /// corrected records (voided ones left out). The answer's `basis` says which.
    #[check(date)]
    pub as_known_on: Option<NaiveDate>,
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Evaluates every practice of the PO, each against its own catalog version, and the PO-level
/// criteria over all of them, as of a day.
#[utoipa::path(
    tag = "organizations",
    operation_id = "get_organization_compliance",
    params(("organization_id" = i64, Path, description = "The PO's id"), OrganizationAsOf),
    responses(
        (status = 200, description = "The PO's compliance matrix", body = OrganizationCompliance),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 503, description = "With `as_known_on`: as many PO-wide views as the server computes from records at once are being computed (`busy`); or the database is not reachable; try again after `Retry-After` seconds", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/compliance")]
async fn get_organization_compliance(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<OrganizationAsOf>,
) -> Result<web::Json<OrganizationCompliance>, ApiError> {
    let id = OrganizationId(path.into_inner());
    let as_of = query.as_of.unwrap_or_else(today);
    let app = state.clone();
    let basis = pcmh_core::records::Basis::known_on(query.as_known_on);
    let turn = state
        .heavy_views
        .turn_if(organizations::computes_from_records(basis))
        .await?;
    let watch = super::heavy::Watch::of(&req);
    let abandoned = watch.flag();
    let compliance = blocking(move || {
        let _turn = turn;
        Ok(organizations::organization_compliance_on(
            &app.store,
            &app.catalogs,
            id,
            as_of,
            basis,
            &abandoned,
        )?)
    })
    .await?;
    drop(watch);
    Ok(web::Json(compliance))
}

/// What falls due across the PO, and how far ahead to look.
#[pcmh_core::checks::checked]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// The day to look from (YYYY-MM-DD); today if omitted.
    #[check(date)]
    pub as_of: Option<NaiveDate>,
    /// How many days ahead to look, 1 to 366 (default 60).
    #[check(minimum = 1, maximum = 366)]
    pub within: Option<u32>,
    /// Only items of this criterion, e.g. "4.21".
    pub criterion: Option<CriterionId>,
    /// Only items of this practice of the PO.
    pub practice_id: Option<i64>,
}

/// What falls due or is overdue across a PO, by date.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationDue {
    /// The PO.
    pub organization_id: OrganizationId,
    /// The day looked from.
    pub as_of: NaiveDate,
    /// How many days ahead were looked at.
    pub within: u32,
    /// Every item due by `as_of + within` (overdue ones included), by date.
    pub items: Vec<OrganizationDueItem>,
}

/// Every item that falls due within the horizon or is overdue across the PO's practices and the
/// PO itself, sorted by date, optionally only one criterion's or one practice's.
#[utoipa::path(
    tag = "organizations",
    operation_id = "get_organization_due",
    params(("organization_id" = i64, Path, description = "The PO's id"), DueQuery),
    responses(
        (status = 200, description = "What falls due, by date", body = OrganizationDue),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 503, description = "The database is not reachable; try again after `Retry-After` seconds", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule (criterion not of the catalog, practice not of the PO)", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/due")]
async fn get_organization_due(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<DueQuery>,
) -> Result<web::Json<OrganizationDue>, ApiError> {
    let id = OrganizationId(path.into_inner());
    let as_of = query.as_of.unwrap_or_else(today);
    let within = query.within.unwrap_or(pcmh_core::rules::DEFAULT_DUE_WITHIN_DAYS);
    let filter = DueFilter {
        criterion: query.criterion.clone(),
        practice: query.practice_id.map(PracticeId),
    };
    let app = state.clone();
    let items = blocking(move || {
        Ok(kept::organization_due(
            &app.store,
            &app.catalogs,
            id,
            as_of,
            within,
            &filter,
        )?)
    })
    .await?;
    Ok(web::Json(OrganizationDue {
        organization_id: id,
        as_of,
        within,
        items,
    }))
}

/// The months a trend covers.
#[pcmh_core::checks::checked]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// The first day (YYYY-MM-DD); the first day of the month 11 months before `to` if omitted.
    #[check(date)]
    pub from: Option<NaiveDate>,
    /// The last day (YYYY-MM-DD); today if omitted. At most 36 months after `from`'s month.
    #[check(date)]
    pub to: Option<NaiveDate>,
}

/// Month by month, how many practices met each criterion at month end.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationTrend {
    /// The PO.
    pub organization_id: OrganizationId,
    /// The first day asked for.
    pub from: NaiveDate,
    /// The last day asked for.
    pub to: NaiveDate,
    /// How many practices the PO has now; each month counts those that had joined by its end.
    pub practices: usize,
    /// One point per month, oldest first.
    pub months: Vec<TrendPoint>,
}

/// Per month from `from` to `to`, how many practices had each status on each practice-level
/// criterion at month end, and the PO-level criteria's statuses.
#[utoipa::path(
    tag = "organizations",
    operation_id = "get_organization_compliance_trend",
    params(("organization_id" = i64, Path, description = "The PO's id"), TrendQuery),
    responses(
        (status = 200, description = "The trend, month by month", body = OrganizationTrend),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 503, description = "The database is not reachable; try again after `Retry-After` seconds", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule (to before from, more than 36 months)", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/compliance/trend")]
async fn get_organization_compliance_trend(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<TrendQuery>,
) -> Result<web::Json<OrganizationTrend>, ApiError> {
    let id = OrganizationId(path.into_inner());
    let to = query.to.unwrap_or_else(today);
    let from = match query.from {
        Some(from) => from,
        None => to
            .with_day(1)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(11)))
            .unwrap_or(to),
    };
    if to < from {
        return Err(ApiError::invalid(
            "to",
            "not_before_from",
            format!("{to} is before from ({from})"),
        ));
    }
    let months = months_spanned(from, to);
    if months > MAX_TREND_MONTHS {
        return Err(ApiError::invalid(
            "to",
            "max_months",
            format!("{from} to {to} spans {months} months; a trend covers at most {MAX_TREND_MONTHS}"),
        ));
    }
    let app = state.clone();
    let (practices, points) =
        blocking(move || Ok(kept::organization_trend(&app.store, &app.catalogs, id, from, to)?)).await?;
    Ok(web::Json(OrganizationTrend {
        organization_id: id,
        from,
        to,
        practices,
        months: points,
    }))
}

/// Registers the routes of this module.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(get_organization_compliance)
        .service(get_organization_due)
        .service(get_organization_compliance_trend);
}
