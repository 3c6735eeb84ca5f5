//! The practice dashboard: how many criteria are met, what disagrees with the attestation,
//! what falls due, and every criterion with its status in words and color.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use pcmh_core::actions::{compliance, practices};
use pcmh_core::rules::attested::DueWindow;
use pcmh_core::rules::view::{PracticeCompliance, StatusCounts};
use pcmh_core::store::practices::PracticeUpdate;

use super::auth::run;
use super::forms::{Fields, FormErrors, Kind};
use super::{forms, long_date, status_words, Chrome, Posted, Viewer, WebError};
use crate::http::AppState;

/// One criterion's line on the dashboard.
pub struct CriterionLine {
    /// "4.1".
    pub id: String,
    /// Its short title.
    pub title: String,
    /// The computed status in words.
    pub status: &'static str,
    /// The CSS class of that status.
    pub status_class: &'static str,
    /// The attestation in force, in words ("In place since Jun 1, 2026"), or "Not attested".
    pub attestation: String,
    /// Why the attestation and the records disagree, when they do.
    pub disagreement: Option<String>,
    /// Why it needs a new attestation after a catalog upgrade, when it does.
    pub reattest: Option<String>,
    /// The first reason, in plain words.
    pub reason: String,
    /// The next thing due ("Mar 4, 2026: ..."), if any.
    pub next_due: Option<String>,
}

/// One thing due, for the due lists.
pub struct DueLine {
    /// The criterion.
    pub criterion: String,
    /// The day.
    pub due_on: String,
    /// What.
    pub what: String,
}

/// The due lists by window.
pub struct DueLists {
    /// Overdue.
    pub overdue: Vec<DueLine>,
    /// Within 30 days.
    pub within_30: Vec<DueLine>,
    /// In 31 to 60 days.
    pub within_60: Vec<DueLine>,
    /// In 61 to 90 days.
    pub within_90: Vec<DueLine>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    practice_id: i64,
    as_of: String,
    as_of_words: String,
    summary: StatusCounts,
    criteria: Vec<CriterionLine>,
    due: DueLists,
    as_of_error: Option<String>,
    may_write: bool,
    settings: super::forms::Fields,
    settings_errors: super::forms::FormErrors,
}

/// Time zones offered first in the settings (any IANA name is accepted).
pub const COMMON_TIME_ZONES: [&str; 8] = [
    "America/Detroit",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
];

impl DueLists {
    /// Each list with its heading, soonest first.
    pub fn sections(&self) -> Vec<(&'static str, &Vec<DueLine>)> {
        vec![
            ("Overdue", &self.overdue),
            ("Due within 30 days", &self.within_30),
            ("Due in 31 to 60 days", &self.within_60),
            ("Due in 61 to 90 days", &self.within_90),
        ]
    }
}

/// The dashboard's lines from a practice's compliance: disagreements first, then catalog order.
pub fn lines(view: &PracticeCompliance) -> (Vec<CriterionLine>, DueLists) {
    let mut criteria: Vec<CriterionLine> = view
        .criteria
        .iter()
        .map(|c| {
            let (status, status_class) = status_words(c.result.status);
            let attestation = match &c.attestation {
                Some(a) => format!("{} since {}", capitalized(a.status.label()), long_date(a.effective_on)),
                None if c.agreement.status == pcmh_core::rules::attested::AgreementStatus::NotAssessedHere => {
                    "Attested by the PO".to_owned()
                }
                None => "Not attested".to_owned(),
            };
            CriterionLine {
                id: c.result.criterion.to_string(),
                title: c.result.title.clone(),
                status,
                status_class,
                attestation,
                disagreement: c.agreement.disagreement.then(|| c.agreement.reason.clone()),
                reattest: c.reattestation_reason.clone(),
                reason: c.result.reasons.first().cloned().unwrap_or_default(),
                next_due: c
                    .due_windows
                    .first()
                    .map(|d| format!("{}: {}", long_date(d.due_on), d.what)),
            }
        })
        .collect();
    criteria.sort_by_key(|c| c.disagreement.is_none());
    let mut due = DueLists {
        overdue: Vec::new(),
        within_30: Vec::new(),
        within_60: Vec::new(),
        within_90: Vec::new(),
    };
    for c in &view.criteria {
        for d in &c.due_windows {
            let line = DueLine {
                criterion: c.result.criterion.to_string(),
                due_on: long_date(d.due_on),
                what: d.what.clone(),
            };
            match d.window {
                DueWindow::Overdue => due.overdue.push(line),
                DueWindow::Within30Days => due.within_30.push(line),
                DueWindow::Within60Days => due.within_60.push(line),
                DueWindow::Within90Days => due.within_90.push(line),
            }
        }
    }
    (criteria, due)
}

