//! The PO's catalog upgrade (PO manager or admin): choose a later version, see beforehand which
//! criteria change and which attestations will need renewing in each practice, then confirm;
//! the same core action as the API's `POST /organizations/{id}/catalog-upgrade`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::actions::po_admin::{self, UpgradePreview};
use pcmh_core::catalog::Change;
use pcmh_core::records::Organization;
use pcmh_core::store::practices;

use super::auth::run;
use super::forms::{self, FormErrors};
use super::{Chrome, Posted, Viewer, WebError};
use crate::http::AppState;

/// One changed criterion.
pub struct ChangeLine {
    /// "1.0.0 → 1.1.0".
    pub versions: String,
    /// The criterion before.
    pub from: String,
    /// What it became.
    pub to: String,
    /// Kept, changed, split, retired or added.
    pub change: &'static str,
    /// Which parts differ, and the mapping's note.
    pub details: String,
}

/// One attestation to renew.
pub struct RenewalLine {
    /// The practice, or "The PO itself".
    pub who: String,
    /// The criterion.
    pub criterion: String,
    /// Why.
    pub why: String,
}

/// The preview in words.
pub struct Preview {
    /// The version.
    pub to_version: String,
    /// The practices that move, e.g. "Maple Street (from 1.0.0)".
    pub moving: Vec<String>,
    /// The practices already there.
    pub already: Vec<String>,
    /// The criteria changed.
    pub changes: Vec<ChangeLine>,
    /// The attestations to renew.
    pub renewals: Vec<RenewalLine>,
}

#[derive(Template)]
#[template(path = "organization_upgrade.html")]
struct UpgradePage {
    chrome: Chrome,
    organization_id: i64,
    current: Vec<String>,
    versions: Vec<String>,
    chosen: String,
    preview: Option<Preview>,
    errors: FormErrors,
}

fn preview_words(preview: UpgradePreview) -> Preview {
    let changes = preview
        .changes
        .iter()
        .flat_map(|d| {
            d.changes
                .iter()
                .filter(|c| c.change != Change::Kept)
                .map(move |c| ChangeLine {
                    versions: format!("{} → {}", d.from_version, d.to_version),
                    from: c.from.as_ref().map_or_else(|| "(new)".to_owned(), ToString::to_string),
                    to: if c.to.is_empty() {
                        "(none)".to_owned()
                    } else {
                        c.to.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                    },
                    change: c.change.as_str(),
                    details: c
                        .differences
                        .iter()
                        .map(|s| (*s).to_owned())
                        .chain(c.note.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                })
        })
        .collect();
    Preview {
        to_version: preview.to_version,
        moving: preview
            .moving
            .iter()
            .map(|p| format!("{} (from {})", p.name, p.catalog_version))
            .collect(),
        already: preview.already.iter().map(|p| p.name.clone()).collect(),
        changes,
        renewals: preview
            .renewals
            .into_iter()
            .map(|r| RenewalLine {
                who: r.practice.map_or_else(|| "The PO itself".to_owned(), |p| p.name),
                criterion: r.criterion.to_string(),
                why: r.why,
            })
            .collect(),
    }
}

async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    organization: Organization,
    notice: Option<String>,
    chosen: Option<String>,
    errors: FormErrors,
) -> Result<HttpResponse, WebError> {
    let (app, id) = (state.clone(), organization.id);
    let wanted = chosen.clone();
    let (all, preview) = run(move || {
        let all = app.store.read(|c| practices::all_of_organization(c, id))?;
        let preview = match wanted {
            Some(v) => Some(forms::outcome(po_admin::preview_organization_upgrade(
                &app.store,
                &app.catalogs,
                id,
                &v,
            ))?),
            None => None,
        };
        Ok((all, preview))
    })
    .await?;
    let mut current: Vec<String> = all
        .iter()
        .map(|p| format!("{} {}", p.catalog_id, p.catalog_version))
        .collect();
    current.sort();
    current.dedup();
    let oldest = all
        .iter()
        .filter_map(|p| semver::Version::parse(&p.catalog_version).ok())
        .min();
    let catalog_id = all.first().map(|p| p.catalog_id.clone());
    let mut versions: Vec<semver::Version> = state
        .catalogs
        .iter()
        .filter(|(_, c)| Some(&c.id) == catalog_id.as_ref())
        .map(|(_, c)| c.version.clone())
        .filter(|v| oldest.as_ref().is_some_and(|o| v > o))
        .collect();
    versions.sort();
    versions.dedup();
    let (preview, errors) = match preview {
        Some(Ok(p)) => (Some(preview_words(p)), errors),
        Some(Err(e)) => (None, e.keep_fields(&["to_version"])),
        None => (None, errors),
    };
    let failed = !errors.is_empty();
    let page = UpgradePage {
        chrome: Chrome::organization(
            viewer,
            &organization,
            "/upgrade",
            format!("Catalog upgrade · {}", organization.name),
        )
        .with_notice(notice),
        organization_id: organization.id.0,
        current,
        versions: versions.iter().map(ToString::to_string).collect(),
        chosen: chosen.unwrap_or_default(),
        preview,
        errors,
    };
    forms::answer(&page, failed)
}

/// The upgrade page; with `?to_version=`, its preview.
#[get("/organizations/{id}/upgrade")]
async fn upgrade_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let organization = viewer.organization_to_write(&state, path.into_inner()).await?;
    let chosen = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "to_version")
        .map(|(_, v)| v.trim().chars().take(50).collect::<String>())
        .filter(|v| !v.is_empty());
    let notice = forms::notice(&req);
    render(&state, &viewer, organization, notice, chosen, FormErrors::default()).await
}

/// Moves the PO and every practice to the version confirmed (the API's `catalog-upgrade`).
#[post("/organizations/{id}/upgrade")]
async fn confirm_upgrade(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let organization = viewer.organization_to_write(&state, path.into_inner()).await?;
    let to_version = fields.get("to_version").unwrap_or_default().trim().to_owned();
    if to_version.is_empty() {
        let mut errors = FormErrors::default();
        errors
            .fields
            .insert("to_version".into(), "choose the version to move to".into());
        return render(&state, &viewer, organization, None, None, errors).await;
    }
    let (app, actor, id) = (state.clone(), viewer.organization_actor(&organization), organization.id);
    let version = to_version.clone();
    let done = run(move || {
        forms::outcome(po_admin::upgrade_organization_catalog(
            &app.store,
            &app.catalogs,
            &actor,
            id,
            &version,
        ))
    })
    .await?;
    match done {
        Ok(done) => Ok(forms::redirect(
            &format!("/organizations/{}/upgrade", organization.id),
            &format!(
                "The PO moved to catalog version {}: {} practice(s) upgraded.",
                done.catalog_version,
                done.upgraded.len()
            ),
        )),
        Err(errors) => {
            let errors = errors.keep_fields(&["to_version"]);
            render(&state, &viewer, organization, None, None, errors).await
        }
    }
}

/// Registers the pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(upgrade_page).service(confirm_upgrade);
}
