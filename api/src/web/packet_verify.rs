//! Verify a packet: an auditor (or anyone signed in) uploads a packet ZIP, and optionally the
//! public key it should be signed with (this server's key by default), and the page says
//! "Verified" or names the first file or signature that does not match, with the same
//! `pcmh_core::packet::verify` as `pcmh packet verify`.
//!
//! The upload is untrusted: it is streamed to an anonymous temporary file (deleted when
//! dropped) with a size cap, and `packet::verify` refuses a non-ZIP, a ZIP bomb and a path
//! leaving the packet before it reads anything. Nothing is ever extracted.

use std::io::{Seek, SeekFrom, Write};

use actix_multipart::{Field, Multipart};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;

use super::auth::{check_csrf, run, same_origin};
use super::forms::{self, Fields};
use super::{Chrome, Viewer, WebError};
use crate::http::AppState;

/// The largest packet accepted.
pub const PACKET_LIMIT: u64 = 512 * 1024 * 1024;

/// The largest key file or text field accepted.
const TEXT_LIMIT: usize = 64 * 1024;

/// What the check found.
pub enum Outcome {
    /// Every file and the signature match.
    Verified {
        /// How many files the manifest lists.
        files: usize,
        /// The key that signed it, hex.
        key: String,
        /// Whose key that is, in words.
        whose: &'static str,
    },
    /// The first thing that does not match, or why the upload was refused.
    Refused(String),
}

#[derive(Template)]
#[template(path = "packet_verify.html")]
struct VerifyPage {
    chrome: Chrome,
    server_key: String,
    outcome: Option<Outcome>,
    key_hex: String,
    own_key: bool,
}

fn page(viewer: &Viewer, state: &AppState, outcome: Option<Outcome>, fields: &Fields) -> VerifyPage {
    VerifyPage {
        chrome: Chrome::new(viewer, "Verify a packet").current("/packets/verify"),
        server_key: state.signing_key.public_hex(),
        outcome,
        key_hex: fields.get("key_hex").unwrap_or("").to_owned(),
        own_key: fields.get("own_key").is_some(),
    }
}

/// The verify form.
#[get("/packets/verify")]
async fn verify_page(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, WebError> {
    forms::ok(&page(&viewer, &state, None, &Fields::default()))
}

/// An upload read: its text fields and the packet in a temporary file.
struct Upload {
    fields: Fields,
    packet: Option<std::fs::File>,
    key_file: Option<String>,
}

fn refused(message: impl Into<String>) -> String {
    message.into()
}

/// Streams a file part to an anonymous temporary file, at most `PACKET_LIMIT` bytes.
async fn receive_packet(field: &mut Field) -> Result<Option<std::fs::File>, String> {
    let mut file = run(|| tempfile::tempfile().map_err(|_| WebError::Internal))
        .await
        .map_err(|_| refused("the packet could not be received: no room for a temporary file"))?;
    let mut size = 0u64;
    let mut batch = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| format!("the upload was cut short: {e}"))?;
        size += chunk.len() as u64;
        if size > PACKET_LIMIT {
            return Err(too_large());
        }
        batch.extend_from_slice(&chunk);
        if batch.len() >= 1024 * 1024 {
            file = write(file, std::mem::take(&mut batch)).await?;
        }
    }
    if size == 0 {
        return Ok(None);
    }
    file = write(file, batch).await?;
    Ok(Some(file))
}

async fn write(mut file: std::fs::File, bytes: Vec<u8>) -> Result<std::fs::File, String> {
    run(move || {
        file.write_all(&bytes).map_err(|_| WebError::Internal)?;
        Ok(file)
    })
    .await
    .map_err(|_| refused("the packet could not be received: the temporary file could not be written"))
}

fn too_large() -> String {
    format!(
        "The file is larger than {} MiB, the largest packet this page checks. Check it with `pcmh packet verify` instead.",
        PACKET_LIMIT / (1024 * 1024)
    )
}

