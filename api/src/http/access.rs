//! Access control, in one place: every request under `/api/v1` passes [`guard`], which
//! authenticates the bearer token, works out which PO or practice the path names, and asks
//! `pcmh_core::access::decide`. Handlers receive the outcome as a [`Caller`].

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use pcmh_core::access::{decide, Action, Decision, Principal, Resource};
use pcmh_core::ids::{OrganizationId, PracticeId};
use pcmh_core::store::{practices, tokens, StoreError};

use super::error::ApiError;
use super::extract::blocking;
use super::AppState;

/// The authenticated caller of a request and the resource its path names.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// The token's role and scope.
    pub principal: Principal,
    /// What the path names.
    pub resource: Resource,
}

impl Caller {
    /// The PO and practice the request concerns, from its path.
    pub fn scope(&self) -> (Option<OrganizationId>, Option<PracticeId>) {
        match self.resource {
            Resource::Organization(o) => (Some(o), None),
            Resource::Practice { id, organization } => (Some(organization), Some(id)),
            _ => (None, None),
        }
    }

    /// The caller as the actor of a core action, in the request's scope.
    pub fn actor(&self) -> pcmh_core::access::Actor {
        let (organization, practice) = self.scope();
        pcmh_core::access::Actor {
            principal: self.principal,
            organization,
            practice,
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(req.extensions().get::<Caller>().copied().ok_or_else(|| {
            super::error::log_error("access", "a handler ran without the access guard");
            ApiError::Internal
        }))
    }
}

/// The bearer token of a request, if it sent one.
fn bearer(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// What a path under `/api/v1` names; `None` for a path no route has.
fn resource_of(conn: &mut pcmh_core::store::Connection, path: &str) -> Result<Resource, ApiError> {
    let not_found = || ApiError::NotFound("there is nothing at this path".into());
    let rest = path.strip_prefix("/api/v1/").ok_or_else(not_found)?;
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let id = |text: &str| text.parse::<i64>().map_err(|_| not_found());
    match segments.as_slice() {
        ["catalogs", ..] => Ok(Resource::Catalogs),
        ["organizations"] => Ok(Resource::Organizations),
        ["organizations", organization, ..] => Ok(Resource::Organization(OrganizationId(id(organization)?))),
        ["practices", practice, ..] => {
            let practice = PracticeId(id(practice)?);
            match practices::get(conn, practice) {
                Ok(found) => Ok(Resource::Practice {
                    id: practice,
                    organization: found.organization_id,
                }),
                // The same answer as for a practice outside the caller's scope: nothing tells them apart.
                Err(StoreError::NotFound { .. }) => Err(not_found()),
                Err(other) => Err(other.into()),
            }
        }
        ["tokens", ..] => Ok(Resource::Tokens),
        ["audit-events", ..] => Ok(Resource::AuditEvents),
        ["signing-key"] => Ok(Resource::SigningKey),
        _ => Err(not_found()),
    }
}

/// Whether the request exports a packet (`POST /api/v1/practices/{id}/packets`), which reads.
fn is_packet_export(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    *method == Method::POST && matches!(segments.as_slice(), ["api", "v1", "practices", _, "packets"])
}

/// Authenticates and authorizes a request under `/api/v1`, then hands it on with its [`Caller`].
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or(ApiError::Internal)?;
    // The paths and their methods are public (the document lists them): a method a path does
    // not have is answered before looking at the token or the record the path names.
    if let Some(answer) = super::method_not_allowed(req.request()) {
        return Ok(req.into_response(answer).map_into_right_body());
    }
    let Some(token) = bearer(&req) else {
        return Err(ApiError::Unauthorized("send a token: Authorization: Bearer <token>".into()).into());
    };
    let action = if matches!(*req.method(), Method::GET | Method::HEAD) {
        Action::Read
    } else if is_packet_export(req.method(), req.path()) {
        Action::Export
    } else {
        Action::Write
    };
    let path = req.path().to_owned();
    let caller = blocking(move || {
        let now = pcmh_core::store::now();
        // The token and the path's practice on one pooled connection: one checkout a request.
        let found = state.store.read(|c| {
            let principal = tokens::authenticate(c, &token, now)?;
            Ok(principal.map(|principal| (principal, resource_of(c, &path))))
        })?;
        let (principal, resource) =
            found.ok_or_else(|| ApiError::Unauthorized("the token is unknown, revoked or expired".into()))?;
        let resource = resource?;
        match decide(&principal, resource, action) {
            Decision::Allow => Ok(Caller { principal, resource }),
            Decision::NotFound => Err(ApiError::NotFound("there is nothing at this path".into())),
            Decision::Forbidden => Err(ApiError::Forbidden(format!(
                "a {} token may not {} here",
                principal.role.as_str(),
                match action {
                    Action::Read => "read",
                    Action::Write => "write",
                    Action::Export => "export",
                }
            ))),
        }
    })
    .await?;
    req.extensions_mut().insert(caller);
    Ok(next.call(req).await?.map_into_left_body())
}
