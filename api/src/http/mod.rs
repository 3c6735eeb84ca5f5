//! The HTTP API: actix-web handlers that map requests to `pcmh_core` calls.
//!
//! Handlers extract and validate input, call the store or the rules, and serialize the answer;
//! they hold no SQL and no rules. Each resource has its own module with a `configure`
//! function; [`openapi`] collects the document from the same registrations, so the published
//! document cannot leave out a route.

pub mod access;
pub mod attestations;
pub mod audit;
pub mod care_plans;
pub mod catalogs;
pub mod documents;
pub mod error;
pub mod extract;
pub mod heavy;
pub mod meetings;
pub mod methods;
pub mod observe;
pub mod organization_compliance;
pub mod organizations;
pub mod oscal;
pub mod packets;
pub mod practices;
pub mod rate_limit;
pub mod readiness;
pub mod reports;
pub mod serving;
pub mod staff;
pub mod surveys;
pub mod tokens;
pub mod trainings;
pub mod voids;

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::{get, web, App, HttpResponse, HttpServer};
use chrono::NaiveDate;
use pcmh_core::catalog::{Catalog, CatalogSet};
use pcmh_core::ids::OrganizationId;
use pcmh_core::store::{DateRange, Page, Store};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{scope, AppExt};
use validator::Validate;

use error::ApiError;
use extract::blocking;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Every catalog version loaded at start.
    pub catalogs: Arc<CatalogSet>,
    /// The folder holding evidence files and the default database.
    pub data_dir: PathBuf,
    /// The Ed25519 key that signs auditor packets.
    pub signing_key: Arc<pcmh_core::packet::PacketKey>,
    /// How the web application's sessions behave.
    pub web: crate::web::WebSettings,
    /// The turns of the PO-wide views.
    pub heavy_views: Arc<heavy::HeavyViews>,
}

impl AppState {
    /// The catalog version `id`@`version`, which a stored record names.
    pub fn catalog(&self, id: &str, version: &str) -> Result<&Catalog, ApiError> {
        Ok(self.catalogs.named(id, version)?)
    }
}

impl AppState {
    /// The catalog a new practice is assessed against: the version named, or the one in force today.
    pub fn catalog_for_new_practice(&self, version: Option<&str>) -> Result<&Catalog, ApiError> {
        let id = self.catalogs.ids().first().copied().ok_or(ApiError::Internal)?;
        match version {
            Some(text) => semver::Version::parse(text)
                .ok()
                .and_then(|v| self.catalogs.get(id, &v))
                .ok_or_else(|| {
                    let known: Vec<String> = self
                        .catalogs
                        .iter()
                        .filter(|(_, c)| c.id == id)
                        .map(|(_, c)| c.version.to_string())
                        .collect();
                    ApiError::invalid(
                        "catalog_version",
                        "known_version",
                        format!("{id} has no version {text} (known: {})", known.join(", ")),
                    )
                }),
            None => self
                .catalogs
                .in_force(id, chrono::Utc::now().date_naive())
                .ok_or(ApiError::Internal),
        }
    }
}

impl AppState {
    /// The catalog a PO's own records are made under: the newest version its practices use,
    /// or the one in force today when it has none. `used` comes from `practices::catalog_versions`.
    pub fn organization_catalog(&self, used: &[(String, String)]) -> Result<Catalog, ApiError> {
        let used = used.iter().map(|(id, version)| (id.as_str(), version.as_str()));
        Ok(self
            .catalogs
            .for_organization(used, chrono::Utc::now().date_naive())?
            .clone())
    }

    /// [`AppState::organization_catalog`] for `organization`, read from the store.
    pub async fn catalog_of_organization(&self, organization: OrganizationId) -> Result<Catalog, ApiError> {
        let store = self.store.clone();
        let used =
            blocking(move || Ok(store.read(|c| pcmh_core::store::practices::catalog_versions(c, organization))?))
                .await?;
        self.organization_catalog(&used)
    }
}

/// Paging and a date range, for every list.
#[pcmh_core::checks::checked]
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many items to return, 1 to 500 (default 100).
    #[check(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many items to skip (default 0).
    #[check(minimum = 0)]
    pub offset: Option<i64>,
    /// Only records documenting this day or later.
    #[check(date)]
    pub from: Option<NaiveDate>,
    /// Only records documenting this day or earlier.
    #[check(date)]
    pub to: Option<NaiveDate>,
}

