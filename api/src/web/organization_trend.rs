//! The PO's trend: per month end, how many practices met each practice-level criterion and the
//! share of all practice × criterion assessments met, drawn on the server as inline SVG (no
//! chart library) with the numbers in a table beside it. The same core view as the API's
//! `/organizations/{id}/compliance/trend`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use pcmh_core::actions::kept;
use pcmh_core::rules::organization::{months_spanned, TrendPoint, MAX_TREND_MONTHS};

use super::auth::run;
use super::forms::{self, FormErrors};
use super::{long_date, status_words, Chrome, Viewer, WebError};
use crate::http::AppState;

/// The chart's drawing area, in SVG units.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const SMALL_WIDTH: f64 = 180.0;
const SMALL_HEIGHT: f64 = 60.0;

/// One bar of a chart.
pub struct Bar {
    /// Its left edge.
    pub x: String,
    /// Its top.
    pub y: String,
    /// Its width.
    pub width: String,
    /// Its height.
    pub height: String,
    /// What it shows, for its tooltip.
    pub title: String,
    /// The month label under it (the main chart only), and where.
    pub label: Option<(String, String)>,
}

/// One criterion's small chart and counts.
pub struct SmallMultiple {
    /// "4.1".
    pub criterion: String,
    /// "4.1: practices meeting it, Jan 2026 to Dec 2026: 1 of 3, ..." for screen readers.
    pub label: String,
    /// The bars.
    pub bars: Vec<Bar>,
}

/// One month of the table.
pub struct MonthLine {
    /// "2026-03".
    pub month: String,
    /// "Mar 31, 2026".
    pub as_of: String,
    /// Practices that had joined.
    pub practices: usize,
    /// "62%".
    pub overall: String,
    /// Per criterion, "2 of 3".
    pub cells: Vec<String>,
    /// Per PO-level criterion, status words and class.
    pub po: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "organization_trend.html")]
struct TrendPage {
    chrome: Chrome,
    organization_id: i64,
    from: String,
    to: String,
    errors: FormErrors,
    period: String,
    chart_label: String,
    bars: Vec<Bar>,
    gridlines: Vec<(String, String)>,
    small: Vec<SmallMultiple>,
    criteria: Vec<String>,
    po_criteria: Vec<String>,
    months: Vec<MonthLine>,
}

/// The share of practice × criterion assessments met at one month end (0 to 1), not applicable
/// ones left out.
fn overall(point: &TrendPoint) -> f64 {
    let (met, counted) = point.criteria.iter().fold((0usize, 0usize), |(m, n), t| {
        let c = &t.counts;
        (m + c.met, n + c.met + c.partially_met + c.not_met)
    });
    if counted == 0 {
        0.0
    } else {
        met as f64 / counted as f64
    }
}

fn month_words(point: &TrendPoint) -> String {
    point.as_of.format("%b %Y").to_string()
}

/// Bars for `values` (0 to 1) across `width` × `height`, starting at `left`.
fn bars(values: &[(f64, String)], left: f64, width: f64, height: f64) -> Vec<Bar> {
    let n = values.len().max(1) as f64;
    let slot = width / n;
    values
        .iter()
        .enumerate()
        .map(|(i, (v, title))| {
            let h = (v.clamp(0.0, 1.0) * height).max(if *v > 0.0 { 1.0 } else { 0.0 });
            let x = left + i as f64 * slot + slot * 0.15;
            Bar {
                x: format!("{x:.1}"),
                y: format!("{:.1}", height - h),
                width: format!("{:.1}", slot * 0.7),
                height: format!("{h:.1}"),
                title: title.clone(),
                label: None,
            }
        })
        .collect()
}

/// The period asked for, as the API reads it; errors beside `from` and `to`.
fn period(query: &str) -> (String, String, Result<(NaiveDate, NaiveDate), FormErrors>) {
    let get = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().chars().take(20).collect::<String>())
            .unwrap_or_default()
    };
    let (from_text, to_text) = (get("from"), get("to"));
    let mut errors = FormErrors::default();
    let mut day = |name: &str, text: &str| -> Option<NaiveDate> {
        if text.is_empty() {
            return None;
        }
        match text.parse::<NaiveDate>() {
            Ok(d) if pcmh_core::checks::plausible_date(&d).is_ok() => Some(d),
            _ => {
                errors.fields.insert(
                    name.into(),
                    format!("{text} is not a day between 1900-01-01 and 2100-12-31 (YYYY-MM-DD)"),
                );
                None
            }
        }
    };
    let to = day("to", &to_text).unwrap_or_else(|| chrono::Utc::now().date_naive());
    let from = day("from", &from_text).unwrap_or_else(|| {
        to.with_day(1)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(11)))
            .unwrap_or(to)
    });
    if errors.is_empty() && to < from {
        errors
            .fields
            .insert("to".into(), format!("{to} is before from ({from})"));
    }
    let months = months_spanned(from, to);
    if errors.is_empty() && months > MAX_TREND_MONTHS {
        errors.fields.insert(
            "to".into(),
            format!("{from} to {to} spans {months} months; a trend covers at most {MAX_TREND_MONTHS}"),
        );
    }
    let shown_from = if from_text.is_empty() {
        from.to_string()
    } else {
        from_text
    };
    let shown_to = if to_text.is_empty() { to.to_string() } else { to_text };
    let result = if errors.is_empty() { Ok((from, to)) } else { Err(errors) };
    (shown_from, shown_to, result)
}