/// Reads a text part (or a key file) of at most `TEXT_LIMIT` bytes.
async fn receive_text(field: &mut Field) -> Result<String, String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| format!("the upload was cut short: {e}"))?;
        if bytes.len() + chunk.len() > TEXT_LIMIT {
            return Err("a field or the key file is larger than 64 KiB: a public key is 64 hex digits".into());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads the multipart form, the CSRF token first.
async fn read_upload(req: &HttpRequest, payload: web::Payload) -> Result<Upload, String> {
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut upload = Upload {
        fields: Fields::default(),
        packet: None,
        key_file: None,
    };
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| format!("the form cannot be read: {e}"))?;
        match field.name().unwrap_or_default() {
            "packet" => upload.packet = receive_packet(&mut field).await?,
            "key_file" => {
                let text = receive_text(&mut field).await?;
                upload.key_file = Some(text).filter(|t| !t.trim().is_empty());
            }
            name => {
                let name = name.to_owned();
                let text = receive_text(&mut field).await?;
                upload.fields.0.push((name, text));
            }
        }
    }
    Ok(upload)
}

/// The public key in a key file: 64 hex digits, alone or as the `public_key` of
/// `GET /api/v1/signing-key` (as `pcmh packet verify --public-key` reads it).
fn key_in(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("public_key").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_else(|| text.trim().to_owned())
}

/// Checks an uploaded packet.
#[post("/packets/verify")]
async fn verify(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    if !same_origin(&req) {
        return Err(WebError::Csrf);
    }
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let early = if !multipart {
        Some("Send the packet with the form on this page (multipart/form-data).".to_owned())
    } else if declared.is_some_and(|n| n > PACKET_LIMIT + 2 * TEXT_LIMIT as u64 + 64 * 1024) {
        Some(too_large())
    } else {
        None
    };
    if let Some(message) = early {
        let page = page(&viewer, &state, Some(Outcome::Refused(message)), &Fields::default());
        return forms::refused(&page);
    }
    let upload = read_upload(&req, payload).await;
    let mut upload = match upload {
        Ok(upload) => upload,
        Err(message) => {
            return forms::refused(&page(
                &viewer,
                &state,
                Some(Outcome::Refused(message)),
                &Fields::default(),
            ));
        }
    };
    check_csrf(&mut upload.fields, &req, &viewer)?;
    let outcome = check(&state, &mut upload).await?;
    let failed = matches!(outcome, Outcome::Refused(_));
    forms::answer(&page(&viewer, &state, Some(outcome), &upload.fields), failed)
}

/// Runs `packet::verify` on the upload, against the key given, the packet's own key when asked,
/// or this server's key.
async fn check(state: &AppState, upload: &mut Upload) -> Result<Outcome, WebError> {
    let Some(mut packet) = upload.packet.take() else {
        return Ok(Outcome::Refused("Choose the packet (a .zip file) to verify.".into()));
    };
    let pasted = upload.fields.get("key_hex").map(str::trim).filter(|k| !k.is_empty());
    let own = upload.fields.get("own_key").is_some();
    let (key, whose) = match (upload.key_file.as_deref(), pasted) {
        (Some(file), _) => (Some(key_in(file)), "the public key given"),
        (None, Some(hex)) => (Some(hex.to_owned()), "the public key given"),
        (None, None) if own => (None, "the packet's own key (not checked against this server's)"),
        (None, None) => (Some(state.signing_key.public_hex()), "this server's signing key"),
    };
    run(move || {
        packet.seek(SeekFrom::Start(0)).map_err(|_| WebError::Internal)?;
        let reader = std::io::BufReader::new(packet);
        Ok(match pcmh_core::packet::verify(reader, key.as_deref()) {
            Ok(verified) => Outcome::Verified {
                files: verified.files,
                key: verified.public_key,
                whose,
            },
            Err(why) => Outcome::Refused(why),
        })
    })
    .await
}

/// Registers the verify pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(verify_page).service(verify);
}
