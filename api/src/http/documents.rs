//! Evidence documents of a practice or of a PO: uploaded as `multipart/form-data`, stored by
//! SHA-256, described by metadata, and downloaded byte for byte.
//!
//! An upload has two parts: `file` (the bytes, at most 50 MiB, streamed to a temporary file
//! while hashed, so memory stays flat) and `metadata` (a JSON [`NewDocument`]). Every check
//! runs before the file is kept; the file is stored before its row is written, in one
//! transaction, so a row never names a missing file.

use std::io::{self, Read, Write};

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use futures_util::StreamExt;
use pcmh_core::actions::documents::{self as actions, ReceivedFile};
use pcmh_core::catalog::Catalog;
use pcmh_core::ids::{CriterionId, DocumentId, OrganizationId, PracticeId, Term};
use pcmh_core::records::Owner;
use pcmh_core::store::documents::{
    self, clean_file_name, DocumentFilter, FileContent, NewDocument, StoredDocument, UploadForm,
};
use pcmh_core::store::files::{EvidenceFiles, FolderFiles, Upload};
use pcmh_core::store::{Listing, StoreError};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody, FieldError};
use super::extract::{blocking, parse_api_json, ValidQuery, JSON_LIMIT};
use super::{AppState, ListQuery};

/// The largest file accepted: 50 MiB.
pub const FILE_LIMIT: u64 = 50 * 1024 * 1024;

/// What a multipart body may carry besides the file: the metadata and the parts' headers.
const BODY_OVERHEAD: u64 = JSON_LIMIT as u64 + 64 * 1024;

/// Bytes gathered before each write to the temporary file (a bounded buffer: memory stays flat).
const WRITE_BATCH: usize = 256 * 1024;

/// Bytes read from a stored file for each chunk of a download.
const READ_CHUNK: usize = 64 * 1024;

/// The media type of a file whose part names none (or an unusable one).
const DEFAULT_MEDIA_TYPE: &str = "application/octet-stream";

/// Paging, the range of effective dates, and filters of a document list.
#[pcmh_core::checks::checked]
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// How many items to return, 1 to 500 (default 100).
    #[check(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many items to skip (default 0).
    #[check(minimum = 0)]
    pub offset: Option<i64>,
    /// Only documents in force from this day or later.
    #[check(date)]
    pub from: Option<NaiveDate>,
    /// Only documents in force from this day or earlier.
    #[check(date)]
    pub to: Option<NaiveDate>,
    /// Only documents of this type (a term of the catalog's `document_types`).
    pub document_type: Option<Term>,
    /// Only documents supporting this criterion, e.g. `4.1`.
    pub criterion: Option<CriterionId>,
}

impl DocumentQuery {
    fn list_query(&self) -> ListQuery {
        ListQuery {
            limit: self.limit,
            offset: self.offset,
            from: self.from,
            to: self.to,
        }
    }

    fn filter(&self) -> DocumentFilter {
        DocumentFilter {
            document_type: self.document_type.clone(),
            criterion: self.criterion.clone(),
        }
    }
}

pub(crate) fn files(state: &AppState) -> FolderFiles {
    FolderFiles::new(state.data_dir.join("evidence"))
}

fn file_failure(error: io::Error) -> ApiError {
    ApiError::from(StoreError::from(error))
}

fn not_multipart() -> ApiError {
    ApiError::BadRequest {
        code: "unsupported_content_type",
        message: "send the document as multipart/form-data, with a `file` part and a `metadata` part (JSON)".into(),
        field: None,
    }
}

pub(crate) fn multipart_failure(error: MultipartError) -> ApiError {
    match error {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible
        | MultipartError::BoundaryMissing => not_multipart(),
        other => ApiError::BadRequest {
            code: "malformed_multipart",
            message: format!("the multipart body cannot be read: {other}"),
            field: None,
        },
    }
}

/// Refuses, before reading it, a body that is not `multipart/form-data` or is declared too large.
pub(crate) fn check_request(req: &HttpRequest) -> Result<(), ApiError> {
    let form_data = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("multipart/form-data"));
    if !form_data {
        return Err(not_multipart());
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > FILE_LIMIT + BODY_OVERHEAD) {
        return Err(too_large());
    }
    Ok(())
}

