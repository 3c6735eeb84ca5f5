//! One criterion of a practice: the policy's wording, the status the records give with its
//! reasons, the supporting records, the 12-month strip of a recurring requirement, what falls
//! due, the attestation in force with the history of those it superseded, and the Attest form
//! (evidence picked from the practice's documents or a file uploaded on the spot).

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, Months, NaiveDate};
use futures_util::StreamExt;
use pcmh_core::actions::attestations::{self as actions, Attesting, UploadedEvidence};
use pcmh_core::actions::compliance;
use pcmh_core::catalog::{Catalog, Scope};
use pcmh_core::ids::CriterionId;
use pcmh_core::records::{AttestedStatus, Owner, Practice, RecordKind, RecordRef};
use pcmh_core::rules::Occurrences;
use pcmh_core::store::attestations::{AttestationRecord, NewAttestation};
use pcmh_core::store::documents::{self, clean_file_name, DocumentFile, DocumentFilter, NewDocument};
use pcmh_core::store::files::{EvidenceFiles, FolderFiles, Upload};
use pcmh_core::store::{DateRange, Page};
use serde_json::Value;

use super::auth::{csrf_header, run, same_origin, same_token};
use super::dashboard::capitalized;
use super::forms::{self, Fields, FormErrors, Kind};
use super::{long_date, role_words, status_words, Chrome, Viewer, WebError};
use crate::http::documents::FILE_LIMIT;
use crate::http::error::ApiError;
use crate::http::AppState;

/// A choice of a select or a checkbox: its value and its words.
pub struct Choice {
    /// The value sent.
    pub value: String,
    /// The words shown.
    pub label: String,
}

/// One requirement of the criterion, in words.
pub struct RequirementLine {
    /// The kind of evidence, in words.
    pub kind: String,
    /// Its status in words and CSS class.
    pub status: (&'static str, &'static str),
    /// Why.
    pub reasons: Vec<String>,
    /// For a recurring requirement: "Monthly: 12 expected, 11 held" and one cell per period.
    pub strip: Option<(String, Vec<StripCell>)>,
}

/// One period of a strip.
pub struct StripCell {
    /// "2026-03".
    pub label: String,
    /// "held" or "none held".
    pub words: &'static str,
    /// Its CSS class.
    pub class: &'static str,
}

/// A supporting record with the screen that shows it.
pub struct RecordLine {
    /// "Training record 12".
    pub label: String,
    /// Where it is shown.
    pub href: String,
}

/// An attestation, in words.
pub struct AttestationLine {
    /// "In place from Jun 1, 2026".
    pub summary: String,
    /// "Dana Reyes (Practice manager), recorded Jun 2, 2026".
    pub signed: String,
    /// The statement.
    pub statement: String,
    /// Its evidence documents.
    pub evidence: Vec<RecordLine>,
    /// "Superseded by attestation 12", or "Supersedes attestation 3", or nothing.
    pub link: Option<String>,
    /// Whether a later one superseded it.
    pub superseded: bool,
}

#[derive(Template)]
#[template(path = "criterion.html")]
struct CriterionPage {
    chrome: Chrome,
    practice_id: i64,
    criterion: String,
    title: String,
    wording: String,
    po_level: bool,
    as_of: String,
    as_of_words: String,
    as_of_error: Option<String>,
    status: (&'static str, &'static str),
    reasons: Vec<String>,
    requirements: Vec<RequirementLine>,
    records: Vec<RecordLine>,
    due: Vec<(String, String, bool)>,
    in_force: Option<String>,
    disagreement: Option<String>,
    reattest: Option<String>,
    history: Vec<AttestationLine>,
    may_attest: bool,
    signer: String,
    statuses: Vec<Choice>,
    documents: Vec<Choice>,
    document_types: Vec<Choice>,
    form: Fields,
    errors: FormErrors,
}

/// The fields of the Attest form, for errors beside them.
const SHOWN: [&str; 7] = [
    "status",
    "effective_on",
    "statement",
    "evidence",
    "file",
    "document_title",
    "document_type",
];

