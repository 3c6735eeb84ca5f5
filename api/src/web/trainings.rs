//! Training: the log of completed trainings (newest first, filtered by date, paged), recording
//! one, importing a spreadsheet (CSV) after a preview of every row and its problems, and
//! correcting a mistake: voiding a record with a reason, or amending it (the form filled in
//! with the record, whose new version replaces it).

use std::collections::{BTreeMap, HashSet};

use actix_multipart::Multipart;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use pcmh_core::actions::trainings as actions;
use pcmh_core::catalog::Vocabulary;
use pcmh_core::ids::TrainingId;
use pcmh_core::records::{Practice, Staff, TrainingRecord};
use pcmh_core::store::trainings::{self, ImportRow, Imported, NewTraining, RowError, TrainingFilter};
use pcmh_core::store::voids::Void;
use pcmh_core::store::{staff, DateRange, Listing, Page};

use super::auth::run;
use super::corrections::{amend_asked, amending, read_replaces, Amending};
use super::forms::{self, Fields, FormErrors, Kind};
use super::{long_date, Chrome, Posted, Viewer, WebError};
use crate::http::trainings::{read_import, ImportRefusal, TrainingQuery};
use crate::http::AppState;

/// Records a page of the log shows.
const PAGE_SIZE: i64 = 100;
/// The largest file the page imports (its text travels to the confirm step in a form field);
/// larger files go through the API.
const FILE_LIMIT: usize = 100 * 1024;

/// A choice of a select.
pub struct Choice {
    /// The value sent.
    pub value: String,
    /// The words shown.
    pub label: String,
}

/// One line of the log.
pub struct LogLine {
    id: i64,
    date: String,
    who: String,
    topic: String,
    hours: String,
    trainer: String,
    /// "Voided on DATE by WHO: REASON", for a voided record.
    voided: Option<String>,
    /// "Corrects training N", for a correction.
    replaces: Option<String>,
}

/// What the page knows of the practice: its roster and topic labels.
struct Lookup {
    practice: Practice,
    roster: Vec<Staff>,
    topics: Vec<Choice>,
}

impl Lookup {
    fn name(&self, id: pcmh_core::ids::StaffId) -> String {
        self.roster
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| format!("Staff member {id}"), |s| s.name.clone())
    }

    fn topic(&self, term: &str) -> String {
        self.topics
            .iter()
            .find(|t| t.value == term)
            .map_or_else(|| term.to_owned(), |t| t.label.clone())
    }
}

async fn lookup(state: &web::Data<AppState>, practice: Practice) -> Result<Lookup, WebError> {
    let app = state.clone();
    run(move || {
        let all = Page { limit: 500, offset: 0 };
        let roster = app
            .store
            .read(|c| staff::list(c, practice.id, DateRange::default(), all))?
            .items;
        let catalog = app.catalog(&practice.catalog_id, &practice.catalog_version)?;
        let topics = catalog
            .vocabulary
            .training_topics
            .keys()
            .map(|term| Choice {
                value: term.to_string(),
                label: Vocabulary::label(&catalog.vocabulary.training_topics, term).to_owned(),
            })
            .collect();
        Ok(Lookup {
            practice,
            roster,
            topics,
        })
    })
    .await
}

#[derive(Template)]
#[template(path = "trainings.html")]
struct TrainingsPage {
    chrome: Chrome,
    practice_id: i64,
    may_write: bool,
    staff: Vec<Choice>,
    topics: Vec<Choice>,
    log: Vec<LogLine>,
    shown: String,
    filter: Fields,
    filter_errors: FormErrors,
    previous: Option<String>,
    next: Option<String>,
    /// The training the form amends, when it does.
    amending: Option<Amending>,
    form: Fields,
    errors: FormErrors,
    import_errors: FormErrors,
}

/// What the log shows: the filter as typed, its errors, and the page of records.
struct LogView {
    filter: Fields,
    errors: FormErrors,
    listing: Option<Listing<TrainingRecord>>,
}

