//! People (admins and PO managers): the accounts in scope, inviting a person (the one-time link
//! is shown to the inviter, nothing is emailed) and disabling an account.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::access::TokenRole;
use pcmh_core::actions::people;
use pcmh_core::store::users::{self, NewAccess, NewUser, User};
use pcmh_core::store::{organizations, practices, Page};
use serde_json::Value;

use super::auth::run;
use super::forms::{self, Fields, FormErrors, Kind};
use super::staff::Choice;
use super::{role_words, Chrome, Posted, Viewer, WebError};
use crate::http::AppState;

/// One account as listed.
pub struct PersonLine {
    /// The account's id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role in words.
    pub role: &'static str,
    /// The PO or practice, in words.
    pub scope: String,
    /// Invited, active or disabled.
    pub state: &'static str,
    /// Whether this person may disable it (and change its access).
    pub may_disable: bool,
    /// When they last signed in, in words.
    pub last_sign_in: String,
    /// The role's value, for the access form.
    pub role_value: &'static str,
    /// The scope's value ("o:ID", "p:ID" or ""), for the access form.
    pub scope_value: String,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    chrome: Chrome,
    people: Vec<PersonLine>,
    roles: Vec<Choice>,
    scopes: Vec<Choice>,
    form: Fields,
    errors: FormErrors,
    link: Option<String>,
}

/// Only admins and PO managers manage people.
fn manager(viewer: &Viewer) -> Result<(), WebError> {
    match viewer.user.role {
        TokenRole::Admin | TokenRole::PoManager => Ok(()),
        _ => Err(WebError::NotFound),
    }
}

async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    form: Fields,
    errors: FormErrors,
    link: Option<String>,
    notice: Option<String>,
) -> Result<HttpResponse, WebError> {
    let (app, principal) = (state.clone(), viewer.principal);
    let (accounts, scopes, last) = run(move || {
        Ok(app.store.read(|c| {
            let only = (principal.role != TokenRole::Admin).then_some(principal.organization);
            let scope_filter = only.flatten();
            let accounts = users::list(c, scope_filter, Page { limit: 500, offset: 0 })?.items;
            let ids: Vec<i64> = accounts.iter().map(|u| u.id).collect();
            let last = users::last_sign_ins(c, &ids)?;
            let mut scopes = Vec::new();
            for organization in organizations::list(c, only, Page { limit: 500, offset: 0 })?.items {
                scopes.push((
                    format!("o:{}", organization.id),
                    format!("{} (the whole PO)", organization.name),
                ));
                for practice in practices::all_of_organization(c, organization.id)? {
                    scopes.push((
                        format!("p:{}", practice.id),
                        format!("{} · {}", practice.name, organization.name),
                    ));
                }
            }
            Ok((accounts, scopes, last))
        })?)
    })
    .await?;
    let scope_words = |u: &User| match (u.organization_id, u.practice_id) {
        (_, Some(p)) => scopes
            .iter()
            .find(|(v, _)| *v == format!("p:{p}"))
            .map_or(format!("practice {p}"), |(_, l)| l.clone()),
        (Some(o), None) => scopes
            .iter()
            .find(|(v, _)| *v == format!("o:{o}"))
            .map_or(format!("PO {o}"), |(_, l)| l.clone()),
        (None, None) => "Everything".to_owned(),
    };
    let people = accounts
        .iter()
        .map(|u| PersonLine {
            id: u.id,
            name: u.display_name.clone(),
            email: u.email.clone(),
            role: role_words(u.role),
            scope: scope_words(u),
            state: match (u.disabled_at, u.active) {
                (Some(_), _) => "Disabled",
                (None, true) => "Active",
                (None, false) => "Invited",
            },
            may_disable: u.disabled_at.is_none()
                && Some(u.id) != viewer.principal.user_id
                && viewer.principal.role.may_grant(u.role),
            last_sign_in: last.get(&u.id).map_or("Never".to_owned(), |at| {
                format!("{} UTC", at.format("%b %-d, %Y %H:%M"))
            }),
            role_value: u.role.as_str(),
            scope_value: match (u.organization_id, u.practice_id) {
                (_, Some(p)) => format!("p:{p}"),
                (Some(o), None) => format!("o:{o}"),
                (None, None) => String::new(),
            },
        })
        .collect();
    let roles = [
        TokenRole::Admin,
        TokenRole::PoManager,
        TokenRole::PracticeManager,
        TokenRole::Auditor,
    ]
    .into_iter()
    .filter(|r| viewer.principal.role.may_grant(*r))
    .map(|r| Choice {
        value: r.as_str().to_owned(),
        label: role_words(r).to_owned(),
    })
    .collect();
    let failed = !errors.is_empty();
    let page = PeoplePage {
        chrome: Chrome::new(viewer, "People").current("/people").with_notice(notice),
        people,
        roles,
        scopes: scopes
            .into_iter()
            .map(|(value, label)| Choice { value, label })
            .collect(),
        form,
        errors,
        link,
    };
    forms::answer(&page, failed)
}

