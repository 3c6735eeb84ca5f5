//! `GET /readyz`: whether this server can do its work now, for a load balancer or an
//! orchestrator deciding where to send requests. `/healthz` only says that the process answers.

use std::path::Path;
use std::time::Duration;

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{log_error, ErrorDetail};
use super::AppState;

/// How long each database check waits: a load balancer's probe must get an answer quickly.
const CHECK_WAIT: Duration = Duration::from_secs(2);

/// One thing the server needs, checked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadinessCheck {
    /// `database`, `migrations`, `catalogs` or `data_folder`.
    pub name: String,
    /// Whether it is as it must be.
    pub ok: bool,
    /// What was found, in plain words.
    pub detail: String,
}

/// The server can serve: every check passed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Readiness {
    /// Always "ready".
    pub status: String,
    /// The server's version.
    pub version: String,
    /// Each check and what it found.
    pub checks: Vec<ReadinessCheck>,
}

/// The server cannot serve now: the error names the first check that failed and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotReady {
    /// `not_ready`, with the first failing check's reason as the message.
    pub error: ErrorDetail,
    /// Each check and what it found.
    pub checks: Vec<ReadinessCheck>,
}

/// Checks that the server can serve: the database answers, its schema is current, the catalogs
/// are loaded, and the data folder can be written.
#[utoipa::path(
    tag = "service",
    operation_id = "get_readiness",
    responses(
        (status = 200, description = "Ready: every check passed", body = Readiness),
        (status = 503, description = "Not ready: the first failing check's reason, and every check", body = NotReady,
            headers(("Retry-After" = u32, description = "Seconds after which to ask again")))
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let checks = match web::block(move || checks(&state)).await {
        Ok(checks) => checks,
        Err(e) => {
            log_error("readiness checks did not run", &e.to_string());
            vec![ReadinessCheck {
                name: "server".into(),
                ok: false,
                detail: "the checks could not run".into(),
            }]
        }
    };
    match checks.iter().find(|c| !c.ok) {
        None => HttpResponse::Ok().json(Readiness {
            status: "ready".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            checks,
        }),
        Some(failed) => HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, "5"))
            .json(NotReady {
                error: ErrorDetail {
                    code: "not_ready".into(),
                    message: format!("{}: {}", failed.name, failed.detail),
                    fields: Vec::new(),
                },
                checks,
            }),
    }
}

/// Runs every check (blocking: the database and the file system).
fn checks(state: &AppState) -> Vec<ReadinessCheck> {
    let check = |name: &str, outcome: Result<String, String>| ReadinessCheck {
        name: name.into(),
        ok: outcome.is_ok(),
        detail: outcome.unwrap_or_else(|why| why),
    };
    let database = state.store.ping_within(CHECK_WAIT).map_err(|e| {
        // The cause (a host, a port, the driver's words) goes to the log, not to the probe.
        tracing::warn!(cause = %e, "readiness: the database does not answer");
        "the database is not reachable".to_owned()
    });
    let migrations = match &database {
        Err(_) => Err("not checked: the database is not reachable".to_owned()),
        Ok(()) => match state.store.pending_migrations(CHECK_WAIT) {
            Ok(0) => Ok("the schema is current".to_owned()),
            Ok(n) => Err(format!(
                "{n} migration(s) are not applied: restart the server or run `pcmh migrate`"
            )),
            Err(e) => {
                tracing::warn!(cause = %e, "readiness: the migrations could not be read");
                Err("the applied migrations could not be read".to_owned())
            }
        },
    };
    let loaded = state.catalogs.iter().count();
    let catalogs = if loaded > 0 {
        Ok(format!("{loaded} catalog version(s) loaded"))
    } else {
        Err("no catalog is loaded".to_owned())
    };
    vec![
        check("database", database.map(|()| "answers".to_owned())),
        check("migrations", migrations),
        check("catalogs", catalogs),
        check("data_folder", writable(&state.data_dir)),
    ]
}

/// Whether a file can be made (and removed) where evidence files are written.
fn writable(data_dir: &Path) -> Result<String, String> {
    let evidence = data_dir.join("evidence");
    let dir = if evidence.symlink_metadata().is_ok() {
        evidence
    } else {
        data_dir.to_owned()
    };
    tempfile::Builder::new()
        .prefix(".readyz-")
        .tempfile_in(&dir)
        .and_then(|file| file.close())
        .map(|()| "writable".to_owned())
        .map_err(|e| {
            tracing::warn!(folder = %dir.display(), cause = %e, "readiness: the data folder cannot be written");
            format!("the data folder cannot be written ({})", e.kind())
        })
}