async fn read_log(state: &web::Data<AppState>, practice: &Practice, filter: Fields) -> Result<LogView, WebError> {
    let kinds = [("from", Kind::Text), ("to", Kind::Text), ("offset", Kind::Number)];
    let query: TrainingQuery = match filter.read(&kinds) {
        Ok(query) => query,
        Err(errors) => {
            return Ok(LogView {
                filter,
                errors,
                listing: None,
            })
        }
    };
    let list = crate::http::ListQuery {
        limit: None,
        offset: None,
        from: query.from,
        to: query.to,
    };
    let completed = match list.range() {
        Ok(range) => range,
        Err(error) => {
            return Ok(LogView {
                filter,
                errors: error.into(),
                listing: None,
            })
        }
    };
    let trainings_filter = TrainingFilter {
        completed,
        newest_first: true,
        ..TrainingFilter::default()
    };
    let page = Page {
        limit: PAGE_SIZE,
        offset: query.offset.unwrap_or(0),
    };
    let (app, id) = (state.clone(), practice.id);
    let listing = run(move || Ok(app.store.read(|c| trainings::list(c, id, &trainings_filter, page))?)).await?;
    Ok(LogView {
        filter,
        errors: FormErrors::default(),
        listing: Some(listing),
    })
}

/// The log's address at `offset`, keeping the dates asked for.
fn log_link(practice_id: i64, filter: &Fields, offset: i64) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for name in ["from", "to"] {
        if let Some(value) = filter.get(name).filter(|v| !v.is_empty()) {
            query.append_pair(name, value);
        }
    }
    query.append_pair("offset", &offset.to_string());
    format!("/practices/{practice_id}/trainings?{}", query.finish())
}

/// What a render of the page shows besides the log.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    filter: Fields,
    form: Fields,
    errors: FormErrors,
    import_errors: FormErrors,
}

async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    practice: Practice,
    shown: Shown,
) -> Result<HttpResponse, WebError> {
    let log = read_log(state, &practice, shown.filter).await?;
    let look = lookup(state, practice).await?;
    let practice = &look.practice;
    let today = practice.today(chrono::Utc::now());
    let (lines, summary, previous, next) = match &log.listing {
        Some(listing) => {
            let lines = listing
                .items
                .iter()
                .map(|t| LogLine {
                    id: t.id.0,
                    date: long_date(t.completed_on),
                    who: look.name(t.staff_id),
                    topic: look.topic(t.topic.as_str()),
                    hours: format!("{}", t.hours),
                    trainer: t.trainer.clone().unwrap_or_default(),
                    voided: super::corrections::voided_words("training", &t.correction),
                    replaces: super::corrections::replaces_words("training", &t.correction),
                })
                .collect::<Vec<_>>();
            let end = listing.offset + listing.items.len() as i64;
            let summary = if listing.total == 0 {
                "No trainings recorded for these dates.".to_owned()
            } else {
                format!(
                    "Trainings {} to {} of {}, newest first.",
                    listing.offset + 1,
                    end,
                    listing.total
                )
            };
            let previous =
                (listing.offset > 0).then(|| log_link(practice.id.0, &log.filter, (listing.offset - PAGE_SIZE).max(0)));
            let next = (end < listing.total).then(|| log_link(practice.id.0, &log.filter, end));
            (lines, summary, previous, next)
        }
        None => (Vec::new(), "Correct the dates to see the log.".to_owned(), None, None),
    };
    let failed = !log.errors.is_empty() || !shown.errors.is_empty() || !shown.import_errors.is_empty();
    let page = TrainingsPage {
        chrome: Chrome::practice(viewer, practice, "/trainings", format!("Training · {}", practice.name))
            .with_notice(shown.notice),
        practice_id: practice.id.0,
        may_write: viewer.may_write(),
        staff: look
            .roster
            .iter()
            .filter(|s| s.ended_on.is_none_or(|end| end >= today) && !s.correction.is_voided())
            .map(|s| Choice {
                value: s.id.0.to_string(),
                label: s.name.clone(),
            })
            .collect(),
        topics: look.topics,
        log: lines,
        shown: summary,
        filter: log.filter,
        filter_errors: log.errors,
        previous,
        next,
        amending: amending("training", "record-heading", &shown.form, &shown.errors),
        form: shown.form,
        errors: shown.errors,
        import_errors: shown.import_errors,
    };
    forms::answer(&page, failed)
}

