//! Training records of a practice's staff, one at a time as JSON or many at once as CSV.
//!
//! A CSV import is all or nothing: every row is checked first, with the same rules as the JSON
//! endpoint; one refused row refuses the file, and the answer lists each refused row's line,
//! field and rule.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use pcmh_core::actions::trainings as actions;
use pcmh_core::catalog::Term;
use pcmh_core::ids::{DocumentId, PracticeId, StaffId, TrainingId};
use pcmh_core::records::TrainingRecord;
use pcmh_core::store::trainings::{self, ImportRow, Imported, NewTraining, RowError, TrainingFilter};
use pcmh_core::store::Listing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody, ErrorDetail, FieldError};
use super::extract::{blocking, read_body, ValidJson, ValidQuery};
use super::{AppState, ListQuery};

/// The largest CSV file accepted (2 MiB).
pub const CSV_LIMIT: usize = 2 * 1024 * 1024;

/// Records a completed training of one of the practice's staff.
#[utoipa::path(
    tag = "trainings",
    operation_id = "create_training",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body = NewTraining,
    responses(
        (status = 201, description = "Created", body = TrainingRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (for instance a topic outside the catalog, a staff member of another practice, a day before the staff member started)", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/trainings")]
async fn create_training(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<NewTraining>,
) -> Result<HttpResponse, ApiError> {
    let practice = PracticeId(path.into_inner());
    let app = state.clone();
    let created = blocking(move || {
        Ok(actions::record_training(
            &app.store,
            &app.catalogs,
            &caller.actor(),
            practice,
            &form,
        )?)
    })
    .await?;
    Ok(super::created(
        format!("/api/v1/practices/{practice}/trainings/{}", created.id),
        &created,
    ))
}

/// Paging, the completion-date range, and who or what was trained.
#[pcmh_core::checks::checked]
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrainingQuery {
    /// How many items to return, 1 to 500 (default 100).
    #[check(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many items to skip (default 0).
    #[check(minimum = 0)]
    pub offset: Option<i64>,
    /// Only trainings completed on this day or later.
    #[check(date)]
    pub from: Option<NaiveDate>,
    /// Only trainings completed on this day or earlier.
    #[check(date)]
    pub to: Option<NaiveDate>,
    /// Only this staff member's trainings.
    #[param(value_type = Option<i64>)]
    pub staff_id: Option<StaffId>,
    /// Only trainings on this topic.
    pub topic: Option<Term>,
}

/// Lists a practice's training records by completion date; `from`/`to` filter on that date.
#[utoipa::path(
    tag = "trainings",
    operation_id = "list_trainings",
    params(("practice_id" = i64, Path, description = "The practice's id"), TrainingQuery),
    responses(
        (status = 200, description = "A page of training records", body = Listing<TrainingRecord>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/trainings")]
async fn list_trainings(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<TrainingQuery>,
) -> Result<web::Json<Listing<TrainingRecord>>, ApiError> {
    let store = state.store.clone();
    let practice = PracticeId(path.into_inner());
    let list = ListQuery {
        limit: query.limit,
        offset: query.offset,
        from: query.from,
        to: query.to,
    };
    let filter = TrainingFilter {
        staff_id: query.staff_id,
        topic: query.topic,
        completed: list.range()?,
        newest_first: false,
    };
    let page = list.page();
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| trainings::list(c, practice, &filter, page))?)).await?,
    ))
}

/// One training record.
#[utoipa::path(
    tag = "trainings",
    operation_id = "get_training",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("training_id" = i64, Path, description = "The training record's id")
    ),
    responses(
        (status = 200, description = "The training record", body = TrainingRecord),
        (status = 404, description = "No such practice, or no such training record in it", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/trainings/{training_id}")]
async fn get_training(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<TrainingRecord>, ApiError> {
    let store = state.store.clone();
    let (practice, id) = path.into_inner();
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| trainings::get(c, PracticeId(practice), TrainingId(id)))?)).await?,
    ))
}

/// What a successful import wrote.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedTrainings {
    /// How many training records were written.
    pub imported: usize,
    /// The records written, in the file's order.
    pub records: Vec<TrainingRecord>,
}

/// Why an import was refused; nothing was written.
///
/// `error.fields` names the header's columns at fault; `rows` lists each rule a row breaks.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// The error, in the shape every error answer has.
    pub error: ErrorDetail,
    /// Each rule a row breaks, by line (the header is line 1); empty when the header is at fault.
    pub rows: Vec<RowError>,
}

