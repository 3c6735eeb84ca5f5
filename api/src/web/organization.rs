//! The PO dashboard: the matrix of practices × practice-level criteria (filtered, sorted and
//! paged on the server so that it stays small at 1,000 practices), the counts per criterion and
//! per practice, the PO-level criteria beside the PO's own attestations, and the same rows as a
//! CSV or XLSX download.

use std::time::Instant;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use pcmh_core::actions::organizations;
use pcmh_core::catalog::Scope;
use pcmh_core::records::{day_in, Organization};
use pcmh_core::rules::attested::AgreementStatus;
use pcmh_core::rules::view::{MatrixCell, OrganizationCompliance, PracticeRow};
use pcmh_core::rules::Status;
use pcmh_core::store::{practices, Page};

use super::auth::run;
use super::dashboard::capitalized;
use super::{forms, long_date, status_words, Chrome, Viewer, WebError};
use crate::http::AppState;

/// Rows of the matrix on one page.
pub const PAGE_ROWS: usize = 50;

/// The time zone of a PO's today when it has no practice to take one from.
pub const DEFAULT_TIME_ZONE: &str = "America/Detroit";

/// The statuses a cell can be filtered by: (value, words).
pub const STATUS_FILTERS: [(&str, &str); 6] = [
    ("met", "Met"),
    ("partially_met", "Partially met"),
    ("not_met", "Not met"),
    ("not_applicable", "Not applicable"),
    ("disagrees", "Disagrees with the attestation"),
    ("reattest", "Needs a new attestation"),
];

/// How the rows can be sorted: (value, words).
pub const SORTS: [(&str, &str); 3] = [
    ("name", "Practice name"),
    ("met_desc", "Most criteria met first"),
    ("met_asc", "Fewest criteria met first"),
];

/// What the matrix's GET form asks for; anything unreadable is reported beside its field and
/// otherwise ignored.
#[derive(Debug, Clone, Default)]
pub struct MatrixQuery {
    /// `as_of` as typed.
    pub as_of: String,
    /// Practice name contains (any case).
    pub name: String,
    /// One criterion's column only, e.g. "4.1".
    pub criterion: String,
    /// A cell status (see [`STATUS_FILTERS`]).
    pub status: String,
    /// See [`SORTS`].
    pub sort: String,
    /// The page, from 1.
    pub page: usize,
}

impl MatrixQuery {
    /// The query of a request.
    pub fn read(query: &str) -> Self {
        let mut out = MatrixQuery {
            page: 1,
            ..Default::default()
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim().to_owned();
            match key.as_ref() {
                "as_of" => out.as_of = value,
                "name" => out.name = value.chars().take(200).collect(),
                "criterion" => out.criterion = value.chars().take(20).collect(),
                "status" => out.status = value,
                "sort" => out.sort = value,
                "page" => out.page = value.parse().unwrap_or(1).max(1),
                _ => {}
            }
        }
        if !STATUS_FILTERS.iter().any(|(v, _)| *v == out.status) {
            out.status.clear();
        }
        if !SORTS.iter().any(|(v, _)| *v == out.sort) {
            out.sort = "name".into();
        }
        out
    }

    /// The query string of these filters (without the page), for links.
    pub fn filters(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("as_of", &self.as_of),
            ("name", &self.name),
            ("criterion", &self.criterion),
            ("status", &self.status),
            ("sort", &self.sort),
        ] {
            let default = key == "sort" && value == "name";
            if !value.is_empty() && !default {
                out.append_pair(key, value);
            }
        }
        out.finish()
    }

    /// The query string of page `page` of these filters.
    pub fn page_link(&self, page: usize) -> String {
        let filters = self.filters();
        if filters.is_empty() {
            format!("page={page}")
        } else {
            format!("{filters}&page={page}")
        }
    }
}

/// The day asked for, or the error to show beside the field.
fn asked_day(text: &str) -> (Option<NaiveDate>, Option<String>) {
    if text.is_empty() {
        return (None, None);
    }
    match text.parse::<NaiveDate>() {
        Ok(day) if pcmh_core::checks::plausible_date(&day).is_ok() => (Some(day), None),
        _ => (
            None,
            Some(format!(
                "{text} is not a day between 1900-01-01 and 2100-12-31 (YYYY-MM-DD); showing today"
            )),
        ),
    }
}

/// A practice-level criterion: a column.
#[derive(Debug, Clone)]
pub struct Column {
    /// "4.1".
    pub id: String,
    /// Its title.
    pub title: String,
}

