//! Auditor packets (a signed ZIP of a practice's evidence for a period) and the key that signs them.

use std::io::Read;

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use pcmh_core::ids::PracticeId;
use pcmh_core::packet::{self, ExportError, PacketError, Period};
use pcmh_core::store::files::FolderFiles;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson};
use super::AppState;

/// The period a packet covers, both days included; the compliance status is as of `to`.
#[pcmh_core::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PacketRequest {
    /// The first day (YYYY-MM-DD).
    #[check(date)]
    pub from: NaiveDate,
    /// The last day (YYYY-MM-DD), not before `from`.
    #[check(date)]
    pub to: NaiveDate,
}

/// The public key that signs packets.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKeyInfo {
    /// The algorithm: always `ed25519`.
    pub algorithm: String,
    /// The 32-byte public key as 64 lower-case hex digits (as in a packet's public-key.txt).
    pub public_key: String,
}

/// The public key that signs packets, to check them with `pcmh packet verify --public-key`.
#[utoipa::path(
    tag = "packets",
    operation_id = "get_signing_key",
    responses((status = 200, description = "The public key", body = SigningKeyInfo))
)]
#[get("/signing-key")]
async fn get_signing_key(state: web::Data<AppState>) -> web::Json<SigningKeyInfo> {
    web::Json(SigningKeyInfo {
        algorithm: "ed25519".into(),
        public_key: state.signing_key.public_hex(),
    })
}

fn io_error(what: &str, e: impl std::fmt::Display) -> ApiError {
    super::error::log_error("packet", &format!("{what}: {e}"));
    ApiError::Internal
}

/// Builds the signed auditor packet of a practice for a period: a ZIP with the manifest, its
/// signature and key, a readable report, the compliance status as of `to`, the attestations, the
/// logs as CSV, the evidence files of the period and the audit events of the period.
#[utoipa::path(
    tag = "packets",
    operation_id = "create_packet",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body = PacketRequest,
    responses(
        (status = 200, description = "The packet (a ZIP)", content_type = "application/zip", body = pcmh_core::store::documents::FileContent),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "The period breaks a rule", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/packets")]
async fn create_packet(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<PacketRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = PracticeId(path.into_inner());
    let period = packet::check_period(form.from, form.to)?;
    let state = state.into_inner();
    let (file, record) = blocking(move || export(&state, &caller.actor(), id, period)).await?;
    Ok(zip_response(file, record.practice_id, period))
}

/// The answer carrying a packet: the ZIP streamed from its file, as an attachment.
pub fn zip_response(file: std::fs::File, practice_id: i64, period: Period) -> HttpResponse {
    let body = futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, actix_web::Error>(web::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(actix_web::error::ErrorInternalServerError(e)), file)),
        }
    });
    HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"packet-practice-{practice_id}-{}-{}.zip\"",
                period.from, period.to
            ),
        ))
        .streaming(body)
}

/// Writes the packet of `practice` for `period` to a temporary file (the same core function
/// for the API and the packet page), rewound, with the record of the export.
pub fn export(
    state: &AppState,
    actor: &pcmh_core::access::Actor,
    practice: PracticeId,
    period: Period,
) -> Result<(std::fs::File, packet::ExportRecord), ApiError> {
    let files = FolderFiles::new(state.data_dir.join("evidence"));
    let file = tempfile::tempfile().map_err(|e| io_error("temporary file", e))?;
    let sources = packet::PacketSources {
        store: &state.store,
        catalogs: &state.catalogs,
        key: &state.signing_key,
        files: &files,
    };
    let (file, record) = packet::export(file, sources, actor, practice, period).map_err(|e| match e {
        ExportError::Store(e) => ApiError::from(e),
        ExportError::Packet(PacketError::Catalog(missing)) => ApiError::from(missing),
        ExportError::Packet(PacketError::Io(e)) => io_error("writing", e),
    })?;
    Ok((file, record))
}

/// Registers the routes of this module.
pub fn configure(config: &mut ServiceConfig) {
    config.service(get_signing_key).service(create_packet);
}