impl ImportReport {
    fn header(fields: Vec<FieldError>) -> Self {
        let message = match fields.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} problems with the header row", fields.len()),
        };
        ImportReport {
            error: ErrorDetail {
                code: "validation_failed".into(),
                message,
                fields,
            },
            rows: Vec::new(),
        }
    }

    fn rows(mut rows: Vec<RowError>) -> Self {
        rows.sort_by_key(|r| r.line);
        let mut lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        lines.dedup();
        let message = match lines.as_slice() {
            [one] => format!("the row on line {one} is refused; nothing was imported"),
            _ => format!("{} rows are refused; nothing was imported", lines.len()),
        };
        ImportReport {
            error: ErrorDetail {
                code: "rows_refused".into(),
                message,
                fields: Vec::new(),
            },
            rows,
        }
    }

    fn response(self) -> HttpResponse {
        HttpResponse::UnprocessableEntity().json(self)
    }
}

/// Imports training records from a CSV file, all or nothing.
///
/// The file is UTF-8 (a byte-order mark is allowed) with the header row
/// `staff_id,topic,completed_on,hours,trainer` (columns in any order; `trainer` may be left
/// out). Instead of `staff_id`, a `staff` column may name each staff member as on the roster
/// (case and surrounding spaces aside); a name no one, or more than one staff member, has
/// refuses its row. Every row is checked with the rules of `create_training`; if any row is refused,
/// nothing is written and the answer lists each refused row.
#[utoipa::path(
    tag = "trainings",
    operation_id = "import_trainings",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body(
        content = String,
        content_type = "text/csv",
        description = "CSV, UTF-8, at most 2 MiB, header `staff_id,topic,completed_on,hours,trainer` (trainer optional; a `staff` column with names as on the roster may replace `staff_id`), e.g.\n\n    staff_id,topic,completed_on,hours,trainer\n    12,chronic_care_model,2026-03-02,1.5,\"Lee, RN\"\n\nor\n\n    staff,topic,completed_on,hours\n    Ana Lopez,chronic_care_model,2026-03-02,1.5"
    ),
    responses(
        (status = 201, description = "Every row was written", body = ImportedTrainings),
        (status = 400, description = "The body is not sent as text/csv, is not UTF-8, or is not well-formed CSV", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 413, description = "The file is larger than 2 MiB", body = ErrorBody),
        (status = 422, description = "The header or some rows break rules; nothing was written", body = ImportReport)
    )
)]
#[post("/practices/{practice_id}/trainings/import")]
async fn import_trainings(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let practice = PracticeId(path.into_inner());
    check_csv_content_type(&request)?;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > CSV_LIMIT) {
        return Err(ApiError::TooLarge(format!("the file is larger than {CSV_LIMIT} bytes")));
    }
    let bytes = read_body(&mut payload.into_inner(), CSV_LIMIT).await?;
    let text = std::str::from_utf8(&bytes).map_err(|e| ApiError::BadRequest {
        code: "malformed_csv",
        message: format!("the file is not UTF-8 text: {e}"),
        field: None,
    })?;
    let (rows, mut problems) = match read_import(text) {
        Ok(read) => read,
        Err(ImportRefusal::Malformed(error)) => return Err(error),
        Err(ImportRefusal::Header(fields)) => return Ok(ImportReport::header(fields).response()),
    };
    let app = state.clone();
    let outcome = blocking(move || {
        let actor = caller.actor();
        if problems.is_empty() {
            Ok(
                match actions::import_trainings(&app.store, &app.catalogs, &actor, practice, &rows)? {
                    Imported::Written(records) => Ok(ImportedTrainings {
                        imported: records.len(),
                        records,
                    }),
                    Imported::Refused(problems) => Err(problems),
                },
            )
        } else {
            // Some rows cannot even be read: check the others too, so the report is complete.
            problems.extend(actions::check_import(&app.store, &app.catalogs, practice, &rows)?);
            Ok(Err(problems))
        }
    })
    .await?;
    Ok(match outcome {
        // Many records at once: the location is the practice's trainings, which lists them.
        Ok(written) => super::created(format!("/api/v1/practices/{practice}/trainings"), &written),
        Err(problems) => ImportReport::rows(problems).response(),
    })
}

/// Why an import file cannot be checked row by row.
#[derive(Debug)]
pub enum ImportRefusal {
    /// The text is not well-formed CSV (a 400).
    Malformed(ApiError),
    /// The header is missing or names wrong columns, or no row follows it (a 422).
    Header(Vec<FieldError>),
}