/// The training page.
#[get("/practices/{id}/trainings")]
async fn trainings_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let practice = viewer.practice(&state, path.into_inner()).await?;
    let mut filter = Fields::parse(req.query_string().as_bytes());
    filter.take("notice");
    let amend = amend_asked(&mut filter);
    // Amending: the form is filled in with the record, whose new version will replace it.
    let form = match amend {
        Some(id) if viewer.may_write() => {
            let (app, practice_id) = (state.clone(), practice.id);
            let record = run(move || Ok(app.store.read(|c| trainings::get(c, practice_id, TrainingId(id)))?)).await?;
            Fields(vec![
                ("staff_id".into(), record.staff_id.0.to_string()),
                ("topic".into(), record.topic.to_string()),
                ("completed_on".into(), record.completed_on.to_string()),
                ("hours".into(), record.hours.to_string()),
                ("trainer".into(), record.trainer.unwrap_or_default()),
                ("replaces_id".into(), id.to_string()),
            ])
        }
        _ => Fields::default(),
    };
    let shown = Shown {
        notice: forms::notice(&req),
        filter,
        form,
        ..Shown::default()
    };
    render(&state, &viewer, practice, shown).await
}

/// Records a training (the API's `create_training`).
#[post("/practices/{id}/trainings")]
async fn record_training(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let practice = viewer.practice_to_write(&state, path.into_inner()).await?;
    let kinds = [
        ("staff_id", Kind::Number),
        ("topic", Kind::Text),
        ("completed_on", Kind::Text),
        ("hours", Kind::Number),
        ("trainer", Kind::Text),
    ];
    let shown = |errors: FormErrors| Shown {
        form: fields.clone(),
        errors,
        ..Shown::default()
    };
    let mut form: NewTraining = match fields.read(&kinds) {
        Ok(form) => form,
        Err(errors) => return render(&state, &viewer, practice, shown(errors)).await,
    };
    // An amendment names the record it replaces and why; the rest is the form of a new record.
    if let Err(errors) = read_replaces(&fields, "training", &mut form.replaces) {
        return render(&state, &viewer, practice, shown(errors)).await;
    }
    let amended = form.replaces.is_some();
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let recorded =
        run(move || forms::outcome(actions::record_training(&app.store, &app.catalogs, &actor, id, &form))).await?;
    match recorded {
        Ok(_) => Ok(forms::redirect(
            &format!("/practices/{}/trainings", practice.id),
            if amended {
                "The training was corrected; the record it replaces is voided."
            } else {
                "The training was recorded."
            },
        )),
        Err(errors) => render(&state, &viewer, practice, shown(errors.keep_fields(&FORM_FIELDS))).await,
    }
}

/// The fields the record form shows, beside which their messages appear.
const FORM_FIELDS: [&str; 6] = [
    "staff_id",
    "topic",
    "completed_on",
    "hours",
    "trainer",
    "replaces_reason",
];

/// Voids a training entered by mistake, with a reason (the API's `void_training`).
#[post("/practices/{id}/trainings/{training_id}/void")]
async fn void_training(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let (practice_id, training) = path.into_inner();
    let practice = viewer.practice_to_write(&state, practice_id).await?;
    let why = Void {
        reason: fields.get("reason").unwrap_or_default().to_owned(),
    };
    let refused = |message: String| Shown {
        errors: FormErrors::general(message),
        ..Shown::default()
    };
    if validator::Validate::validate(&why).is_err() {
        let message = format!("Training {training} was not voided: say why (at most 500 characters).");
        return render(&state, &viewer, practice, refused(message)).await;
    }
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let voided = run(move || {
        forms::outcome(actions::void_training(
            &app.store,
            &actor,
            id,
            TrainingId(training),
            &why,
        ))
    })
    .await?;
    match voided {
        Ok(_) => Ok(forms::redirect(
            &format!("/practices/{}/trainings", practice.id),
            "The training was voided: it stays in the log, and no longer counts.",
        )),
        Err(errors) => {
            let mut messages: Vec<String> = errors.general;
            messages.extend(errors.fields.into_values());
            let message = format!("Training {training} was not voided: {}", messages.join("; "));
            render(&state, &viewer, practice, refused(message)).await
        }
    }
}

