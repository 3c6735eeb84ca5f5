//! Attesting a criterion: a practice's or a PO's attestation, a correction that supersedes an
//! earlier one, and a document uploaded on the spot as its evidence, all in one transaction.
//!
//! The JSON API and the criterion page both call [`attest_for_practice`].

use crate::access::Actor;
use crate::catalog::{Catalog, CatalogSet};
use crate::ids::{CriterionId, OrganizationId, PracticeId};
use crate::records::Owner;
use crate::store::attestations::{self, AttestationFilter, AttestationRecord, NewAttestation};
use crate::store::audit::{self, Audit};
use crate::store::documents::{self, DocumentFile, NewDocument};
use crate::store::{Connection, Page, Store, StoreError, StoreResult};

use super::{practice_catalog, snapshot};

/// A file already stored (content-addressed) and what describes it, to become a document of
/// the practice and the evidence of the attestation made with it.
#[derive(Debug, Clone)]
pub struct UploadedEvidence {
    /// The document's title, type, criteria and effective date.
    pub form: NewDocument,
    /// The stored file's facts.
    pub file: DocumentFile,
}

/// An attestation to make.
#[derive(Debug, Clone)]
pub struct Attesting {
    /// What it says (`supersedes` names the attestation it corrects, if any).
    pub form: NewAttestation,
    /// A file uploaded with it, to keep as a document and add to its evidence.
    pub upload: Option<UploadedEvidence>,
    /// When `form.supersedes` is empty: whether the new attestation supersedes the one of the
    /// same criterion in force (the one not yet superseded with the latest effective date).
    pub supersede_in_force: bool,
}

impl Attesting {
    /// The attestation exactly as asked (the JSON API's): no upload, no implicit correction.
    pub fn as_asked(form: NewAttestation) -> Self {
        Attesting {
            form,
            upload: None,
            supersede_in_force: false,
        }
    }
}

/// The event of a new attestation: a `create`, or a `supersede` when it corrects an earlier one.
fn audit_of(actor: &Actor, form: &NewAttestation) -> Audit {
    let action = if form.supersedes.is_some() {
        "supersede"
    } else {
        "create"
    };
    actor.audit(action, "attestation")
}

/// The attestation a correction supersedes, as it stands before the correction, for the
/// event's `before` (held, so that no other correction lands in between). One that is not the
/// owner's is left to the store to refuse (422).
fn superseded(
    c: &mut Connection,
    event: &Audit,
    owner: Owner,
    form: &NewAttestation,
) -> StoreResult<Option<serde_json::Value>> {
    let Some(earlier) = form.supersedes else {
        return Ok(None);
    };
    audit::hold(c, event.organization)?;
    match attestations::get(c, owner, earlier) {
        Ok(found) => Ok(Some(snapshot(&found)?)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(other) => Err(other),
    }
}

/// The attestation of `criterion` by `owner` in force: not superseded, latest effective date.
pub fn in_force(c: &mut Connection, owner: Owner, criterion: &CriterionId) -> StoreResult<Option<AttestationRecord>> {
    let filter = AttestationFilter {
        criterion: Some(criterion.clone()),
        current_only: true,
        ..AttestationFilter::default()
    };
    let page = Page { limit: 500, offset: 0 };
    let listing = match owner {
        Owner::Practice(p) => attestations::list_for_practice(c, p, &filter, page)?,
        Owner::Organization(o) => attestations::list_for_organization(c, o, &filter, page)?,
    };
    Ok(listing.items.into_iter().last())
}

/// Every attestation of `criterion` by `owner` (in force and superseded), by effective date.
pub fn history(c: &mut Connection, owner: Owner, criterion: &CriterionId) -> StoreResult<Vec<AttestationRecord>> {
    let filter = AttestationFilter {
        criterion: Some(criterion.clone()),
        ..AttestationFilter::default()
    };
    let page = Page { limit: 500, offset: 0 };
    let listing = match owner {
        Owner::Practice(p) => attestations::list_for_practice(c, p, &filter, page)?,
        Owner::Organization(o) => attestations::list_for_organization(c, o, &filter, page)?,
    };
    Ok(listing.items)
}

/// Makes the attestation of `owner` under `catalog` on `c`: keeps the uploaded document first
/// (with its own `upload` event) and names it as evidence, then writes the attestation and its
/// `create` or `supersede` event.
fn attest(
    c: &mut Connection,
    actor: &Actor,
    owner: Owner,
    catalog: &Catalog,
    attesting: &Attesting,
) -> StoreResult<AttestationRecord> {
    let mut form = attesting.form.clone();
    if form.supersedes.is_none() && attesting.supersede_in_force {
        audit::hold(c, actor.organization)?;
        form.supersedes = in_force(c, owner, &form.criterion)?.map(|a| a.attestation.id);
    }
    if let Some(upload) = &attesting.upload {
        let document = documents::create(c, owner, catalog, &upload.form, &upload.file)?;
        audit::append(c, &actor.audit("upload", "document"), snapshot(&document)?)?;
        form.evidence.push(document.document.id);
    }
    let mut event = audit_of(actor, &form);
    event.before = superseded(c, &event, owner, &form)?;
    let created = match owner {
        Owner::Practice(p) => attestations::create_for_practice(c, p, catalog, &form)?,
        Owner::Organization(o) => attestations::create_for_organization(c, o, catalog, &form)?,
    };
    audit::append(c, &event, snapshot(&created)?)?;
    Ok(created)
}

/// Makes `practice`'s attestation of a practice-level criterion under its catalog version, in
/// one transaction with the document uploaded for it, if any.
pub fn attest_for_practice(
    store: &Store,
    catalogs: &CatalogSet,
    actor: &Actor,
    practice: PracticeId,
    attesting: &Attesting,
) -> StoreResult<AttestationRecord> {
    store.write(|c| {
        let (practice, catalog) = practice_catalog(c, catalogs, practice)?;
        attest(c, actor, Owner::Practice(practice.id), catalog, attesting)
    })
}

/// Makes a PO-level attestation of `organization` under `catalog` (the version its practices use).
pub fn attest_for_organization(
    store: &Store,
    actor: &Actor,
    organization: OrganizationId,
    catalog: &Catalog,
    attesting: &Attesting,
) -> StoreResult<AttestationRecord> {
    store.write(|c| attest(c, actor, Owner::Organization(organization), catalog, attesting))
}