fn too_large() -> ApiError {
    ApiError::TooLarge(format!(
        "the file is larger than {} MiB, the most a document may have",
        FILE_LIMIT / (1024 * 1024)
    ))
}

/// Writes the `file` part to a temporary file, hashing it, in bounded batches.
pub(crate) async fn receive_file(state: &AppState, field: &mut Field) -> Result<ReceivedFile, ApiError> {
    let file_name = clean_file_name(
        field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or_default(),
    );
    let media_type = field
        .content_type()
        .map(|m| m.essence_str().to_ascii_lowercase())
        .filter(|m| m.len() <= 255 && HeaderValue::from_str(m).is_ok())
        .unwrap_or_else(|| DEFAULT_MEDIA_TYPE.to_owned());
    let files = files(state);
    let mut upload = blocking(move || files.begin().map_err(file_failure)).await?;
    let mut batch = BytesMut::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(multipart_failure)?;
        if upload.size() + (batch.len() + chunk.len()) as u64 > FILE_LIMIT {
            return Err(too_large());
        }
        batch.extend_from_slice(&chunk);
        if batch.len() >= WRITE_BATCH {
            upload = write_batch(upload, batch.split().freeze()).await?;
        }
    }
    if !batch.is_empty() {
        upload = write_batch(upload, batch.freeze()).await?;
    }
    Ok(ReceivedFile {
        upload,
        file_name,
        media_type,
    })
}

async fn write_batch(mut upload: Upload, bytes: Bytes) -> Result<Upload, ApiError> {
    blocking(move || {
        upload.write_all(&bytes).map_err(file_failure)?;
        Ok(upload)
    })
    .await
}

/// Reads a part that is not a file: at most `limit` bytes, else 413 naming `what`.
pub(crate) async fn receive_text(field: &mut Field, limit: usize, what: &str) -> Result<BytesMut, ApiError> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(multipart_failure)?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::TooLarge(format!("{what} is larger than {limit} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Reads and validates the `metadata` part.
async fn receive_metadata(field: &mut Field) -> Result<NewDocument, ApiError> {
    let bytes = receive_text(field, JSON_LIMIT, "the metadata part").await?;
    parse_api_json(&bytes).map_err(|error| match error {
        ApiError::Invalid(fields) => ApiError::Invalid(
            fields
                .into_iter()
                .map(|f| FieldError {
                    field: if f.field == "body" { "metadata".into() } else { f.field },
                    ..f
                })
                .collect(),
        ),
        ApiError::BadRequest { message, .. } => {
            ApiError::invalid("metadata", "json", message.replacen("the body", "the metadata part", 1))
        }
        other => other,
    })
}

/// Reads an upload: its metadata and its file, received into a temporary file (removed unless
/// it is kept).
async fn receive(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(NewDocument, ReceivedFile), ApiError> {
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut file: Option<ReceivedFile> = None;
    let mut metadata: Option<NewDocument> = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(multipart_failure)?;
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" if file.is_some() => return Err(ApiError::invalid("file", "single", "send one `file` part")),
            "metadata" if metadata.is_some() => {
                return Err(ApiError::invalid("metadata", "single", "send one `metadata` part"))
            }
            "file" => file = Some(receive_file(state, &mut field).await?),
            "metadata" => metadata = Some(receive_metadata(&mut field).await?),
            other => {
                return Err(ApiError::invalid(
                    other,
                    "unknown_field",
                    format!("unknown part `{other}`: an upload has a `file` part and a `metadata` part"),
                ));
            }
        }
    }
    let mut missing = Vec::new();
    if file.is_none() {
        missing.push(FieldError {
            field: "file".into(),
            rule: "required".into(),
            message: "file is required: the part with the document's bytes".into(),
        });
    }
    if metadata.is_none() {
        missing.push(FieldError {
            field: "metadata".into(),
            rule: "required".into(),
            message:
                "metadata is required: the part with the document's title, type, criteria and effective date (JSON)"
                    .into(),
        });
    }
    let (Some(received), Some(metadata)) = (file, metadata) else {
        return Err(ApiError::Invalid(missing));
    };
    Ok((metadata, received))
}

/// Stores an upload and its row for `owner`, assessed against `catalog`.
async fn create(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
    owner: Owner,
    catalog: Catalog,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let (form, received) = receive(state, req, payload).await?;
    let (store, files) = (state.store.clone(), files(state));
    let created = blocking(move || {
        Ok(actions::upload_document(
            &store,
            &files,
            &catalog,
            &caller.actor(),
            owner,
            &form,
            received,
        )?)
    })
    .await?;
    Ok(super::created(
        format!("{}/{}", req.path(), created.document.id),
        &created,
    ))
}

/// The catalog `owner` is assessed against (404 when there is no such owner).
pub(crate) async fn owner_catalog(state: &AppState, owner: Owner) -> Result<Catalog, ApiError> {
    let (store, catalogs) = (state.store.clone(), state.catalogs.clone());
    blocking(move || Ok(actions::owner_catalog(&store, &catalogs, owner)?)).await
}

async fn list(
    state: &AppState,
    owner: Owner,
    query: &DocumentQuery,
) -> Result<web::Json<Listing<StoredDocument>>, ApiError> {
    let list_query = query.list_query();
    let (range, page, filter) = (list_query.range()?, list_query.page(), query.filter());
    let store = state.store.clone();
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| documents::list(c, owner, &filter, range, page))?)).await?,
    ))
}

