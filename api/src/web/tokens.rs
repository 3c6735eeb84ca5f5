//! A person's own API tokens, for scripts and integrations: never wider than the person's own
//! role and scope (the core refuses anything more); the secret is shown once.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::access::TokenRole;
use pcmh_core::actions::people;
use pcmh_core::store::tokens::{self, NewToken};
use pcmh_core::store::Page;
use serde_json::json;

use super::auth::run;
use super::forms::{self, Fields, FormErrors, Kind};
use super::{long_date, role_words, Chrome, Posted, Viewer, WebError};
use crate::http::AppState;

/// One token as listed.
pub struct TokenLine {
    /// Its id.
    pub id: i64,
    /// What it is for.
    pub label: String,
    /// Its role in words.
    pub role: &'static str,
    /// When it expires, in words.
    pub expires: String,
    /// Whether it was revoked.
    pub revoked: bool,
    /// Its scope in words.
    pub scope: String,
}

impl TokenLine {
    fn of(t: tokens::TokenInfo) -> Self {
        TokenLine {
            id: t.id,
            role: role_words(t.role),
            expires: t.expires_at.map_or("Never".to_owned(), |at| long_date(at.date_naive())),
            revoked: t.revoked_at.is_some(),
            scope: match (t.organization_id, t.practice_id) {
                (_, Some(p)) => format!("practice {p}"),
                (Some(o), None) => format!("PO {o}"),
                (None, None) => "everything".to_owned(),
            },
            label: t.label,
        }
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenLine>,
    managed: Option<Vec<TokenLine>>,
    may_read_only: bool,
    form: Fields,
    errors: FormErrors,
    secret: Option<String>,
}

async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    form: Fields,
    errors: FormErrors,
    secret: Option<String>,
    notice: Option<String>,
) -> Result<HttpResponse, WebError> {
    let (app, user, principal) = (state.clone(), viewer.user.id, viewer.principal);
    let (list, managed) = run(move || {
        Ok(app.store.read(|c| {
            let mine = tokens::of_user(c, user)?;
            // Admins and PO managers also manage the tokens of their scope (as the API lets them).
            let managed = match principal.role {
                TokenRole::Admin => Some(tokens::list(c, None, Page { limit: 500, offset: 0 })?.items),
                TokenRole::PoManager => {
                    Some(tokens::list(c, principal.organization, Page { limit: 500, offset: 0 })?.items)
                }
                _ => None,
            };
            Ok((mine, managed))
        })?)
    })
    .await?;
    let failed = !errors.is_empty();
    let page = TokensPage {
        chrome: Chrome::new(viewer, "API tokens").with_notice(notice),
        tokens: list.into_iter().map(TokenLine::of).collect(),
        managed: managed.map(|all| all.into_iter().map(TokenLine::of).collect()),
        may_read_only: viewer.user.role != TokenRole::Admin,
        form,
        errors,
        secret,
    };
    forms::answer(&page, failed)
}

/// The API tokens page.
#[get("/tokens")]
async fn tokens_page(state: web::Data<AppState>, viewer: Viewer, req: HttpRequest) -> Result<HttpResponse, WebError> {
    render(
        &state,
        &viewer,
        Fields::default(),
        FormErrors::default(),
        None,
        forms::notice(&req),
    )
    .await
}

/// Makes a token with the person's own role and scope, or a read-only one within their scope.
#[post("/tokens")]
async fn create(state: web::Data<AppState>, posted: Posted) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let user = &viewer.user;
    let role = match fields.get("access") {
        Some("read_only") => TokenRole::Auditor,
        _ => user.role,
    };
    let mut body = fields.json(&[("label", Kind::Text), ("expires_in_days", Kind::Number)]);
    if let Some(object) = body.as_object_mut() {
        object.insert("role".into(), json!(role.as_str()));
        match (role, user.practice_id) {
            (TokenRole::Admin, _) => {}
            (_, Some(practice)) => {
                object.insert("practice_id".into(), json!(practice.0));
            }
            (_, None) => {
                object.insert("organization_id".into(), json!(user.organization_id.map(|o| o.0)));
            }
        }
    }
    let form: NewToken = match forms::read_json(&body) {
        Ok(form) => form,
        Err(errors) => return render(&state, &viewer, fields, errors, None, None).await,
    };
    let (app, principal) = (state.clone(), viewer.principal);
    let issued = run(move || forms::outcome(people::issue_token(&app.store, &principal, &form))).await?;
    match issued {
        Ok(issued) => {
            let notice = Some(format!(
                "Token \"{}\" is made. Copy it now: it is not shown again.",
                issued.info.label
            ));
            render(
                &state,
                &viewer,
                Fields::default(),
                FormErrors::default(),
                Some(issued.token),
                notice,
            )
            .await
        }
        Err(errors) => render(&state, &viewer, fields, errors, None, None).await,
    }
}

/// Revokes a token: one's own, or (admins, PO managers) one in one's scope; the core decides.
#[post("/tokens/{id}/revoke")]
async fn revoke(state: web::Data<AppState>, posted: Posted, path: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let (app, principal, id) = (state.clone(), posted.viewer.principal, path.into_inner());
    let revoked = run(move || Ok(people::revoke_token(&app.store, &principal, id)?)).await?;
    Ok(forms::redirect(
        "/tokens",
        &format!("Token \"{}\" is revoked.", revoked.label),
    ))
}

/// Registers the token pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(tokens_page).service(create).service(revoke);
}
