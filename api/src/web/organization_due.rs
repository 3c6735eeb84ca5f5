//! What falls due across a PO: one list by date (practice, criterion, what, due date, overdue
//! marked), filtered by criterion, practice and window (overdue, 30, 60 or 90 days), paged at
//! 100 rows, and the same rows as CSV and XLSX. The same core view as the API's
//! `/organizations/{id}/compliance/due`.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use pcmh_core::actions::kept;
use pcmh_core::ids::{CriterionId, PracticeId};
use pcmh_core::records::Organization;
use pcmh_core::rules::organization::{DueFilter, OrganizationDueItem};
use pcmh_core::store::practices;

use super::auth::run;
use super::forms::{self, FormErrors};
use super::staff::Choice;
use super::{long_date, Chrome, Viewer, WebError};
use crate::http::AppState;

/// Rows per page.
const PAGE_ROWS: usize = 100;

/// The windows offered, as (value, words).
const WINDOWS: [(&str, &str); 4] = [
    ("overdue", "Overdue only"),
    ("30", "Overdue or due within 30 days"),
    ("60", "Overdue or due within 60 days"),
    ("90", "Overdue or due within 90 days"),
];

/// The filters, as the GET form sends them.
#[derive(Debug, Clone, Default)]
pub struct DueQuery {
    /// "4.21", or empty for every criterion.
    pub criterion: String,
    /// A practice id, or empty for every practice (and the PO).
    pub practice: String,
    /// One of [`WINDOWS`]' values.
    pub window: String,
    /// The page, from 1.
    pub page: usize,
}

impl DueQuery {
    fn read(query: &str) -> Self {
        let mut out = DueQuery {
            window: "60".into(),
            page: 1,
            ..DueQuery::default()
        };
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let v: String = v.trim().chars().take(50).collect();
            match k.as_ref() {
                "criterion" => out.criterion = v,
                "practice" => out.practice = v,
                "window" if WINDOWS.iter().any(|(w, _)| *w == v) => out.window = v,
                "page" => out.page = v.parse().unwrap_or(1).max(1),
                _ => {}
            }
        }
        out
    }

    /// The query string of these filters on page `page`.
    fn href(&self, page: usize) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("criterion", &self.criterion)
            .append_pair("practice", &self.practice)
            .append_pair("window", &self.window)
            .append_pair("page", &page.to_string())
            .finish()
    }

    fn within(&self) -> u32 {
        self.window.parse().unwrap_or(0)
    }
}

/// One row, in words.
pub struct DueLine {
    /// "Maple Street Family Medicine" or "The PO itself".
    pub practice: String,
    /// Its id, for the link to the criterion page.
    pub practice_id: Option<i64>,
    /// The criterion.
    pub criterion: String,
    /// What is due.
    pub what: String,
    /// The date, in words.
    pub due: String,
    /// The date, YYYY-MM-DD.
    pub due_iso: String,
    /// Whether it is overdue.
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "organization_due.html")]
struct DuePage {
    chrome: Chrome,
    organization_id: i64,
    query: DueQuery,
    windows: Vec<Choice>,
    criteria: Vec<Choice>,
    practices: Vec<Choice>,
    errors: FormErrors,
    as_of: String,
    total: usize,
    overdue: usize,
    first: usize,
    rows: Vec<DueLine>,
    previous: Option<String>,
    next: Option<String>,
    downloads: String,
}

/// What a query gives: the choices of the filters, their errors, and the rows.
struct Computed {
    as_of: NaiveDate,
    criteria: Vec<Choice>,
    practices: Vec<Choice>,
    errors: FormErrors,
    items: Vec<OrganizationDueItem>,
}

/// Lists what falls due from the kept evaluations, as the API does.
async fn compute(
    state: &web::Data<AppState>,
    organization: &Organization,
    query: &DueQuery,
) -> Result<Computed, WebError> {
    let (app, id, query) = (state.clone(), organization.id, query.clone());
    run(move || {
        let as_of = chrono::Utc::now().date_naive();
        let all = app.store.read(|c| practices::all_of_organization(c, id))?;
        let mut errors = FormErrors::default();
        let criteria: Vec<Choice> = kept::criteria_of(&app.catalogs, &all, as_of)
            .into_iter()
            .map(|(id, title)| Choice {
                value: id.to_string(),
                label: format!("{id} {title}"),
            })
            .collect();
        let criterion = match query.criterion.as_str() {
            "" => None,
            text => match CriterionId::parse(text) {
                Ok(c) if criteria.iter().any(|k| k.value == c.to_string()) => Some(c),
                _ => {
                    errors.fields.insert(
                        "criterion".into(),
                        format!("{text} is not a criterion of the catalogs this PO is assessed against"),
                    );
                    None
                }
            },
        };
        let practice = match query.practice.as_str() {
            "" => None,
            text => match text.parse::<i64>().ok().filter(|p| all.iter().any(|k| k.id.0 == *p)) {
                Some(p) => Some(PracticeId(p)),
                None => {
                    errors
                        .fields
                        .insert("practice".into(), format!("{text} is not a practice of this PO"));
                    None
                }
            },
        };
        let practices = all
            .iter()
            .map(|p| Choice {
                value: p.id.0.to_string(),
                label: p.name.clone(),
            })
            .collect();
        let filter = DueFilter { criterion, practice };
        let items = if errors.is_empty() {
            kept::organization_due(&app.store, &app.catalogs, id, as_of, query.within().max(1), &filter)?
                .into_iter()
                .filter(|i| query.window != "overdue" || i.overdue)
                .collect()
        } else {
            Vec::new()
        };
        Ok(Computed {
            as_of,
            criteria,
            practices,
            errors,
            items,
        })
    })
    .await
}

