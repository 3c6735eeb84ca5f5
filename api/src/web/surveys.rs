//! Surveys & reports: a practice's survey results and the periodic reports that concern it (its
//! own and its PO's PO-wide ones), with forms to record a survey result and to file a report
//! about the practice, and correcting a survey result: voiding it, or amending it (the form
//! filled in with the result, whose new version replaces it).

use std::collections::BTreeMap;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::actions::surveys as actions;
use pcmh_core::catalog::Vocabulary;
use pcmh_core::ids::{SurveyResultId, Term};
use pcmh_core::records::{Owner, Practice};
use pcmh_core::store::documents::{self, DocumentFilter};
use pcmh_core::store::reports::{self, NewReport, ReportFilter};
use pcmh_core::store::surveys::{self, NewSurvey, SurveyFilter};
use pcmh_core::store::{DateRange, Page};

use super::auth::run;
use super::corrections::{amend_asked, amending, read_replaces, Amending};
use super::forms::{self, Fields, FormErrors, Kind};
use super::staff::Choice;
use super::{long_date, Chrome, Posted, Viewer, WebError};
use crate::http::AppState;

/// The fields the survey form shows.
const SURVEY_FIELDS: [&str; 5] = ["kind", "conducted_on", "respondents", "score", "replaces_reason"];

/// The fields the report form shows.
const REPORT_FIELDS: [&str; 4] = ["report_type", "period_start", "period_end", "document_id"];

/// One survey result, in words.
pub struct SurveyLine {
    /// The result's id.
    pub id: i64,
    /// Its kind.
    pub kind: String,
    /// The last day of the survey.
    pub conducted: String,
    /// How many answered.
    pub respondents: String,
    /// The score in percent.
    pub score: String,
    /// Who voided it, when and why, if it was voided; what it corrects.
    pub corrections: Vec<String>,
    /// Its "Void" form, for a person who may write and a record not voided.
    pub void: Option<super::corrections::VoidForm>,
    /// Whether it may be amended: by a person who may write, and not voided.
    pub amendable: bool,
}

/// One periodic report, in words.
pub struct ReportLine {
    /// Its type.
    pub report_type: String,
    /// "Jan 1, 2026 to Jan 31, 2026".
    pub period: String,
    /// About this practice, or PO-wide.
    pub scope: &'static str,
    /// The document that is the report: its link and title.
    pub document: Option<(String, String)>,
    /// Who voided it, when and why, if it was voided; what it corrects.
    pub corrections: Vec<String>,
}

/// A refused form: what was sent and what is wrong.
#[derive(Default)]
pub struct Refused {
    /// The fields sent.
    pub form: Fields,
    /// The messages.
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "surveys.html")]
struct SurveysPage {
    chrome: Chrome,
    practice_id: i64,
    surveys: Vec<SurveyLine>,
    reports: Vec<ReportLine>,
    may_write: bool,
    survey_kinds: Vec<Choice>,
    report_types: Vec<Choice>,
    documents: Vec<Choice>,
    survey: Refused,
    /// The survey result the survey form amends, when it does.
    amending: Option<Amending>,
    report: Refused,
}

fn choices(list: &BTreeMap<Term, String>) -> Vec<Choice> {
    list.iter()
        .map(|(term, label)| Choice {
            value: term.as_str().to_owned(),
            label: label.clone(),
        })
        .collect()
}