/// "in place" → "In place".
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// The dashboard of practice `id`, as of `?as_of=` or the practice's today.
#[get("/practices/{id}")]
async fn dashboard(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let practice = viewer.practice(&state, path.into_inner()).await?;
    let asked = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "as_of")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty());
    let settings = Fields(vec![
        (
            "initial_focus_population".into(),
            practice.initial_focus_population.clone().unwrap_or_default(),
        ),
        ("time_zone".into(), practice.time_zone.clone()),
    ]);
    render(
        &state,
        &viewer,
        practice,
        asked,
        forms::notice(&req),
        settings,
        FormErrors::default(),
    )
    .await
}

async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    practice: pcmh_core::records::Practice,
    asked: Option<String>,
    notice: Option<String>,
    settings: Fields,
    settings_errors: FormErrors,
) -> Result<HttpResponse, WebError> {
    let (as_of, as_of_error) = match asked.as_deref().map(|v| (v, v.parse::<NaiveDate>())) {
        None => (None, None),
        Some((_, Ok(day))) if pcmh_core::checks::plausible_date(&day).is_ok() => (Some(day), None),
        Some((text, _)) => (
            None,
            Some(format!(
                "{text} is not a day between 1900-01-01 and 2100-12-31 (YYYY-MM-DD); showing today"
            )),
        ),
    };
    let app = state.clone();
    let id = practice.id;
    let view = run(move || {
        Ok(compliance::practice_compliance(
            &app.store,
            &app.catalogs,
            id,
            as_of,
            chrono::Utc::now(),
        )?)
    })
    .await?;
    let (criteria, due) = lines(&view);
    let refused = as_of_error.is_some() || !settings_errors.is_empty();
    let page = DashboardPage {
        chrome: Chrome::practice(viewer, &practice, "", format!("Dashboard · {}", practice.name)).with_notice(notice),
        practice_id: practice.id.0,
        as_of: view.as_of.to_string(),
        as_of_words: long_date(view.as_of),
        summary: view.summary,
        criteria,
        due,
        as_of_error,
        may_write: viewer.may_write(),
        settings,
        settings_errors,
    };
    forms::answer(&page, refused)
}

/// Records the practice's settings: its initial-focus population and its time zone (the API's
/// `update_practice`).
#[post("/practices/{id}/settings")]
async fn save_settings(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let practice = viewer.practice_to_write(&state, path.into_inner()).await?;
    let kinds = [("initial_focus_population", Kind::Text), ("time_zone", Kind::Text)];
    let form: PracticeUpdate = match fields.read(&kinds) {
        Ok(form) => form,
        Err(errors) => return render(&state, &viewer, practice, None, None, fields, errors).await,
    };
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let saved = run(move || forms::outcome(practices::update_practice(&app.store, &actor, id, &form))).await?;
    match saved {
        Ok(saved) => Ok(forms::redirect(
            &format!("/practices/{}", saved.id),
            &format!("Settings saved: time zone {}.", saved.time_zone),
        )),
        Err(errors) => render(&state, &viewer, practice, None, None, fields, errors).await,
    }
}

/// Registers the dashboard.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(dashboard).service(save_settings);
}
