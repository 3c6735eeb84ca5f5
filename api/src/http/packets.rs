//! Auditor packets (a signed ZIP of a practice's evidence for a period) and the key that signs them.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use pcmh_core::ids::PracticeId;
use pcmh_core::packet::{self, Manifest, ManifestOrganization, ManifestPractice, PacketWriter, Period};
use pcmh_core::records::{Owner, Records};
use pcmh_core::rules::view;
use pcmh_core::store::audit::{self, AuditEvent, EventFilter};
use pcmh_core::store::documents::{self, DocumentFilter, StoredDocument};
use pcmh_core::store::files::{EvidenceFiles, FolderFiles};
use pcmh_core::store::{organizations, records, Connection, DateRange, Page, StoreResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson};
use super::AppState;

/// The period a packet covers, both days included; the compliance status is as of `to`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PacketRequest {
    /// The first day (YYYY-MM-DD).
    #[validate(custom(function = "pcmh_core::checks::plausible_date"))]
    pub from: NaiveDate,
    /// The last day (YYYY-MM-DD), not before `from`.
    #[validate(custom(function = "pcmh_core::checks::plausible_date"))]
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

/// Every page of a store listing.
fn all_pages<T>(
    conn: &mut Connection,
    mut page: impl FnMut(&mut Connection, Page) -> StoreResult<pcmh_core::store::Listing<T>>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let listing = page(conn, Page { limit: 500, offset })?;
        let count = listing.items.len() as i64;
        out.extend(listing.items);
        offset += 500;
        if count < 500 || offset >= listing.total {
            return Ok(out);
        }
    }
}

/// A value's serde text, e.g. an enum's snake_case name.
fn text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The name of a document's evidence file in the packet.
fn evidence_path(document: &StoredDocument) -> String {
    let name: String = document
        .file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("evidence/{}-{}", document.document.id.0, name)
}

/// The log files (CSV) of the period; patient references are left out.
fn logs(records: &Records, period: &Period, documents: &[StoredDocument]) -> Vec<(&'static str, String)> {
    let trainings: Vec<Vec<String>> = records
        .trainings
        .iter()
        .filter(|t| period.contains(t.completed_on))
        .map(|t| {
            vec![
                t.id.0.to_string(),
                t.staff_id.0.to_string(),
                t.topic.as_str().to_owned(),
                t.completed_on.to_string(),
                t.hours.to_string(),
                t.trainer.clone().unwrap_or_default(),
                opt(t.document_id.map(|d| d.0)),
            ]
        })
        .collect();
    let meetings: Vec<Vec<String>> = records
        .meetings
        .iter()
        .filter(|m| period.contains(m.held_on))
        .map(|m| {
            vec![
                m.id.0.to_string(),
                m.held_on.to_string(),
                m.kind.as_str().to_owned(),
                m.attendees.len().to_string(),
                m.patients_reviewed.to_string(),
                m.documented_in_chart.to_string(),
                m.follow_ups.len().to_string(),
                m.follow_ups
                    .iter()
                    .filter(|f| f.completed_on.is_some())
                    .count()
                    .to_string(),
            ]
        })
        .collect();
    let mut shares = Vec::new();
    for plan in &records.care_plans {
        for share in plan.shares.iter().filter(|s| period.contains(s.shared_on)) {
            let partner = plan.care_partners.iter().find(|p| p.id == share.partner_id);
            shares.push(vec![
                plan.id.0.to_string(),
                text(&plan.kind),
                plan.discussed_on.to_string(),
                share.id.0.to_string(),
                share.partner_id.0.to_string(),
                partner.map(|p| p.name.clone()).unwrap_or_default(),
                share.shared_on.to_string(),
                text(&share.method),
            ]);
        }
    }
    let index: Vec<Vec<String>> = documents
        .iter()
        .map(|d| {
            vec![
                d.document.id.0.to_string(),
                d.document.title.clone(),
                d.document.document_type.as_str().to_owned(),
                d.document.effective_on.to_string(),
                d.document
                    .criteria
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                d.file.file_name.clone(),
                d.file.media_type.clone(),
                d.file.size_bytes.to_string(),
                d.file.sha256.clone(),
                evidence_path(d),
            ]
        })
        .collect();
    vec![
        (
            "logs/trainings.csv",
            packet::csv(
                &[
                    "id",
                    "staff_id",
                    "topic",
                    "completed_on",
                    "hours",
                    "trainer",
                    "document_id",
                ],
                &trainings,
            ),
        ),
        (
            "logs/meetings.csv",
            packet::csv(
                &[
                    "id",
                    "held_on",
                    "kind",
                    "attendees",
                    "patients_reviewed",
                    "documented_in_chart",
                    "follow_ups",
                    "follow_ups_completed",
                ],
                &meetings,
            ),
        ),
        (
            "logs/care-plan-shares.csv",
            packet::csv(
                &[
                    "care_plan_id",
                    "care_plan_kind",
                    "discussed_on",
                    "share_id",
                    "partner_id",
                    "partner_name",
                    "shared_on",
                    "method",
                ],
                &shares,
            ),
        ),
        (
            "logs/documents.csv",
            packet::csv(
                &[
                    "id",
                    "title",
                    "document_type",
                    "effective_on",
                    "criteria",
                    "file_name",
                    "media_type",
                    "size_bytes",
                    "sha256",
                    "path_in_packet",
                ],
                &index,
            ),
        ),
    ]
}