/// The rows that pass the filters, sorted, and the columns shown.
pub struct Selection<'a> {
    /// Every practice-level criterion.
    pub all_columns: Vec<Column>,
    /// The columns shown (one when a criterion is chosen).
    pub columns: Vec<Column>,
    /// The rows, with their counts over every practice-level criterion.
    pub rows: Vec<(&'a PracticeRow, Counts)>,
    /// The error of the criterion field, when it names no criterion of the matrix.
    pub criterion_error: Option<String>,
}

/// A practice's counts over the practice-level criteria.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Met.
    pub met: usize,
    /// Partially met.
    pub partially_met: usize,
    /// Not met.
    pub not_met: usize,
    /// Disagreeing with their attestation.
    pub disagreements: usize,
}

fn cell_is(cell: &MatrixCell, status: &str) -> bool {
    match status {
        "met" => cell.status == Status::Met,
        "partially_met" => cell.status == Status::PartiallyMet,
        "not_met" => cell.status == Status::NotMet,
        "not_applicable" => cell.status == Status::NotApplicable,
        "disagrees" => cell.agreement == AgreementStatus::Disagrees,
        "reattest" => cell.needs_reattestation,
        _ => true,
    }
}

/// Applies the filters and the sort of `query` to the matrix (before any paging).
pub fn select<'a>(
    view: &'a OrganizationCompliance,
    catalogs: &pcmh_core::catalog::CatalogSet,
    query: &MatrixQuery,
) -> Selection<'a> {
    let po_catalog = catalogs.named(&view.catalog_id, &view.catalog_version).ok();
    let all_columns: Vec<Column> = view
        .criteria
        .iter()
        .filter_map(|tally| {
            let known = po_catalog.and_then(|c| c.criterion(&tally.criterion));
            match known {
                Some(c) if c.scope == Scope::PhysicianOrganization => None,
                Some(c) => Some(Column {
                    id: c.id.to_string(),
                    title: c.title.clone(),
                }),
                None => Some(Column {
                    id: tally.criterion.to_string(),
                    title: String::new(),
                }),
            }
        })
        .collect();
    let (columns, criterion_error) = if query.criterion.is_empty() {
        (all_columns.clone(), None)
    } else if let Some(c) = all_columns.iter().find(|c| c.id == query.criterion) {
        (vec![c.clone()], None)
    } else {
        (
            all_columns.clone(),
            Some(format!(
                "{} is not a practice-level criterion of this PO's matrix; showing every criterion",
                query.criterion
            )),
        )
    };
    let practice_level = |cell: &&MatrixCell| all_columns.iter().any(|c| c.id == cell.criterion.as_str());
    let name = query.name.to_lowercase();
    let mut rows: Vec<(&PracticeRow, Counts)> = view
        .practices
        .iter()
        .filter(|row| name.is_empty() || row.practice.name.to_lowercase().contains(&name))
        .filter(|row| {
            query.status.is_empty()
                || row
                    .criteria
                    .iter()
                    .filter(|cell| columns.iter().any(|c| c.id == cell.criterion.as_str()))
                    .any(|cell| cell_is(cell, &query.status))
        })
        .map(|row| {
            let mut counts = Counts::default();
            for cell in row.criteria.iter().filter(practice_level) {
                match cell.status {
                    Status::Met => counts.met += 1,
                    Status::PartiallyMet => counts.partially_met += 1,
                    Status::NotMet => counts.not_met += 1,
                    Status::NotApplicable => {}
                }
                counts.disagreements += usize::from(cell.agreement == AgreementStatus::Disagrees);
            }
            (row, counts)
        })
        .collect();
    let by_name = |a: &(&PracticeRow, Counts), b: &(&PracticeRow, Counts)| {
        a.0.practice
            .name
            .to_lowercase()
            .cmp(&b.0.practice.name.to_lowercase())
            .then(a.0.practice.id.0.cmp(&b.0.practice.id.0))
    };
    match query.sort.as_str() {
        "met_desc" => rows.sort_by(|a, b| b.1.met.cmp(&a.1.met).then_with(|| by_name(a, b))),
        "met_asc" => rows.sort_by(|a, b| a.1.met.cmp(&b.1.met).then_with(|| by_name(a, b))),
        _ => rows.sort_by(by_name),
    }
    Selection {
        all_columns,
        columns,
        rows,
        criterion_error,
    }
}

/// The cell of `row` on criterion `id`, if its catalog version has it.
fn cell_of<'a>(row: &'a PracticeRow, id: &str) -> Option<&'a MatrixCell> {
    row.criteria.iter().find(|c| c.criterion.as_str() == id)
}