fn line(item: &OrganizationDueItem) -> DueLine {
    DueLine {
        practice: item.practice_name.clone().unwrap_or_else(|| "The PO itself".to_owned()),
        practice_id: item.practice_id.map(|p| p.0),
        criterion: item.criterion.to_string(),
        what: item.what.clone(),
        due: long_date(item.due_on),
        due_iso: item.due_on.to_string(),
        overdue: item.overdue,
    }
}

/// What falls due across the PO.
#[get("/organizations/{id}/due")]
async fn due_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let organization = viewer.organization(&state, path.into_inner()).await?;
    let mut query = DueQuery::read(req.query_string());
    let computed = compute(&state, &organization, &query).await?;
    let total = computed.items.len();
    let pages = total.div_ceil(PAGE_ROWS).max(1);
    query.page = query.page.min(pages);
    let first = (query.page - 1) * PAGE_ROWS;
    let base = format!("/organizations/{}/due", organization.id);
    let failed = !computed.errors.is_empty();
    let page = DuePage {
        chrome: Chrome::organization(
            &viewer,
            &organization,
            "/due",
            format!("What falls due · {}", organization.name),
        )
        .with_notice(forms::notice(&req)),
        organization_id: organization.id.0,
        windows: WINDOWS
            .iter()
            .map(|(v, l)| Choice {
                value: (*v).to_owned(),
                label: (*l).to_owned(),
            })
            .collect(),
        criteria: computed.criteria,
        practices: computed.practices,
        errors: computed.errors,
        as_of: long_date(computed.as_of),
        total,
        overdue: computed.items.iter().filter(|i| i.overdue).count(),
        first: first + 1,
        rows: computed.items.iter().skip(first).take(PAGE_ROWS).map(line).collect(),
        previous: (query.page > 1).then(|| format!("{base}?{}", query.href(query.page - 1))),
        next: (query.page < pages).then(|| format!("{base}?{}", query.href(query.page + 1))),
        downloads: query.href(1),
        query,
    };
    forms::answer(&page, failed)
}

/// The rows of a download: a header, then one row per item.
fn table(items: &[OrganizationDueItem]) -> (Vec<String>, Vec<Vec<String>>) {
    let head = ["Due date", "Overdue", "Practice", "Criterion", "What is due"]
        .map(str::to_owned)
        .to_vec();
    let rows = items
        .iter()
        .map(|i| {
            let l = line(i);
            vec![
                l.due_iso,
                if l.overdue { "Overdue" } else { "Not yet due" }.to_owned(),
                l.practice,
                l.criterion,
                l.what,
            ]
        })
        .collect();
    (head, rows)
}

fn file_name(organization: &Organization, as_of: NaiveDate, extension: &str) -> String {
    format!("po-{}-due-{as_of}.{extension}", organization.id)
}

fn download(content_type: &'static str, name: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .body(body)
}

/// The rows of a download, or the page with the filters' errors.
async fn rows_of(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    path: i64,
    req: &HttpRequest,
) -> Result<(Organization, NaiveDate, Vec<OrganizationDueItem>), WebError> {
    let organization = viewer.organization(state, path).await?;
    let query = DueQuery::read(req.query_string());
    let computed = compute(state, &organization, &query).await?;
    if let Some((field, message)) = computed.errors.fields.into_iter().next() {
        return Err(WebError::Api(crate::http::error::ApiError::invalid(
            field,
            "due_filter",
            message,
        )));
    }
    Ok((organization, computed.as_of, computed.items))
}

/// What falls due as CSV, with the page's filters (every row, not one page).
#[get("/organizations/{id}/due.csv")]
async fn due_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let (organization, as_of, items) = rows_of(&state, &viewer, path.into_inner(), &req).await?;
    let (head, rows) = table(&items);
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let body = pcmh_core::packet::csv(&head, &rows);
    Ok(download(
        "text/csv; charset=utf-8",
        &file_name(&organization, as_of, "csv"),
        body.into_bytes(),
    ))
}

/// What falls due as XLSX, the header row frozen, with the page's filters.
#[get("/organizations/{id}/due.xlsx")]
async fn due_xlsx(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let (organization, as_of, items) = rows_of(&state, &viewer, path.into_inner(), &req).await?;
    let (head, rows) = table(&items);
    let bytes = run(move || {
        workbook(&head, &rows).map_err(|e| {
            crate::http::error::log_error("xlsx", &e.to_string());
            WebError::Internal
        })
    })
    .await?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name(&organization, as_of, "xlsx"),
        bytes,
    ))
}

/// A workbook of one sheet: `head` in bold and frozen, then `rows`.
fn workbook(head: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("What falls due")?;
    for (col, text) in head.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, text, &bold)?;
    }
    for (r, line) in rows.iter().enumerate() {
        for (col, text) in line.iter().enumerate() {
            sheet.write_string(r as u32 + 1, col as u16, text)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(2, 32)?;
    sheet.set_column_width(4, 60)?;
    book.save_to_buffer()
}

/// Registers the pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(due_page).service(due_csv).service(due_xlsx);
}
