//! Who is signed in: the session cookie, resumed on every page, and the CSRF check of every
//! form post.
//!
//! [`Viewer`] is the signed-in person (or a redirect to the sign-in page). [`Posted`] is a
//! form post: its session, its fields, its CSRF token checked against the session's, and its
//! `Origin` checked against the server's own. A page about a practice asks
//! [`Viewer::practice`], which applies `pcmh_core::access::decide` as the API's guard does.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use pcmh_core::access::{decide, Action, Actor, Decision, Principal, Resource};
use pcmh_core::ids::{OrganizationId, PracticeId};
use pcmh_core::records::{Organization, Practice};
use pcmh_core::store::sessions::{self, Resumed};
use pcmh_core::store::users::User;
use pcmh_core::store::{organizations, practices, StoreError};

use super::error::WebError;
use super::forms::Fields;
use crate::http::extract::{blocking, read_body};
use crate::http::AppState;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "pcmh_session";

/// The largest form body read (file uploads are multipart and read elsewhere).
pub const FORM_LIMIT: usize = 256 * 1024;

/// The signed-in person.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Their account.
    pub user: User,
    /// Their role and scope, as `decide` sees them.
    pub principal: Principal,
    /// The session's CSRF token.
    pub csrf: String,
}

impl Viewer {
    /// The practice `id`, if this person may take `action` on it; otherwise the same 404 page
    /// for a practice that does not exist and one outside their scope, or 403 for a role that
    /// may not write.
    pub fn practice_for(&self, state: &AppState, id: i64, action: Action) -> Result<Practice, WebError> {
        let practice = match state.store.read(|c| practices::get(c, PracticeId(id))) {
            Ok(found) => found,
            Err(StoreError::NotFound { .. }) => return Err(WebError::NotFound),
            Err(other) => return Err(other.into()),
        };
        let resource = Resource::Practice {
            id: practice.id,
            organization: practice.organization_id,
        };
        match decide(&self.principal, resource, action) {
            Decision::Allow => Ok(practice),
            Decision::NotFound => Err(WebError::NotFound),
            Decision::Forbidden => Err(WebError::Forbidden(format!(
                "As {} you may read this practice's records but not change them.",
                super::role_words(self.principal.role).to_lowercase()
            ))),
        }
    }

    /// The PO `id`, if this person may take `action` on it as a whole (the same rule as the
    /// API's `/organizations/{id}/...`): a 404 page otherwise, or 403 for a role that may not
    /// write.
    pub fn organization_for(&self, state: &AppState, id: i64, action: Action) -> Result<Organization, WebError> {
        let organization = match state.store.read(|c| organizations::get(c, OrganizationId(id))) {
            Ok(found) => found,
            Err(StoreError::NotFound { .. }) => return Err(WebError::NotFound),
            Err(other) => return Err(other.into()),
        };
        match decide(&self.principal, Resource::Organization(organization.id), action) {
            Decision::Allow => Ok(organization),
            Decision::NotFound => Err(WebError::NotFound),
            Decision::Forbidden => Err(WebError::Forbidden(format!(
                "As {} you may read this PO's records but not change them.",
                super::role_words(self.principal.role).to_lowercase()
            ))),
        }
    }

    /// The PO `id`, to read.
    pub async fn organization(&self, state: &web::Data<AppState>, id: i64) -> Result<Organization, WebError> {
        let (viewer, state) = (self.clone(), state.clone());
        run(move || viewer.organization_for(&state, id, Action::Read)).await
    }

    /// The PO `id`, to change.
    pub async fn organization_to_write(&self, state: &web::Data<AppState>, id: i64) -> Result<Organization, WebError> {
        let (viewer, state) = (self.clone(), state.clone());
        run(move || viewer.organization_for(&state, id, Action::Write)).await
    }

    /// This person as the actor of a core action on the PO `organization` as a whole.
    pub fn organization_actor(&self, organization: &Organization) -> Actor {
        Actor {
            principal: self.principal,
            organization: Some(organization.id),
            practice: None,
        }
    }

    /// Whether this person is an administrator.
    pub fn is_admin(&self) -> bool {
        self.principal.role == pcmh_core::access::TokenRole::Admin
    }