impl ListQuery {
    /// The page asked for.
    pub fn page(&self) -> Page {
        Page {
            limit: self.limit.unwrap_or(100),
            offset: self.offset.unwrap_or(0),
        }
    }

    /// The date range asked for, or a 422 when it ends before it starts.
    pub fn range(&self) -> Result<DateRange, ApiError> {
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if to < from {
                return Err(ApiError::invalid(
                    "to",
                    "not_before_from",
                    format!("{to} is before from ({from})"),
                ));
            }
        }
        Ok(DateRange {
            from: self.from,
            to: self.to,
        })
    }
}

/// That the server process answers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always "ok": the process is alive.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// Liveness: the server process answers. It reads nothing, so it stays cheap and keeps
/// answering while the database is away (the server recovers by itself when it is back; a
/// supervisor restarting it would not help). Whether requests can be served is `/readyz`.
#[utoipa::path(
    tag = "service",
    operation_id = "get_health",
    responses(
        (status = 200, description = "The server process answers", body = Health)
    )
)]
#[get("/healthz")]
async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pcmh-track",
        description = "Evidence that the PCMH care-management policy (Domain 4.0 Individual Care Management) is in place, criterion by criterion.",
        license(name = "Apache-2.0")
    ),
    tags(
        (name = "service", description = "Health of the server"),
        (name = "catalogs", description = "Policy catalogs and their criteria"),
        (name = "organizations", description = "Physician organizations (POs)"),
        (name = "practices", description = "Practices and their compliance"),
        (name = "staff", description = "Staff of a practice"),
        (name = "trainings", description = "Training records of staff"),
        (name = "meetings", description = "Inter-disciplinary team meetings"),
        (name = "care_plans", description = "Advance care plans and survivorship care plans, their partners and shares"),
        (name = "attestations", description = "Attestations of criteria, practice- and PO-level; corrections supersede"),
        (name = "documents", description = "Evidence documents, stored by SHA-256"),
        (name = "surveys", description = "Patient satisfaction and office efficiency survey results"),
        (name = "reports", description = "Periodic reports such as monthly member lists"),
        (name = "tokens", description = "Bearer tokens: roles and scopes"),
        (name = "audit", description = "The hash-chained audit trail of every write"),
        (name = "packets", description = "Signed attestation packets for auditors"),
    )
)]
struct ApiInfo;

/// Registers every route of the API.
fn routes(config: &mut ServiceConfig) {
    config.service(healthz).service(readiness::readyz).service(
        scope::scope("/api/v1")
            .configure(catalogs::configure)
            .configure(organizations::configure)
            .configure(organization_compliance::configure)
            .configure(oscal::configure)
            .configure(packets::configure)
            .configure(practices::configure)
            .configure(staff::configure)
            .configure(trainings::configure)
            .configure(meetings::configure)
            .configure(care_plans::configure)
            .configure(attestations::configure)
            .configure(documents::configure)
            .configure(surveys::configure)
            .configure(reports::configure)
            .configure(voids::configure)
            .configure(tokens::configure)
            .configure(audit::configure)
            .wrap(actix_web::middleware::from_fn(access::guard))
            .wrap(actix_web::middleware::from_fn(rate_limit::limit)),
    );
}

/// The OpenAPI document of the API, generated from the routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, spec) = App::new()
        .into_utoipa_app()
        .openapi(ApiInfo::openapi())
        .configure(routes)
        .split_for_parts();
    let mut spec = spec;
    spec.info.version = env!("CARGO_PKG_VERSION").into();
    document_access(&mut spec);
    document_created(&mut spec);
    // The upload form is no Rust struct that serde reads (the multipart reader refuses a part
    // of another name), so its schema is told here.
    if let Some(utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(form))) =
        spec.components.as_mut().and_then(|c| c.schemas.get_mut("UploadForm"))
    {
        form.additional_properties = Some(Box::new(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)));
    }
    document_rules(&mut spec);
    spec
}