fn status_choices(catalog_allows_na: bool) -> Vec<Choice> {
    [
        AttestedStatus::InPlace,
        AttestedStatus::PartiallyInPlace,
        AttestedStatus::NotInPlace,
        AttestedStatus::NotApplicable,
    ]
    .into_iter()
    .filter(|s| catalog_allows_na || *s != AttestedStatus::NotApplicable)
    .map(|s| Choice {
        value: serde_json::to_value(s)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        label: capitalized(s.label()),
    })
    .collect()
}

/// A record kind in words and the screen of the practice that shows it.
fn record_line(practice: i64, record: &RecordRef) -> RecordLine {
    let base = format!("/practices/{practice}");
    let (words, href) = match record.kind {
        RecordKind::Practice => ("Practice profile", base.clone()),
        RecordKind::Staff => ("Staff member", format!("{base}/staff")),
        RecordKind::Training => ("Training record", format!("{base}/trainings")),
        RecordKind::TeamMeeting => ("Team meeting", format!("{base}/meetings")),
        RecordKind::CarePlan => ("Care plan", format!("{base}/care-plans")),
        RecordKind::CarePlanShare => ("Care plan share", format!("{base}/care-plans")),
        RecordKind::Attestation => ("Attestation", base.clone()),
        RecordKind::Document => ("Document", format!("{base}/documents/{}", record.id)),
        RecordKind::SurveyResult => ("Survey result", format!("{base}/surveys")),
        RecordKind::PeriodicReport => ("Periodic report", format!("{base}/surveys")),
    };
    RecordLine {
        label: format!("{words} {}", record.id),
        href,
    }
}

/// The months of a recurrence in words ("monthly" → 1), as the rules write them.
fn every_months(every: &str) -> Option<u32> {
    match every {
        "monthly" => Some(1),
        "quarterly" => Some(3),
        "half-yearly" => Some(6),
        "yearly" => Some(12),
        other => other.strip_prefix("every ")?.strip_suffix(" months")?.parse().ok(),
    }
}

/// The name the rules give the period of `months` starting on `start`.
fn period_label(start: NaiveDate, months: u32) -> String {
    match months {
        1 => format!("{}-{:02}", start.year(), start.month()),
        3 => format!("{}-Q{}", start.year(), start.month0() / 3 + 1),
        6 => format!("{}-H{}", start.year(), start.month0() / 6 + 1),
        12 => format!("{}", start.year()),
        _ => {
            let end = start.checked_add_months(Months::new(months - 1)).unwrap_or(start);
            format!(
                "{}-{:02}..{}-{:02}",
                start.year(),
                start.month(),
                end.year(),
                end.month()
            )
        }
    }
}

/// The strip of a recurring requirement: the periods the rules checked (the complete ones
/// before the one containing `as_of`), each held or missing as the rules say.
fn strip(as_of: NaiveDate, occurrences: &Occurrences) -> (String, Vec<StripCell>) {
    let summary = format!(
        "{}: {} expected, {} held",
        capitalized(&occurrences.every),
        occurrences.expected,
        occurrences.held
    );
    let Some(months) = every_months(&occurrences.every).filter(|m| *m > 0) else {
        return (summary, Vec::new());
    };
    let index = as_of.year() * 12 + as_of.month0() as i32;
    let current = index - index.rem_euclid(months as i32);
    let cells = (1..=occurrences.expected as i32)
        .rev()
        .filter_map(|k| {
            let i = current - k * months as i32;
            NaiveDate::from_ymd_opt(i.div_euclid(12), i.rem_euclid(12) as u32 + 1, 1)
        })
        .map(|start| {
            let label = period_label(start, months);
            let held = !occurrences.missing.contains(&label);
            StripCell {
                words: if held { "held" } else { "none held" },
                class: if held { "status-met" } else { "status-not-met" },
                label,
            }
        })
        .collect();
    (summary, cells)
}