/// Reads an import file's text (UTF-8, without NUL): its rows, each as a form, and every rule
/// a row breaks that needs no stored record.
pub fn read_import(text: &str) -> Result<(Vec<ImportRow>, Vec<RowError>), ImportRefusal> {
    if let Some(at) = text.find('\0') {
        let line = text[..at].matches('\n').count() + 1;
        return Err(ImportRefusal::Malformed(ApiError::BadRequest {
            code: "malformed_csv",
            message: format!("the file is not CSV text: line {line} holds a NUL character"),
            field: None,
        }));
    }
    let records = read_csv(text).map_err(|e| {
        ImportRefusal::Malformed(ApiError::BadRequest {
            code: "malformed_csv",
            message: format!("the file is not well-formed CSV: line {}: {}", e.line, e.message),
            field: None,
        })
    })?;
    let mut records = records.into_iter();
    let Some(header_record) = records.next() else {
        return Err(ImportRefusal::Header(vec![FieldError {
            field: "header".into(),
            rule: "required".into(),
            message: format!(
                "the file is empty; its first row names the columns: {}",
                COLUMNS.join(",")
            ),
        }]));
    };
    let columns = Columns::from_header(&header_record.fields).map_err(ImportRefusal::Header)?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in records {
        match columns.form(record.line, &record.fields) {
            Ok(row) => rows.push(row),
            Err(mut refused) => problems.append(&mut refused),
        }
    }
    if rows.is_empty() && problems.is_empty() {
        return Err(ImportRefusal::Header(vec![FieldError {
            field: "body".into(),
            rule: "not_empty".into(),
            message: "the file has no rows below its header".into(),
        }]));
    }
    Ok((rows, problems))
}

/// A 400 unless the body is declared as `text/csv` (in UTF-8, if a charset is named).
fn check_csv_content_type(request: &HttpRequest) -> Result<(), ApiError> {
    let refuse = |message: &str| ApiError::BadRequest {
        code: "unsupported_content_type",
        message: message.to_owned(),
        field: None,
    };
    let value = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut parts = value.split(';');
    let media_type = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    if media_type != "text/csv" {
        return Err(refuse("send the file as CSV, with the header Content-Type: text/csv"));
    }
    for parameter in parts {
        if let Some((name, charset)) = parameter.split_once('=') {
            let charset = charset.trim().trim_matches('"').to_ascii_lowercase();
            if name.trim().eq_ignore_ascii_case("charset") && charset != "utf-8" && charset != "utf8" {
                return Err(refuse("send the CSV file in UTF-8 (charset=utf-8)"));
            }
        }
    }
    Ok(())
}

/// The columns an import file may have: the staff member by `staff_id` or by name (`staff`),
/// `topic`, `completed_on` and `hours` are required, `trainer` is not.
const COLUMNS: [&str; 6] = ["staff_id", "topic", "completed_on", "hours", "trainer", "staff"];

/// How a file names each row's staff member, and in which column.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum StaffColumn {
    /// Their id.
    Id(usize),
    /// Their name as on the roster.
    Name(usize),
}

/// Where each column is in the file.
#[derive(Debug, PartialEq, Eq)]
struct Columns {
    staff: StaffColumn,
    topic: usize,
    completed_on: usize,
    hours: usize,
    trainer: Option<usize>,
    count: usize,
}

impl Columns {
    /// Reads the header row, or names every column at fault.
    fn from_header(names: &[String]) -> Result<Self, Vec<FieldError>> {
        let mut positions: [Option<usize>; 6] = [None; 6];
        let mut problems = Vec::new();
        for (index, name) in names.iter().enumerate() {
            let name = name.trim();
            match COLUMNS.iter().position(|c| *c == name) {
                Some(known) if positions[known].is_some() => problems.push(FieldError {
                    field: name.to_owned(),
                    rule: "duplicate_column".into(),
                    message: format!("the column {name} appears more than once in the header"),
                }),
                Some(known) => positions[known] = Some(index),
                None => problems.push(FieldError {
                    field: if name.is_empty() {
                        format!("column {}", index + 1)
                    } else {
                        name.to_owned()
                    },
                    rule: "unknown_column".into(),
                    message: format!(
                        "`{name}` is not a column of a training import (columns: {})",
                        COLUMNS.join(", ")
                    ),
                }),
            }
        }
        let [staff_id, topic, completed_on, hours, trainer, staff_name] = positions;
        let staff = match (staff_id, staff_name) {
            (Some(index), None) => Some(StaffColumn::Id(index)),
            (None, Some(index)) => Some(StaffColumn::Name(index)),
            (Some(_), Some(_)) => {
                problems.push(FieldError {
                    field: "staff".into(),
                    rule: "conflicting_columns".into(),
                    message: "the header has both staff_id and staff: keep one of them".into(),
                });
                None
            }
            (None, None) => {
                problems.push(FieldError {
                    field: "staff_id".into(),
                    rule: "required".into(),
                    message: "the header has no staff_id column (or staff, with names as on the roster)".into(),
                });
                None
            }
        };
        for (column, position) in [("topic", topic), ("completed_on", completed_on), ("hours", hours)] {
            if position.is_none() {
                problems.push(FieldError {
                    field: column.to_owned(),
                    rule: "required".into(),
                    message: format!("the header has no {column} column"),
                });
            }
        }
        match (staff, topic, completed_on, hours) {
            (Some(staff), Some(topic), Some(completed_on), Some(hours)) if problems.is_empty() => Ok(Columns {
                staff,
                topic,
                completed_on,
                hours,
                trainer,
                count: names.len(),
            }),
            _ => Err(problems),
        }
    }