async fn get(state: &AppState, owner: Owner, id: DocumentId) -> Result<StoredDocument, ApiError> {
    let store = state.store.clone();
    blocking(move || Ok(store.read(|c| documents::get(c, owner, id))?)).await
}

/// The `filename` parameters of a Content-Disposition: an ASCII fallback without quotes or
/// backslashes, and the exact name percent-encoded as UTF-8 (RFC 6266) when it is not ASCII.
fn disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut value = format!("attachment; filename=\"{ascii}\"");
    if ascii != file_name {
        let mut encoded = String::new();
        for b in file_name.bytes() {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                encoded.push(b as char);
            } else {
                encoded.push_str(&format!("%{b:02X}"));
            }
        }
        value.push_str(&format!("; filename*=UTF-8''{encoded}"));
    }
    value
}

/// Whether an If-None-Match header names `etag` (or `*`).
fn matches_etag(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// Streams a stored file in chunks read off the async threads.
fn stream_file(reader: Box<dyn Read + Send>) -> impl futures_util::Stream<Item = Result<Bytes, io::Error>> {
    futures_util::stream::unfold(Some(reader), |state| async move {
        let mut reader = state?;
        let read = web::block(move || {
            let mut buf = vec![0; READ_CHUNK];
            let n = reader.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, io::Error>((buf, reader))
        })
        .await
        .map_err(io::Error::other)
        .and_then(|r| r);
        match read {
            Ok((buf, _)) if buf.is_empty() => None,
            Ok((buf, reader)) => Some((Ok(Bytes::from(buf)), Some(reader))),
            Err(e) => {
                super::error::log_error("evidence file read failed", &e.to_string());
                Some((Err(e), None))
            }
        }
    })
}

/// The bytes of a document, as stored.
pub(crate) async fn content(
    state: &AppState,
    req: &HttpRequest,
    owner: Owner,
    id: DocumentId,
) -> Result<HttpResponse, ApiError> {
    let stored = get(state, owner, id).await?;
    let etag = format!("\"{}\"", stored.file.sha256);
    if matches_etag(req, &etag) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish());
    }
    let files = files(state);
    let sha256 = stored.file.sha256.clone();
    let reader = blocking(move || files.open(&sha256).map_err(file_failure)).await?;
    let media_type =
        HeaderValue::from_str(&stored.file.media_type).unwrap_or_else(|_| HeaderValue::from_static(DEFAULT_MEDIA_TYPE));
    let disposition = HeaderValue::from_str(&disposition(&stored.file.file_name))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, media_type))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::ETAG, etag))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::CONTENT_LENGTH, stored.file.size_bytes.max(0) as u64))
        .streaming(stream_file(reader)))
}