fn attestation_line(practice: i64, record: &AttestationRecord) -> AttestationLine {
    let a = &record.attestation;
    let link = match (record.superseded_by, a.supersedes) {
        (Some(by), _) => Some(format!("Superseded by attestation {by}")),
        (None, Some(earlier)) => Some(format!("Corrects attestation {earlier}")),
        (None, None) => None,
    };
    AttestationLine {
        summary: format!(
            "Attestation {}: {} from {}",
            a.id,
            capitalized(a.status.label()),
            long_date(a.effective_on)
        ),
        signed: format!(
            "Signed by {} ({}), recorded {} under catalog {} {}",
            a.signer,
            a.signer_role,
            long_date(a.recorded_at.date_naive()),
            record.catalog_id,
            a.catalog_version
        ),
        statement: a.statement.clone(),
        evidence: a
            .evidence
            .iter()
            .map(|d| record_line(practice, &RecordRef::new(RecordKind::Document, d.0)))
            .collect(),
        link,
        superseded: record.superseded_by.is_some(),
    }
}

/// `?as_of=` read as the dashboard reads it: a day, or an error and today.
fn as_of(req: &HttpRequest) -> (Option<NaiveDate>, Option<String>) {
    let asked = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "as_of")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty());
    match asked.as_deref().map(|v| (v, v.parse::<NaiveDate>())) {
        None => (None, None),
        Some((_, Ok(day))) if pcmh_core::checks::plausible_date(&day).is_ok() => (Some(day), None),
        Some((text, _)) => (
            None,
            Some(format!(
                "{text} is not a day between 1900-01-01 and 2100-12-31 (YYYY-MM-DD); showing today"
            )),
        ),
    }
}

/// The criterion `text` of the practice's catalog, or a 404 page.
fn criterion_of(catalog: &Catalog, text: &str) -> Result<CriterionId, WebError> {
    let id = CriterionId::parse(text).map_err(|_| WebError::NotFound)?;
    catalog.criterion(&id).ok_or(WebError::NotFound)?;
    Ok(id)
}

/// What a render needs besides the practice: the day asked, the notice, the form and its errors.
struct Shown {
    as_of: (Option<NaiveDate>, Option<String>),
    notice: Option<String>,
    form: Fields,
    errors: FormErrors,
}

