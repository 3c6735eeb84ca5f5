//! The PO's own records: its attestations of the PO-level criteria (in force, flagged when a
//! catalog upgrade asks for them again, and their history) with the Attest form signed by the
//! signed-in person, the PO's documents (list, upload, download), and its periodic reports
//! (monthly member lists and others) with the form that files one.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::actions::attestations::{self as attest_actions, Attesting};
use pcmh_core::actions::documents as doc_actions;
use pcmh_core::actions::surveys as report_actions;
use pcmh_core::catalog::{Scope, Vocabulary};
use pcmh_core::ids::DocumentId;
use pcmh_core::records::{AttestedStatus, Organization, Owner};
use pcmh_core::rules::attested::needs_reattestation;
use pcmh_core::store::attestations::{AttestationRecord, NewAttestation};
use pcmh_core::store::documents::{self, DocumentFilter, NewDocument};
use pcmh_core::store::reports::{self, NewReport, ReportFilter};
use pcmh_core::store::{practices, DateRange, Page};
use serde_json::Value;

use super::auth::{check_csrf, run, same_origin};
use super::dashboard::capitalized;
use super::forms::{self, Fields, FormErrors, Kind};
use super::staff::Choice;
use super::{long_date, role_words, Chrome, Posted, Viewer, WebError};
use crate::http::documents as api;
use crate::http::AppState;

const ATTEST_FIELDS: [&str; 5] = ["criterion", "status", "effective_on", "statement", "evidence"];
const UPLOAD_FIELDS: [&str; 5] = ["file", "title", "document_type", "effective_on", "criteria"];
const REPORT_FIELDS: [&str; 5] = [
    "report_type",
    "period_start",
    "period_end",
    "practice_id",
    "document_id",
];

/// A PO-level criterion with the PO's attestation in force.
pub struct CriterionLine {
    /// "4.24".
    pub id: String,
    /// Its title.
    pub title: String,
    /// "In place from Jun 1, 2026", or nothing.
    pub in_force: Option<String>,
    /// "Dana Reyes (PO manager)".
    pub signer: Option<String>,
    /// Why it must be attested again, if it must.
    pub reattest: Option<String>,
}

/// One attestation of the history.
pub struct AttestationLine {
    /// Its id.
    pub id: i64,
    /// The criterion.
    pub criterion: String,
    /// The status in words.
    pub status: String,
    /// Effective from.
    pub effective: String,
    /// Signer and role.
    pub signer: String,
    /// The statement.
    pub statement: String,
    /// "1.0.0".
    pub catalog_version: String,
    /// "In force", "Superseded by 12".
    pub standing: String,
}

/// One document.
pub struct DocumentLine {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its type in words.
    pub document_type: String,
    /// In force from.
    pub effective: String,
    /// The file's name.
    pub file_name: String,
    /// The criteria it supports.
    pub criteria: String,
    /// Who voided it, when and why, if it was voided; what it corrects.
    pub corrections: Vec<String>,
    /// Its "Void" form, for a person who may write and a record not voided.
    pub void: Option<super::corrections::VoidForm>,
}

/// One periodic report.
pub struct ReportLine {
    /// The type in words.
    pub report_type: String,
    /// "Mar 1, 2026 to Mar 31, 2026".
    pub period: String,
    /// The practice it is about, or "PO-wide".
    pub about: String,
    /// Its document's id, if any.
    pub document: Option<i64>,
    /// Who voided it, when and why, if it was voided; what it corrects.
    pub corrections: Vec<String>,
    /// Its "Void" form, for a person who may write and a record not voided.
    pub void: Option<super::corrections::VoidForm>,
}

/// A form as sent back: its fields and its errors.
#[derive(Default)]
pub struct Sent {
    /// The fields.
    pub form: Fields,
    /// The errors.
    pub errors: FormErrors,
}

/// Which form was refused.
#[derive(Default)]
struct Refused {
    attest: Sent,
    upload: Sent,
    report: Sent,
}

#[derive(Template)]
#[template(path = "organization_records.html")]
struct RecordsPage {
    chrome: Chrome,
    organization_id: i64,
    catalog: String,
    criteria: Vec<CriterionLine>,
    history: Vec<AttestationLine>,
    documents: Vec<DocumentLine>,
    reports: Vec<ReportLine>,
    may_write: bool,
    signer: String,
    statuses: Vec<Choice>,
    criterion_choices: Vec<Choice>,
    all_criteria: Vec<Choice>,
    document_choices: Vec<Choice>,
    document_types: Vec<Choice>,
    report_types: Vec<Choice>,
    practice_choices: Vec<Choice>,
    attest: Sent,
    upload: Sent,
    report: Sent,
}