/// Rules that depend on stored records or on two fields together, which no schema can state.
/// Each is answered 422 with the field and the rule named; each operation's description lists
/// its own.
const RULES_BEYOND_THE_SCHEMA: &[(&str, &str)] = &[
    ("list_*", "`to` before `from` (rule `not_before_from`)."),
    ("create_practice", "`catalog_version` not a known version of the catalog (`known_version`)."),
    ("update_practice", "`joined_on` and `time_zone` as for a new practice: an unknown time zone name (`time_zone`)."),
    ("create_staff", "`ended_on` before `started_on` (`not_before_start`)."),
    ("update_staff", "`ended_on` before the staff member's first day (`not_before_start`)."),
    (
        "create_training",
        "`topic` not a term of the practice's catalog version (`vocabulary`); `staff_id` not on this practice's staff (`same_practice`); `completed_on` before the staff member's first day (`after_start`); `document_id` not a document of the practice or its PO (`same_organization`).",
    ),
    (
        "import_trainings",
        "A file that is not well-formed UTF-8 CSV is a 400 (`malformed_csv`). Its header: an empty file (`required`), a column named twice (`duplicate_column`), an unknown column (`unknown_column`), both `staff_id` and `staff` (`conflicting_columns`), a required column missing (`required`); a header without rows (`not_empty`). Every row as for one training (`vocabulary`, `same_practice`, `after_start`, `same_organization`), reported by line; one refused row refuses the file.",
    ),
    (
        "create_meeting",
        "`kind` not a term of the practice's catalog version (`vocabulary`); an attendee's or a follow-up owner's `staff_id` not on this practice's staff (`same_practice`); a staff member listed twice among the attendees (`unique`); a follow-up due or done before the meeting (`not_before_held_on`).",
    ),
    ("complete_follow_up", "A day before the meeting was held (`not_before_held_on`)."),
    (
        "create_care_plan",
        "`patient_ref` that contains a date (it could be a date of birth) or has no digit (it could be a name) (`opaque_patient_reference`); `initiating_provider` not on this practice's staff (`same_practice`); `established_on` before `discussed_on` (`not_before_discussed_on`); a care partner name blank, longer than 200 characters or named twice (`not_blank`, `length`, `unique`).",
    ),
    ("update_care_plan", "`established_on` before `discussed_on` (`not_before_discussed_on`); changing it once the plan was shared is a 409."),
    (
        "create_care_plan_share",
        "`partner_id` not a care partner of this plan (`partner_of_plan`); a plan not yet established (`established`); `shared_on` before it was established (`not_before_established_on`).",
    ),
    (
        "create_practice_attestation",
        "`criterion` not a criterion of the practice's catalog version (`known_criterion`) or a PO criterion (`scope`); `not_applicable` for a criterion that does not allow it (`not_applicable_allowed`); `supersedes` not an attestation of the same criterion by the same practice (`same_criterion`); `evidence` naming a document twice or one not of the practice or its PO (`unique`, `same_practice`).",
    ),
    (
        "create_organization_attestation",
        "`criterion` not a criterion of the PO's catalog version (`known_criterion`) or a practice criterion (`scope`); `not_applicable` for a criterion that does not allow it (`not_applicable_allowed`); `supersedes` not an attestation of the same criterion by the same PO (`same_criterion`); `evidence` naming a document twice or one not of the PO (`unique`, `same_organization`).",
    ),
    (
        "create_practice_document",
        "`document_type` not a term of the catalog version (`vocabulary`); `criteria` naming a criterion the catalog version does not have or one twice (`known_criterion`, `unique`).",
    ),
    (
        "create_organization_document",
        "`document_type` not a term of the catalog version (`vocabulary`); `criteria` naming a criterion the catalog version does not have or one twice (`known_criterion`, `unique`).",
    ),
    ("create_survey", "`kind` not a term of the practice's catalog version (`vocabulary`)."),
    (
        "create_report",
        "`report_type` not a term of the PO's catalog version (`vocabulary`); `period_end` before `period_start` (`not_before_start`) or more than a year after it (`period_length`); `practice_id` not a practice of this PO, `document_id` not a document of the PO or of that practice (`same_organization`).",
    ),
    ("create_packet", "`to` before `from` (`not_before_from`)."),
    ("get_care_plans_fhir", "`to` before `from` (`not_before_from`)."),
    ("get_organization_compliance_trend", "`to` before `from` (`not_before_from`); more than 36 months (`max_months`)."),
    ("get_organization_due", "`criterion` not a criterion of the catalogs the PO is assessed against (`known_criterion`); `practice_id` not a practice of this PO (`same_organization`)."),
    ("create_token", "A role with the wrong scope: an admin has none, a po_manager a PO, a practice_manager a practice, an auditor one of them (`scope`); a PO or practice that does not exist or is outside the caller's reach (`exists`)."),
    ("upgrade_practice_catalog", "`to_version` not a later version reachable by the catalog's mappings (`catalog_upgrade`)."),
    ("upgrade_organization_catalog", "`to_version` not a later version reachable by the catalog's mappings for every practice of the PO (`catalog_upgrade`)."),    ("create_staff", "A correction's `replaces.id` not a staff member of this practice (`same_owner`); one already voided is a 409, and so is one any record names. The record it replaces is voided in the same transaction as the new one is written: both, or neither."),
    ("create_training", "A correction's `replaces.id` not a training record of this practice (`same_owner`); one already voided is a 409. The record it replaces is voided in the same transaction as the new one is written: both, or neither."),
    ("create_meeting", "A correction's `replaces.id` not a meeting of this practice (`same_owner`); one already voided is a 409. The record it replaces is voided in the same transaction as the new one is written: both, or neither."),
    ("create_care_plan", "A correction's `replaces.id` not a care plan of this practice (`same_owner`); one already voided is a 409. The record it replaces is voided in the same transaction as the new one is written: both, or neither."),
    ("create_care_plan_share", "A correction's `replaces.id` not a share of this care plan (`same_owner`); one already voided is a 409. The record it replaces is voided in the same transaction as the new one is written: both, or neither."),
    ("create_survey", "A correction's `replaces.id` not a survey result of this practice (`same_owner`); one already voided is a 409. The record it replaces is voided in the same transaction as the new one is written: both, or neither."),
    ("create_practice_document", "A correction's `replaces.id` not a document of this practice (its own, not a PO-level one) (`same_owner`); one already voided is a 409. The record it replaces is voided in the same transaction as the new one is written: both, or neither."),
    ("create_organization_document", "A correction's `replaces.id` not a PO-level document of this PO (`same_owner`); one already voided is a 409. The record it replaces is voided in the same transaction as the new one is written: both, or neither."),
    ("create_report", "A correction's `replaces.id` not a report of this PO (`same_owner`); one already voided is a 409. The record it replaces is voided in the same transaction as the new one is written: both, or neither."),
    ("create_training", "A voided staff member (`not_voided`)."),
    ("create_meeting", "An attendee or follow-up owner who was voided (`not_voided`)."),
    ("create_care_plan", "An `initiating_provider` who was voided (`not_voided`)."),
    ("create_care_plan_share", "Sharing a voided care plan is a 409."),
    ("complete_follow_up", "Completing a voided follow-up item, or one of a voided meeting, is a 409."),
    ("void_staff", "A staff member any record not voided names (a training, a meeting attended, a follow-up owned, a care plan initiated) is a 409: record their last day instead."),
];