    /// The training a row records, or every rule it breaks that needs no stored record.
    fn form(&self, line: u64, fields: &[String]) -> Result<ImportRow, Vec<RowError>> {
        let problem = |field: &str, rule: &str, message: String| RowError {
            line,
            field: field.to_owned(),
            rule: rule.to_owned(),
            message,
        };
        if fields.len() != self.count {
            return Err(vec![problem(
                "row",
                "field_count",
                format!("the row has {} fields, the header has {}", fields.len(), self.count),
            )]);
        }
        let mut problems = Vec::new();
        let mut value = |column: &str, index: usize| {
            let text = fields[index].trim();
            if text.is_empty() {
                problems.push(problem(column, "required", format!("{column} is required")));
                None
            } else {
                Some(text)
            }
        };
        let staff = match self.staff {
            StaffColumn::Id(index) => value("staff_id", index).map(|text| (Some(text), None)),
            StaffColumn::Name(index) => value("staff", index).map(|text| (None, Some(text.to_owned()))),
        };
        let topic = value("topic", self.topic);
        let completed_on = value("completed_on", self.completed_on);
        let hours = value("hours", self.hours);
        let (staff_id, staff_name) = match staff {
            Some((Some(text), _)) => match text.parse::<i64>() {
                Ok(id) => (Some(StaffId(id)), None),
                Err(_) => {
                    problems.push(problem(
                        "staff_id",
                        "type",
                        format!("`{text}` is not a staff id (a whole number)"),
                    ));
                    (None, None)
                }
            },
            // A name is matched with the roster later; the id is filled in then.
            Some((None, Some(name))) => (Some(StaffId(0)), Some(name)),
            _ => (None, None),
        };
        let topic = topic.and_then(|text| match Term::parse(text) {
            Ok(term) => Some(term),
            Err(e) => {
                problems.push(problem("topic", "format", e.to_string()));
                None
            }
        });
        let completed_on = completed_on.and_then(|text| match text.parse::<NaiveDate>() {
            Ok(date) => Some(date),
            Err(e) => {
                problems.push(problem(
                    "completed_on",
                    "format",
                    format!("`{text}` is not a date written YYYY-MM-DD ({e})"),
                ));
                None
            }
        });
        let hours = hours.and_then(|text| match text.parse::<f64>() {
            Ok(hours) => Some(hours),
            Err(_) => {
                problems.push(problem("hours", "type", format!("`{text}` is not a number of hours")));
                None
            }
        });
        let trainer = self
            .trainer
            .map(|index| fields[index].trim())
            .filter(|text| !text.is_empty())
            .map(str::to_owned);
        let (Some(staff_id), Some(topic), Some(completed_on), Some(hours)) = (staff_id, topic, completed_on, hours)
        else {
            return Err(problems);
        };
        let form = NewTraining {
            staff_id,
            topic,
            completed_on,
            hours,
            trainer,
            document_id: None::<DocumentId>,
            replaces: None,
        };
        match form.validate() {
            Ok(()) => Ok(ImportRow { line, staff_name, form }),
            Err(errors) => match ApiError::from(errors) {
                ApiError::Invalid(fields) => Err(fields
                    .into_iter()
                    .map(|f| problem(&f.field, &f.rule, f.message))
                    .collect()),
                _ => Err(vec![problem("row", "invalid", "the row breaks a rule".into())]),
            },
        }
    }
}

