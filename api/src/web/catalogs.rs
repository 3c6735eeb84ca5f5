//! Catalogs: the versions loaded, each version's criteria with their scope, population and
//! evidence requirements in words, and what changed between two versions (the same
//! `pcmh_core::catalog::diff` as `pcmh catalog diff`). Catalogs are public to every signed-in
//! person, as in the API.

use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::catalog::{self, Catalog, Change, Population, Scope, Vocabulary};

use super::forms::{self, Fields, FormErrors};
use super::{long_date, Chrome, Viewer, WebError};
use crate::http::AppState;

/// One catalog version.
pub struct VersionLine {
    /// The catalog id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Its title.
    pub title: String,
    /// The day it is in force from.
    pub effective: String,
    /// How many criteria.
    pub criteria: usize,
}

/// One criterion in words.
pub struct CriterionLine {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its text.
    pub text: String,
    /// Practice or PO.
    pub scope: &'static str,
    /// The patients it is about.
    pub population: String,
    /// Each evidence requirement in words.
    pub evidence: Vec<String>,
}

/// One change between two versions.
pub struct ChangeLine {
    /// The old criterion.
    pub from: String,
    /// What became of it.
    pub change: &'static str,
    /// The new criteria.
    pub to: String,
    /// What differs, and the mapping's note.
    pub details: String,
}

#[derive(Template)]
#[template(path = "catalogs.html")]
struct CatalogsPage {
    chrome: Chrome,
    versions: Vec<VersionLine>,
}

#[derive(Template)]
#[template(path = "catalogs_version.html")]
struct VersionPage {
    chrome: Chrome,
    catalog: VersionLine,
    criteria: Vec<CriterionLine>,
}

#[derive(Template)]
#[template(path = "catalogs_diff.html")]
struct DiffPage {
    chrome: Chrome,
    versions: Vec<String>,
    form: Fields,
    errors: FormErrors,
    heading: Option<String>,
    changes: Vec<ChangeLine>,
    unchanged: Vec<String>,
}

fn version_line(c: &Catalog) -> VersionLine {
    VersionLine {
        id: c.id.clone(),
        version: c.version.to_string(),
        title: c.title.clone(),
        effective: long_date(c.effective),
        criteria: c.criteria.len(),
    }
}

fn chrome(viewer: &Viewer, title: &str) -> Chrome {
    Chrome::new(viewer, title).current("/catalogs")
}

/// The catalogs loaded, by id then version.
fn loaded(state: &AppState) -> Vec<&Catalog> {
    let mut all: Vec<&Catalog> = state.catalogs.iter().map(|(_, c)| c).collect();
    all.sort_by(|a, b| (&a.id, &a.version).cmp(&(&b.id, &b.version)));
    all
}

/// The versions loaded.
#[get("/catalogs")]
async fn catalogs_page(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, WebError> {
    let page = CatalogsPage {
        chrome: chrome(&viewer, "Catalogs"),
        versions: loaded(&state).into_iter().map(version_line).collect(),
    };
    forms::ok(&page)
}

fn criterion_line(c: &catalog::Criterion, vocabulary: &Vocabulary) -> CriterionLine {
    CriterionLine {
        id: c.id.to_string(),
        title: c.title.clone(),
        text: c.text.clone(),
        scope: match c.scope {
            Scope::Practice => "Practice",
            Scope::PhysicianOrganization => "PO",
        },
        population: if c.population.is_empty() {
            "Not tied to a population".to_owned()
        } else {
            c.population
                .iter()
                .map(|p| match p {
                    Population::InitialFocus => "initial-focus patients",
                    Population::AllPatients => "all patients",
                })
                .collect::<Vec<_>>()
                .join(", ")
        },
        evidence: c
            .evidence
            .iter()
            .map(|e| catalog::in_words::requirement(e, vocabulary))
            .collect(),
    }
}

/// One version's criteria.
#[get("/catalogs/{id}/{version}")]
async fn version_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, version) = path.into_inner();
    let catalog = state.catalogs.named(&id, &version).map_err(|_| WebError::NotFound)?;
    let page = VersionPage {
        chrome: chrome(&viewer, &format!("Catalog {id} {version}")),
        catalog: version_line(catalog),
        criteria: catalog
            .criteria
            .iter()
            .map(|c| criterion_line(c, &catalog.vocabulary))
            .collect(),
    };
    forms::ok(&page)
}

/// One version as an OSCAL catalog, for compliance tools (the API's `get_catalog_oscal`).
#[get("/catalogs/{id}/{version}/oscal.json")]
async fn version_oscal(
    state: web::Data<AppState>,
    _viewer: Viewer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, version) = path.into_inner();
    let catalog = state.catalogs.named(&id, &version).map_err(|_| WebError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-{}.oscal.json\"", catalog.id, catalog.version),
        ))
        .body(pcmh_core::standards::to_json(&pcmh_core::standards::oscal::catalog(
            catalog,
        ))))
}

/// What changed between two versions (`?from=1.0.0&to=1.1.0`, optionally `&catalog=<id>`).
#[get("/catalogs/diff")]
async fn diff_page(state: web::Data<AppState>, viewer: Viewer, req: HttpRequest) -> Result<HttpResponse, WebError> {
    let form = Fields::parse(req.query_string().as_bytes());
    let all = loaded(&state);
    let id = form
        .get("catalog")
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .or_else(|| all.first().map(|c| c.id.clone()))
        .unwrap_or_default();
    let versions: Vec<String> = all
        .iter()
        .filter(|c| c.id == id)
        .map(|c| c.version.to_string())
        .collect();
    let mut errors = FormErrors::default();
    let mut pick = |name: &str| -> Option<&Catalog> {
        let asked = form.get(name).map(str::trim).filter(|v| !v.is_empty())?;
        let found = state.catalogs.named(&id, asked).ok();
        if found.is_none() {
            errors
                .fields
                .insert(name.into(), format!("version {asked} of {id} is not loaded"));
        }
        found
    };
    let (old, new) = (pick("from"), pick("to"));
    let (mut heading, mut changes, mut unchanged) = (None, Vec::new(), Vec::new());
    if let (Some(old), Some(new)) = (old, new) {
        let diff = catalog::diff(old, new);
        heading = Some(format!(
            "{} {} → {} ({})",
            diff.catalog,
            diff.from_version,
            diff.to_version,
            if diff.declared_mapping {
                format!("mapping declared in {}", diff.to_version)
            } else {
                format!(
                    "no mapping from {} declared in {}: criteria matched by id",
                    diff.from_version, diff.to_version
                )
            }
        ));
        for c in &diff.changes {
            let from = c.from.as_ref().map_or_else(|| "—".to_owned(), ToString::to_string);
            if c.change == Change::Kept && c.differences.is_empty() {
                unchanged.push(from);
                continue;
            }
            let mut details = Vec::new();
            if !c.differences.is_empty() {
                details.push(format!("differs in: {}", c.differences.join(", ")));
            }
            if let Some(note) = &c.note {
                details.push(format!("note: {note}"));
            }
            changes.push(ChangeLine {
                from,
                change: c.change.as_str(),
                to: c.to.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                details: details.join("; "),
            });
        }
    }
    let failed = !errors.is_empty();
    let page = DiffPage {
        chrome: chrome(&viewer, "Catalog differences"),
        versions,
        form,
        errors,
        heading,
        changes,
        unchanged,
    };
    forms::answer(&page, failed)
}

/// Registers the catalog pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(catalogs_page)
        .service(diff_page)
        .service(version_oscal)
        .service(version_page);
}