/// Renders the page, with a refused form if there is one.
async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    practice: Practice,
    notice: Option<String>,
    survey: Refused,
    report: Refused,
) -> Result<HttpResponse, WebError> {
    let (app, id) = (state.clone(), practice.id);
    let page = Page { limit: 500, offset: 0 };
    let (found_surveys, found_reports, found_documents, catalog) = run(move || {
        let (s, r, d) = app.store.read(|c| {
            let s = surveys::list(c, id, &SurveyFilter::default(), page)?;
            let r = reports::list_for_practice(c, id, &ReportFilter::default(), page)?;
            let d = documents::list(
                c,
                Owner::Practice(id),
                &DocumentFilter::default(),
                DateRange::default(),
                page,
            )?;
            Ok((s, r, d))
        })?;
        let practice = app.store.read(|c| pcmh_core::store::practices::get(c, id))?;
        let catalog = app.catalog(&practice.catalog_id, &practice.catalog_version)?.clone();
        Ok((s, r, d, catalog))
    })
    .await?;
    let vocabulary = &catalog.vocabulary;
    let titles: BTreeMap<i64, String> = found_documents
        .items
        .iter()
        .map(|d| (d.document.id.0, d.document.title.clone()))
        .collect();
    let mut survey_lines = found_surveys.items;
    survey_lines.sort_by_key(|s| std::cmp::Reverse(s.conducted_on));
    let mut report_lines = found_reports.items;
    report_lines.sort_by_key(|r| std::cmp::Reverse(r.period_start));
    let failed = !survey.errors.is_empty() || !report.errors.is_empty();
    let page = SurveysPage {
        chrome: Chrome::practice(
            viewer,
            &practice,
            "/surveys",
            format!("Surveys & reports · {}", practice.name),
        )
        .with_notice(notice),
        practice_id: practice.id.0,
        surveys: survey_lines
            .iter()
            .map(|s| SurveyLine {
                id: s.id.0,
                kind: Vocabulary::label(&vocabulary.survey_kinds, &s.kind).to_owned(),
                conducted: long_date(s.conducted_on),
                respondents: s.respondents.to_string(),
                score: format!("{}%", s.score),
                corrections: super::corrections::notes("survey result", &s.correction),
                void: super::corrections::void_form(
                    viewer.may_write(),
                    &s.correction,
                    format!("/practices/{}/surveys/{}/void", practice.id, s.id),
                    format!("survey result {}", s.id),
                ),
                amendable: viewer.may_write() && !s.correction.is_voided(),
            })
            .collect(),
        reports: report_lines
            .iter()
            .map(|r| ReportLine {
                report_type: Vocabulary::label(&vocabulary.report_types, &r.report_type).to_owned(),
                period: format!("{} to {}", long_date(r.period_start), long_date(r.period_end)),
                scope: match r.owner {
                    Owner::Practice(_) => "This practice",
                    Owner::Organization(_) => "PO-wide",
                },
                document: r.document_id.map(|d| {
                    (
                        format!("/practices/{}/documents/{}", practice.id, d.0),
                        titles.get(&d.0).cloned().unwrap_or_else(|| format!("Document {d}")),
                    )
                }),
                corrections: super::corrections::notes("report", &r.correction),
            })
            .collect(),
        may_write: viewer.may_write(),
        survey_kinds: choices(&vocabulary.survey_kinds),
        report_types: choices(&vocabulary.report_types),
        documents: found_documents
            .items
            .iter()
            .map(|d| Choice {
                value: d.document.id.0.to_string(),
                label: format!("{} ({})", d.document.title, long_date(d.document.effective_on)),
            })
            .collect(),
        amending: amending("survey result", "add-survey-heading", &survey.form, &survey.errors),
        survey,
        report,
    };
    forms::answer(&page, failed)
}

fn back(practice: &Practice, notice: &str) -> HttpResponse {
    forms::redirect(&format!("/practices/{}/surveys", practice.id), notice)
}

/// The surveys & reports page.
#[get("/practices/{id}/surveys")]
async fn surveys_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let practice = viewer.practice(&state, path.into_inner()).await?;
    let mut query = Fields::parse(req.query_string().as_bytes());
    // Amending: the survey form is filled in with the result, whose new version will replace it.
    let survey = match amend_asked(&mut query) {
        Some(id) if viewer.may_write() => {
            let (app, practice_id) = (state.clone(), practice.id);
            let record = run(move || Ok(app.store.read(|c| surveys::get(c, practice_id, SurveyResultId(id)))?)).await?;
            Refused {
                form: Fields(vec![
                    ("kind".into(), record.kind.to_string()),
                    ("conducted_on".into(), record.conducted_on.to_string()),
                    ("respondents".into(), record.respondents.to_string()),
                    ("score".into(), record.score.to_string()),
                    ("replaces_id".into(), id.to_string()),
                ]),
                errors: FormErrors::default(),
            }
        }
        _ => Refused::default(),
    };
    render(
        &state,
        &viewer,
        practice,
        forms::notice(&req),
        survey,
        Refused::default(),
    )
    .await
}