/// A status in a cell's few letters (the full word is there for screen readers and the title).
fn short_word(status: Status) -> &'static str {
    match status {
        Status::Met => "Met",
        Status::PartiallyMet => "Part",
        Status::NotMet => "Not",
        Status::NotApplicable => "N/A",
    }
}

/// One cell as the page shows it.
pub struct CellLine {
    /// The criterion, for the link.
    pub criterion: String,
    /// "Met", "Part", "Not", "N/A"; empty when the practice's catalog version lacks it.
    pub short: &'static str,
    /// The status in words.
    pub words: &'static str,
    /// Its color class.
    pub class: &'static str,
    /// The attestation disagrees.
    pub disagrees: bool,
    /// The attestation must be renewed.
    pub reattest: bool,
}

/// One practice's row as the page shows it.
pub struct RowLine {
    /// The practice's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its cells, one per column shown.
    pub cells: Vec<CellLine>,
    /// Its counts.
    pub counts: Counts,
}

/// One column's counts over the rows that pass the filters.
pub struct ColumnCounts {
    /// Met.
    pub met: usize,
    /// Partially met.
    pub partially_met: usize,
    /// Not met.
    pub not_met: usize,
    /// Disagreeing.
    pub disagreements: usize,
}

/// One PO-level criterion beside the PO's attestation.
pub struct OrganizationLine {
    /// "4.24".
    pub id: String,
    /// Its title.
    pub title: String,
    /// The status in words.
    pub status: &'static str,
    /// Its color class.
    pub status_class: &'static str,
    /// The PO's attestation in words.
    pub attestation: String,
    /// Why they disagree, when they do.
    pub disagreement: Option<String>,
    /// Why it needs a new attestation, when it does.
    pub reattest: Option<String>,
    /// The first reason.
    pub reason: String,
}

#[derive(Template)]
#[template(path = "organization.html")]
struct MatrixPage {
    chrome: Chrome,
    organization_id: i64,
    query: MatrixQuery,
    as_of: String,
    as_of_words: String,
    time_zone_note: String,
    as_of_error: Option<String>,
    criterion_error: Option<String>,
    all_columns: Vec<Column>,
    columns: Vec<Column>,
    column_counts: Vec<ColumnCounts>,
    rows: Vec<RowLine>,
    total_practices: usize,
    shown: usize,
    first: usize,
    last: usize,
    previous: Option<String>,
    next: Option<String>,
    filters: String,
    organization_criteria: Vec<OrganizationLine>,
}

/// 1234 → "1,234".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// The PO's today and where its time zone comes from.
fn organization_today(state: &AppState, organization: &Organization) -> Result<(NaiveDate, String), WebError> {
    let first = state
        .store
        .read(|c| practices::list(c, organization.id, Page { limit: 1, offset: 0 }))?;
    let (zone, whose) = match first.items.first() {
        Some(p) => (
            p.time_zone.clone(),
            format!("the time zone of {}, its first practice", p.name),
        ),
        None => (DEFAULT_TIME_ZONE.to_owned(), "the PO has no practice yet".to_owned()),
    };
    Ok((day_in(&zone, chrono::Utc::now()), format!("{zone} ({whose})")))
}

/// The PO's matrix as of the day asked for, or its today, read from the kept evaluations.
async fn compute(
    state: &web::Data<AppState>,
    organization: &Organization,
    query: &MatrixQuery,
) -> Result<(OrganizationCompliance, String, Option<String>, std::time::Duration), WebError> {
    let (asked, as_of_error) = asked_day(&query.as_of);
    let (app, organization) = (state.clone(), organization.clone());
    run(move || {
        let (today, zone) = organization_today(&app, &organization)?;
        let started = Instant::now();
        let view =
            organizations::organization_compliance(&app.store, &app.catalogs, organization.id, asked.unwrap_or(today))?;
        Ok((view, zone, as_of_error, started.elapsed()))
    })
    .await
}