async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    practice: Practice,
    id: CriterionId,
    shown: Shown,
) -> Result<HttpResponse, WebError> {
    let catalog = state.catalog(&practice.catalog_id, &practice.catalog_version)?.clone();
    let criterion = catalog.criterion(&id).ok_or(WebError::NotFound)?.clone();
    let po_level = criterion.scope == Scope::PhysicianOrganization;
    let (app, pid, cid, day) = (state.clone(), practice.id, id.clone(), shown.as_of.0);
    let owner = if po_level {
        Owner::Organization(practice.organization_id)
    } else {
        Owner::Practice(practice.id)
    };
    let (view, history, docs) = run(move || {
        let view = compliance::practice_compliance(&app.store, &app.catalogs, pid, day, chrono::Utc::now())?;
        let (history, docs) = app.store.read(|c| {
            let history = actions::history(c, owner, &cid)?;
            let page = Page { limit: 500, offset: 0 };
            let filter = DocumentFilter::default();
            let docs = documents::list(c, Owner::Practice(pid), &filter, DateRange::default(), page)?;
            Ok((history, docs.items))
        })?;
        Ok((view, history, docs))
    })
    .await?;
    let found = view
        .criteria
        .iter()
        .find(|c| c.result.criterion == id)
        .ok_or(WebError::NotFound)?;
    let p = practice.id.0;
    let type_label = |t: &pcmh_core::ids::Term| {
        catalog
            .vocabulary
            .document_types
            .get(t)
            .cloned()
            .unwrap_or(t.to_string())
    };
    let failed = !shown.errors.is_empty() || shown.as_of.1.is_some();
    let page = CriterionPage {
        chrome: Chrome::practice(
            viewer,
            &practice,
            "/criteria",
            format!("{} {} · {}", id, criterion.title, practice.name),
        )
        .with_notice(shown.notice),
        practice_id: p,
        criterion: id.to_string(),
        title: criterion.title.clone(),
        wording: criterion.text.clone(),
        po_level,
        as_of: view.as_of.to_string(),
        as_of_words: long_date(view.as_of),
        as_of_error: shown.as_of.1,
        status: status_words(found.result.status),
        reasons: found.result.reasons.clone(),
        requirements: found
            .result
            .requirements
            .iter()
            .map(|r| RequirementLine {
                kind: capitalized(&r.kind.replace('_', " ")),
                status: status_words(r.status),
                reasons: r.reasons.clone(),
                strip: r.occurrences.as_ref().map(|o| strip(view.as_of, o)),
            })
            .collect(),
        records: found.result.records.iter().map(|r| record_line(p, r)).collect(),
        due: found
            .due_windows
            .iter()
            .map(|d| (long_date(d.due_on), d.what.clone(), d.overdue))
            .collect(),
        in_force: found.attestation.as_ref().map(|a| {
            format!(
                "{} from {} (attestation {})",
                capitalized(a.status.label()),
                long_date(a.effective_on),
                a.id
            )
        }),
        disagreement: found.agreement.disagreement.then(|| found.agreement.reason.clone()),
        reattest: found.reattestation_reason.clone(),
        history: history.iter().rev().map(|a| attestation_line(p, a)).collect(),
        may_attest: viewer.may_write() && !po_level,
        signer: format!("{} ({})", viewer.user.display_name, role_words(viewer.user.role)),
        statuses: status_choices(criterion.allow_not_applicable),
        documents: docs
            .iter()
            .map(|d| Choice {
                value: d.document.id.0.to_string(),
                label: format!(
                    "{} ({}, in force from {})",
                    d.document.title,
                    type_label(&d.document.document_type),
                    long_date(d.document.effective_on)
                ),
            })
            .collect(),
        document_types: catalog
            .vocabulary
            .document_types
            .iter()
            .map(|(t, label)| Choice {
                value: t.to_string(),
                label: label.clone(),
            })
            .collect(),
        form: shown.form,
        errors: shown.errors,
    };
    forms::answer(&page, failed)
}

/// The page of criterion `{criterion}` of practice `{id}`, as of `?as_of=` or today.
#[get("/practices/{id}/criteria/{criterion}")]
async fn criterion_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(i64, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let (practice_id, criterion) = path.into_inner();
    let practice = viewer.practice(&state, practice_id).await?;
    let catalog = state.catalog(&practice.catalog_id, &practice.catalog_version)?;
    let id = criterion_of(catalog, &criterion)?;
    let shown = Shown {
        as_of: as_of(&req),
        notice: forms::notice(&req),
        form: Fields::default(),
        errors: FormErrors::default(),
    };
    render(&state, &viewer, practice, id, shown).await
}

/// A file part received: the upload in its temporary file, its name and media type.
struct ReceivedFile {
    upload: Upload,
    file_name: String,
    media_type: String,
}

/// What the multipart Attest form carried: its text fields and, if one was chosen, its file.
struct Received {
    fields: Fields,
    file: Option<ReceivedFile>,
}

fn unreadable(error: MultipartError) -> WebError {
    WebError::Api(ApiError::BadRequest {
        code: "malformed_multipart",
        message: format!("the form cannot be read: {error}"),
        field: None,
    })
}

fn too_large() -> WebError {
    WebError::Api(ApiError::TooLarge(format!(
        "the file is larger than {} MiB, the most a document may have",
        FILE_LIMIT / (1024 * 1024)
    )))
}

