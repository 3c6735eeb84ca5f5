//! Reading a practice's or a PO's compliance as NIST OSCAL assessment results: the records and
//! the evidence documents read on one snapshot, evaluated by the pure views, written by
//! [`crate::standards::oscal`].

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};

use crate::catalog::CatalogSet;
use crate::ids::{DocumentId, OrganizationId, PracticeId};
use crate::records::{Basis, Owner, Records};
use crate::rules::view;
use crate::standards::oscal::{self, EvidenceDocument, OrganizationAssessment, PracticeAssessment};
use crate::store::documents::{self, DocumentFilter, StoredDocument};
use crate::store::voids::Known;
use crate::store::{records, Connection, DateRange, Page, Store, StoreError, StoreResult};

/// Every document `owner` sees in force on or before `as_of`, by date then id.
fn documents_until(conn: &mut Connection, owner: Owner, as_of: NaiveDate) -> StoreResult<Vec<StoredDocument>> {
    let range = DateRange {
        from: None,
        to: Some(as_of),
    };
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = documents::list(
            conn,
            owner,
            &DocumentFilter::default(),
            range,
            Page { limit: 500, offset },
        )?;
        let count = page.items.len() as i64;
        out.extend(page.items);
        offset += 500;
        if count < 500 || offset >= page.total {
            return Ok(out);
        }
    }
}

/// The documents the evaluation counted (those `records` hold, under its basis).
fn counted(documents: Vec<StoredDocument>, records: &Records) -> Vec<StoredDocument> {
    let ids: BTreeSet<DocumentId> = records.documents.iter().map(|d| d.id).collect();
    documents.into_iter().filter(|d| ids.contains(&d.document.id)).collect()
}

/// Where the API serves a document's file, as the practice `practice` sees it (or the PO).
fn href(document: &StoredDocument, practice: Option<PracticeId>) -> String {
    match (practice, document.document.owner) {
        (Some(p), _) => format!("/api/v1/practices/{}/documents/{}/content", p.0, document.document.id.0),
        (None, Owner::Organization(o)) => {
            format!(
                "/api/v1/organizations/{}/documents/{}/content",
                o.0, document.document.id.0
            )
        }
        (None, Owner::Practice(p)) => format!("/api/v1/practices/{}/documents/{}/content", p.0, document.document.id.0),
    }
}

fn evidence(documents: &[StoredDocument], practice: Option<PracticeId>) -> Vec<EvidenceDocument<'_>> {
    documents
        .iter()
        .map(|document| EvidenceDocument {
            document,
            href: href(document, practice),
        })
        .collect()
}

/// The practice's compliance as of `as_of` (its own today at `now` if none) as OSCAL
/// assessment results, JSON bytes, from the records `basis` names.
pub fn practice_assessment_results(
    store: &Store,
    catalogs: &CatalogSet,
    practice: PracticeId,
    as_of: Option<NaiveDate>,
    now: DateTime<Utc>,
    basis: Basis,
) -> StoreResult<Vec<u8>> {
    let known = Known::of(basis);
    let (practice, records, as_of, documents) = store.read(|c| {
        c.snapshot(|c| {
            let (practice, records) = records::for_practice_known(c, practice, known)?;
            let as_of = as_of.unwrap_or_else(|| practice.today(now));
            let documents = documents_until(c, Owner::Practice(practice.id), as_of)?;
            Ok((practice, records, as_of, documents))
        })
    })?;
    let internal = |e: crate::catalog::CatalogNotLoaded| StoreError::Internal(e.to_string());
    let catalog = catalogs
        .named(&practice.catalog_id, &practice.catalog_version)
        .map_err(internal)?;
    let id = practice.id;
    let mut compliance = view::practice_compliance(catalogs, practice, &records, as_of).map_err(internal)?;
    compliance.basis = basis;
    let documents = counted(documents, &records);
    let documents = evidence(&documents, Some(id));
    Ok(oscal::to_json(&oscal::assessment_results(&PracticeAssessment {
        compliance: &compliance,
        catalog,
        records: &records,
        documents: &documents,
    })))
}

/// The PO's compliance as of `as_of` as OSCAL assessment results, JSON bytes: one result for
/// the PO-level criteria, one per practice (each in full, as the practice's own export has it).
/// Given up (`StoreError::Abandoned`) when `abandoned` is set between its steps.
pub fn organization_assessment_results(
    store: &Store,
    catalogs: &CatalogSet,
    organization: OrganizationId,
    as_of: NaiveDate,
    basis: Basis,
    abandoned: &super::Abandoned,
) -> StoreResult<Vec<u8>> {
    abandoned.check()?;
    let loaded = records::organization_known(store, organization, Known::of(basis))?;
    abandoned.check()?;
    let internal = |e: crate::catalog::CatalogNotLoaded| StoreError::Internal(e.to_string());
    let (own, per_practice) = store.read(|c| {
        c.snapshot(|c| {
            let own = documents_until(c, Owner::Organization(organization), as_of)?;
            let per_practice = loaded
                .practices
                .iter()
                .map(|(p, _)| documents_until(c, Owner::Practice(p.id), as_of))
                .collect::<StoreResult<Vec<_>>>()?;
            Ok((own, per_practice))
        })
    })?;
    let mut compliance = view::organization_compliance(catalogs, &loaded, as_of).map_err(internal)?;
    compliance.basis = basis;
    let po_catalog = view::organization_catalog(catalogs, &loaded, as_of).map_err(internal)?;
    let own = counted(own, &loaded.combined);
    let own = evidence(&own, None);
    let mut views = Vec::new();
    for ((practice, records), documents) in loaded.practices.iter().zip(per_practice) {
        abandoned.check()?;
        let catalog = catalogs
            .named(&practice.catalog_id, &practice.catalog_version)
            .map_err(internal)?;
        let mut view = view::practice_compliance(catalogs, practice.clone(), records, as_of).map_err(internal)?;
        view.basis = basis;
        views.push((view, catalog, records, counted(documents, records)));
    }
    let evidences: Vec<Vec<EvidenceDocument<'_>>> = views
        .iter()
        .map(|(view, _, _, documents)| evidence(documents, Some(view.practice.id)))
        .collect();
    let practices = views
        .iter()
        .zip(&evidences)
        .map(|((view, catalog, records, _), documents)| PracticeAssessment {
            compliance: view,
            catalog,
            records,
            documents,
        })
        .collect();
    let bytes = oscal::to_json(&oscal::organization_assessment_results(&OrganizationAssessment {
        compliance: &compliance,
        catalog: po_catalog,
        records: &loaded.combined,
        documents: &own,
        practices,
    }));
    drop(evidences);
    drop(views);
    super::organizations::free_later(loaded);
    Ok(bytes)
}
