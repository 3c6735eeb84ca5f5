//! The administrator's POs and practices: every PO with its practices; create and rename a PO;
//! rename a practice, set its time zone, move it to a later catalog version. Each form calls the
//! same core action as the JSON API (`pcmh_core::actions::admin`, `actions::practices`). Anyone
//! but an admin gets the 404 page.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::access::Actor;
use pcmh_core::actions::admin::{self as actions, CatalogVersion, Rename};
use pcmh_core::ids::{OrganizationId, PracticeId};
use pcmh_core::records::Practice;
use pcmh_core::store::organizations::{self, NewOrganization};
use pcmh_core::store::practices::{self, PracticeUpdate};
use pcmh_core::store::Page;

use super::auth::run;
use super::forms::{self, Fields, FormErrors, Kind};
use super::{Chrome, Posted, Viewer, WebError};
use crate::http::AppState;

/// A PO with its practices.
pub struct OrganizationLine {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its practices, each with the later catalog versions it may move to.
    pub practices: Vec<(Practice, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    chrome: Chrome,
    organizations: Vec<OrganizationLine>,
    /// Which form was refused ("create", "org-3", "name-5", "zone-5", "catalog-5").
    failed: String,
    form: Fields,
    errors: FormErrors,
}

impl AdminPage {
    /// The refused input of `field` in the form `key`, else `default`.
    fn value<'a>(&'a self, key: &str, field: &str, default: &'a str) -> &'a str {
        if self.failed == key {
            self.form.get(field).unwrap_or(default)
        } else {
            default
        }
    }

    /// The message beside `field` of the form `key`.
    fn error(&self, key: &str, field: &str) -> Option<&str> {
        (self.failed == key).then(|| self.errors.get(field)).flatten()
    }

    /// The messages of the form `key` that name no field.
    fn general(&self, key: &str) -> &[String] {
        if self.failed == key {
            &self.errors.general
        } else {
            &[]
        }
    }
}

fn admin_only(viewer: &Viewer) -> Result<(), WebError> {
    if viewer.is_admin() {
        Ok(())
    } else {
        Err(WebError::NotFound)
    }
}

async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    notice: Option<String>,
    failed: &str,
    form: Fields,
    errors: FormErrors,
) -> Result<HttpResponse, WebError> {
    let app = state.clone();
    let organizations = run(move || {
        let all = app
            .store
            .read(|c| organizations::list(c, None, Page { limit: 500, offset: 0 }))?;
        let mut out = Vec::new();
        for o in all.items {
            let practices = app.store.read(|c| practices::all_of_organization(c, o.id))?;
            let practices = practices
                .into_iter()
                .map(|p| {
                    let later = app
                        .catalogs
                        .iter()
                        .map(|(_, c)| c)
                        .filter(|c| c.id == p.catalog_id && c.version.to_string() != p.catalog_version)
                        .filter(|c| semver::Version::parse(&p.catalog_version).is_ok_and(|v| c.version > v))
                        .map(|c| c.version.to_string())
                        .collect();
                    (p, later)
                })
                .collect();
            out.push(OrganizationLine {
                id: o.id.0,
                name: o.name,
                practices,
            });
        }
        Ok(out)
    })
    .await?;
    let page = AdminPage {
        chrome: Chrome::new(viewer, "POs and practices")
            .current("/admin/organizations")
            .with_notice(notice),
        organizations,
        failed: failed.to_owned(),
        form,
        errors,
    };
    forms::answer(&page, !failed.is_empty())
}

/// The POs and their practices.
#[get("/admin/organizations")]
async fn organizations_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    admin_only(&viewer)?;
    render(
        &state,
        &viewer,
        forms::notice(&req),
        "",
        Fields::default(),
        FormErrors::default(),
    )
    .await
}

/// The admin as the actor of a change to `organization` (or to none, for a new PO).
fn actor(viewer: &Viewer, organization: Option<OrganizationId>, practice: Option<PracticeId>) -> Actor {
    Actor {
        principal: viewer.principal,
        organization,
        practice,
    }
}

/// Runs `action` on the form, then redirects with `notice` or shows the page again with the
/// form `key` refused.
async fn answer<T: Send + 'static>(
    state: &web::Data<AppState>,
    posted: Posted,
    key: &str,
    read: Result<impl FnOnce(&AppState) -> Result<T, pcmh_core::store::StoreError> + Send + 'static, FormErrors>,
    notice: impl FnOnce(T) -> String,
) -> Result<HttpResponse, WebError> {
    let outcome = match read {
        Ok(action) => {
            let app = state.clone();
            run(move || forms::outcome(action(&app))).await?
        }
        Err(errors) => Err(errors),
    };
    match outcome {
        Ok(done) => Ok(forms::redirect("/admin/organizations", &notice(done))),
        Err(errors) => render(state, &posted.viewer, None, key, posted.fields, errors).await,
    }
}

