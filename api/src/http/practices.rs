//! A practice, its declarations, and its compliance as of a date.

use actix_web::{get, patch, post, web};
use chrono::NaiveDate;
use pcmh_core::ids::PracticeId;
use pcmh_core::records::Attestation;
use pcmh_core::records::Practice;
use pcmh_core::rules::attested::{self, Agreement, WindowedDue};
use pcmh_core::rules::{current_attestation, evaluate_all, CriterionResult, Evaluation, Status};
use pcmh_core::store::practices::{self, PracticeUpdate};
use pcmh_core::store::{audit, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson, ValidQuery};
use super::organizations::snapshot;
use super::AppState;

/// One practice.
#[utoipa::path(
    tag = "practices",
    operation_id = "get_practice",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    responses(
        (status = 200, description = "The practice", body = Practice),
        (status = 404, description = "No such practice", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}")]
async fn get_practice(state: web::Data<AppState>, path: web::Path<i64>) -> Result<web::Json<Practice>, ApiError> {
    let store = state.store.clone();
    let id = PracticeId(path.into_inner());
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| practices::get(c, id))?)).await?,
    ))
}

/// Records a practice's declarations (its initial-focus population).
#[utoipa::path(
    tag = "practices",
    operation_id = "update_practice",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body = PracticeUpdate,
    responses(
        (status = 200, description = "The practice as now recorded", body = Practice),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody)
    )
)]
#[patch("/practices/{practice_id}")]
async fn update_practice(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<PracticeUpdate>,
) -> Result<web::Json<Practice>, ApiError> {
    let store = state.store.clone();
    let id = PracticeId(path.into_inner());
    Ok(web::Json(
        blocking(move || {
            Ok(store.write_audited(caller.audit("update", "practice"), |c, event| {
                audit::hold(c)?;
                event.before = Some(snapshot(&practices::get(c, id)?)?);
                practices::update(c, id, &form)
            })?)
        })
        .await?,
    ))
}

/// The day to evaluate compliance for.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// The day (YYYY-MM-DD); today if omitted.
    #[validate(custom(function = "pcmh_core::checks::plausible_date"))]
    pub as_of: Option<NaiveDate>,
}

/// How many criteria have each status, and how many need attention.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct StatusCounts {
    /// Met.
    pub met: usize,
    /// Partially met.
    pub partially_met: usize,
    /// Not met.
    pub not_met: usize,
    /// Not applicable.
    pub not_applicable: usize,
    /// Criteria whose current attestation disagrees with the computed status.
    pub disagreements: usize,
    /// Criteria whose current attestation was made under an earlier catalog version and no longer holds.
    pub needs_reattestation: usize,
    /// Criteria with something overdue or due within 30 days.
    pub due_within_30_days: usize,
}

/// One criterion's computed status beside its current attestation.
#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeCriterion {
    /// The computed status, its reasons, supporting records and what falls due within 90 days.
    #[serde(flatten)]
    pub result: CriterionResult,
    /// The attestation in force on the day evaluated, if any.
    pub attestation: Option<Attestation>,
    /// Whether the computed status and the attestation say the same.
    pub agreement: Agreement,
    /// Whether the attestation no longer holds under the catalog version evaluated.
    pub needs_reattestation: bool,
    /// Why it needs a new attestation, in plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reattestation_reason: Option<String>,
    /// What is overdue or falls due within 90 days, each with its window (overdue, within_30_days,
    /// within_60_days, within_90_days).
    pub due_windows: Vec<WindowedDue>,
}

/// A practice's compliance with its catalog version, criterion by criterion.
#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeCompliance {
    /// The practice.
    pub practice: Practice,
    /// The day evaluated.
    pub as_of: NaiveDate,
    /// The catalog evaluated against.
    pub catalog_id: String,
    /// Its version.
    pub catalog_version: String,
    /// How many criteria have each status, disagree with their attestation, or need re-attestation.
    pub summary: StatusCounts,
    /// One result per criterion, in catalog order.
    pub criteria: Vec<PracticeCriterion>,
}

