//! The practices of a PO: each with its catalog version, initial focus, day it joined and time
//! zone, and (for a PO manager or an admin) the form that adds one, through the same core
//! action as the API's `create_practice`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::actions::po_admin;
use pcmh_core::records::Organization;
use pcmh_core::store::practices::{self, NewPractice};

use super::auth::run;
use super::forms::{self, Fields, FormErrors, Kind};
use super::{long_date, Chrome, Posted, Viewer, WebError};
use crate::http::AppState;

/// One practice, in words.
pub struct PracticeLine {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// "pcmh-n-domain-4 1.0.0".
    pub catalog: String,
    /// The initial-focus population, if declared.
    pub focus: Option<String>,
    /// The day it joined, if known.
    pub joined: Option<String>,
    /// Its time zone.
    pub time_zone: String,
}

#[derive(Template)]
#[template(path = "organization_practices.html")]
struct PracticesPage {
    chrome: Chrome,
    organization_id: i64,
    practices: Vec<PracticeLine>,
    may_write: bool,
    form: Fields,
    errors: FormErrors,
}

/// The fields of the form.
const SHOWN: [&str; 4] = ["name", "initial_focus_population", "joined_on", "time_zone"];

async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    organization: Organization,
    notice: Option<String>,
    form: Fields,
    errors: FormErrors,
) -> Result<HttpResponse, WebError> {
    let (app, id) = (state.clone(), organization.id);
    let all = run(move || Ok(app.store.read(|c| practices::all_of_organization(c, id))?)).await?;
    let failed = !errors.is_empty();
    let page = PracticesPage {
        chrome: Chrome::organization(
            viewer,
            &organization,
            "/practices",
            format!("Practices · {}", organization.name),
        )
        .with_notice(notice),
        organization_id: organization.id.0,
        practices: all
            .into_iter()
            .map(|p| PracticeLine {
                id: p.id.0,
                catalog: format!("{} {}", p.catalog_id, p.catalog_version),
                focus: p.initial_focus_population,
                joined: p.joined_on.map(long_date),
                time_zone: p.time_zone,
                name: p.name,
            })
            .collect(),
        may_write: viewer.may_write(),
        form,
        errors: errors.keep_fields(&SHOWN),
    };
    forms::answer(&page, failed)
}

/// The practices of the PO.
#[get("/organizations/{id}/practices")]
async fn practices_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let organization = viewer.organization(&state, path.into_inner()).await?;
    let notice = forms::notice(&req);
    render(
        &state,
        &viewer,
        organization,
        notice,
        Fields::default(),
        FormErrors::default(),
    )
    .await
}

/// Adds a practice to the PO (the API's `create_practice`).
#[post("/organizations/{id}/practices")]
async fn add_practice(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let organization = viewer.organization_to_write(&state, path.into_inner()).await?;
    let kinds = [
        ("name", Kind::Text),
        ("initial_focus_population", Kind::Text),
        ("joined_on", Kind::Text),
        ("time_zone", Kind::Text),
    ];
    let form: NewPractice = match fields.read(&kinds) {
        Ok(form) => form,
        Err(errors) => return render(&state, &viewer, organization, None, fields, errors).await,
    };
    let (app, actor, id) = (state.clone(), viewer.organization_actor(&organization), organization.id);
    let added =
        run(move || forms::outcome(po_admin::create_practice(&app.store, &app.catalogs, &actor, id, &form))).await?;
    match added {
        Ok(practice) => Ok(forms::redirect(
            &format!("/organizations/{}/practices", organization.id),
            &format!(
                "{} was added, assessed against {} {}.",
                practice.name, practice.catalog_id, practice.catalog_version
            ),
        )),
        Err(errors) => render(&state, &viewer, organization, None, fields, errors).await,
    }
}

/// Registers the pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(practices_page).service(add_practice);
}