fn status_choices() -> Vec<Choice> {
    [
        AttestedStatus::InPlace,
        AttestedStatus::PartiallyInPlace,
        AttestedStatus::NotInPlace,
        AttestedStatus::NotApplicable,
    ]
    .into_iter()
    .map(|s| Choice {
        value: serde_json::to_value(s)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        label: capitalized(s.label()),
    })
    .collect()
}

fn history_line(record: &AttestationRecord) -> AttestationLine {
    let a = &record.attestation;
    AttestationLine {
        id: a.id.0,
        criterion: a.criterion.to_string(),
        status: capitalized(a.status.label()),
        effective: long_date(a.effective_on),
        signer: format!("{} ({})", a.signer, a.signer_role),
        statement: a.statement.clone(),
        catalog_version: a.catalog_version.clone(),
        standing: record
            .superseded_by
            .map_or_else(|| "In force".to_owned(), |by| format!("Superseded by attestation {by}")),
    }
}

fn vocabulary_choices(list: &std::collections::BTreeMap<pcmh_core::ids::Term, String>) -> Vec<Choice> {
    list.iter()
        .map(|(term, label)| Choice {
            value: term.as_str().to_owned(),
            label: label.clone(),
        })
        .collect()
}

async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    organization: Organization,
    notice: Option<String>,
    refused: Refused,
) -> Result<HttpResponse, WebError> {
    let (app, id) = (state.clone(), organization.id);
    let (catalog, in_force, history, docs, filed, all) = run(move || {
        let owner = Owner::Organization(id);
        let catalog = doc_actions::owner_catalog(&app.store, &app.catalogs, owner)?;
        let page = Page { limit: 500, offset: 0 };
        let read = app.store.read(|c| {
            let mut in_force = Vec::new();
            let mut history = Vec::new();
            for criterion in catalog
                .criteria
                .iter()
                .filter(|k| k.scope == Scope::PhysicianOrganization)
            {
                in_force.push(attest_actions::in_force(c, owner, &criterion.id)?);
                history.extend(attest_actions::history(c, owner, &criterion.id)?);
            }
            let docs = documents::list(c, owner, &DocumentFilter::default(), DateRange::default(), page)?;
            let filed = reports::list(c, id, &ReportFilter::default(), page)?;
            let all = practices::all_of_organization(c, id)?;
            Ok((in_force, history, docs.items, filed.items, all))
        })?;
        Ok((catalog, read.0, read.1, read.2, read.3, read.4))
    })
    .await?;
    let po_criteria: Vec<_> = catalog
        .criteria
        .iter()
        .filter(|k| k.scope == Scope::PhysicianOrganization)
        .collect();
    let criteria = po_criteria
        .iter()
        .zip(&in_force)
        .map(|(k, current)| CriterionLine {
            id: k.id.to_string(),
            title: k.title.clone(),
            in_force: current.as_ref().map(|r| {
                format!(
                    "{} from {}",
                    capitalized(r.attestation.status.label()),
                    long_date(r.attestation.effective_on)
                )
            }),
            signer: current
                .as_ref()
                .map(|r| format!("{} ({})", r.attestation.signer, r.attestation.signer_role)),
            reattest: current
                .as_ref()
                .and_then(|r| needs_reattestation(&state.catalogs, &catalog, &r.attestation)),
        })
        .collect();
    let mut history: Vec<AttestationLine> = history.iter().map(history_line).collect();
    history.sort_by_key(|a| std::cmp::Reverse(a.id));
    let practice_name = |owner: Owner| match owner {
        Owner::Practice(p) => all
            .iter()
            .find(|x| x.id == p)
            .map_or_else(|| format!("Practice {}", p.0), |x| x.name.clone()),
        Owner::Organization(_) => "PO-wide".to_owned(),
    };
    let failed =
        !(refused.attest.errors.is_empty() && refused.upload.errors.is_empty() && refused.report.errors.is_empty());
    let page = RecordsPage {
        chrome: Chrome::organization(
            viewer,
            &organization,
            "/records",
            format!("PO records · {}", organization.name),
        )
        .with_notice(notice),
        organization_id: organization.id.0,
        catalog: format!("{} {}", catalog.id, catalog.version),
        criteria,
        history,
        documents: docs
            .iter()
            .filter(|d| d.document.owner == Owner::Organization(organization.id))
            .map(|d| DocumentLine {
                id: d.document.id.0,
                title: d.document.title.clone(),
                document_type: Vocabulary::label(&catalog.vocabulary.document_types, &d.document.document_type)
                    .to_owned(),
                effective: long_date(d.document.effective_on),
                file_name: d.file.file_name.clone(),
                corrections: super::corrections::notes("document", &d.document.correction),
                void: super::corrections::void_form(
                    viewer.may_write(),
                    &d.document.correction,
                    format!("/organizations/{}/documents/{}/void", organization.id, d.document.id),
                    format!("document {}", d.document.id),
                ),
                criteria: d
                    .document
                    .criteria
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        reports: filed
            .iter()
            .map(|r| ReportLine {
                report_type: Vocabulary::label(&catalog.vocabulary.report_types, &r.report_type).to_owned(),
                period: format!("{} to {}", long_date(r.period_start), long_date(r.period_end)),
                about: practice_name(r.owner),
                document: r.document_id.map(|d| d.0),
                corrections: super::corrections::notes("report", &r.correction),
                void: super::corrections::void_form(
                    viewer.may_write(),
                    &r.correction,
                    format!("/organizations/{}/reports/{}/void", organization.id, r.id),
                    format!("report {}", r.id),
                ),
            })
            .collect(),
        may_write: viewer.may_write(),
        signer: format!("{} ({})", viewer.user.display_name, role_words(viewer.user.role)),
        statuses: status_choices(),
        criterion_choices: po_criteria
            .iter()
            .map(|k| Choice {
                value: k.id.to_string(),
                label: format!("{} {}", k.id, k.title),
            })
            .collect(),
        all_criteria: catalog
            .criteria
            .iter()
            .map(|k| Choice {
                value: k.id.to_string(),
                label: format!("{} {}", k.id, k.title),
            })
            .collect(),
        document_choices: docs
            .iter()
            .filter(|d| d.document.owner == Owner::Organization(organization.id))
            .map(|d| Choice {
                value: d.document.id.0.to_string(),
                label: d.document.title.clone(),
            })
            .collect(),
        document_types: vocabulary_choices(&catalog.vocabulary.document_types),
        report_types: vocabulary_choices(&catalog.vocabulary.report_types),
        practice_choices: all
            .iter()
            .map(|p| Choice {
                value: p.id.0.to_string(),
                label: p.name.clone(),
            })
            .collect(),
        attest: refused.attest,
        upload: refused.upload,
        report: refused.report,
    };
    forms::answer(&page, failed)
}

fn back(organization: &Organization, notice: &str) -> HttpResponse {
    forms::redirect(&format!("/organizations/{}/records", organization.id), notice)
}

/// The PO's records.
#[get("/organizations/{id}/records")]
async fn records_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let organization = viewer.organization(&state, path.into_inner()).await?;
    render(&state, &viewer, organization, forms::notice(&req), Refused::default()).await
}

/// The messages of a refused form beside its fields ("evidence[2]" beside "evidence").
fn beside(errors: FormErrors, shown: &[&str]) -> FormErrors {
    let mut errors = errors;
    let indexed: Vec<String> = errors.fields.keys().filter(|k| k.contains('[')).cloned().collect();
    for key in indexed {
        if let Some(message) = errors.fields.remove(&key) {
            let base = key.split('[').next().unwrap_or_default().to_owned();
            errors.fields.entry(base).or_insert(message);
        }
    }
    errors.keep_fields(shown)
}

/// Makes the PO's attestation of a PO-level criterion, signed by the signed-in person,
/// superseding the one in force (the API's `create_organization_attestation`).
#[post("/organizations/{id}/attestations")]
async fn attest(state: web::Data<AppState>, posted: Posted, path: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let organization = viewer.organization_to_write(&state, path.into_inner()).await?;
    let mut json = fields.json(&[
        ("criterion", Kind::Text),
        ("status", Kind::Text),
        ("effective_on", Kind::Text),
        ("statement", Kind::Text),
        ("evidence", Kind::NumberList),
    ]);
    json["signer"] = Value::String(viewer.user.display_name.clone());
    json["signer_role"] = Value::String(role_words(viewer.user.role).to_owned());
    let refuse = |errors: FormErrors, form: Fields| Refused {
        attest: Sent {
            form,
            errors: beside(errors, &ATTEST_FIELDS),
        },
        ..Refused::default()
    };
    let form: NewAttestation = match forms::read_json(&json) {
        Ok(form) => form,
        Err(errors) => return render(&state, &viewer, organization, None, refuse(errors, fields)).await,
    };
    let (app, actor, id) = (state.clone(), viewer.organization_actor(&organization), organization.id);
    let made = run(move || {
        let catalog = doc_actions::owner_catalog(&app.store, &app.catalogs, Owner::Organization(id))?;
        let attesting = Attesting {
            form,
            upload: None,
            supersede_in_force: true,
        };
        forms::outcome(attest_actions::attest_for_organization(
            &app.store, &actor, id, &catalog, &attesting,
        ))
    })
    .await?;
    match made {
        Ok(record) => {
            let a = &record.attestation;
            let notice = format!(
                "The PO's attestation of {} is recorded: {} from {}, signed by {}.",
                a.criterion,
                a.status.label(),
                long_date(a.effective_on),
                a.signer
            );
            Ok(back(&organization, &notice))
        }
        Err(errors) => render(&state, &viewer, organization, None, refuse(errors, fields)).await,
    }
}

/// Uploads a document of the PO (the API's `create_organization_document`).
#[post("/organizations/{id}/documents")]
async fn upload(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    if !same_origin(&req) {
        return Err(WebError::Csrf);
    }
    let organization = viewer.organization_to_write(&state, path.into_inner()).await?;
    api::check_request(&req)?;
    let refuse = |errors: FormErrors, form: Fields| Refused {
        upload: Sent {
            form,
            errors: beside(errors, &UPLOAD_FIELDS),
        },
        ..Refused::default()
    };
    let (mut fields, file) = match super::documents::read_upload(&state, &req, payload).await {
        Ok(read) => read,
        Err(error) if forms::mendable(&error) => {
            let refused = refuse(FormErrors::from(error), Fields::default());
            return render(&state, &viewer, organization, None, refused).await;
        }
        Err(error) => return Err(error.into()),
    };
    check_csrf(&mut fields, &req, &viewer)?;
    let (form, received) = match (fields.read::<NewDocument>(&super::documents::DOCUMENT_FIELDS), file) {
        (Ok(form), Some(received)) => (form, received),
        (read, file) => {
            let mut errors = read.err().unwrap_or_default();
            if file.is_none() {
                errors.fields.insert("file".into(), "choose the file to upload".into());
            }
            return render(&state, &viewer, organization, None, refuse(errors, fields)).await;
        }
    };
    let (app, actor, id) = (state.clone(), viewer.organization_actor(&organization), organization.id);
    let files = api::files(&state);
    let stored = run(move || {
        let owner = Owner::Organization(id);
        let catalog = doc_actions::owner_catalog(&app.store, &app.catalogs, owner)?;
        forms::outcome(doc_actions::upload_document(
            &app.store, &files, &catalog, &actor, owner, &form, received,
        ))
    })
    .await?;
    match stored {
        Ok(stored) => Ok(back(
            &organization,
            &format!(
                "{} was uploaded (SHA-256 {}).",
                stored.document.title, stored.file.sha256
            ),
        )),
        Err(errors) => render(&state, &viewer, organization, None, refuse(errors, fields)).await,
    }
}

/// Sends a PO document's file as stored.
#[get("/organizations/{id}/documents/{document_id}")]
async fn download(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(i64, i64)>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let (organization, document) = path.into_inner();
    let organization = viewer.organization(&state, organization).await?;
    Ok(api::content(&state, &req, Owner::Organization(organization.id), DocumentId(document)).await?)
}

/// Files a periodic report of the PO (the API's `create_report`).
#[post("/organizations/{id}/reports")]
async fn add_report(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let organization = viewer.organization_to_write(&state, path.into_inner()).await?;
    let json = fields.json(&[
        ("report_type", Kind::Text),
        ("period_start", Kind::Text),
        ("period_end", Kind::Text),
        ("practice_id", Kind::Number),
        ("document_id", Kind::Number),
    ]);
    let refuse = |errors: FormErrors, form: Fields| Refused {
        report: Sent {
            form,
            errors: errors.keep_fields(&REPORT_FIELDS),
        },
        ..Refused::default()
    };
    let form: NewReport = match forms::read_json(&json) {
        Ok(form) => form,
        Err(errors) => return render(&state, &viewer, organization, None, refuse(errors, fields)).await,
    };
    let (app, actor, id) = (state.clone(), viewer.organization_actor(&organization), organization.id);
    let filed =
        run(move || forms::outcome(report_actions::add_report(&app.store, &app.catalogs, &actor, id, &form))).await?;
    match filed {
        Ok(report) => Ok(back(
            &organization,
            &format!(
                "The report for {} to {} is filed.",
                long_date(report.period_start),
                long_date(report.period_end)
            ),
        )),
        Err(errors) => render(&state, &viewer, organization, None, refuse(errors, fields)).await,
    }
}

/// Registers the pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(records_page)
        .service(attest)
        .service(upload)
        .service(download)
        .service(add_report);
}