/// The trend page.
#[get("/organizations/{id}/trend")]
async fn trend_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let organization = viewer.organization(&state, path.into_inner()).await?;
    let (from_text, to_text, asked) = period(req.query_string());
    let (points, errors) = match asked {
        Ok((from, to)) => {
            let (app, id) = (state.clone(), organization.id);
            let (_, points) =
                run(move || Ok(kept::organization_trend(&app.store, &app.catalogs, id, from, to)?)).await?;
            (points, FormErrors::default())
        }
        Err(errors) => (Vec::new(), errors),
    };
    let failed = !errors.is_empty();
    let mut page = render(&viewer, &organization, from_text, to_text, errors, &points);
    page.chrome = page.chrome.with_notice(forms::notice(&req));
    forms::answer(&page, failed)
}

fn render(
    viewer: &Viewer,
    organization: &pcmh_core::records::Organization,
    from: String,
    to: String,
    errors: FormErrors,
    points: &[TrendPoint],
) -> TrendPage {
    let mut criteria: Vec<String> = Vec::new();
    let mut po_criteria: Vec<String> = Vec::new();
    for p in points {
        for t in &p.criteria {
            if !criteria.contains(&t.criterion.to_string()) {
                criteria.push(t.criterion.to_string());
            }
        }
        for s in &p.organization {
            if !po_criteria.contains(&s.criterion.to_string()) {
                po_criteria.push(s.criterion.to_string());
            }
        }
    }
    let period = match (points.first(), points.last()) {
        (Some(a), Some(b)) => format!("{} to {}", month_words(a), month_words(b)),
        _ => "no month".to_owned(),
    };
    let values: Vec<(f64, String)> = points
        .iter()
        .map(|p| {
            let v = overall(p);
            (v, format!("{}: {:.0}% met", month_words(p), v * 100.0))
        })
        .collect();
    let mut main = bars(&values, LEFT, WIDTH - LEFT, HEIGHT);
    for (bar, p) in main.iter_mut().zip(points) {
        let x: f64 = bar.x.parse().unwrap_or(0.0) + bar.width.parse::<f64>().unwrap_or(0.0) / 2.0;
        bar.label = Some((format!("{x:.1}"), p.as_of.format("%b %y").to_string()));
    }
    let chart_label = format!(
        "Share of practice-level criteria met across the PO's practices, {period}: {}",
        values.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("; ")
    );
    let small = criteria
        .iter()
        .map(|c| {
            let values: Vec<(f64, String)> = points
                .iter()
                .map(|p| {
                    let met = p
                        .criteria
                        .iter()
                        .find(|t| t.criterion.to_string() == *c)
                        .map_or(0, |t| t.counts.met);
                    let share = if p.practices == 0 {
                        0.0
                    } else {
                        met as f64 / p.practices as f64
                    };
                    (share, format!("{}: {met} of {}", month_words(p), p.practices))
                })
                .collect();
            SmallMultiple {
                criterion: c.clone(),
                label: format!(
                    "{c}: practices meeting it, {period}: {}",
                    values.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("; ")
                ),
                bars: bars(&values, 0.0, SMALL_WIDTH, SMALL_HEIGHT),
            }
        })
        .collect();
    let months = points
        .iter()
        .map(|p| MonthLine {
            month: p.month.clone(),
            as_of: long_date(p.as_of),
            practices: p.practices,
            overall: format!("{:.0}%", overall(p) * 100.0),
            cells: criteria
                .iter()
                .map(|c| {
                    let met = p
                        .criteria
                        .iter()
                        .find(|t| t.criterion.to_string() == *c)
                        .map_or(0, |t| t.counts.met);
                    format!("{met} of {}", p.practices)
                })
                .collect(),
            po: po_criteria
                .iter()
                .map(|c| {
                    p.organization
                        .iter()
                        .find(|s| s.criterion.to_string() == *c)
                        .map_or(("Not assessed", "status-na"), |s| status_words(s.status))
                })
                .collect(),
        })
        .collect();
    TrendPage {
        chrome: Chrome::organization(viewer, organization, "/trend", format!("Trend · {}", organization.name)),
        organization_id: organization.id.0,
        from,
        to,
        errors,
        period,
        chart_label,
        bars: main,
        gridlines: [0.0, 0.25, 0.5, 0.75, 1.0]
            .iter()
            .map(|v| (format!("{:.1}", HEIGHT - v * HEIGHT), format!("{:.0}%", v * 100.0)))
            .collect(),
        small,
        criteria,
        po_criteria,
        months,
    }
}

/// Registers the pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(trend_page);
}