/// One line of an import's preview.
pub struct PreviewLine {
    line: u64,
    who: String,
    topic: String,
    date: String,
    hours: String,
    trainer: String,
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "trainings_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    practice_id: i64,
    lines: Vec<PreviewLine>,
    refused: usize,
    good: usize,
    content: String,
}

/// The text of an import file as it travels to the confirm step: hexadecimal, so that no
/// browser changes its line breaks.
fn to_hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(hex: &str) -> Option<String> {
    let bytes = hex.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    let decoded: Option<Vec<u8>> = bytes
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect();
    String::from_utf8(decoded?).ok()
}

/// Checks an import file: the page's problems with the whole file, or its preview (and, when
/// every row is good, the rows to write).
async fn check_file(
    state: &web::Data<AppState>,
    practice: &Practice,
    text: &str,
) -> Result<Result<(Vec<ImportRow>, Vec<RowError>), FormErrors>, WebError> {
    let (rows, mut problems) = match read_import(text) {
        Ok(read) => read,
        Err(ImportRefusal::Malformed(error)) => return Ok(Err(file_error(error.body().error.message))),
        Err(ImportRefusal::Header(fields)) => {
            let messages: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
            return Ok(Err(file_error(messages.join("; "))));
        }
    };
    let (app, id, checked) = (state.clone(), practice.id, rows.clone());
    problems.extend(run(move || Ok(actions::check_import(&app.store, &app.catalogs, id, &checked)?)).await?);
    problems.sort_by_key(|p| p.line);
    Ok(Ok((rows, problems)))
}

fn file_error(message: String) -> FormErrors {
    let mut errors = FormErrors::default();
    errors.fields.insert("file".into(), message);
    errors
}

/// Shows the preview of an import: every row with its problems, and the confirm button when
/// there are none (200), or without it (422).
async fn preview(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    practice: Practice,
    text: &str,
    rows: Vec<ImportRow>,
    problems: Vec<RowError>,
) -> Result<HttpResponse, WebError> {
    let look = lookup(state, practice).await?;
    let mut lines: BTreeMap<u64, PreviewLine> = BTreeMap::new();
    for row in &rows {
        lines.insert(
            row.line,
            PreviewLine {
                line: row.line,
                who: row.staff_name.clone().unwrap_or_else(|| look.name(row.form.staff_id)),
                topic: look.topic(row.form.topic.as_str()),
                date: long_date(row.form.completed_on),
                hours: format!("{}", row.form.hours),
                trainer: row.form.trainer.clone().unwrap_or_default(),
                problems: Vec::new(),
            },
        );
    }
    let mut refused: HashSet<u64> = HashSet::new();
    for p in &problems {
        refused.insert(p.line);
        let line = lines.entry(p.line).or_insert_with(|| PreviewLine {
            line: p.line,
            who: String::new(),
            topic: String::new(),
            date: String::new(),
            hours: String::new(),
            trainer: String::new(),
            problems: Vec::new(),
        });
        line.problems
            .push(format!("line {}: {}: {}", p.line, p.field, p.message));
    }
    let practice = &look.practice;
    let page = PreviewPage {
        chrome: Chrome::practice(
            viewer,
            practice,
            "/trainings",
            format!("Import preview · {}", practice.name),
        ),
        practice_id: practice.id.0,
        refused: refused.len(),
        good: rows.len(),
        lines: lines.into_values().collect(),
        content: to_hex(text),
    };
    if problems.is_empty() {
        forms::ok(&page)
    } else {
        forms::refused(&page)
    }
}