async fn receive_text(field: &mut Field) -> Result<String, WebError> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if bytes.len() + chunk.len() > super::auth::FORM_LIMIT {
            return Err(WebError::Api(ApiError::TooLarge(
                "a field of the form is too long".into(),
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

async fn receive_file(files: FolderFiles, field: &mut Field) -> Result<Option<ReceivedFile>, WebError> {
    let raw_name = field
        .content_disposition()
        .and_then(|d| d.get_filename())
        .unwrap_or_default()
        .to_owned();
    let media_type = field
        .content_type()
        .map(|m| m.essence_str().to_ascii_lowercase())
        .filter(|m| m.len() <= 255 && header::HeaderValue::from_str(m).is_ok())
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let mut upload = run(move || {
        files
            .begin()
            .map_err(|e| WebError::from(pcmh_core::store::StoreError::from(e)))
    })
    .await?;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if upload.size() + chunk.len() as u64 > FILE_LIMIT {
            return Err(too_large());
        }
        upload = run(move || {
            use std::io::Write;
            upload
                .write_all(&chunk)
                .map_err(|e| WebError::from(pcmh_core::store::StoreError::from(e)))?;
            Ok(upload)
        })
        .await?;
    }
    if raw_name.is_empty() && upload.size() == 0 {
        return Ok(None);
    }
    Ok(Some(ReceivedFile {
        upload,
        file_name: clean_file_name(&raw_name),
        media_type,
    }))
}

/// Reads the multipart Attest form; the CSRF token (the first field, or the htmx header) must
/// match the session's before any file is received.
async fn receive(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
    viewer: &Viewer,
) -> Result<Received, WebError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > FILE_LIMIT + 256 * 1024) {
        return Err(too_large());
    }
    let mut token = csrf_header(req);
    let mut fields = Fields::default();
    let mut file = None;
    let mut multipart = Multipart::new(req.headers(), payload);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(unreadable)?;
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "csrf_token" => token = Some(receive_text(&mut field).await?),
            "file" if file.is_none() => {
                if !token.as_deref().is_some_and(|t| same_token(t, &viewer.csrf)) {
                    return Err(WebError::Csrf);
                }
                file = receive_file(FolderFiles::new(state.data_dir.join("evidence")), &mut field).await?;
            }
            _ => {
                let value = receive_text(&mut field).await?;
                fields.0.push((name, value));
            }
        }
    }
    if !token.as_deref().is_some_and(|t| same_token(t, &viewer.csrf)) {
        return Err(WebError::Csrf);
    }
    Ok(Received { fields, file })
}

/// The messages of a refused Attest form, each beside its field ("evidence[2]" beside the
/// evidence checkboxes); those of fields the form does not show go above it.
fn beside_fields(errors: FormErrors) -> FormErrors {
    let mut errors = errors.keep_fields(&SHOWN);
    let listed: Vec<String> = errors
        .fields
        .keys()
        .filter(|k| k.starts_with("evidence["))
        .cloned()
        .collect();
    for key in listed {
        if let Some(message) = errors.fields.remove(&key) {
            errors.fields.entry("evidence".to_owned()).or_insert(message);
        }
    }
    errors
}

/// The attestation and, with a file, the document the form describes, read with the API's rules.
fn read_form(
    fields: &Fields,
    viewer: &Viewer,
    id: &CriterionId,
    file: Option<&ReceivedFile>,
    catalog: &Catalog,
) -> Result<(NewAttestation, Option<NewDocument>), FormErrors> {
    let mut json = fields.json(&[
        ("status", Kind::Text),
        ("effective_on", Kind::Text),
        ("statement", Kind::Text),
        ("evidence", Kind::NumberList),
    ]);
    json["criterion"] = Value::String(id.to_string());
    json["signer"] = Value::String(viewer.user.display_name.clone());
    json["signer_role"] = Value::String(role_words(viewer.user.role).to_owned());
    let attestation = forms::read_json::<NewAttestation>(&json);
    let document = file.map(|f| {
        let mut json = fields.json(&[("document_type", Kind::Text), ("effective_on", Kind::Text)]);
        let title = fields.get("document_title").map(str::trim).filter(|t| !t.is_empty());
        json["title"] = Value::String(title.unwrap_or(&f.file_name).to_owned());
        json["criteria"] = Value::Array(vec![Value::String(id.to_string())]);
        forms::read_json::<NewDocument>(&json).and_then(|d| match documents::check(catalog, &d) {
            Ok(()) => Ok(d),
            Err(e) => Err(FormErrors::from(ApiError::from(e))),
        })
    });
    match (attestation, document) {
        (Ok(a), None) => Ok((a, None)),
        (Ok(a), Some(Ok(d))) => Ok((a, Some(d))),
        (a, d) => {
            let mut errors = a.err().unwrap_or_default();
            if let Some(Err(doc)) = d {
                for (field, message) in doc.fields {
                    let field = if field == "title" {
                        "document_title".to_owned()
                    } else {
                        field
                    };
                    errors.fields.entry(field).or_insert(message);
                }
                errors.general.extend(doc.general);
            }
            Err(errors)
        }
    }
}