/// Uploads a document of a practice (`multipart/form-data`: a `file` part and a `metadata` JSON part).
#[utoipa::path(
    tag = "documents",
    operation_id = "create_practice_document",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body(content = UploadForm, content_type = "multipart/form-data",
        description = "A `file` part (the bytes, at most 50 MiB; its filename and Content-Type are kept) and a `metadata` part (JSON)"),
    responses(
        (status = 201, description = "Stored; the file is kept under its SHA-256", body = StoredDocument),
        (status = 400, description = "The body is not multipart/form-data or cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 413, description = "The file is larger than 50 MiB", body = ErrorBody),
        (status = 422, description = "A part is missing or unknown, or a metadata field breaks a rule", body = ErrorBody),
        (status = 507, description = "The server's disk is full (`insufficient_storage`): nothing was stored, and the upload may be sent again once space is freed", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/documents")]
async fn create_practice_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    check_request(&req)?;
    let id = PracticeId(path.into_inner());
    let catalog = owner_catalog(&state, Owner::Practice(id)).await?;
    create(&state, &req, payload, Owner::Practice(id), catalog, caller).await
}

/// Lists the documents of a practice and the PO-level documents of its PO, by effective date.
#[utoipa::path(
    tag = "documents",
    operation_id = "list_practice_documents",
    params(("practice_id" = i64, Path, description = "The practice's id"), DocumentQuery),
    responses(
        (status = 200, description = "A page of documents", body = Listing<StoredDocument>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/documents")]
async fn list_practice_documents(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<DocumentQuery>,
) -> Result<web::Json<Listing<StoredDocument>>, ApiError> {
    list(&state, Owner::Practice(PracticeId(path.into_inner())), &query).await
}

/// One document of a practice (or a PO-level document of its PO): what it is and its file's facts.
#[utoipa::path(
    tag = "documents",
    operation_id = "get_practice_document",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("document_id" = i64, Path, description = "The document's id")
    ),
    responses(
        (status = 200, description = "The document", body = StoredDocument),
        (status = 404, description = "No such practice, or no such document of it", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/documents/{document_id}")]
async fn get_practice_document(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<StoredDocument>, ApiError> {
    let (practice, id) = path.into_inner();
    Ok(web::Json(
        get(&state, Owner::Practice(PracticeId(practice)), DocumentId(id)).await?,
    ))
}

/// The bytes of a document of a practice, as uploaded.
#[utoipa::path(
    tag = "documents",
    operation_id = "get_practice_document_content",
    params(
        ("practice_id" = i64, Path, description = "The practice's id"),
        ("document_id" = i64, Path, description = "The document's id")
    ),
    responses(
        (status = 200, description = "The file, sent with the media type it was uploaded with (its `media_type`; application/octet-stream when the upload named none), so any type may come; the ETag is its SHA-256",
            content_type = "*/*", body = FileContent,
            headers(
                ("ETag" = String, description = "The file's SHA-256, quoted"),
                ("Content-Disposition" = String, description = "attachment, with the file's name")
            )),
        (status = 304, description = "The file has the SHA-256 named by If-None-Match"),
        (status = 404, description = "No such practice, or no such document of it", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/documents/{document_id}/content")]
async fn get_practice_document_content(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (practice, id) = path.into_inner();
    content(&state, &req, Owner::Practice(PracticeId(practice)), DocumentId(id)).await
}

/// Uploads a PO-level document (`multipart/form-data`: a `file` part and a `metadata` JSON part).
#[utoipa::path(
    tag = "documents",
    operation_id = "create_organization_document",
    params(("organization_id" = i64, Path, description = "The PO's id")),
    request_body(content = UploadForm, content_type = "multipart/form-data",
        description = "A `file` part (the bytes, at most 50 MiB; its filename and Content-Type are kept) and a `metadata` part (JSON)"),
    responses(
        (status = 201, description = "Stored; the file is kept under its SHA-256", body = StoredDocument),
        (status = 400, description = "The body is not multipart/form-data or cannot be read", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 413, description = "The file is larger than 50 MiB", body = ErrorBody),
        (status = 422, description = "A part is missing or unknown, or a metadata field breaks a rule", body = ErrorBody),
        (status = 507, description = "The server's disk is full (`insufficient_storage`): nothing was stored, and the upload may be sent again once space is freed", body = ErrorBody)
    )
)]
#[post("/organizations/{organization_id}/documents")]
async fn create_organization_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    check_request(&req)?;
    let id = OrganizationId(path.into_inner());
    let catalog = owner_catalog(&state, Owner::Organization(id)).await?;
    create(&state, &req, payload, Owner::Organization(id), catalog, caller).await
}

/// Lists the PO-level documents of a PO, by effective date.
#[utoipa::path(
    tag = "documents",
    operation_id = "list_organization_documents",
    params(("organization_id" = i64, Path, description = "The PO's id"), DocumentQuery),
    responses(
        (status = 200, description = "A page of documents", body = Listing<StoredDocument>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/documents")]
async fn list_organization_documents(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<DocumentQuery>,
) -> Result<web::Json<Listing<StoredDocument>>, ApiError> {
    list(&state, Owner::Organization(OrganizationId(path.into_inner())), &query).await
}

/// One PO-level document: what it is and its file's facts.
#[utoipa::path(
    tag = "documents",
    operation_id = "get_organization_document",
    params(
        ("organization_id" = i64, Path, description = "The PO's id"),
        ("document_id" = i64, Path, description = "The document's id")
    ),
    responses(
        (status = 200, description = "The document", body = StoredDocument),
        (status = 404, description = "No such PO, or no such PO-level document of it", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/documents/{document_id}")]
async fn get_organization_document(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<StoredDocument>, ApiError> {
    let (organization, id) = path.into_inner();
    Ok(web::Json(
        get(
            &state,
            Owner::Organization(OrganizationId(organization)),
            DocumentId(id),
        )
        .await?,
    ))
}

/// The bytes of a PO-level document, as uploaded.
#[utoipa::path(
    tag = "documents",
    operation_id = "get_organization_document_content",
    params(
        ("organization_id" = i64, Path, description = "The PO's id"),
        ("document_id" = i64, Path, description = "The document's id")
    ),
    responses(
        (status = 200, description = "The file, sent with the media type it was uploaded with (its `media_type`; application/octet-stream when the upload named none), so any type may come; the ETag is its SHA-256",
            content_type = "*/*", body = FileContent,
            headers(
                ("ETag" = String, description = "The file's SHA-256, quoted"),
                ("Content-Disposition" = String, description = "attachment, with the file's name")
            )),
        (status = 304, description = "The file has the SHA-256 named by If-None-Match"),
        (status = 404, description = "No such PO, or no such PO-level document of it", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/documents/{document_id}/content")]
async fn get_organization_document_content(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (organization, id) = path.into_inner();
    content(
        &state,
        &req,
        Owner::Organization(OrganizationId(organization)),
        DocumentId(id),
    )
    .await
}

/// Registers the document routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(create_practice_document)
        .service(list_practice_documents)
        .service(get_practice_document)
        .service(get_practice_document_content)
        .service(create_organization_document)
        .service(list_organization_documents)
        .service(get_organization_document)
        .service(get_organization_document_content);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_cannot_break_the_header() {
        assert_eq!(disposition("minutes.pdf"), "attachment; filename=\"minutes.pdf\"");
        assert_eq!(
            disposition("a \"quoted\" \\ name.pdf"),
            "attachment; filename=\"a _quoted_ _ name.pdf\"; filename*=UTF-8''a%20%22quoted%22%20%5C%20name.pdf"
        );
        assert_eq!(
            disposition("Schulung–Übersicht.pdf"),
            "attachment; filename=\"Schulung__bersicht.pdf\"; filename*=UTF-8''Schulung%E2%80%93%C3%9Cbersicht.pdf"
        );
        for name in ["x\r\nSet-Cookie: a=b", "é", "plan;evil=1.pdf"] {
            let value = disposition(name);
            assert!(HeaderValue::from_str(&value).is_ok(), "{value}");
            assert!(value.is_ascii() && !value.contains(['\r', '\n']), "{value}");
        }
    }
}