/// The order of each list, so that paging through it with `offset` sees every item once.
const LIST_ORDER: &[(&str, &str)] = &[
    ("list_organizations", "by id"),
    ("list_practices", "by id"),
    ("list_staff", "by id"),
    ("list_trainings", "by completion day, then id"),
    ("list_meetings", "by the day held, then id"),
    ("list_care_plans", "by the day discussed, then id"),
    ("list_practice_attestations", "by effective day, then id"),
    ("list_organization_attestations", "by effective day, then id"),
    ("list_practice_documents", "by effective day, then id"),
    ("list_organization_documents", "by effective day, then id"),
    ("list_surveys", "by the day conducted, then id"),
    ("list_reports", "by period start, then id"),
    ("list_practice_reports", "by period start, then id"),
    ("list_tokens", "by id"),
    ("list_audit_events", "by when they were written (`occurred_at`), then by `chain` and `seq`; with `chain`, by `seq` (that chain's order)"),
];

/// Appends to each operation's description the rules of [`RULES_BEYOND_THE_SCHEMA`] it
/// enforces. A name there that no operation has is a fault of this table (the document's test
/// fails on it).
fn document_rules(spec: &mut utoipa::openapi::OpenApi) {
    let mut used = vec![false; RULES_BEYOND_THE_SCHEMA.len()];
    for item in spec.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            let id = operation.operation_id.clone().unwrap_or_default();
            let takes_a_range = operation.parameters.iter().flatten().any(|p| p.name == "to")
                && operation.parameters.iter().flatten().any(|p| p.name == "from");
            let mut text = operation.description.clone().unwrap_or_default();
            if let Some((_, order)) = LIST_ORDER.iter().find(|(name, _)| *name == id) {
                if !text.is_empty() {
                    text.push_str("\n\n");
                }
                text.push_str(&format!(
                    "Items come oldest first, {order}: the order is stable, so `limit` and `offset` page through every item once."
                ));
            }
            let mut rules = Vec::new();
            for (at, (name, rule)) in RULES_BEYOND_THE_SCHEMA.iter().enumerate() {
                let applies = match name.strip_suffix('*') {
                    Some(prefix) => id.starts_with(prefix) && takes_a_range,
                    None => *name == id,
                };
                if applies {
                    used[at] = true;
                    rules.push(*rule);
                }
            }
            if rules.is_empty() {
                operation.description = (!text.is_empty()).then_some(text);
                continue;
            }
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str("Rules no schema can state, each answered 422 naming the field and the rule: ");
            text.push_str(&rules.join(" "));
            operation.description = Some(text);
        }
    }
    let operations: Vec<&utoipa::openapi::path::Operation> = spec
        .paths
        .paths
        .values()
        .flat_map(|i| [&i.get, &i.post, &i.put, &i.patch, &i.delete])
        .flatten()
        .collect();
    let id = |o: &utoipa::openapi::path::Operation| o.operation_id.clone().unwrap_or_default();
    for (name, _) in LIST_ORDER {
        assert!(
            operations.iter().any(|o| id(o) == *name),
            "LIST_ORDER names `{name}`, which no operation is"
        );
    }
    for paged in operations
        .iter()
        .filter(|o| o.parameters.iter().flatten().any(|p| p.name == "offset"))
    {
        assert!(
            LIST_ORDER.iter().any(|(name, _)| *name == id(paged)),
            "LIST_ORDER does not say how `{}` is ordered",
            id(paged)
        );
    }
    for ((name, _), used) in RULES_BEYOND_THE_SCHEMA.iter().zip(used) {
        assert!(used, "RULES_BEYOND_THE_SCHEMA names `{name}`, which no operation is");
    }
}