/// Everything a packet is made from, read in one transaction.
struct Inputs {
    practice: pcmh_core::records::Practice,
    organization: pcmh_core::records::Organization,
    records: Records,
    documents: Vec<StoredDocument>,
    events: Vec<AuditEvent>,
}

fn read_inputs(conn: &mut Connection, id: PracticeId, period: Period) -> StoreResult<Inputs> {
    let (practice, records) = records::for_practice(conn, id)?;
    let organization = organizations::get(conn, practice.organization_id)?;
    let range = DateRange {
        from: Some(period.from),
        to: Some(period.to),
    };
    let mut documents = all_pages(conn, |c, page| {
        documents::list(c, Owner::Practice(id), &DocumentFilter::default(), range, page)
    })?;
    documents.sort_by_key(|d| (d.document.effective_on, d.document.id.0));
    let filter = EventFilter {
        practice: Some(id),
        since: period.from.and_hms_opt(0, 0, 0),
        until: period.to.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)),
        except_action: Some("export".into()),
        ..EventFilter::default()
    };
    // Exports are reads: leaving them out keeps a second export of the same period identical.
    let events = all_pages(conn, |c, page| audit::list(c, &filter, page))?;
    Ok(Inputs {
        practice,
        organization,
        records,
        documents,
        events,
    })
}

fn io_error(what: &str, e: impl std::fmt::Display) -> ApiError {
    super::error::log_error("packet", &format!("{what}: {e}"));
    ApiError::Internal
}

/// Writes the packet to a temporary file and returns it (rewound) with its manifest.
fn write_packet(state: &AppState, inputs: &Inputs, period: Period) -> Result<(File, Manifest), ApiError> {
    let status = view::practice_compliance(&state.catalogs, inputs.practice.clone(), &inputs.records, period.to)?;
    let manifest = Manifest {
        format: packet::FORMAT.into(),
        practice: ManifestPractice {
            id: inputs.practice.id.0,
            name: inputs.practice.name.clone(),
        },
        organization: ManifestOrganization {
            id: inputs.organization.id.0,
            name: inputs.organization.name.clone(),
        },
        period,
        catalog_id: inputs.practice.catalog_id.clone(),
        catalog_version: inputs.practice.catalog_version.clone(),
        generator: packet::GENERATOR.into(),
        files: Vec::new(),
    };
    let attestations: Vec<_> = inputs
        .records
        .attestations
        .iter()
        .filter(|a| a.effective_on <= period.to)
        .collect();
    let logs = logs(&inputs.records, &period, &inputs.documents);
    let mut names: Vec<String> = vec!["report.html".into(), "status.json".into(), "attestations.json".into()];
    names.extend(logs.iter().map(|(n, _)| (*n).to_owned()));
    names.push("audit-events.json".into());
    names.extend(inputs.documents.iter().map(evidence_path));

    let file = tempfile::tempfile().map_err(|e| io_error("temporary file", e))?;
    let mut writer = PacketWriter::new(file);
    let html = packet::report_html(&manifest, &status, &names);
    let write = |writer: &mut PacketWriter<File>, name: &str, bytes: &[u8]| {
        writer.add_bytes(name, bytes).map_err(|e| io_error("writing", e))
    };
    write(&mut writer, "report.html", html.as_bytes())?;
    write(&mut writer, "status.json", &json(&status)?)?;
    write(&mut writer, "attestations.json", &json(&attestations)?)?;
    for (name, content) in &logs {
        write(&mut writer, name, content.as_bytes())?;
    }
    write(&mut writer, "audit-events.json", &json(&inputs.events)?)?;
    let files = FolderFiles::new(state.data_dir.join("evidence"));
    for document in &inputs.documents {
        let mut content = files
            .open(&document.file.sha256)
            .map_err(|e| io_error("evidence file", e))?;
        writer
            .add(&evidence_path(document), &mut content)
            .map_err(|e| io_error("writing", e))?;
    }
    let (mut file, manifest) = writer
        .finish(manifest, &state.signing_key)
        .map_err(|e| io_error("writing", e))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| io_error("rewinding", e))?;
    Ok((file, manifest))
}

/// A packet's JSON file: pretty-printed.
fn json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec_pretty(value).map_err(|e| io_error("serializing", e))
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
        (status = 200, description = "The packet (a ZIP)", content_type = "application/zip", body = Vec<u8>),
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
    if form.to < form.from {
        return Err(ApiError::invalid(
            "to",
            "not_before_from",
            format!("{} is before from ({})", form.to, form.from),
        ));
    }
    let period = Period {
        from: form.from,
        to: form.to,
    };
    let state = state.into_inner();
    let (file, practice_id) = blocking(move || {
        let inputs = state.store.read(|c| read_inputs(c, id, period))?;
        let (file, manifest) = write_packet(&state, &inputs, period)?;
        let record = packet::ExportRecord::of(&manifest).map_err(|e| io_error("manifest", e))?;
        let record = state
            .store
            .write_audited(caller.audit("export", "packet"), |_, _| Ok(record))?;
        Ok((file, record.practice_id))
    })
    .await?;
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
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"packet-practice-{practice_id}-{}-{}.zip\"",
                period.from, period.to
            ),
        ))
        .streaming(body))
}

/// Registers the routes of this module.
pub fn configure(config: &mut ServiceConfig) {
    config.service(get_signing_key).service(create_packet);
}
