//! NIST OSCAL exports (JSON, OSCAL 1.1.3): a catalog version as an OSCAL catalog, and a
//! practice's or a PO's compliance as of a day as OSCAL assessment results.

use actix_web::{get, web, HttpResponse};
use pcmh_core::ids::{OrganizationId, PracticeId};
use pcmh_core::records::Basis;
use pcmh_core::standards::oscal;
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidQuery};
use super::organization_compliance::OrganizationAsOf;
use super::practices::AsOf;
use super::AppState;

/// An OSCAL document's answer.
fn json(bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(bytes)
}

/// A catalog version as an OSCAL catalog: every criterion a control `pcmh-<id>` (with a `label`
/// prop holding the criterion id), grouped by scope, with a `statement` part and an
/// `assessment-objective` part; pcmh-track's own props carry the namespace
/// `https://pcmh-track.org/ns/oscal`. The same catalog always gives the same bytes.
#[utoipa::path(
    tag = "catalogs",
    operation_id = "get_catalog_oscal",
    params(("catalog" = String, Path, description = "The catalog id"), ("version" = String, Path, description = "The version")),
    responses(
        (status = 200, description = "An OSCAL 1.1.3 catalog (`{\"catalog\": ...}`), valid against NIST's oscal_complete_schema.json", content_type = "application/json", body = Object),
        (status = 404, description = "No such catalog version", body = ErrorBody)
    )
)]
#[get("/catalogs/{catalog}/versions/{version}/oscal")]
async fn get_catalog_oscal(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let not_found = || ApiError::NotFound(format!("catalog {id} version {version} was not found"));
    let parsed = semver::Version::parse(&version).map_err(|_| not_found())?;
    let catalog = state.catalogs.get(&id, &parsed).ok_or_else(not_found)?;
    Ok(json(oscal::to_json(&oscal::catalog(catalog))))
}

/// The practice's compliance as of a day as OSCAL assessment results: one result (starting at
/// the day's 00:00 in the practice's time zone), one finding per criterion targeting its
/// objective, an observation per supporting record and per attestation in force, the evidence
/// documents in the back matter with their SHA-256. UUIDs are derived from the practice, the
/// criterion, the record and the day: the same records give the same bytes.
#[utoipa::path(
    tag = "practices",
    operation_id = "get_practice_compliance_oscal",
    params(("practice_id" = i64, Path, description = "The practice's id"), AsOf),
    responses(
        (status = 200, description = "OSCAL 1.1.3 assessment results (`{\"assessment-results\": ...}`), valid against NIST's oscal_complete_schema.json", content_type = "application/json", body = Object),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such practice", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/practices/{practice_id}/compliance/oscal")]
async fn get_practice_compliance_oscal(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<AsOf>,
) -> Result<HttpResponse, ApiError> {
    let id = PracticeId(path.into_inner());
    let (store, catalogs) = (state.store.clone(), state.catalogs.clone());
    let bytes = blocking(move || {
        Ok(pcmh_core::actions::oscal::practice_assessment_results(
            &store,
            &catalogs,
            id,
            query.as_of,
            chrono::Utc::now(),
            Basis::known_on(query.as_known_on),
        )?)
    })
    .await?;
    Ok(json(bytes))
}

/// The PO's compliance as of a day as OSCAL assessment results: a first result for the PO-level
/// criteria (the day read in UTC, as the PO's compliance reads it), then one result per practice
/// in full (its day in its own time zone), with the same findings and observations as the
/// practice's own export.
#[utoipa::path(
    tag = "organizations",
    operation_id = "get_organization_compliance_oscal",
    params(("organization_id" = i64, Path, description = "The PO's id"), OrganizationAsOf),
    responses(
        (status = 200, description = "OSCAL 1.1.3 assessment results (`{\"assessment-results\": ...}`), valid against NIST's oscal_complete_schema.json", content_type = "application/json", body = Object),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 404, description = "No such PO", body = ErrorBody),
        (status = 503, description = "As many PO-wide views as the server computes at once are being computed (`busy`), or the database is not reachable; try again after `Retry-After` seconds", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/organizations/{organization_id}/compliance/oscal")]
async fn get_organization_compliance_oscal(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    path: web::Path<i64>,
    ValidQuery(query): ValidQuery<OrganizationAsOf>,
) -> Result<HttpResponse, ApiError> {
    let id = OrganizationId(path.into_inner());
    let as_of = query.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let (store, catalogs) = (state.store.clone(), state.catalogs.clone());
    let turn = state.heavy_views.turn().await?;
    let watch = super::heavy::Watch::of(&req);
    let abandoned = watch.flag();
    let bytes = blocking(move || {
        let _turn = turn;
        Ok(pcmh_core::actions::oscal::organization_assessment_results(
            &store,
            &catalogs,
            id,
            as_of,
            Basis::known_on(query.as_known_on),
            &abandoned,
        )?)
    })
    .await?;
    drop(watch);
    Ok(json(bytes))
}

/// Registers the OSCAL routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(get_catalog_oscal)
        .service(get_practice_compliance_oscal)
        .service(get_organization_compliance_oscal);
}