/// States the `Location` header every `201 Created` answer carries ([`created`]).
fn document_created(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{HeaderBuilder, ObjectBuilder, RefOr, Type};
    for item in spec.paths.paths.values_mut() {
        for operation in [&mut item.post, &mut item.put].into_iter().flatten() {
            if let Some(RefOr::T(response)) = operation.responses.responses.get_mut("201") {
                response.headers.insert(
                    "Location".into(),
                    HeaderBuilder::new()
                        .schema(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .format(Some(utoipa::openapi::SchemaFormat::Custom("uri-reference".into()))),
                        )
                        .description(Some(
                            "The path of the new record (for several records, of the list holding them)",
                        ))
                        .build(),
                );
            }
        }
    }
}

/// Adds what the access guard does to every operation under `/api/v1`: the bearer token it
/// needs, the 401 it answers without one, the 403 a role may meet, and the 429 of the rate limits.
fn document_access(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let components = spec.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    let mut too_many_requests = error("Too many requests from this token (or, without one, this address): `pcmh serve --rate-limit-per-minute`; nothing was done");
    too_many_requests.headers.insert(
        "Retry-After".into(),
        utoipa::openapi::HeaderBuilder::new()
            .schema(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::Integer)
                    .minimum(Some(1)),
            )
            .description(Some("Whole seconds to wait before the next request is allowed"))
            .build(),
    );
    for (path, item) in spec.paths.paths.iter_mut() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        let read_only_role_gate = path.starts_with("/api/v1/tokens") || path.starts_with("/api/v1/audit-events");
        let operations = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ];
        for (operation, writes) in operations {
            let Some(operation) = operation.as_mut() else { continue };
            operation.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
            let responses = &mut operation.responses.responses;
            responses
                .entry("401".into())
                .or_insert_with(|| error("No token, or an unknown, revoked or expired one").into());
            responses
                .entry("429".into())
                .or_insert_with(|| too_many_requests.clone().into());
            // Exporting a packet is a read for access purposes (any role in scope), though it is a POST.
            let export = path.ends_with("/packets");
            if (writes && !export) || read_only_role_gate {
                responses
                    .entry("403".into())
                    .or_insert_with(|| error("The token's role may not do this here").into());
            }
            if writes && !export {
                responses.entry("409".into()).or_insert_with(|| {
                    error("The write conflicts with what is stored (for instance a record already voided, or one a correction or a share depends on); nothing was written").into()
                });
            }
        }
    }
}

