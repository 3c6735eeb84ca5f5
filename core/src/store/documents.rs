//! Documents kept as evidence: a practice's own, or a PO's for all its practices.
//!
//! The bytes live in the evidence files ([`super::files`]), named by their SHA-256; a row
//! holds what the document is (title, type, the criteria it supports, the day it is in force
//! from) and the facts of its file. The file is stored before the row is inserted: a file
//! without a row is harmless garbage, a row without its file never exists.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::schema::documents;
use super::voids::{self, Known, Replaces, VoidMark};
use super::{now, on_backend, organizations, practices as practice_store, Connection};
use super::{DateRange, Listing, Page, StoreError, StoreResult};
use crate::catalog::Catalog;
use crate::ids::{CriterionId, DocumentId, OrganizationId, PracticeId, Term};
use crate::records::{Document, Owner};

/// The most criteria one document may support (the policy has 28).
pub const MAX_CRITERIA: usize = 28;

/// What describes an uploaded document (sent as the `metadata` part of the upload).
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDocument {
    /// Its title.
    #[check(not_blank, max_length = 300)]
    pub title: String,
    /// Its type, a term of the catalog's `document_types`.
    pub document_type: Term,
    /// The criteria it supports (criterion ids of the catalog, at most 28, each once).
    #[serde(default)]
    #[check(max_length = 28)]
    pub criteria: Vec<CriterionId>,
    /// The day from which it is in force (the period it documents, not the upload day).
    #[check(date)]
    pub effective_on: NaiveDate,
    /// The document this one corrects (of the same practice, or of the same PO at PO level; not
    /// voided): it is voided in the same transaction, with the reason given.
    #[serde(default)]
    #[check(nested)]
    pub replaces: Option<Replaces>,
}

/// The body of an upload, a `multipart/form-data` form (described for the API document); a part
/// of another name is refused (the API's document says so: `additionalProperties: false`).
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct UploadForm {
    /// The file itself, at most 50 MiB; its part's filename and Content-Type are kept.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// The document's metadata, as JSON.
    pub metadata: NewDocument,
}

/// The bytes of a stored file, as downloaded (described for the API document).
#[derive(Debug, Clone, utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileContent(pub Vec<u8>);

/// The facts of a stored file: its name, media type, size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocumentFile {
    /// The file's name as uploaded (without any folder).
    pub file_name: String,
    /// Its media type, e.g. `application/pdf`.
    pub media_type: String,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// The SHA-256 of its bytes, as 64 lower-case hex digits; the file is stored under it.
    pub sha256: String,
}

/// A document as stored: what it is, the facts of its file, and the catalog it was made under.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredDocument {
    /// What the document is.
    #[serde(flatten)]
    pub document: Document,
    /// Its file.
    #[serde(flatten)]
    pub file: DocumentFile,
    /// The catalog whose vocabulary and criteria it was recorded with.
    pub catalog_id: String,
    /// That catalog's version.
    pub catalog_version: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// Which documents a list keeps, besides the date range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    /// Only documents of this type.
    pub document_type: Option<Term>,
    /// Only documents supporting this criterion.
    pub criterion: Option<CriterionId>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = documents)]
struct Row {
    id: i64,
    organization_id: i64,
    practice_id: Option<i64>,
    title: String,
    document_type: String,
    criteria: String,
    effective_on: NaiveDate,
    file_name: String,
    media_type: String,
    size_bytes: i64,
    sha256: String,
    catalog_id: String,
    catalog_version: String,
    recorded_at: NaiveDateTime,
    #[diesel(embed)]
    corrections: Corrections,
}

voids::correction_columns!(documents);

/// Stored text that cannot be read back (it was written by something other than this code).
fn unreadable(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Database(diesel::result::Error::DeserializationError(
        format!("a stored document's {what} cannot be read: {detail}").into(),
    ))
}

impl TryFrom<Row> for StoredDocument {
    type Error = StoreError;