/// Reads the upload form: its CSRF token and the file's text (or what is wrong with it).
async fn receive_upload(mut multipart: Multipart) -> Result<(String, Result<String, String>), WebError> {
    let (mut token, mut file) = (String::new(), None);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| WebError::from(crate::http::documents::multipart_failure(e)))?;
        let name = field.name().unwrap_or_default().to_owned();
        let (mut bytes, mut too_large) = (Vec::new(), false);
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| WebError::from(crate::http::documents::multipart_failure(e)))?;
            if bytes.len() + chunk.len() > FILE_LIMIT {
                too_large = true;
            } else if !too_large {
                bytes.extend_from_slice(&chunk);
            }
        }
        if too_large && name == "file" {
            file = Some(Err(format!(
                "the file is larger than {} KiB, the most this page imports; send larger files through the API",
                FILE_LIMIT / 1024
            )));
            continue;
        }
        match name.as_str() {
            "csrf_token" => token = String::from_utf8(bytes).unwrap_or_default(),
            "file" if file.is_none() => {
                file = Some(match String::from_utf8(bytes) {
                    Ok(text) if text.trim().is_empty() => Err("choose a CSV file to import".to_owned()),
                    Ok(text) => Ok(text),
                    Err(e) => Err(format!("the file is not UTF-8 text: {e}")),
                });
            }
            _ => {}
        }
    }
    Ok((
        token,
        file.unwrap_or_else(|| Err("choose a CSV file to import".to_owned())),
    ))
}

/// Previews an import (multipart: the CSV file and the CSRF token); nothing is written.
#[post("/practices/{id}/trainings/import")]
async fn import_preview(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    if !super::auth::same_origin(&req) {
        return Err(WebError::Csrf);
    }
    // Access first: an auditor or another practice's manager learns nothing from the body.
    let practice = viewer.practice_to_write(&state, path.into_inner()).await?;
    let multipart = Multipart::new(req.headers(), payload);
    let (sent, file) = receive_upload(multipart).await?;
    if !super::auth::same_token(&sent, &viewer.csrf) {
        return Err(WebError::Csrf);
    }
    let refuse = |errors: FormErrors| Shown {
        import_errors: errors,
        ..Shown::default()
    };
    let text = match file {
        Ok(text) => text,
        Err(message) => return render(&state, &viewer, practice, refuse(file_error(message))).await,
    };
    match check_file(&state, &practice, &text).await? {
        Ok((rows, problems)) => preview(&state, &viewer, practice, &text, rows, problems).await,
        Err(errors) => render(&state, &viewer, practice, refuse(errors)).await,
    }
}

/// Writes an import previewed without problems, checking it all again (all or nothing).
#[post("/practices/{id}/trainings/import/confirm")]
async fn import_confirm(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let practice = viewer.practice_to_write(&state, path.into_inner()).await?;
    let refuse = |message: &str| Shown {
        import_errors: file_error(message.to_owned()),
        ..Shown::default()
    };
    let Some(text) = fields.get("content").and_then(from_hex) else {
        return render(
            &state,
            &viewer,
            practice,
            refuse("the previewed file was not sent back; upload it again"),
        )
        .await;
    };
    let (rows, problems) = match check_file(&state, &practice, &text).await? {
        Ok(read) => read,
        Err(errors) => {
            return render(
                &state,
                &viewer,
                practice,
                Shown {
                    import_errors: errors,
                    ..Shown::default()
                },
            )
            .await
        }
    };
    if !problems.is_empty() {
        return preview(&state, &viewer, practice, &text, rows, problems).await;
    }
    let (app, actor, id, written) = (state.clone(), viewer.actor(&practice), practice.id, rows.clone());
    let outcome = run(move || {
        Ok(actions::import_trainings(
            &app.store,
            &app.catalogs,
            &actor,
            id,
            &written,
        )?)
    })
    .await?;
    match outcome {
        Imported::Written(records) => Ok(forms::redirect(
            &format!("/practices/{}/trainings", practice.id),
            &format!("{} trainings were imported.", records.len()),
        )),
        Imported::Refused(problems) => preview(&state, &viewer, practice, &text, rows, problems).await,
    }
}

/// Registers the training pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(trainings_page)
        .service(record_training)
        .service(void_training)
        .service(import_preview)
        .service(import_confirm);
}