/// Records a survey result (the API's `create_survey`).
#[post("/practices/{id}/surveys")]
async fn add_survey(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let practice = viewer.practice_to_write(&state, path.into_inner()).await?;
    let kinds = [
        ("kind", Kind::Text),
        ("conducted_on", Kind::Text),
        ("respondents", Kind::Number),
        ("score", Kind::Number),
    ];
    let mut form: NewSurvey = match fields.read(&kinds) {
        Ok(form) => form,
        Err(errors) => {
            let errors = errors.keep_fields(&SURVEY_FIELDS);
            let refused = Refused { form: fields, errors };
            return render(&state, &viewer, practice, None, refused, Refused::default()).await;
        }
    };
    // An amendment names the result it replaces and why; the rest is the form of a new result.
    if let Err(errors) = read_replaces(&fields, "survey result", &mut form.replaces) {
        let refused = Refused { form: fields, errors };
        return render(&state, &viewer, practice, None, refused, Refused::default()).await;
    }
    let amended = form.replaces.as_ref().map(|r| r.id);
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let added = run(move || forms::outcome(actions::add_survey(&app.store, &app.catalogs, &actor, id, &form))).await?;
    match added {
        Ok(survey) => Ok(back(
            &practice,
            &match amended {
                Some(old) => format!(
                    "Survey result {old} was corrected by survey result {}; it stays listed, voided.",
                    survey.id
                ),
                None => format!(
                    "The survey conducted on {} is recorded.",
                    long_date(survey.conducted_on)
                ),
            },
        )),
        Err(errors) => {
            let errors = errors.keep_fields(&SURVEY_FIELDS);
            let refused = Refused { form: fields, errors };
            render(&state, &viewer, practice, None, refused, Refused::default()).await
        }
    }
}

/// Files a periodic report about this practice (the API's `create_report`, for the practice's PO).
#[post("/practices/{id}/reports")]
async fn add_report(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let practice = viewer.practice_to_write(&state, path.into_inner()).await?;
    let mut json = fields.json(&[
        ("report_type", Kind::Text),
        ("period_start", Kind::Text),
        ("period_end", Kind::Text),
        ("document_id", Kind::Number),
    ]);
    if let Some(object) = json.as_object_mut() {
        object.insert("practice_id".into(), practice.id.0.into());
    }
    let form: NewReport = match forms::read_json(&json) {
        Ok(form) => form,
        Err(errors) => {
            let errors = errors.keep_fields(&REPORT_FIELDS);
            let refused = Refused { form: fields, errors };
            return render(&state, &viewer, practice, None, Refused::default(), refused).await;
        }
    };
    let (app, actor) = (state.clone(), viewer.actor(&practice));
    let organization = practice.organization_id;
    let added = run(move || {
        forms::outcome(actions::add_report(
            &app.store,
            &app.catalogs,
            &actor,
            organization,
            &form,
        ))
    })
    .await?;
    match added {
        Ok(report) => Ok(back(
            &practice,
            &format!(
                "The report for {} to {} is filed.",
                long_date(report.period_start),
                long_date(report.period_end)
            ),
        )),
        Err(errors) => {
            let errors = errors.keep_fields(&REPORT_FIELDS);
            let refused = Refused { form: fields, errors };
            render(&state, &viewer, practice, None, Refused::default(), refused).await
        }
    }
}

/// Registers the surveys & reports pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(surveys_page).service(add_survey).service(add_report);
}
