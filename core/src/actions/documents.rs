//! Uploading evidence documents: the catalog the owner is assessed against, the checks of the
//! metadata, the file kept under its SHA-256, and the row written with its audit event.
//!
//! Reading the bytes off the wire is the caller's (the API's and the page's multipart readers
//! write them to an [`Upload`]); nothing is kept when a check fails.

use crate::access::Actor;
use crate::catalog::{Catalog, CatalogSet};
use crate::records::Owner;
use crate::store::documents::{self, DocumentFile, NewDocument, StoredDocument};
use crate::store::files::{EvidenceFiles, Upload};
use crate::store::{practices, Store, StoreError, StoreResult};

use super::practice_catalog;

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
    let stored = files.commit(upload).map_err(StoreError::Files)?;
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
        documents::create(c, owner, catalog, form, &file)
    })
}
