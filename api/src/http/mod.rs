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
pub mod meetings;
pub mod organization_compliance;
pub mod organizations;
pub mod packets;
pub mod practices;
pub mod reports;
pub mod staff;
pub mod surveys;
pub mod tokens;
pub mod trainings;

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
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many items to return, 1 to 500 (default 100).
    #[validate(range(min = 1, max = 500))]
    pub limit: Option<i64>,
    /// How many items to skip (default 0).
    #[validate(range(min = 0))]
    pub offset: Option<i64>,
    /// Only records documenting this day or later.
    #[validate(custom(function = "pcmh_core::checks::plausible_date"))]
    pub from: Option<NaiveDate>,
    /// Only records documenting this day or earlier.
    #[validate(custom(function = "pcmh_core::checks::plausible_date"))]
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

/// Whether the server and its database answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// "ok" when the database answers.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// Checks that the server and its database answer.
#[utoipa::path(
    tag = "service",
    operation_id = "get_health",
    responses(
        (status = 200, description = "The server and its database answer", body = Health),
        (status = 503, description = "The database does not answer", body = error::ErrorBody)
    )
)]
#[get("/healthz")]
async fn healthz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    let store = state.store.clone();
    blocking(move || {
        store
            .read(pcmh_core::store::organizations::ping)
            .map_err(ApiError::from)
    })
    .await?;
    Ok(web::Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
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
    config.service(healthz).service(
        scope::scope("/api/v1")
            .configure(catalogs::configure)
            .configure(organizations::configure)
            .configure(organization_compliance::configure)
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
            .configure(tokens::configure)
            .configure(audit::configure)
            .wrap(actix_web::middleware::from_fn(access::guard)),
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
    spec
}

/// Adds what the access guard does to every operation under `/api/v1`: the bearer token it
/// needs, the 401 it answers without one, and the 403 a role may meet.
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
            // Exporting a packet is a read for access purposes (any role in scope), though it is a POST.
            let export = path.ends_with("/packets");
            if (writes && !export) || read_only_role_gate {
                responses
                    .entry("403".into())
                    .or_insert_with(|| error("The token's role may not do this here").into());
            }
        }
    }
}

/// Not-found answers for paths no route has, in the API's error shape.
async fn no_route() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::NotFound("there is nothing at this path".into()))
}

/// Serves the API on `bind` until the process is stopped.
pub async fn serve(state: AppState, bind: &str) -> std::io::Result<()> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .app_data(data.clone())
            .app_data(
                web::PathConfig::default()
                    .error_handler(|err, _| ApiError::NotFound(format!("no such record: {err}")).into()),
            )
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
    })
    .bind(bind)?;
    for address in server.addrs() {
        println!("pcmh {} listening on http://{address}", env!("CARGO_PKG_VERSION"));
        println!("open http://{address}/ in a browser to sign in");
    }
    server.run().await
}