    /// The practice `id`, to read.
    pub async fn practice(&self, state: &web::Data<AppState>, id: i64) -> Result<Practice, WebError> {
        let (viewer, state) = (self.clone(), state.clone());
        run(move || viewer.practice_for(&state, id, Action::Read)).await
    }

    /// The practice `id`, to change.
    pub async fn practice_to_write(&self, state: &web::Data<AppState>, id: i64) -> Result<Practice, WebError> {
        let (viewer, state) = (self.clone(), state.clone());
        run(move || viewer.practice_for(&state, id, Action::Write)).await
    }

    /// This person as the actor of a core action on `practice`.
    pub fn actor(&self, practice: &Practice) -> Actor {
        Actor {
            principal: self.principal,
            organization: Some(practice.organization_id),
            practice: Some(practice.id),
        }
    }

    /// Whether this person may change records (every role but auditor).
    pub fn may_write(&self) -> bool {
        self.principal.role != pcmh_core::access::TokenRole::Auditor
    }
}

/// Runs blocking work (the database, argon2) off the async threads.
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    blocking(move || Ok(work())).await?
}

/// The session cookie's value, if the request has one.
fn session_secret(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned())
}

/// Resumes the request's session.
pub async fn resume(req: &HttpRequest) -> Result<Viewer, WebError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or(WebError::Internal)?;
    let next = req
        .uri()
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    let Some(secret) = session_secret(req) else {
        return Err(WebError::SignIn { timed_out: false, next });
    };
    let rules = state.web.sessions;
    let resumed = run(move || {
        Ok(state
            .store
            .write(|c| sessions::resume(c, &secret, pcmh_core::store::now(), rules))?)
    })
    .await?;
    match resumed {
        Resumed::Active { user, csrf_token } => {
            let principal = user.principal();
            // The request's log line names the account by its id.
            req.extensions_mut().insert(crate::http::observe::Who::of(&principal));
            Ok(Viewer {
                principal,
                user,
                csrf: csrf_token,
            })
        }
        Resumed::TimedOut => Err(WebError::SignIn { timed_out: true, next }),
        Resumed::Unknown => Err(WebError::SignIn { timed_out: false, next }),
    }
}

impl FromRequest for Viewer {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resume(&req).await })
    }
}

/// Whether a state-changing request comes from a page of this server: its `Origin` (or, without
/// one, its `Referer`) names this host. A request with neither is let through to the CSRF check.
pub fn same_origin(req: &HttpRequest) -> bool {
    let host = req.connection_info().host().to_owned();
    let source = req
        .headers()
        .get(header::ORIGIN)
        .or_else(|| req.headers().get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match source {
        None => true,
        Some(url) => url
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
            .is_some_and(|authority| authority.eq_ignore_ascii_case(&host)),
    }
}

/// Equal strings, compared without an early exit.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A form post by a signed-in person, its CSRF token and origin checked.
#[derive(Debug, Clone)]
pub struct Posted {
    /// Who posted.
    pub viewer: Viewer,
    /// The form's fields (without the CSRF token).
    pub fields: Fields,
}

impl FromRequest for Posted {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !same_origin(&req) {
                return Err(WebError::Csrf);
            }
            let viewer = resume(&req).await?;
            let body = read_body(&mut payload, FORM_LIMIT).await?;
            let mut fields = Fields::parse(&body);
            check_csrf(&mut fields, &req, &viewer)?;
            Ok(Posted { viewer, fields })
        })
    }
}

/// Takes the CSRF token out of a form's `fields` (or, for htmx, its header) and refuses the
/// request (403) unless it is the session's. Multipart forms read their fields first, then call it.
pub fn check_csrf(fields: &mut Fields, req: &HttpRequest, viewer: &Viewer) -> Result<(), WebError> {
    let sent = fields
        .take("csrf_token")
        .or_else(|| csrf_header(req))
        .unwrap_or_default();
    if same_token(&sent, &viewer.csrf) {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

/// The CSRF token htmx sends as a header.
pub fn csrf_header(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The session cookie carrying `secret` (or, with `None`, the one that removes it).
pub fn session_cookie(state: &AppState, secret: Option<&str>) -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, secret.unwrap_or_default().to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.web.secure_cookies())
        .finish();
    if secret.is_none() {
        cookie.make_removal();
    }
    cookie
}

/// The session cookie's secret of a request, to end it.
pub fn request_session(req: &HttpRequest) -> Option<String> {
    session_secret(req)
}