/// Creates a PO.
#[post("/admin/organizations")]
async fn create(state: web::Data<AppState>, posted: Posted) -> Result<HttpResponse, WebError> {
    admin_only(&posted.viewer)?;
    let form: Result<NewOrganization, _> = posted.fields.read(&[("name", Kind::Text)]);
    let actor = actor(&posted.viewer, None, None);
    let read = form.map(|form| move |app: &AppState| actions::create_organization(&app.store, &actor, &form));
    answer(&state, posted, "create", read, |o| format!("{} was created.", o.name)).await
}

/// Renames a PO.
#[post("/admin/organizations/{id}/rename")]
async fn rename_organization(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    admin_only(&posted.viewer)?;
    let id = OrganizationId(path.into_inner());
    let form: Result<Rename, _> = posted.fields.read(&[("name", Kind::Text)]);
    let actor = actor(&posted.viewer, Some(id), None);
    let read = form.map(|form| move |app: &AppState| actions::rename_organization(&app.store, &actor, id, &form));
    let key = format!("org-{}", id.0);
    answer(&state, posted, &key, read, |o| {
        format!("The PO is now named {}.", o.name)
    })
    .await
}

/// The practice `id` and the admin as the actor of a change to it.
async fn practice(state: &web::Data<AppState>, viewer: &Viewer, id: i64) -> Result<(PracticeId, Actor), WebError> {
    let practice = viewer.practice_to_write(state, id).await?;
    Ok((practice.id, viewer.actor(&practice)))
}

/// Renames a practice.
#[post("/admin/practices/{id}/rename")]
async fn rename_practice(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    admin_only(&posted.viewer)?;
    let (id, actor) = practice(&state, &posted.viewer, path.into_inner()).await?;
    let form: Result<Rename, _> = posted.fields.read(&[("name", Kind::Text)]);
    let read = form.map(|form| move |app: &AppState| actions::rename_practice(&app.store, &actor, id, &form));
    let key = format!("name-{}", id.0);
    answer(&state, posted, &key, read, |p| {
        format!("The practice is now named {}.", p.name)
    })
    .await
}

/// Sets a practice's time zone (the API's `PATCH /practices/{id}` with `time_zone`).
#[post("/admin/practices/{id}/time-zone")]
async fn set_time_zone(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    admin_only(&posted.viewer)?;
    let (id, actor) = practice(&state, &posted.viewer, path.into_inner()).await?;
    let mut form: Result<PracticeUpdate, _> = posted.fields.read(&[("time_zone", Kind::Text)]);
    if matches!(&form, Ok(f) if f.time_zone.is_none()) {
        form = Err(FormErrors {
            fields: [("time_zone".to_owned(), "must not be empty".to_owned())].into(),
            ..FormErrors::default()
        });
    }
    let read = form.map(|form| {
        move |app: &AppState| pcmh_core::actions::practices::update_practice(&app.store, &actor, id, &form)
    });
    let key = format!("zone-{}", id.0);
    answer(&state, posted, &key, read, |p| {
        format!("{} is now in the time zone {}.", p.name, p.time_zone)
    })
    .await
}

/// Moves a practice to a later catalog version (the API's `POST /practices/{id}/catalog-upgrade`).
#[post("/admin/practices/{id}/catalog")]
async fn upgrade_catalog(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    admin_only(&posted.viewer)?;
    let (id, actor) = practice(&state, &posted.viewer, path.into_inner()).await?;
    let form: Result<CatalogVersion, _> = posted.fields.read(&[("to_version", Kind::Text)]);
    let read = form.map(|form| {
        move |app: &AppState| actions::upgrade_practice_catalog(&app.store, &app.catalogs, &actor, id, &form.to_version)
    });
    let key = format!("catalog-{}", id.0);
    answer(&state, posted, &key, read, |p| {
        format!(
            "{} is now assessed against {} {}.",
            p.name, p.catalog_id, p.catalog_version
        )
    })
    .await
}

/// Registers the admin pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(organizations_page)
        .service(create)
        .service(rename_organization)
        .service(rename_practice)
        .service(set_time_zone)
        .service(upgrade_catalog);
}
