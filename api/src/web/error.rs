//! What a page answers when it cannot show what was asked, decided in one place: not signed in
//! → the sign-in page (saying so when the session timed out); nothing there or outside the
//! person's scope → a 404 page; a role that may not act → a 403 page; a form without its CSRF
//! token → a 403 page; anything else → an error page without details (they go to the log).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use pcmh_core::store::StoreError;

use crate::http::error::ApiError;

/// An error answered with a page.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WebError {
    /// Not signed in, or the session ended: go to the sign-in page, then back to `next`.
    #[error("sign in first")]
    SignIn {
        /// Whether a session ended for lack of activity.
        timed_out: bool,
        /// Where to go after signing in.
        next: String,
    },
    /// Nothing there, or nothing this person may know about.
    #[error("not found")]
    NotFound,
    /// The person's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A form post without the session's CSRF token, or from another site.
    #[error("the form's security token is missing or wrong")]
    Csrf,
    /// A request the API layer refused (bad body, too large).
    #[error("{0}")]
    Api(ApiError),
    /// A fault of the server.
    #[error("internal error")]
    Internal,
}

impl From<ApiError> for WebError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::NotFound(_) => WebError::NotFound,
            ApiError::Forbidden(message) => WebError::Forbidden(message),
            ApiError::Internal => WebError::Internal,
            other => WebError::Api(other),
        }
    }
}

impl From<StoreError> for WebError {
    fn from(error: StoreError) -> Self {
        ApiError::from(error).into()
    }
}

/// The page of an error.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: String,
    css: String,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignIn { .. } => StatusCode::SEE_OTHER,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden(_) | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::Api(error) => error.status_code(),
            WebError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message) = match self {
            WebError::SignIn { timed_out, next } => {
                let mut location = String::from("/sign-in?");
                if *timed_out {
                    location.push_str("timed_out=1&");
                }
                location.push_str("next=");
                location.push_str(&form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location))
                    .finish();
            }
            WebError::NotFound => (
                "Page not found",
                "There is nothing here, or it is not yours to see. Check the address, or go back to your home page.".to_owned(),
            ),
            WebError::Forbidden(message) => ("Not allowed", message.clone()),
            WebError::Csrf => (
                "Form expired",
                "This form could not be accepted: its security token is missing or out of date. Go back, reload the page and try again.".to_owned(),
            ),
            WebError::Api(ApiError::Unavailable) => (
                "Try again in a moment",
                "The database is not reachable just now. Nothing was saved. Try again in a few seconds.".to_owned(),
            ),
            WebError::Api(ApiError::Busy { .. }) => (
                "Try again in a moment",
                "Many views of whole POs are being prepared just now. Try again in a few seconds.".to_owned(),
            ),
            WebError::Api(error) => ("Request refused", error.body().error.message),
            WebError::Internal => (
                "Something went wrong",
                "The server could not complete this. Nothing was saved. Try again in a moment.".to_owned(),
            ),
        };
        let page = ErrorPage {
            title,
            message,
            css: super::assets::url("app.css"),
        };
        let mut response = match page.render() {
            Ok(html) => HttpResponse::build(self.status_code())
                .content_type("text/html; charset=utf-8")
                .body(html),
            Err(_) => HttpResponse::build(self.status_code()).body(title),
        };
        if matches!(self, WebError::Api(ApiError::Unavailable)) {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_static(crate::http::error::UNAVAILABLE_RETRY_AFTER),
            );
        }
        if let WebError::Api(ApiError::Busy { retry_after }) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(*retry_after));
        }
        response.extensions_mut().insert(ErrorInfo {
            title: page.title.to_owned(),
            message: page.message,
        });
        response
    }
}

/// What an error page says, kept on the response so that [`framed_errors`] can show it inside
/// the signed-in person's frame.
#[derive(Debug, Clone)]
struct ErrorInfo {
    title: String,
    message: String,
}

/// An error page inside the usual frame (header with Sign out, navigation).
#[derive(Template)]
#[template(path = "error_framed.html")]
struct FramedErrorPage {
    chrome: super::Chrome,
    message: String,
}

/// Shows error pages to a signed-in person inside their usual frame, so that they can still
/// find their way and sign out. (An error answer is made without the request; this middleware
/// has it.)
pub async fn framed_errors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    // The request must not be cloned before it is routed (routing needs it unshared).
    let signed_in = req.cookie(super::auth::SESSION_COOKIE).is_some();
    let response = next.call(req).await?.map_into_boxed_body();
    let info = response.response().extensions().get::<ErrorInfo>().cloned();
    let Some(info) = info.filter(|_| signed_in) else {
        return Ok(response);
    };
    let request = response.request().clone();
    let Ok(viewer) = super::auth::resume(&request).await else {
        return Ok(response);
    };
    let page = FramedErrorPage {
        chrome: super::Chrome::new(&viewer, info.title),
        message: info.message,
    };
    let status = response.status();
    let Ok(html) = page.render() else { return Ok(response) };
    let mut framed = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html);
    if let Some(retry_after) = response.headers().get(header::RETRY_AFTER) {
        framed.headers_mut().insert(header::RETRY_AFTER, retry_after.clone());
    }
    drop(request);
    let (request, _) = response.into_parts();
    Ok(actix_web::dev::ServiceResponse::new(request, framed))
}

/// A page for any path no route has.
/// A path of the API outside `/api/v1` (such as `/healthz`) asked with a method it does not
/// have still gets the API's 405.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, WebError> {
    match crate::http::method_not_allowed(&req) {
        Some(answer) => Ok(answer),
        None => Err(WebError::NotFound),
    }
}
