//! Tokens: made, listed and revoked by an admin, or by a po_manager within its PO.

use actix_web::{delete, get, post, web, HttpResponse};
use pcmh_core::access::TokenRole;
use pcmh_core::actions::people;
use pcmh_core::store::tokens::{self, IssuedToken, NewToken, TokenInfo};
use pcmh_core::store::Listing;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::access::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::{blocking, ValidJson, ValidQuery};
use super::AppState;

/// Makes a token; its secret is in the answer and nowhere else.
#[utoipa::path(
    tag = "tokens",
    operation_id = "create_token",
    request_body = NewToken,
    responses(
        (status = 201, description = "Created: the secret is shown this once", body = IssuedToken),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 403, description = "The caller may not make this token", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody)
    )
)]
#[post("/tokens")]
async fn create_token(
    state: web::Data<AppState>,
    caller: Caller,
    ValidJson(form): ValidJson<NewToken>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let issued = blocking(move || Ok(people::issue_token(&store, &caller.principal, &form)?)).await?;
    Ok(super::created(format!("/api/v1/tokens/{}", issued.info.id), &issued))
}

/// Paging for the token list.
#[pcmh_core::checks::checked]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// How many items to return, 1 to 500 (default 100).
    #[check(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many items to skip.
    #[check(minimum = 0)]
    pub offset: Option<i64>,
}

/// Lists tokens (never their secrets): all for an admin, the PO's own for a po_manager.
#[utoipa::path(
    tag = "tokens",
    operation_id = "list_tokens",
    params(TokenQuery),
    responses(
        (status = 200, description = "A page of tokens", body = Listing<TokenInfo>),
        (status = 400, description = "A query parameter cannot be read", body = ErrorBody),
        (status = 403, description = "The caller may not list tokens", body = ErrorBody),
        (status = 422, description = "A query parameter breaks a rule", body = ErrorBody)
    )
)]
#[get("/tokens")]
async fn list_tokens(
    state: web::Data<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<TokenQuery>,
) -> Result<web::Json<Listing<TokenInfo>>, ApiError> {
    let store = state.store.clone();
    let scope = match caller.principal.role {
        TokenRole::Admin => None,
        _ => caller.principal.organization,
    };
    let page = pcmh_core::store::Page {
        limit: query.limit.unwrap_or(100),
        offset: query.offset.unwrap_or(0),
    };
    Ok(web::Json(
        blocking(move || Ok(store.read(|c| tokens::list(c, scope, page))?)).await?,
    ))
}

/// One token (never its secret): any for an admin, the PO's own for a po_manager.
#[utoipa::path(
    tag = "tokens",
    operation_id = "get_token",
    params(("token_id" = i64, Path, description = "The token's id")),
    responses(
        (status = 200, description = "The token", body = TokenInfo),
        (status = 403, description = "The caller may not read tokens", body = ErrorBody),
        (status = 404, description = "No such token in the caller's scope", body = ErrorBody)
    )
)]
#[get("/tokens/{token_id}")]
async fn get_token(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> Result<web::Json<TokenInfo>, ApiError> {
    let id = path.into_inner();
    let store = state.store.clone();
    Ok(web::Json(
        blocking(move || Ok(people::token(&store, &caller.principal, id)?)).await?,
    ))
}

/// Revokes a token at once; revoking it again changes nothing.
#[utoipa::path(
    tag = "tokens",
    operation_id = "revoke_token",
    params(("token_id" = i64, Path, description = "The token's id")),
    responses(
        (status = 200, description = "The token, now revoked", body = TokenInfo),
        (status = 403, description = "The caller may not revoke tokens", body = ErrorBody),
        (status = 404, description = "No such token in the caller's scope", body = ErrorBody)
    )
)]
#[delete("/tokens/{token_id}")]
async fn revoke_token(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> Result<web::Json<TokenInfo>, ApiError> {
    let id = path.into_inner();
    let store = state.store.clone();
    let revoked = blocking(move || Ok(people::revoke_token(&store, &caller.principal, id)?)).await?;
    Ok(web::Json(revoked))
}

/// Registers the token routes.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(create_token)
        .service(list_tokens)
        .service(get_token)
        .service(revoke_token);
}