/// Makes the practice's attestation of the criterion (superseding the one in force), with a
/// file uploaded on the spot kept as a document and linked as evidence, in one transaction.
#[post("/practices/{id}/criteria/{criterion}")]
async fn attest(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(i64, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    if !same_origin(&req) {
        return Err(WebError::Csrf);
    }
    // Access first: an auditor or another practice's manager learns nothing from the body.
    let (practice_id, criterion) = path.into_inner();
    let practice = viewer.practice_to_write(&state, practice_id).await?;
    let Received { fields, file } = receive(&state, &req, payload, &viewer).await?;
    let catalog = state.catalog(&practice.catalog_id, &practice.catalog_version)?.clone();
    let id = criterion_of(&catalog, &criterion)?;
    let shown = |errors: FormErrors, fields: Fields| Shown {
        as_of: (None, None),
        notice: None,
        form: fields,
        errors: beside_fields(errors),
    };
    let (form, document) = match read_form(&fields, &viewer, &id, file.as_ref(), &catalog) {
        Ok(read) => read,
        Err(errors) => return render(&state, &viewer, practice, id, shown(errors, fields)).await,
    };
    let upload = match (file, document) {
        (Some(f), Some(form)) => {
            let files = FolderFiles::new(state.data_dir.join("evidence"));
            let stored = run(move || {
                files
                    .commit(f.upload)
                    .map_err(|e| pcmh_core::store::StoreError::from(e).into())
            })
            .await?;
            let size_bytes = i64::try_from(stored.size_bytes).map_err(|_| too_large())?;
            let file = DocumentFile {
                file_name: f.file_name,
                media_type: f.media_type,
                size_bytes,
                sha256: stored.sha256,
            };
            Some(UploadedEvidence { form, file })
        }
        _ => None,
    };
    let attesting = Attesting {
        form,
        upload,
        supersede_in_force: true,
    };
    let (app, actor, pid) = (state.clone(), viewer.actor(&practice), practice.id);
    let made = run(move || {
        forms::outcome(actions::attest_for_practice(
            &app.store,
            &app.catalogs,
            &actor,
            pid,
            &attesting,
        ))
    })
    .await?;
    match made {
        Ok(record) => {
            let a = &record.attestation;
            let notice = format!(
                "Attestation of {} recorded: {} from {}.",
                a.criterion,
                a.status.label(),
                long_date(a.effective_on)
            );
            Ok(forms::redirect(
                &format!("/practices/{}/criteria/{}", practice.id, a.criterion),
                &notice,
            ))
        }
        Err(errors) => render(&state, &viewer, practice, id, shown(errors, fields)).await,
    }
}

/// Registers the criterion pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(criterion_page).service(attest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strip_names_the_periods_the_rules_checked() {
        let occurrences = Occurrences {
            every: "monthly".into(),
            expected: 12,
            held: 11,
            missing: vec!["2026-03".into()],
        };
        let (summary, cells) = strip(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), &occurrences);
        assert_eq!(summary, "Monthly: 12 expected, 11 held");
        assert_eq!(cells.len(), 12);
        assert_eq!(cells[0].label, "2025-11");
        assert_eq!(cells[11].label, "2026-10");
        assert_eq!(cells.iter().filter(|c| c.words == "none held").count(), 1);
        let quarterly = Occurrences {
            every: "quarterly".into(),
            expected: 4,
            held: 4,
            missing: Vec::new(),
        };
        let (_, cells) = strip(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), &quarterly);
        let labels: Vec<&str> = cells.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]);
    }
}
