//! Documents: the evidence documents a practice sees (its own and its PO's), with their
//! SHA-256 and the criteria they support, a download link for each, and the upload form
//! (multipart: the file streamed to a temporary file as the API's upload is).

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use pcmh_core::actions::documents::{self as actions, ReceivedFile};
use pcmh_core::catalog::Vocabulary;
use pcmh_core::ids::DocumentId;
use pcmh_core::records::{Owner, Practice};
use pcmh_core::store::documents::{self, DocumentFilter, NewDocument};
use pcmh_core::store::{DateRange, Page};

use super::auth::{check_csrf, run, same_origin};
use super::forms::{self, Fields, FormErrors, Kind};
use super::staff::Choice;
use super::{long_date, Chrome, Viewer, WebError};
use crate::http::documents as api;
use crate::http::AppState;

/// The most bytes of all the text fields of an upload form together.
const TEXT_LIMIT: usize = 64 * 1024;

/// The fields the upload form shows.
const SHOWN: [&str; 5] = ["file", "title", "document_type", "effective_on", "criteria"];

/// One document, in words.
pub struct DocumentLine {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Who voided it, when and why, if it was voided; what it corrects.
    pub corrections: Vec<String>,
    /// Its "Void" form, for a person who may write and a record not voided.
    pub void: Option<super::corrections::VoidForm>,
    /// Its type.
    pub document_type: String,
    /// The day it is in force from.
    pub effective: String,
    /// The file's name.
    pub file_name: String,
    /// The file's size in words.
    pub size: String,
    /// The file's SHA-256.
    pub sha256: String,
    /// Its first 12 hex digits.
    pub sha256_short: String,
    /// The criteria it supports, e.g. "4.1, 4.3".
    pub criteria: String,
    /// Who keeps it.
    pub kept_by: &'static str,
}

#[derive(Template)]
#[template(path = "documents.html")]
struct DocumentsPage {
    chrome: Chrome,
    practice_id: i64,
    documents: Vec<DocumentLine>,
    may_write: bool,
    document_types: Vec<Choice>,
    criteria: Vec<Choice>,
    form: Fields,
    errors: FormErrors,
}

/// A size as people read it.
fn size_words(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 {
        format!("{bytes} bytes")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    }
}

/// Renders the page, with the refused upload form if there is one.
async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    practice: Practice,
    notice: Option<String>,
    form: Fields,
    errors: FormErrors,
) -> Result<HttpResponse, WebError> {
    let (app, id) = (state.clone(), practice.id);
    let (found, catalog) = run(move || {
        let page = Page { limit: 500, offset: 0 };
        let owner = Owner::Practice(id);
        let found = app
            .store
            .read(|c| documents::list(c, owner, &DocumentFilter::default(), DateRange::default(), page))?;
        let catalog = actions::owner_catalog(&app.store, &app.catalogs, owner)?;
        Ok((found, catalog))
    })
    .await?;
    let mut items = found.items;
    items.sort_by_key(|d| std::cmp::Reverse(d.document.effective_on));
    let failed = !errors.is_empty();
    let page = DocumentsPage {
        chrome: Chrome::practice(
            viewer,
            &practice,
            "/documents",
            format!("Documents · {}", practice.name),
        )
        .with_notice(notice),
        practice_id: practice.id.0,
        documents: items
            .iter()
            .map(|d| DocumentLine {
                id: d.document.id.0,
                title: d.document.title.clone(),
                corrections: super::corrections::notes("document", &d.document.correction),
                // A PO-level document is voided by its PO.
                void: super::corrections::void_form(
                    viewer.may_write() && d.document.owner == Owner::Practice(practice.id),
                    &d.document.correction,
                    format!("/practices/{}/documents/{}/void", practice.id, d.document.id),
                    format!("document {}", d.document.id),
                ),
                document_type: Vocabulary::label(&catalog.vocabulary.document_types, &d.document.document_type)
                    .to_owned(),
                effective: long_date(d.document.effective_on),
                file_name: d.file.file_name.clone(),
                size: size_words(d.file.size_bytes),
                sha256: d.file.sha256.clone(),
                sha256_short: d.file.sha256.chars().take(12).collect(),
                criteria: d
                    .document
                    .criteria
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                kept_by: match d.document.owner {
                    Owner::Practice(_) => "This practice",
                    Owner::Organization(_) => "The PO",
                },
            })
            .collect(),
        may_write: viewer.may_write(),
        document_types: catalog
            .vocabulary
            .document_types
            .iter()
            .map(|(term, label)| Choice {
                value: term.as_str().to_owned(),
                label: label.clone(),
            })
            .collect(),
        criteria: catalog
            .criteria
            .iter()
            .map(|c| Choice {
                value: c.id.to_string(),
                label: format!("{} {}", c.id, c.title),
            })
            .collect(),
        form,
        errors,
    };
    forms::answer(&page, failed)
}

