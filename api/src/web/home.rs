//! `/`: a practice manager goes to their practice's dashboard; everyone else sees the
//! practices they may open, PO by PO. (Part 2 of the web application adds the PO's matrix.)

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::access::TokenRole;
use pcmh_core::records::{Organization, Practice};
use pcmh_core::store::{organizations, practices, Page};

use super::auth::run;
use super::{forms, Chrome, Viewer, WebError};
use crate::http::AppState;

/// One PO and the practices of it this person may open.
pub struct OrganizationPractices {
    /// The PO.
    pub organization: Organization,
    /// Its practices in scope.
    pub practices: Vec<Practice>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    organizations: Vec<OrganizationPractices>,
    show_dashboards: bool,
}

/// The home page.
#[get("/")]
async fn home(state: web::Data<AppState>, viewer: Viewer, req: HttpRequest) -> Result<HttpResponse, WebError> {
    if let (TokenRole::PracticeManager, Some(practice)) = (viewer.user.role, viewer.user.practice_id) {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/practices/{practice}")))
            .finish());
    }
    let principal = viewer.principal;
    let app = state.clone();
    let organizations = run(move || {
        Ok(app.store.read(|c| {
            let only = match principal.role {
                TokenRole::Admin => None,
                _ => Some(principal.organization),
            };
            let all = organizations::list(c, only, Page { limit: 500, offset: 0 })?;
            let mut out = Vec::new();
            for organization in all.items {
                let practices = practices::all_of_organization(c, organization.id)?
                    .into_iter()
                    .filter(|p| principal.covers_practice(p.id, p.organization_id))
                    .collect();
                out.push(OrganizationPractices {
                    organization,
                    practices,
                });
            }
            Ok(out)
        })?)
    })
    .await?;
    forms::ok(&HomePage {
        chrome: Chrome::new(&viewer, "Practices").with_notice(forms::notice(&req)),
        organizations,
        // A PO's dashboard is for those who see the PO as a whole (not a practice's auditor).
        show_dashboards: viewer.user.practice_id.is_none(),
    })
}

/// Registers the home page.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(home);
}