/// The page's lines for the PO-level criteria.
fn organization_lines(view: &OrganizationCompliance) -> Vec<OrganizationLine> {
    view.organization_criteria
        .iter()
        .map(|c| {
            let (status, status_class) = status_words(c.result.status);
            OrganizationLine {
                id: c.result.criterion.to_string(),
                title: c.result.title.clone(),
                status,
                status_class,
                attestation: match &c.attestation {
                    Some(a) => format!(
                        "{} since {}, signed by {}",
                        capitalized(a.status.label()),
                        long_date(a.effective_on),
                        a.signer
                    ),
                    None => "Not attested".to_owned(),
                },
                disagreement: c.agreement.disagreement.then(|| c.agreement.reason.clone()),
                reattest: c.reattestation_reason.clone(),
                reason: c.result.reasons.first().cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// The page's rows for `rows` (one page of the selection).
fn row_lines(rows: &[(&PracticeRow, Counts)], columns: &[Column]) -> Vec<RowLine> {
    rows.iter()
        .map(|(row, counts)| RowLine {
            id: row.practice.id.0,
            name: row.practice.name.clone(),
            counts: *counts,
            cells: columns
                .iter()
                .map(|column| match cell_of(row, &column.id) {
                    Some(cell) => {
                        let (words, class) = status_words(cell.status);
                        CellLine {
                            criterion: column.id.clone(),
                            short: short_word(cell.status),
                            words,
                            class,
                            disagrees: cell.agreement == AgreementStatus::Disagrees,
                            reattest: cell.needs_reattestation,
                        }
                    }
                    None => CellLine {
                        criterion: column.id.clone(),
                        short: "",
                        words: "Not in its catalog version",
                        class: "",
                        disagrees: false,
                        reattest: false,
                    },
                })
                .collect(),
        })
        .collect()
}

/// The counts of each shown column over every row that passes the filters.
fn column_counts(rows: &[(&PracticeRow, Counts)], columns: &[Column]) -> Vec<ColumnCounts> {
    columns
        .iter()
        .map(|column| {
            let mut counts = ColumnCounts {
                met: 0,
                partially_met: 0,
                not_met: 0,
                disagreements: 0,
            };
            for cell in rows.iter().filter_map(|(row, _)| cell_of(row, &column.id)) {
                match cell.status {
                    Status::Met => counts.met += 1,
                    Status::PartiallyMet => counts.partially_met += 1,
                    Status::NotMet => counts.not_met += 1,
                    Status::NotApplicable => {}
                }
                counts.disagreements += usize::from(cell.agreement == AgreementStatus::Disagrees);
            }
            counts
        })
        .collect()
}

/// The PO dashboard.
#[get("/organizations/{id}")]
async fn matrix(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let organization = viewer.organization(&state, path.into_inner()).await?;
    let mut query = MatrixQuery::read(req.query_string());
    let (view, zone, as_of_error, computed) = compute(&state, &organization, &query).await?;
    let started = Instant::now();
    let selection = select(&view, &state.catalogs, &query);
    let shown = selection.rows.len();
    let pages = shown.div_ceil(PAGE_ROWS).max(1);
    query.page = query.page.min(pages);
    let start = (query.page - 1) * PAGE_ROWS;
    let slice = &selection.rows[start.min(shown)..(start + PAGE_ROWS).min(shown)];
    let refused = as_of_error.is_some() || selection.criterion_error.is_some();
    let page = MatrixPage {
        chrome: Chrome::organization(
            &viewer,
            &organization,
            "",
            format!("PO dashboard · {}", organization.name),
        )
        .with_notice(forms::notice(&req)),
        organization_id: organization.id.0,
        as_of: view.as_of.to_string(),
        as_of_words: long_date(view.as_of),
        time_zone_note: zone,
        as_of_error,
        criterion_error: selection.criterion_error.clone(),
        column_counts: column_counts(&selection.rows, &selection.columns),
        rows: row_lines(slice, &selection.columns),
        total_practices: view.practices.len(),
        shown,
        first: start + 1,
        last: start + slice.len(),
        previous: (query.page > 1).then(|| query.page_link(query.page - 1)),
        next: (query.page < pages).then(|| query.page_link(query.page + 1)),
        filters: query.filters(),
        organization_criteria: organization_lines(&view),
        all_columns: selection.all_columns,
        columns: selection.columns,
        query,
    };
    let mut response = forms::answer(&page, refused)?;
    let rendered = started.elapsed();
    if let Ok(value) = header::HeaderValue::from_str(&format!(
        "matrix;dur={:.1}, render;dur={:.1}",
        computed.as_secs_f64() * 1000.0,
        rendered.as_secs_f64() * 1000.0
    )) {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static("server-timing"), value);
    }
    Ok(response)
}

/// The header and rows of a download: every row that passes the filters, statuses as words.
fn table(selection: &Selection) -> (Vec<String>, Vec<Vec<String>>) {
    let mut head = vec!["Practice".to_owned(), "Practice id".to_owned()];
    head.extend(selection.columns.iter().map(|c| c.id.clone()));
    head.extend(["Met", "Partially met", "Not met", "Disagreements"].map(String::from));
    let rows = selection
        .rows
        .iter()
        .map(|(row, counts)| {
            let mut line = vec![row.practice.name.clone(), row.practice.id.0.to_string()];
            line.extend(selection.columns.iter().map(|c| match cell_of(row, &c.id) {
                Some(cell) => {
                    let mut words = status_words(cell.status).0.to_owned();
                    if cell.agreement == AgreementStatus::Disagrees {
                        words.push_str(" (disagrees with attestation)");
                    }
                    if cell.needs_reattestation {
                        words.push_str(" (attest again)");
                    }
                    words
                }
                None => String::new(),
            }));
            line.extend(
                [counts.met, counts.partially_met, counts.not_met, counts.disagreements].map(|n| n.to_string()),
            );
            line
        })
        .collect();
    (head, rows)
}

/// The file name of a download.
fn file_name(organization: &Organization, as_of: NaiveDate, extension: &str) -> String {
    format!("po-{}-matrix-{as_of}.{extension}", organization.id)
}

/// The matrix as CSV: every row that passes the filters.
#[get("/organizations/{id}/matrix.csv")]
async fn matrix_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let organization = viewer.organization(&state, path.into_inner()).await?;
    let query = MatrixQuery::read(req.query_string());
    let (view, _, _, _) = compute(&state, &organization, &query).await?;
    let (head, rows) = table(&select(&view, &state.catalogs, &query));
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let body = pcmh_core::packet::csv(&head, &rows);
    Ok(download(
        "text/csv; charset=utf-8",
        &file_name(&organization, view.as_of, "csv"),
        body.into_bytes(),
    ))
}

/// The matrix as XLSX, the header row frozen: every row that passes the filters.
#[get("/organizations/{id}/matrix.xlsx")]
async fn matrix_xlsx(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let organization = viewer.organization(&state, path.into_inner()).await?;
    let query = MatrixQuery::read(req.query_string());
    let (view, _, _, _) = compute(&state, &organization, &query).await?;
    let (head, rows) = table(&select(&view, &state.catalogs, &query));
    let bytes = run(move || {
        workbook(&head, &rows).map_err(|e| {
            crate::http::error::log_error("xlsx", &e.to_string());
            WebError::Internal
        })
    })
    .await?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name(&organization, view.as_of, "xlsx"),
        bytes,
    ))
}

