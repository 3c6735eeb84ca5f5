//! Uploading evidence documents: the catalog the owner is assessed against, the checks of the
//! metadata, the file kept under its SHA-256, and the row written with its audit event.
//!
//! Reading the bytes off the wire is the caller's (the API's and the page's multipart readers
//! write them to an [`Upload`]); nothing is kept when a check fails.

use crate::access::Actor;
use crate::catalog::{Catalog, CatalogSet};
use crate::ids::DocumentId;
use crate::records::Owner;
use crate::store::documents::{self, DocumentFile, NewDocument, StoredDocument};
use crate::store::files::{EvidenceFiles, Upload};
use crate::store::voids::Void;
use crate::store::{practices, Store, StoreError, StoreResult};

use super::{link_replaced, practice_catalog, void_record, void_replaced};

/// A file received, not yet kept: its bytes in a temporary file, its name and media type.
#[derive(Debug)]
pub struct ReceivedFile {
    /// The bytes, hashed as they were written.
    pub upload: Upload,
    /// The file's name as it will be offered for download (already cleaned).
    pub file_name: String,
    /// Its media type.
    pub media_type: String,
}

/// The catalog `owner` is assessed against: a practice's own version, or for a PO the one its
/// practices use (the version in force today when it has none).
pub fn owner_catalog(store: &Store, catalogs: &CatalogSet, owner: Owner) -> StoreResult<Catalog> {
    let internal = |e: crate::catalog::CatalogNotLoaded| StoreError::Internal(e.to_string());
    match owner {
        Owner::Practice(id) => Ok(store.read(|c| practice_catalog(c, catalogs, id))?.1.clone()),
        Owner::Organization(id) => {
            let used = store.read(|c| practices::catalog_versions(c, id))?;
            let catalog = catalogs
                .for_organization(
                    used.iter().map(|(id, version)| (id.as_str(), version.as_str())),
                    chrono::Utc::now().date_naive(),
                )
                .map_err(internal)?;
            Ok(catalog.clone())
        }
    }
}

/// Checks `form` against `catalog` and, only then, keeps the received file under its SHA-256;
/// returns the stored file's facts.
pub fn keep_file(
    files: &dyn EvidenceFiles,
    catalog: &Catalog,
    form: &NewDocument,
    received: ReceivedFile,
) -> StoreResult<DocumentFile> {
    documents::check(catalog, form)?;
    let ReceivedFile {
        upload,
        file_name,
        media_type,
    } = received;
    let stored = files.commit(upload).map_err(StoreError::from)?;
    let size_bytes = i64::try_from(stored.size_bytes)
        .map_err(|_| StoreError::Internal(format!("a file of {} bytes is too large", stored.size_bytes)))?;
    Ok(DocumentFile {
        file_name,
        media_type,
        size_bytes,
        sha256: stored.sha256,
    })
}

/// Uploads a document of `owner`, assessed against `catalog` (see [`owner_catalog`]): checks
/// it, keeps the file, then writes its row and audit event in one transaction.
pub fn upload_document(
    store: &Store,
    files: &dyn EvidenceFiles,
    catalog: &Catalog,
    actor: &Actor,
    owner: Owner,
    form: &NewDocument,
    received: ReceivedFile,
) -> StoreResult<StoredDocument> {
    let file = keep_file(files, catalog, form, received)?;
    store.write_audited(actor.audit("upload", "document"), |c, _| {
        let replaced = void_replaced(c, actor, form.replaces.as_ref(), |c, id, mark| {
            documents::void(c, owner, DocumentId(id), mark)
        })?;
        let created = documents::create(c, owner, catalog, form, &file)?;
        link_replaced(c, actor, "document", replaced, created.document.id.0, |c, old, new| {
            documents::link(c, owner, DocumentId(old), DocumentId(new))
        })?;
        documents::get(c, owner, created.document.id)
    })
}

/// Voids the document `id` of `owner` (a practice's own, or a PO's PO-level one), uploaded by
/// mistake: it and its file stay stored, and no evaluation counts it any more.
pub fn void_document(
    store: &Store,
    actor: &Actor,
    owner: Owner,
    id: DocumentId,
    why: &Void,
) -> StoreResult<StoredDocument> {
    void_record(store, actor, "document", why, |c, mark| {
        documents::void(c, owner, id, mark)
    })
}