/// Evaluates every criterion for the practice as of a day, from its stored records.
#[utoipa::path(
    tag = "practices",
    operation_id = "get_practice_compliance",
    params(("practice_id" = i64, Path, description = "The practice's id"), AsOf),
    responses(
        (status = 200, description = "The practice's compliance", body = PracticeCompliance),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/compliance")]
async fn get_practice_compliance(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<AsOf>,
) -> Result<web::Json<PracticeCompliance>, ApiError> {
    let id = PracticeId(path.into_inner());
    let as_of = query.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let store = state.store.clone();
    let (practice, records) =
        blocking(move || Ok(store.read(|c| pcmh_core::store::records::for_practice(c, id))?)).await?;
    let catalog = state.catalog(&practice.catalog_id, &practice.catalog_version)?;
    let evaluation = Evaluation {
        due_within_days: attested::DUE_HORIZON_DAYS,
        ..Evaluation::for_practice(catalog, &records, as_of)
    };
    let mut summary = StatusCounts::default();
    let mut criteria = Vec::new();
    for result in evaluate_all(&evaluation) {
        match result.status {
            Status::Met => summary.met += 1,
            Status::PartiallyMet => summary.partially_met += 1,
            Status::NotMet => summary.not_met += 1,
            Status::NotApplicable => summary.not_applicable += 1,
        }
        let attestation = current_attestation(&records, &result.criterion, as_of).cloned();
        let agreement = attested::compare(&result.criterion, result.status, attestation.as_ref());
        let reattestation_reason = attestation
            .as_ref()
            .and_then(|a| attested::needs_reattestation(&state.catalogs, catalog, a));
        let due_windows = attested::bucket(as_of, &result.due);
        summary.disagreements += usize::from(agreement.disagreement);
        summary.needs_reattestation += usize::from(reattestation_reason.is_some());
        summary.due_within_30_days += usize::from(
            due_windows
                .iter()
                .any(|d| d.window <= attested::DueWindow::Within30Days),
        );
        criteria.push(PracticeCriterion {
            result,
            attestation,
            agreement,
            needs_reattestation: reattestation_reason.is_some(),
            reattestation_reason,
            due_windows,
        });
    }
    Ok(web::Json(PracticeCompliance {
        catalog_id: practice.catalog_id.clone(),
        catalog_version: practice.catalog_version.clone(),
        practice,
        as_of,
        summary,
        criteria,
    }))
}

/// The catalog version to move a practice to.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogUpgrade {
    /// A later version of the practice's catalog, e.g. "1.1.0".
    #[validate(length(min = 1, max = 50))]
    pub to_version: String,
}

/// Moves a practice to a later version of its catalog. Attestations of criteria the mapping
/// keeps carry over; the others are flagged as needing re-attestation in the views.
#[utoipa::path(
    tag = "practices",
    operation_id = "upgrade_practice_catalog",
    params(("practice_id" = i64, Path, description = "The practice's id")),
    request_body = CatalogUpgrade,
    responses(
        (status = 200, description = "The practice, now assessed against the new version", body = Practice),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "The version is unknown, not later, or not reachable by the catalog's mappings", body = ErrorBody)
    )
)]
#[post("/practices/{practice_id}/catalog-upgrade")]
async fn upgrade_practice_catalog(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    ValidJson(form): ValidJson<CatalogUpgrade>,
) -> Result<web::Json<Practice>, ApiError> {
    let store = state.store.clone();
    let catalogs = state.catalogs.clone();
    let id = PracticeId(path.into_inner());
    Ok(web::Json(
        blocking(move || {
            Ok(store.write_audited(caller.audit("upgrade", "practice"), |c, event| {
                audit::hold(c)?;
                let practice = practices::get(c, id)?;
                let refuse = |message: String| StoreError::invalid("to_version", "catalog_upgrade", message);
                let text = form.to_version.trim();
                let target = semver::Version::parse(text)
                    .ok()
                    .and_then(|v| catalogs.get(&practice.catalog_id, &v))
                    .ok_or_else(|| {
                        let known: Vec<String> = catalogs
                            .iter()
                            .filter(|(_, k)| k.id == practice.catalog_id)
                            .map(|(_, k)| k.version.to_string())
                            .collect();
                        refuse(format!(
                            "{} has no version {text} (known: {})",
                            practice.catalog_id,
                            known.join(", ")
                        ))
                    })?;
                let from = semver::Version::parse(&practice.catalog_version).map_err(|_| {
                    refuse(format!(
                        "the practice's catalog version {} cannot be read",
                        practice.catalog_version
                    ))
                })?;
                attested::check_upgrade(|v| catalogs.get(&practice.catalog_id, v), &from, target)
                    .map_err(|why| refuse(format!("cannot upgrade to {text}: {why}")))?;
                event.before = Some(snapshot(&practice)?);
                practices::set_catalog_version(c, id, target)
            })?)
        })
        .await?,
    ))
}

/// Registers the practice routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(get_practice)
        .service(update_practice)
        .service(get_practice_compliance)
        .service(upgrade_practice_catalog);
}
