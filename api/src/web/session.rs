//! Signing in and out, and accepting an invitation (setting one's password).

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::actions::people;
use pcmh_core::store::sessions::{self, SignIn};
use pcmh_core::store::users::{self, NewPassword};

use super::auth::{request_session, run, same_origin, session_cookie};
use super::error::WebError;
use super::forms::{self, Fields, FormErrors, Kind};
use crate::http::AppState;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    css: String,
    email: String,
    next: String,
    alert: Option<String>,
    info: Option<String>,
}

/// A `next` that stays on this server (a path, not another site).
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") => path.to_owned(),
        _ => "/".to_owned(),
    }
}

/// A session's idle timeout in words: "30 minutes", "1 minute", "45 seconds".
fn idle_words(idle: chrono::Duration) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match idle.num_seconds() {
        s if s % 60 == 0 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

/// The query's value of `name`.
fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The sign-in page.
#[get("/sign-in")]
async fn sign_in_page(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    let timed_out = query_value(&req, "timed_out").is_some();
    let signed_out = query_value(&req, "signed_out").is_some();
    let info = if timed_out {
        Some(format!(
            "You were signed out after {} without activity. Sign in again to go on.",
            idle_words(state.web.sessions.idle)
        ))
    } else if signed_out {
        Some("You are signed out.".to_owned())
    } else {
        forms::notice(&req)
    };
    forms::ok(&SignInPage {
        css: super::assets::url("app.css"),
        email: String::new(),
        next: local_path(query_value(&req, "next").as_deref()),
        alert: None,
        info,
    })
}

/// Signs in: the right email and password start a session and go to `next` (or home); a wrong
/// one, or a locked-out account or address, shows the page again with the same words whether
/// or not the email has an account.
#[post("/sign-in")]
async fn sign_in(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, WebError> {
    if !same_origin(&req) {
        return Err(WebError::Csrf);
    }
    let fields = Fields::parse(&body);
    let email = fields.get("email").unwrap_or_default().trim().to_owned();
    let password = fields.get("password").unwrap_or_default().to_owned();
    let next = local_path(fields.get("next"));
    let client = req
        .peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
    let app = state.clone();
    let typed = email.clone();
    let outcome = run(move || {
        Ok(sessions::sign_in(
            &app.store,
            &typed,
            &password,
            &client,
            pcmh_core::store::now(),
            app.web.sessions,
        )?)
    })
    .await?;
    let counted = match &outcome {
        SignIn::Started(session) => {
            req.extensions_mut()
                .insert(crate::http::observe::Who::of(&session.user.principal()));
            crate::http::observe::SignInOutcome::Started
        }
        SignIn::Refused => crate::http::observe::SignInOutcome::Refused,
        SignIn::LockedOut => crate::http::observe::SignInOutcome::LockedOut,
    };
    crate::http::observe::count_sign_in(counted);
    let alert = match outcome {
        SignIn::Started(session) => {
            let to = if next == "/" { home_of(&session.user) } else { next };
            return Ok(HttpResponse::SeeOther()
                .cookie(session_cookie(&state, Some(&session.secret)))
                .insert_header((header::LOCATION, to))
                .finish());
        }
        SignIn::Refused => "The email or password is not right. Check them and try again.",
        SignIn::LockedOut => {
            "Too many failed sign-ins for this account or from this computer. Try again in 15 minutes."
        }
    };
    forms::page(
        &SignInPage {
            css: super::assets::url("app.css"),
            email,
            next,
            alert: Some(alert.to_owned()),
            info: None,
        },
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// Where a person lands after signing in: a practice manager's practice, everyone else the
/// list of practices they may see.
pub fn home_of(user: &users::User) -> String {
    match (user.role, user.practice_id) {
        (pcmh_core::access::TokenRole::PracticeManager, Some(practice)) => format!("/practices/{practice}"),
        _ => "/".to_owned(),
    }
}

/// Signs out: the session ends in the database and its cookie is removed.
#[post("/sign-out")]
async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    posted: super::Posted,
) -> Result<HttpResponse, WebError> {
    let _ = posted.viewer;
    if let Some(secret) = request_session(&req) {
        let app = state.clone();
        run(move || {
            Ok(app
                .store
                .write(|c| sessions::end(c, &secret, pcmh_core::store::now()))?)
        })
        .await?;
    }
    Ok(HttpResponse::SeeOther()
        .cookie(session_cookie(&state, None))
        .insert_header((header::LOCATION, "/sign-in?signed_out=1"))
        .finish())
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    css: String,
    name: String,
    email: String,
    errors: FormErrors,
}

/// The page where an invited person sets their password.
#[get("/invitations/{invitation}")]
async fn invitation_page(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, WebError> {
    let secret = path.into_inner();
    let app = state.clone();
    let user = run(move || {
        Ok(app
            .store
            .read(|c| users::invitation(c, &secret, pcmh_core::store::now()))?)
    })
    .await?
    .ok_or(WebError::NotFound)?;
    forms::ok(&InvitationPage {
        css: super::assets::url("app.css"),
        name: user.display_name,
        email: user.email,
        errors: FormErrors::default(),
    })
}

/// Sets the invited person's password and signs them in.
#[post("/invitations/{invitation}")]
async fn accept_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    if !same_origin(&req) {
        return Err(WebError::Csrf);
    }
    let secret = path.into_inner();
    let fields = Fields::parse(&body);
    let app = state.clone();
    let key = secret.clone();
    let user = run(move || {
        Ok(app
            .store
            .read(|c| users::invitation(c, &key, pcmh_core::store::now()))?)
    })
    .await?
    .ok_or(WebError::NotFound)?;
    let form: Result<NewPassword, FormErrors> = (|| {
        let value = fields.json(&[("password", Kind::Text), ("password_confirm", Kind::Text)]);
        let form: NewPassword = serde_json::from_value(value).map_err(|_| {
            let mut errors = FormErrors::default();
            errors.fields.insert("password".into(), "type a password".into());
            errors
        })?;
        validator::Validate::validate(&form).map_err(|e| FormErrors::from(crate::http::error::ApiError::from(e)))?;
        Ok(form)
    })();
    let form = match form {
        Ok(form) => form,
        Err(errors) => {
            return forms::refused(&InvitationPage {
                css: super::assets::url("app.css"),
                name: user.display_name,
                email: user.email,
                errors,
            })
        }
    };
    let app = state.clone();
    let session = run(move || Ok(people::accept_invitation(&app.store, &secret, &form)?)).await?;
    Ok(HttpResponse::SeeOther()
        .cookie(session_cookie(&state, Some(&session.secret)))
        .insert_header((header::LOCATION, home_of(&session.user)))
        .finish())
}

/// Registers the sign-in, sign-out and invitation pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(sign_in_page)
        .service(sign_in)
        .service(sign_out)
        .service(invitation_page)
        .service(accept_invitation);
}