/// A CSV text that is not well-formed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CsvError {
    /// The line at fault.
    line: u64,
    /// What is wrong.
    message: String,
}

/// One record of a CSV text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CsvRecord {
    /// The line the record starts on (1 is the first).
    line: u64,
    /// Its fields, unquoted.
    fields: Vec<String>,
}

/// Where the reader is within a field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CsvState {
    /// At the start of a field.
    Start,
    /// Inside a field without quotes.
    Bare,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quoted field's closing quote.
    Closed,
}

/// Reads CSV (RFC 4180): fields separated by commas, records by CRLF or LF; a field in double
/// quotes may hold commas, line breaks and doubled quotes (`""`). A leading byte-order mark, a
/// trailing line break and blank lines are ignored.
fn read_csv(text: &str) -> Result<Vec<CsvRecord>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut state = CsvState::Start;
    let mut line: u64 = 1;
    let mut record_line: u64 = 1;
    let mut quote_line: u64 = 1;
    let mut chars = text.chars().peekable();

    let mut end_record = |fields: &mut Vec<String>, field: &mut String, record_line: u64| {
        fields.push(std::mem::take(field));
        let blank = fields.len() == 1 && fields[0].trim().is_empty();
        let done = std::mem::take(fields);
        if !blank {
            records.push(CsvRecord {
                line: record_line,
                fields: done,
            });
        }
    };

    while let Some(ch) = chars.next() {
        match (state, ch) {
            (CsvState::Quoted, '"') => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    state = CsvState::Closed;
                }
            }
            (CsvState::Quoted, c) => {
                if c == '\n' || (c == '\r' && chars.peek() != Some(&'\n')) {
                    line += 1;
                }
                field.push(c);
            }
            (_, ',') => {
                fields.push(std::mem::take(&mut field));
                state = CsvState::Start;
            }
            (_, '\r' | '\n') => {
                if ch == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                end_record(&mut fields, &mut field, record_line);
                line += 1;
                record_line = line;
                state = CsvState::Start;
            }
            (CsvState::Start, '"') => {
                state = CsvState::Quoted;
                quote_line = line;
            }
            (CsvState::Bare, '"') => {
                return Err(CsvError {
                    line,
                    message: "a quote inside a field that does not start with one; put the whole field in quotes and double the quotes inside it".into(),
                });
            }
            (CsvState::Closed, c) => {
                return Err(CsvError {
                    line,
                    message: format!(
                        "`{c}` after the closing quote of a field (a quote inside a quoted field is written \"\")"
                    ),
                });
            }
            (CsvState::Start | CsvState::Bare, c) => {
                field.push(c);
                state = CsvState::Bare;
            }
        }
    }
    if state == CsvState::Quoted {
        return Err(CsvError {
            line: quote_line,
            message: "a quoted field is never closed".into(),
        });
    }
    if state != CsvState::Start || !fields.is_empty() {
        end_record(&mut fields, &mut field, record_line);
    }
    Ok(records)
}