/// A workbook of one sheet: `head` in bold and frozen, then `rows` (counts as numbers).
fn workbook(head: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("Matrix")?;
    for (col, text) in head.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, text, &bold)?;
    }
    let numbers_from = head.len().saturating_sub(4);
    for (r, line) in rows.iter().enumerate() {
        let row = r as u32 + 1;
        for (col, text) in line.iter().enumerate() {
            match text.parse::<f64>() {
                Ok(n) if col >= numbers_from || col == 1 => sheet.write_number(row, col as u16, n)?,
                _ => sheet.write_string(row, col as u16, text)?,
            };
        }
    }
    sheet.set_freeze_panes(1, 1)?;
    sheet.set_column_width(0, 36)?;
    book.save_to_buffer()
}

/// A file to download.
fn download(content_type: &'static str, name: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(body)
}

/// The PO's compliance as of the day shown (`?as_of=`, else its today) as OSCAL assessment
/// results, for compliance tools (the API's `get_organization_compliance_oscal`).
#[get("/organizations/{id}/compliance.oscal.json")]
async fn compliance_oscal(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let organization = viewer.organization(&state, path.into_inner()).await?;
    let (asked, _) = asked_day(&MatrixQuery::read(req.query_string()).as_of);
    let (app, id) = (state.clone(), organization.id);
    let turn = state.heavy_views.turn().await?;
    let watch = crate::http::heavy::Watch::of(&req);
    let abandoned = watch.flag();
    let (as_of, bytes) = run(move || {
        let _turn = turn;
        let as_of = match asked {
            Some(day) => day,
            None => organization_today(&app, &organization)?.0,
        };
        let bytes = pcmh_core::actions::oscal::organization_assessment_results(
            &app.store,
            &app.catalogs,
            id,
            as_of,
            pcmh_core::records::Basis::corrected(),
            &abandoned,
        )?;
        Ok((as_of, bytes))
    })
    .await?;
    drop(watch);
    Ok(download(
        "application/json",
        &format!("po-{}-assessment-results-{as_of}.oscal.json", id.0),
        bytes,
    ))
}

/// Registers the PO dashboard and its downloads.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(matrix)
        .service(matrix_csv)
        .service(matrix_xlsx)
        .service(compliance_oscal);
}