/// The documents page.
#[get("/practices/{id}/documents")]
async fn documents_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let practice = viewer.practice(&state, path.into_inner()).await?;
    render(
        &state,
        &viewer,
        practice,
        forms::notice(&req),
        Fields::default(),
        FormErrors::default(),
    )
    .await
}

/// The upload form's fields, read as the API's `NewDocument` (the file comes apart).
pub(crate) const DOCUMENT_FIELDS: [(&str, Kind); 4] = [
    ("title", Kind::Text),
    ("document_type", Kind::Text),
    ("criteria", Kind::List),
    ("effective_on", Kind::Text),
];

/// Reads the upload form: its text fields (the CSRF token among them) and its file, streamed to
/// a temporary file by the API's own reader. A file input left empty is no file.
pub(crate) async fn read_upload(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(Fields, Option<ReceivedFile>), crate::http::error::ApiError> {
    let mut multipart = Multipart::new(req.headers(), payload);
    let (mut fields, mut file, mut text) = (Fields::default(), None, 0usize);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(api::multipart_failure)?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let received = api::receive_file(state, &mut field).await?;
            let chosen = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .is_some_and(|n| !n.is_empty());
            if file.is_none() && (chosen || received.upload.size() > 0) {
                file = Some(received);
            }
        } else {
            let bytes = api::receive_text(&mut field, TEXT_LIMIT.saturating_sub(text), "the form").await?;
            text += bytes.len();
            fields.0.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok((fields, file))
}

/// Uploads a document of the practice (the API's `create_practice_document`).
#[post("/practices/{id}/documents")]
async fn upload(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    if !same_origin(&req) {
        return Err(WebError::Csrf);
    }
    let practice = viewer.practice_to_write(&state, path.into_inner()).await?;
    api::check_request(&req)?;
    let read = read_upload(&state, &req, payload).await;
    let (mut fields, file) = match read {
        Ok(read) => read,
        Err(error) if forms::mendable(&error) => {
            let errors = FormErrors::from(error);
            return render(&state, &viewer, practice, None, Fields::default(), errors).await;
        }
        Err(error) => return Err(error.into()),
    };
    check_csrf(&mut fields, &req, &viewer)?;
    let read: Result<NewDocument, FormErrors> = fields.read(&DOCUMENT_FIELDS);
    let (form, received) = match (read, file) {
        (Ok(form), Some(received)) => (form, received),
        (read, file) => {
            let mut errors = read.err().unwrap_or_default();
            if file.is_none() {
                errors.fields.insert("file".into(), "choose the file to upload".into());
            }
            return render(&state, &viewer, practice, None, fields, shown(errors)).await;
        }
    };
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let files = api::files(&state);
    let stored = run(move || {
        let owner = Owner::Practice(id);
        let catalog = actions::owner_catalog(&app.store, &app.catalogs, owner)?;
        forms::outcome(actions::upload_document(
            &app.store, &files, &catalog, &actor, owner, &form, received,
        ))
    })
    .await?;
    match stored {
        Ok(stored) => Ok(forms::redirect(
            &format!("/practices/{}/documents", practice.id),
            &format!(
                "{} was uploaded (SHA-256 {}).",
                stored.document.title, stored.file.sha256
            ),
        )),
        Err(errors) => render(&state, &viewer, practice, None, fields, shown(errors)).await,
    }
}

/// The messages of a refused upload, each beside a field the form shows (the criteria's
/// together beside the list).
fn shown(mut errors: FormErrors) -> FormErrors {
    let indexed: BTreeMap<String, String> = std::mem::take(&mut errors.fields);
    for (key, message) in indexed {
        let key = if key.starts_with("criteria[") {
            "criteria".to_owned()
        } else {
            key
        };
        errors.fields.entry(key).or_insert(message);
    }
    errors.keep_fields(&SHOWN)
}

/// Sends a document's file as stored (the API's `get_practice_document_content`).
#[get("/practices/{id}/documents/{document_id}")]
async fn download(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(i64, i64)>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let (practice_id, document) = path.into_inner();
    let practice = viewer.practice(&state, practice_id).await?;
    Ok(api::content(&state, &req, Owner::Practice(practice.id), DocumentId(document)).await?)
}

/// Registers the document pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(documents_page).service(upload).service(download);
}