/// Registers the training routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(create_training)
        .service(list_trainings)
        .service(import_trainings)
        .service(get_training);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        read_csv(text).unwrap().into_iter().map(|r| r.fields).collect()
    }

    fn lines(text: &str) -> Vec<u64> {
        read_csv(text).unwrap().into_iter().map(|r| r.line).collect()
    }

    #[test]
    fn plain_records_with_lf_or_crlf() {
        let expected = vec![vec!["a", "b", "c"], vec!["1", "2", "3"]];
        assert_eq!(fields("a,b,c\n1,2,3\n"), expected);
        assert_eq!(fields("a,b,c\r\n1,2,3\r\n"), expected);
        assert_eq!(fields("a,b,c\r\n1,2,3"), expected, "no trailing line break");
        assert_eq!(fields("\u{feff}a,b,c\n1,2,3"), expected, "a byte-order mark");
    }

    #[test]
    fn quoted_fields_hold_commas_quotes_and_line_breaks() {
        assert_eq!(
            fields("name,note\n\"Lee, RN\",\"said \"\"hi\"\"\"\n\"two\nlines\",\"\"\n"),
            vec![
                vec!["name", "note"],
                vec!["Lee, RN", "said \"hi\""],
                vec!["two\nlines", ""]
            ]
        );
        assert_eq!(
            lines("h\n\"a\nb\"\nc\n"),
            [1, 2, 4],
            "a record starts where its first line is"
        );
    }

    #[test]
    fn empty_fields_and_blank_lines() {
        assert_eq!(fields("a,,c,\n"), vec![vec!["a", "", "c", ""]]);
        assert_eq!(fields("a,b\n\n1,2\n\r\n"), vec![vec!["a", "b"], vec!["1", "2"]]);
        assert_eq!(lines("a,b\n\n1,2\n"), [1, 3]);
        assert!(fields("").is_empty());
        assert!(fields("\u{feff}").is_empty());
    }

    #[test]
    fn malformed_quotes_are_refused_with_their_line() {
        let error = read_csv("a,b\n1,\"open\n2,3\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("never closed"));
        assert_eq!(read_csv("a,b\n1,\"x\"y\n").unwrap_err().line, 2);
        assert_eq!(read_csv("a,b\nc,d\n1,x\"y\n").unwrap_err().line, 3);
    }

    fn header(names: &[&str]) -> Result<Columns, Vec<(String, String)>> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        Columns::from_header(&names).map_err(|fields| fields.into_iter().map(|f| (f.field, f.rule)).collect())
    }

    #[test]
    fn the_header_names_every_column_at_fault() {
        let columns = header(&["hours", "staff_id", " topic ", "completed_on"]).unwrap();
        assert_eq!(
            (columns.hours, columns.staff, columns.trainer),
            (0, StaffColumn::Id(1), None)
        );
        let columns = header(&["staff", "topic", "completed_on", "hours"]).unwrap();
        assert_eq!(columns.staff, StaffColumn::Name(0));
        assert_eq!(
            header(&["staff", "staff_id", "topic", "completed_on", "hours"]).unwrap_err(),
            [("staff".to_owned(), "conflicting_columns".to_owned())]
        );
        assert_eq!(
            header(&["staff_id", "topic", "completed_on", "minutes", "trainer"]).unwrap_err(),
            [
                ("minutes".to_owned(), "unknown_column".to_owned()),
                ("hours".to_owned(), "required".to_owned())
            ]
        );
        assert_eq!(
            header(&["staff_id", "topic", "completed_on", "hours", "topic"]).unwrap_err(),
            [("topic".to_owned(), "duplicate_column".to_owned())]
        );
    }

    #[test]
    fn rows_become_forms_or_name_their_faults() {
        let columns = header(&COLUMNS[..5]).unwrap();
        let row = |text: &str| -> Vec<String> { text.split('|').map(str::to_owned).collect() };
        let form = columns
            .form(2, &row(" 7 |chronic_care_model|2026-03-02|1.5| Lee "))
            .unwrap()
            .form;
        assert_eq!(form.staff_id, StaffId(7));
        assert_eq!(form.trainer.as_deref(), Some("Lee"));
        let read = columns.form(2, &row("7|chronic_care_model|2026-03-02|1.5|")).unwrap();
        assert_eq!((read.form.trainer, read.staff_name), (None, None));
        let by_name = header(&["staff", "topic", "completed_on", "hours"]).unwrap();
        let read = by_name.form(3, &row(" Ana Lopez |pcmh_n_model|2026-03-02|1")).unwrap();
        assert_eq!((read.line, read.staff_name.as_deref()), (3, Some("Ana Lopez")));
        let refused = by_name.form(4, &row(" |pcmh_n_model|2026-03-02|1")).unwrap_err();
        assert_eq!(
            (refused[0].field.as_str(), refused[0].rule.as_str()),
            ("staff", "required")
        );

        let faults = |text: &str| -> Vec<(String, String)> {
            columns
                .form(5, &row(text))
                .unwrap_err()
                .into_iter()
                .map(|e| {
                    assert_eq!(e.line, 5);
                    (e.field, e.rule)
                })
                .collect()
        };
        let pair = |f: &str, r: &str| (f.to_owned(), r.to_owned());
        assert_eq!(
            faults("x|Chronic|2026-02-30|lots|"),
            [
                pair("staff_id", "type"),
                pair("topic", "format"),
                pair("completed_on", "format"),
                pair("hours", "type")
            ]
        );
        assert_eq!(
            faults("|topic||1|"),
            [pair("staff_id", "required"), pair("completed_on", "required")]
        );
        assert_eq!(
            faults("7|topic|1850-01-01|41|"),
            [pair("completed_on", "date_range"), pair("hours", "range")]
        );
        assert_eq!(faults("7|topic|2026-01-01|NaN|"), [pair("hours", "range")]);
        assert_eq!(faults("7|topic|2026-01-01"), [pair("row", "field_count")]);
    }
}
