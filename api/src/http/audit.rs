//! The audit trail, read-only: admin everywhere; a po_manager or auditor within its scope.
//! Each PO's events form their own hash chain (`chain` = its id), the rest the server-wide
//! chain 0; `?chain=` lists one chain in its order, to check its hashes from outside.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use pcmh_core::ids::{OrganizationId, PracticeId};
use pcmh_core::store::audit::{self, AuditEvent, EventFilter};
use pcmh_core::store::{Listing, Page};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidQuery};
use super::AppState;

/// Which events to list.
#[pcmh_core::checks::checked]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only the events of this chain, in its order (`seq`): a PO's id, or 0 for the server-wide chain.
    #[check(minimum = 0)]
    pub chain: Option<i64>,
    /// Only events on records of this kind (staff, training, attestation, token, ...).
    #[check(min_length = 1, max_length = 50)]
    pub record_kind: Option<String>,
    /// Only events on the record with this id.
    pub record_id: Option<i64>,
    /// Only events concerning this practice.
    pub practice_id: Option<i64>,
    /// Only events concerning this PO.
    pub organization_id: Option<i64>,
    /// Only events at or after this moment, a date-time with its offset: 2026-11-24T00:00:00Z (a `+` is `%2B`).
    #[serde(default, deserialize_with = "pcmh_core::instant::optional")]
    pub since: Option<DateTime<Utc>>,
    /// Only events before this moment: a date-time with its offset, as `since`.
    #[serde(default, deserialize_with = "pcmh_core::instant::optional")]
    pub until: Option<DateTime<Utc>>,
    /// How many items to return, 1 to 500 (default 100).
    #[check(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many items to skip.
    #[check(minimum = 0)]
    pub offset: Option<i64>,
}

/// Lists audit events in the order they were written (by `occurred_at`, then chain and `seq`;
/// with `chain`, that chain in its order), within the caller's scope.
#[utoipa::path(
    tag = "audit",
    operation_id = "list_audit_events",
    params(EventQuery),
    responses(
        (status = 200, description = "A page of events", body = Listing<AuditEvent>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 403, description = "The caller's role may not read the audit trail", body = ErrorBody),
        (status = 404, description = "The practice or PO asked for is outside the caller's scope", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/audit-events")]
async fn list_audit_events(
    state: web::Data<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<EventQuery>,
) -> Result<web::Json<Listing<AuditEvent>>, ApiError> {
    let filter = EventFilter {
        chain: query.chain,
        record_kind: query.record_kind.clone(),
        record_id: query.record_id,
        practice: query.practice_id.map(PracticeId),
        organization: query.organization_id.map(OrganizationId),
        since: query.since,
        until: query.until,
        except_action: None,
        ..EventFilter::default()
    };
    let filter = pcmh_core::actions::admin::audit_scope(&caller.principal, filter)
        .ok_or_else(|| ApiError::NotFound("there is nothing at this path".into()))?;
    let page = Page {
        limit: query.limit.unwrap_or(100),
        offset: query.offset.unwrap_or(0),
    };
    let store = state.store.clone();
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| audit::list(c, &filter, page))?)).await?,
    ))
}

/// Registers the audit routes.
pub fn configure(config: &mut ServiceConfig) {
    config.service(list_audit_events);
}