    fn try_from(row: Row) -> StoreResult<Self> {
        let document_type = Term::parse(&row.document_type).map_err(|e| unreadable("document type", e))?;
        let criteria: Vec<CriterionId> = serde_json::from_str(&row.criteria).map_err(|e| unreadable("criteria", e))?;
        let owner = match row.practice_id {
            Some(practice) => Owner::Practice(PracticeId(practice)),
            None => Owner::Organization(OrganizationId(row.organization_id)),
        };
        Ok(StoredDocument {
            document: Document {
                id: DocumentId(row.id),
                owner,
                title: row.title,
                document_type,
                criteria,
                effective_on: row.effective_on,
                correction: row.corrections.into(),
            },
            file: DocumentFile {
                file_name: row.file_name,
                media_type: row.media_type,
                size_bytes: row.size_bytes,
                sha256: row.sha256,
            },
            catalog_id: row.catalog_id,
            catalog_version: row.catalog_version,
            recorded_at: row.recorded_at.and_utc(),
        })
    }
}

/// Checks the rules of `form` that need the catalog: the document type is a term of its
/// vocabulary, and each criterion is one of its criteria, named once.
pub fn check(catalog: &Catalog, form: &NewDocument) -> StoreResult<()> {
    let types = &catalog.vocabulary.document_types;
    if !types.contains_key(&form.document_type) {
        let known: Vec<&str> = types.keys().map(Term::as_str).collect();
        return Err(StoreError::invalid(
            "document_type",
            "vocabulary",
            format!(
                "`{}` is not a document type of {} {} (known: {})",
                form.document_type,
                catalog.id,
                catalog.version,
                known.join(", ")
            ),
        ));
    }
    if form.criteria.len() > MAX_CRITERIA {
        return Err(StoreError::invalid(
            "criteria",
            "length",
            format!("a document supports at most {MAX_CRITERIA} criteria"),
        ));
    }
    for (i, criterion) in form.criteria.iter().enumerate() {
        if catalog.criterion(criterion).is_none() {
            return Err(StoreError::invalid(
                format!("criteria[{i}]"),
                "known_criterion",
                format!("`{criterion}` is not a criterion of {} {}", catalog.id, catalog.version),
            ));
        }
        if form.criteria[..i].contains(criterion) {
            return Err(StoreError::invalid(
                format!("criteria[{i}]"),
                "unique",
                format!("criterion {criterion} is named twice"),
            ));
        }
    }
    Ok(())
}

/// A file name as kept and offered for download: without any folder, control characters or
/// surrounding spaces, at most 255 bytes; `document` when nothing is left.
pub fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let mut name = cleaned.trim().to_owned();
    if name.len() > 255 {
        let mut cut = 255;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    if name.is_empty() || name.chars().all(|c| c == '.') {
        "document".to_owned()
    } else {
        name
    }
}

/// Who a document belongs to, as the row records it: (organization, practice or none).
fn owner_columns(conn: &mut Connection, owner: Owner) -> StoreResult<(OrganizationId, Option<PracticeId>)> {
    match owner {
        Owner::Practice(id) => Ok((practice_store::get(conn, id)?.organization_id, Some(id))),
        Owner::Organization(id) => Ok((organizations::get(conn, id)?.id, None)),
    }
}

/// Records a document of `owner` whose file is already stored (see [`super::files`]).
/// `catalog` is the one the owner is assessed against.
pub fn create(
    conn: &mut Connection,
    owner: Owner,
    catalog: &Catalog,
    form: &NewDocument,
    file: &DocumentFile,
) -> StoreResult<StoredDocument> {
    let (organization, practice) = owner_columns(conn, owner)?;
    check(catalog, form)?;
    let criteria = serde_json::to_string(&form.criteria).map_err(|e| unreadable("criteria", e))?;
    let version = catalog.version.to_string();
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(documents::table)
        .values((
            documents::organization_id.eq(organization.0),
            documents::practice_id.eq(practice.map(|p| p.0)),
            documents::title.eq(form.title.trim()),
            documents::document_type.eq(form.document_type.as_str()),
            documents::criteria.eq(&criteria),
            documents::effective_on.eq(form.effective_on),
            documents::file_name.eq(&file.file_name),
            documents::media_type.eq(&file.media_type),
            documents::size_bytes.eq(file.size_bytes),
            documents::sha256.eq(&file.sha256),
            documents::catalog_id.eq(&catalog.id),
            documents::catalog_version.eq(&version),
            documents::recorded_at.eq(now()),
            documents::replaces.eq(form.replaces.as_ref().map(|r| r.id)),
        ))
        .returning(documents::id)
        .get_result(c))?;
    get(conn, owner, DocumentId(id))
}