/// The people page.
#[get("/people")]
async fn people_page(state: web::Data<AppState>, viewer: Viewer, req: HttpRequest) -> Result<HttpResponse, WebError> {
    manager(&viewer)?;
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

/// The invitation form's fields as the core form: the scope choice "o:ID" or "p:ID" becomes
/// `organization_id` or `practice_id`.
fn invitation_form(fields: &Fields) -> Result<NewUser, FormErrors> {
    let json = with_scope(
        fields,
        fields.json(&[
            ("email", Kind::Text),
            ("display_name", Kind::Text),
            ("role", Kind::Text),
        ]),
    );
    forms::read_json::<NewUser>(&json).map_err(scope_errors)
}

/// The form's `scope` choice ("o:ID" or "p:ID") added to `json` as `organization_id` or `practice_id`.
fn with_scope(fields: &Fields, mut json: Value) -> Value {
    let scope = fields.get("scope").unwrap_or_default();
    let id = |text: &str| {
        text.parse::<i64>()
            .map_or(Value::String(text.to_owned()), |n| Value::Number(n.into()))
    };
    if let Some(object) = json.as_object_mut() {
        if let Some(o) = scope.strip_prefix("o:") {
            object.insert("organization_id".into(), id(o));
        } else if let Some(p) = scope.strip_prefix("p:") {
            object.insert("practice_id".into(), id(p));
        }
    }
    json
}

/// Messages about the scope go beside the scope field.
fn scope_errors(mut errors: FormErrors) -> FormErrors {
    for key in ["organization_id", "practice_id"] {
        if let Some(message) = errors.fields.remove(key) {
            errors.fields.entry("scope".into()).or_insert(message);
        }
    }
    errors
}

/// Invites a person and shows the one-time link.
#[post("/people")]
async fn invite(state: web::Data<AppState>, posted: Posted, req: HttpRequest) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    manager(&viewer)?;
    let form = match invitation_form(&fields) {
        Ok(form) => form,
        Err(errors) => return render(&state, &viewer, fields, errors, None, None).await,
    };
    let (app, principal) = (state.clone(), viewer.principal);
    let invited = run(move || forms::outcome(people::invite_person(&app.store, &principal, &form))).await?;
    match invited {
        Ok(invitation) => {
            let base = state.web.public_url.clone().unwrap_or_else(|| {
                let info = req.connection_info();
                format!("{}://{}", info.scheme(), info.host())
            });
            let link = format!("{}/invitations/{}", base.trim_end_matches('/'), invitation.secret);
            let notice = format!(
                "{} is invited. Send them this link; it works once, for 7 days, and is not shown again.",
                invitation.user.email
            );
            render(
                &state,
                &viewer,
                Fields::default(),
                FormErrors::default(),
                Some(link),
                Some(notice),
            )
            .await
        }
        Err(errors) => render(&state, &viewer, fields, scope_errors(errors), None, None).await,
    }
}

/// Gives an account another role and scope.
#[post("/people/{id}/access")]
async fn change_access(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    manager(&viewer)?;
    let json = with_scope(&fields, fields.json(&[("role", Kind::Text)]));
    let form: NewAccess = match forms::read_json(&json).map_err(scope_errors) {
        Ok(form) => form,
        Err(errors) => return render(&state, &viewer, Fields::default(), access_errors(errors), None, None).await,
    };
    let (app, principal, id) = (state.clone(), viewer.principal, path.into_inner());
    let changed = run(move || forms::outcome(people::change_access(&app.store, &principal, id, &form))).await?;
    match changed {
        Ok(user) => Ok(forms::redirect(
            "/people",
            &format!("{} is now {}.", user.email, role_words(user.role).to_lowercase()),
        )),
        Err(errors) => {
            render(
                &state,
                &viewer,
                Fields::default(),
                access_errors(scope_errors(errors)),
                None,
                None,
            )
            .await
        }
    }
}

/// The access form sits in the list, so its messages go above the list.
fn access_errors(errors: FormErrors) -> FormErrors {
    let mut general: Vec<String> = errors
        .fields
        .into_iter()
        .map(|(k, v)| format!("Access not changed: {k}: {v}"))
        .collect();
    general.extend(errors.general);
    FormErrors {
        general,
        ..FormErrors::default()
    }
}

/// Disables an account: it cannot sign in and its sessions end.
#[post("/people/{id}/disable")]
async fn disable(state: web::Data<AppState>, posted: Posted, path: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let viewer = posted.viewer;
    manager(&viewer)?;
    let (app, principal, id) = (state.clone(), viewer.principal, path.into_inner());
    let disabled = run(move || forms::outcome(people::disable_person(&app.store, &principal, id))).await?;
    match disabled {
        Ok(user) => Ok(forms::redirect(
            "/people",
            &format!(
                "{} is disabled: they cannot sign in, and their sessions have ended.",
                user.email
            ),
        )),
        Err(errors) => render(&state, &viewer, Fields::default(), errors, None, None).await,
    }
}

/// Registers the people pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(people_page)
        .service(invite)
        .service(disable)
        .service(change_access);
}