/// `201 Created` with the new record and its URL in `Location`.
pub fn created<T: serde::Serialize>(location: String, record: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(record)
}

/// What a path of the API answers to a method it does not have: 405 with its methods in
/// `Allow`; `None` when the API has no such path.
pub fn method_not_allowed(req: &actix_web::HttpRequest) -> Option<HttpResponse> {
    wrong_method(req).map(|error| actix_web::ResponseError::error_response(&error))
}

/// The 405 of a request whose path the API has with other methods.
fn wrong_method(req: &actix_web::HttpRequest) -> Option<ApiError> {
    let allow = methods::allowed(req.path())?;
    (!allow.contains(req.method())).then(|| ApiError::MethodNotAllowed {
        method: req.method().to_string(),
        allow: methods::allow_header(&allow),
    })
}

/// Answers for paths no route has, in the API's error shape: 405 for a method a path does not
/// have, 404 for a path the API does not have.
async fn no_route(req: actix_web::HttpRequest) -> HttpResponse {
    method_not_allowed(&req).unwrap_or_else(|| {
        actix_web::ResponseError::error_response(&ApiError::NotFound("there is nothing at this path".into()))
    })
}

/// Serves the API on `bind` until the process is told to stop (SIGTERM or Ctrl-C); then lets the
/// requests in flight finish within the shutdown timeout and returns.
pub async fn serve(state: AppState, bind: &str, serving: serving::Serving) -> std::io::Result<()> {
    let data = web::Data::new(state);
    let rate_limits = web::Data::new(rate_limit::RateLimits::per_minute(
        serving.rate_limit_per_minute,
        serving.rate_limit_per_address_per_minute,
    ));
    let body_timeout = web::Data::new(serving::BodyTimeout(serving.body_timeout));
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .app_data(data.clone())
            .app_data(rate_limits.clone())
            .app_data(body_timeout.clone())
            .app_data(web::PathConfig::default().error_handler(|err, req| {
                // `GET /trainings/import` reaches the route of one training, whose id it is not.
                wrong_method(req)
                    .unwrap_or_else(|| ApiError::NotFound(format!("no such record: {err}")))
                    .into()
            }))
            .app_data(web::PayloadConfig::new(extract::JSON_LIMIT))
            .into_utoipa_app()
            .configure(routes)
            .split_for_parts();
        app.service(utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi()))
            .service(
                web::scope("")
                    .wrap(actix_web::middleware::from_fn(crate::web::error::framed_errors))
                    .wrap(actix_web::middleware::from_fn(crate::web::security_headers))
                    .wrap(actix_web::middleware::Compress::default())
                    .app_data(web::FormConfig::default().limit(crate::web::auth::FORM_LIMIT))
                    .configure(crate::web::configure)
                    .default_service(web::to(crate::web::error::not_found)),
            )
            .default_service(web::to(no_route))
            .wrap(actix_web::middleware::from_fn(serving::body_deadline))
            // Outermost, so that every answer is logged and counted, whoever made it.
            .wrap(actix_web::middleware::from_fn(observe::request_log))
    })
    .on_connect(heavy::ClientConnection::on_connect)
    .client_request_timeout(serving.header_timeout)
    .client_disconnect_timeout(std::time::Duration::from_secs(5))
    .keep_alive(serving.keep_alive)
    .shutdown_timeout(serving.shutdown_timeout)
    .shutdown_signal({
        let (seconds, stop) = (serving.shutdown_timeout, serving::stop_requested()?);
        async move {
            stop.await;
            tracing::info!("stopping: no new connections; the requests in flight have {seconds} s to finish");
        }
    });
    let (server, scheme) = match serving.tls {
        Some(tls) => (server.bind_rustls_0_23(bind, (*tls).clone())?, "https"),
        None => (server.bind(bind)?, "http"),
    };
    for address in server.addrs() {
        println!("pcmh {} listening on {scheme}://{address}", env!("CARGO_PKG_VERSION"));
        println!("open {scheme}://{address}/ in a browser to sign in");
    }
    server.run().await?;
    tracing::info!("stopped: every request in flight was answered or the shutdown timeout passed");
    Ok(())
}