/// The document `id` as seen from `owner`: a practice sees its own documents and the PO-level
/// documents of its PO; a PO sees its PO-level documents.
pub fn get(conn: &mut Connection, owner: Owner, id: DocumentId) -> StoreResult<StoredDocument> {
    let (organization, practice) = owner_columns(conn, owner)?;
    let row: Option<Row> = on_backend!(conn, |c| {
        let query = documents::table
            .filter(documents::id.eq(id.0))
            .filter(documents::organization_id.eq(organization.0))
            .into_boxed();
        let query = match practice {
            Some(p) => query.filter(documents::practice_id.eq(p.0).or(documents::practice_id.is_null())),
            None => query.filter(documents::practice_id.is_null()),
        };
        query.select(Row::as_select()).first(c).optional()
    })?;
    row.ok_or_else(|| StoreError::not_found("document", id))?.try_into()
}

/// A page of the documents `owner` sees (as [`get`]), by effective date, in force within
/// `range` and kept by `filter`.
pub fn list(
    conn: &mut Connection,
    owner: Owner,
    filter: &DocumentFilter,
    range: DateRange,
    page: Page,
) -> StoreResult<Listing<StoredDocument>> {
    let (organization, practice) = owner_columns(conn, owner)?;
    let document_type = filter.document_type.as_ref().map(|t| t.as_str().to_owned());
    // Criteria are stored as a JSON list of quoted ids; ids have only digits and dots, so the
    // quoted id matches exactly one element (no LIKE wildcard can occur in it).
    let criterion = filter.criterion.as_ref().map(|c| format!("%\"{c}\"%"));
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let query = || {
            let query = documents::table
                .filter(documents::organization_id.eq(organization.0))
                .filter(documents::effective_on.ge(range.start()))
                .filter(documents::effective_on.le(range.end()))
                .into_boxed();
            let query = match practice {
                Some(p) => query.filter(documents::practice_id.eq(p.0).or(documents::practice_id.is_null())),
                None => query.filter(documents::practice_id.is_null()),
            };
            let query = match &document_type {
                Some(t) => query.filter(documents::document_type.eq(t.clone())),
                None => query,
            };
            match &criterion {
                Some(pattern) => query.filter(documents::criteria.like(pattern.clone())),
                None => query,
            }
        };
        let rows = query()
            .order((documents::effective_on, documents::id))
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = query().count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    Ok(Listing {
        items: rows
            .into_iter()
            .map(StoredDocument::try_from)
            .collect::<StoreResult<_>>()?,
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// The document `id` of `owner` itself (a practice's own, or a PO's PO-level one): what a void
/// or a correction may touch. A PO-level document seen from a practice is not the practice's.
pub fn get_own(conn: &mut Connection, owner: Owner, id: DocumentId) -> StoreResult<StoredDocument> {
    let document = get(conn, owner, id)?;
    if document.document.owner != owner {
        return Err(StoreError::not_found("document", id));
    }
    Ok(document)
}

/// Voids the document `id` of `owner` (unless it already is); returns it before and after.
/// The file stays stored.
pub fn void(
    conn: &mut Connection,
    owner: Owner,
    id: DocumentId,
    mark: &VoidMark,
) -> StoreResult<(StoredDocument, StoredDocument)> {
    let before = get_own(conn, owner, id)?;
    voids::check_voided("document", id, &before.document.correction)?;
    voids::void_row!(conn, documents, id.0, mark)?;
    Ok((before, get_own(conn, owner, id)?))
}

/// Names `new` as the document that corrects the voided `old`, both of `owner`.
pub fn link(conn: &mut Connection, owner: Owner, old: DocumentId, new: DocumentId) -> StoreResult<StoredDocument> {
    voids::link_replacement!(conn, documents, old.0, new.0)?;
    get_own(conn, owner, old)
}

/// The records the rules read for a practice: its own and its PO's (`practice: None` gives the
/// PO's own records only), those `known` counts.
pub(crate) fn all(
    conn: &mut Connection,
    organization: OrganizationId,
    practice: Option<PracticeId>,
    known: Known,
) -> StoreResult<Vec<Document>> {
    let rows: Vec<Row> = on_backend!(conn, |c| {
        let mut query = documents::table
            .filter(documents::organization_id.eq(organization.0))
            .filter(voids::known!(documents, known))
            .into_boxed();
        query = match practice {
            Some(p) => query.filter(documents::practice_id.eq(p.0).or(documents::practice_id.is_null())),
            None => query.filter(documents::practice_id.is_null()),
        };
        query
            .order((documents::effective_on, documents::id))
            .select(Row::as_select())
            .load(c)
    })?;
    rows.into_iter()
        .map(|row| StoredDocument::try_from(row).map(|d| d.document))
        .collect()
}

/// Every document of `organization` and of all its practices, ordered by (effective_on, id) (one query).
pub(crate) fn all_of_organization(
    conn: &mut Connection,
    organization: OrganizationId,
    known: Known,
) -> StoreResult<Vec<Document>> {
    let rows: Vec<Row> = on_backend!(conn, |c| documents::table
        .filter(documents::organization_id.eq(organization.0))
        .filter(voids::known!(documents, known))
        .order((documents::effective_on, documents::id))
        .select(Row::as_select())
        .load(c))?;
    rows.into_iter()
        .map(|row| StoredDocument::try_from(row).map(|d| d.document))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy-catalog/domain-4/1.0.0.yaml");
        crate::catalog::load_file(&path).expect("the 1.0.0 catalog loads")
    }

    fn form(document_type: &str, criteria: &[&str]) -> NewDocument {
        NewDocument {
            title: "PCMH-N training deck".into(),
            document_type: Term::parse(document_type).unwrap(),
            criteria: criteria.iter().map(|c| CriterionId::parse(c).unwrap()).collect(),
            effective_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            replaces: None,
        }
    }

    fn refusal(result: StoreResult<()>) -> (String, &'static str) {
        match result {
            Err(StoreError::Invalid { field, rule, .. }) => (field, rule),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn known_types_and_criteria_pass() {
        assert!(check(&catalog(), &form("training_material", &["4.1", "4.25"])).is_ok());
        assert!(check(&catalog(), &form("care_management_workflow", &[])).is_ok());
    }

    #[test]
    fn unknown_types_and_criteria_are_named() {
        let catalog = catalog();
        let (field, rule) = refusal(check(&catalog, &form("meeting_minutes", &[])));
        assert_eq!((field.as_str(), rule), ("document_type", "vocabulary"));
        let (field, rule) = refusal(check(&catalog, &form("training_material", &["4.1", "4.29"])));
        assert_eq!((field.as_str(), rule), ("criteria[1]", "known_criterion"));
        let (field, rule) = refusal(check(&catalog, &form("training_material", &["4.2", "4.2"])));
        assert_eq!((field.as_str(), rule), ("criteria[1]", "unique"));
    }

    #[test]
    fn file_names_lose_folders_and_control_characters() {
        assert_eq!(clean_file_name("minutes.pdf"), "minutes.pdf");
        assert_eq!(clean_file_name("C:\\Users\\pm\\binder\\policy.docx"), "policy.docx");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name(" plan\r\n.pdf "), "plan.pdf");
        assert_eq!(clean_file_name("Übersicht – Schulung.pdf"), "Übersicht – Schulung.pdf");
        for empty in ["", "   ", "..", "folder/", "."] {
            assert_eq!(clean_file_name(empty), "document", "{empty:?}");
        }
        let long = clean_file_name(&"é".repeat(300));
        assert!(long.len() <= 255 && long.chars().all(|c| c == 'é'));
    }
}
