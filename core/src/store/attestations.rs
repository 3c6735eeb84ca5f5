//! Attestations of criteria by a practice or by its PO. Immutable once made: a correction is a
//! new attestation that supersedes the earlier one, and each attestation is superseded at most
//! once (the UNIQUE constraint on `supersedes_id` settles two corrections racing each other).

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::schema::{attestations, documents};
use super::{now, on_backend, organizations, practices, Connection, DateRange, Listing, Page, StoreError, StoreResult};
use crate::catalog::{Catalog, Scope};
use crate::ids::{AttestationId, CriterionId, DocumentId, OrganizationId, PracticeId};
use crate::records::{Attestation, AttestedStatus, Owner};

/// What is needed to make an attestation (or a correction of an earlier one).
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttestation {
    /// The criterion attested, a criterion of the catalog version in force for the practice or PO.
    pub criterion: CriterionId,
    /// What the attestation says; `not_applicable` only where the catalog allows it.
    pub status: AttestedStatus,
    /// The day from which the statement holds.
    #[check(date)]
    pub effective_on: NaiveDate,
    /// Who signs it.
    #[check(not_blank, max_length = 200)]
    pub signer: String,
    /// The signer's role or title.
    #[check(not_blank, max_length = 200)]
    pub signer_role: String,
    /// The statement in the signer's words.
    #[check(not_blank, max_length = 4000)]
    pub statement: String,
    /// Documents offered in support (at most 50), kept by the practice or its PO.
    #[serde(default)]
    #[check(max_length = 50)]
    pub evidence: Vec<DocumentId>,
    /// The earlier attestation of the same criterion, by the same practice or PO, that this one corrects.
    pub supersedes: Option<AttestationId>,
}

/// An attestation as recorded, with the catalog it was made under and the correction that
/// superseded it, if any.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AttestationRecord {
    /// The attestation.
    #[serde(flatten)]
    pub attestation: Attestation,
    /// The catalog the attestation was made under (its version is `catalog_version`).
    pub catalog_id: String,
    /// The later attestation that corrects this one; null while it is current.
    #[schema(required = true)]
    pub superseded_by: Option<AttestationId>,
}

/// Which attestations a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttestationFilter {
    /// Only those of this criterion.
    pub criterion: Option<CriterionId>,
    /// Only those not superseded by a correction.
    pub current_only: bool,
    /// Only those effective in this range.
    pub effective: DateRange,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = attestations)]
struct Row {
    id: i64,
    organization_id: i64,
    practice_id: Option<i64>,
    criterion: String,
    catalog_id: String,
    catalog_version: String,
    status: String,
    effective_on: NaiveDate,
    signer: String,
    signer_role: String,
    statement: String,
    evidence: String,
    supersedes_id: Option<i64>,
    recorded_at: chrono::NaiveDateTime,
}

/// A stored value that does not read back (written by something other than this module).
fn corrupt(id: i64, what: &str) -> StoreError {
    StoreError::Database(diesel::result::Error::DeserializationError(
        format!("attestation {id} has an unreadable {what}").into(),
    ))
}

impl Row {
    fn into_record(self, superseded_by: Option<AttestationId>) -> StoreResult<AttestationRecord> {
        let owner = match self.practice_id {
            Some(practice) => Owner::Practice(PracticeId(practice)),
            None => Owner::Organization(OrganizationId(self.organization_id)),
        };
        let criterion = CriterionId::parse(&self.criterion).map_err(|_| corrupt(self.id, "criterion"))?;
        let status = status_from_text(&self.status).ok_or_else(|| corrupt(self.id, "status"))?;
        let evidence: Vec<DocumentId> =
            serde_json::from_str(&self.evidence).map_err(|_| corrupt(self.id, "evidence list"))?;
        Ok(AttestationRecord {
            attestation: Attestation {
                id: AttestationId(self.id),
                owner,
                criterion,
                catalog_version: self.catalog_version,
                status,
                effective_on: self.effective_on,
                signer: self.signer,
                signer_role: self.signer_role,
                statement: self.statement,
                evidence,
                supersedes: self.supersedes_id.map(AttestationId),
                recorded_at: self.recorded_at.and_utc(),
            },
            catalog_id: self.catalog_id,
            superseded_by,
        })
    }
}

/// A status as stored (its snake_case name).
pub(crate) fn status_text(status: AttestedStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A stored status; `None` if it is not one this release knows.
pub(crate) fn status_from_text(text: &str) -> Option<AttestedStatus> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// The stored owner columns (organization_id, practice_id) of `owner`, the PO of a practice given.
fn owner_columns(owner: Owner, organization: OrganizationId) -> (i64, Option<i64>) {
    match owner {
        Owner::Practice(practice) => (organization.0, Some(practice.0)),
        Owner::Organization(organization) => (organization.0, None),
    }
}

/// Whether a row with these owner columns belongs to `owner`.
fn owned_by(owner: Owner, organization_id: i64, practice_id: Option<i64>) -> bool {
    match owner {
        Owner::Practice(practice) => practice_id == Some(practice.0),
        Owner::Organization(organization) => practice_id.is_none() && organization_id == organization.0,
    }
}

/// Keeps, of a boxed query on attestations, those that belong to `owner`.
macro_rules! owned {
    ($query:expr, $owner:expr) => {
        match $owner {
            Owner::Practice(practice) => $query.filter(attestations::practice_id.eq(practice.0)),
            Owner::Organization(organization) => $query.filter(
                attestations::organization_id
                    .eq(organization.0)
                    .and(attestations::practice_id.is_null()),
            ),
        }
    };
}

/// Makes an attestation of `practice`, under the practice's catalog version `catalog`.
pub fn create_for_practice(
    conn: &mut Connection,
    practice: PracticeId,
    catalog: &Catalog,
    form: &NewAttestation,
) -> StoreResult<AttestationRecord> {
    let practice = practices::get(conn, practice)?;
    create(
        conn,
        Owner::Practice(practice.id),
        practice.organization_id,
        catalog,
        form,
    )
}

/// Makes a PO-level attestation of `organization`, under the catalog version `catalog` its practices use.
pub fn create_for_organization(
    conn: &mut Connection,
    organization: OrganizationId,
    catalog: &Catalog,
    form: &NewAttestation,
) -> StoreResult<AttestationRecord> {
    organizations::get(conn, organization)?;
    create(conn, Owner::Organization(organization), organization, catalog, form)
}

fn create(
    conn: &mut Connection,
    owner: Owner,
    organization: OrganizationId,
    catalog: &Catalog,
    form: &NewAttestation,
) -> StoreResult<AttestationRecord> {
    check_criterion(owner, catalog, form)?;
    if let Some(earlier) = form.supersedes {
        check_supersedes(conn, owner, &form.criterion, earlier)?;
    }
    check_evidence(conn, owner, organization, &form.evidence)?;
    let (organization_id, practice_id) = owner_columns(owner, organization);
    let evidence = serde_json::to_string(&form.evidence)
        .map_err(|e| StoreError::Database(diesel::result::Error::SerializationError(Box::new(e))))?;
    let version = catalog.version.to_string();
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(attestations::table)
        .values((
            attestations::organization_id.eq(organization_id),
            attestations::practice_id.eq(practice_id),
            attestations::criterion.eq(form.criterion.as_str()),
            attestations::catalog_id.eq(&catalog.id),
            attestations::catalog_version.eq(&version),
            attestations::status.eq(status_text(form.status)),
            attestations::effective_on.eq(form.effective_on),
            attestations::signer.eq(form.signer.trim()),
            attestations::signer_role.eq(form.signer_role.trim()),
            attestations::statement.eq(form.statement.trim()),
            attestations::evidence.eq(&evidence),
            attestations::supersedes_id.eq(form.supersedes.map(|a| a.0)),
            attestations::recorded_at.eq(now()),
        ))
        .returning(attestations::id)
        .get_result(c))
    .map_err(|e| match (StoreError::from(e), form.supersedes) {
        // The only UNIQUE column is supersedes_id: another correction of the same attestation
        // was committed while this one was being made.
        (StoreError::Conflict { .. }, Some(earlier)) => StoreError::Conflict {
            message: format!(
                "attestation {earlier} was superseded by another correction made at the same time; \
                 read it and supersede that one instead"
            ),
        },
        (other, _) => other,
    })?;
    get(conn, owner, AttestationId(id))
}

/// The criterion must be in the catalog, of the owner's scope, and allow `not_applicable` if attested so.
fn check_criterion(owner: Owner, catalog: &Catalog, form: &NewAttestation) -> StoreResult<()> {
    let id = &form.criterion;
    let Some(criterion) = catalog.criterion(id) else {
        return Err(StoreError::invalid(
            "criterion",
            "known_criterion",
            format!("{id} is not a criterion of {} {}", catalog.id, catalog.version),
        ));
    };
    match (owner, criterion.scope) {
        (Owner::Practice(_), Scope::PhysicianOrganization) => {
            return Err(StoreError::invalid(
                "criterion",
                "scope",
                format!("{id} is a physician organization criterion: the PO attests it, not a practice"),
            ))
        }
        (Owner::Organization(_), Scope::Practice) => {
            return Err(StoreError::invalid(
                "criterion",
                "scope",
                format!("{id} is a practice criterion: each practice attests it, not the physician organization"),
            ))
        }
        _ => {}
    }
    if form.status == AttestedStatus::NotApplicable && !criterion.allow_not_applicable {
        return Err(StoreError::invalid(
            "status",
            "not_applicable_allowed",
            format!(
                "{id} cannot be attested not applicable: {} {} does not allow it",
                catalog.id, catalog.version
            ),
        ));
    }
    Ok(())
}

/// A correction supersedes an attestation of the same owner and criterion that is still current.
fn check_supersedes(
    conn: &mut Connection,
    owner: Owner,
    criterion: &CriterionId,
    earlier: AttestationId,
) -> StoreResult<()> {
    let target: Option<(i64, Option<i64>, String)> = on_backend!(conn, |c| attestations::table
        .find(earlier.0)
        .select((
            attestations::organization_id,
            attestations::practice_id,
            attestations::criterion,
        ))
        .first(c)
        .optional())?;
    let same = target.is_some_and(|(organization_id, practice_id, target_criterion)| {
        owned_by(owner, organization_id, practice_id) && target_criterion == criterion.as_str()
    });
    if !same {
        let whose = match owner {
            Owner::Practice(_) => "this practice",
            Owner::Organization(_) => "this physician organization",
        };
        return Err(StoreError::invalid(
            "supersedes",
            "same_criterion",
            format!("attestation {earlier} is not an attestation of {criterion} by {whose}: a correction supersedes an attestation of the same criterion"),
        ));
    }
    let by: Option<i64> = on_backend!(conn, |c| attestations::table
        .filter(attestations::supersedes_id.eq(earlier.0))
        .select(attestations::id)
        .first(c)
        .optional())?;
    match by {
        Some(by) => Err(StoreError::Conflict {
            message: format!(
                "attestation {earlier} was already superseded by attestation {by}: supersede {by} instead"
            ),
        }),
        None => Ok(()),
    }
}

/// Each evidence document must be kept by the practice or its PO (or, for a PO, by the PO or one of its practices).
fn check_evidence(
    conn: &mut Connection,
    owner: Owner,
    organization: OrganizationId,
    evidence: &[DocumentId],
) -> StoreResult<()> {
    let mut seen = HashSet::new();
    for (i, id) in evidence.iter().enumerate() {
        if !seen.insert(*id) {
            return Err(StoreError::invalid(
                format!("evidence[{i}]"),
                "unique",
                format!("document {id} is listed more than once"),
            ));
        }
    }
    if evidence.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = evidence.iter().map(|d| d.0).collect();
    let found: Vec<(i64, i64, Option<i64>)> = on_backend!(conn, |c| documents::table
        .filter(documents::id.eq_any(&ids))
        .select((documents::id, documents::organization_id, documents::practice_id))
        .load(c))?;
    let found: BTreeMap<i64, (i64, Option<i64>)> = found.into_iter().map(|(id, o, p)| (id, (o, p))).collect();
    for (i, id) in evidence.iter().enumerate() {
        let usable = found
            .get(&id.0)
            .is_some_and(|&(organization_id, practice_id)| match owner {
                Owner::Practice(practice) => {
                    practice_id == Some(practice.0) || (practice_id.is_none() && organization_id == organization.0)
                }
                Owner::Organization(organization) => organization_id == organization.0,
            });
        if !usable {
            let (rule, whose) = match owner {
                Owner::Practice(_) => ("same_practice", "this practice or its physician organization"),
                Owner::Organization(_) => ("same_organization", "this physician organization or its practices"),
            };
            return Err(StoreError::invalid(
                format!("evidence[{i}]"),
                rule,
                format!("document {id} is not a document of {whose}"),
            ));
        }
    }
    Ok(())
}

/// The correction of each of `ids` that superseded it, if any.
fn superseded_by(conn: &mut Connection, ids: &[i64]) -> StoreResult<BTreeMap<i64, AttestationId>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let pairs: Vec<(Option<i64>, i64)> = on_backend!(conn, |c| attestations::table
        .filter(attestations::supersedes_id.eq_any(ids))
        .select((attestations::supersedes_id, attestations::id))
        .load(c))?;
    Ok(pairs
        .into_iter()
        .filter_map(|(earlier, by)| earlier.map(|e| (e, AttestationId(by))))
        .collect())
}

/// The attestation `id` of `owner` (a practice's own, or the PO's own).
pub fn get(conn: &mut Connection, owner: Owner, id: AttestationId) -> StoreResult<AttestationRecord> {
    let row: Option<Row> = on_backend!(conn, |c| owned!(
        attestations::table.filter(attestations::id.eq(id.0)).into_boxed(),
        owner
    )
    .select(Row::as_select())
    .first(c)
    .optional())?;
    let row = row.ok_or_else(|| StoreError::not_found("attestation", id))?;
    let by = superseded_by(conn, &[row.id])?.get(&row.id).copied();
    row.into_record(by)
}

/// The attestation `id` of `practice`.
pub fn get_for_practice(
    conn: &mut Connection,
    practice: PracticeId,
    id: AttestationId,
) -> StoreResult<AttestationRecord> {
    practices::get(conn, practice)?;
    get(conn, Owner::Practice(practice), id)
}

/// The PO-level attestation `id` of `organization`.
pub fn get_for_organization(
    conn: &mut Connection,
    organization: OrganizationId,
    id: AttestationId,
) -> StoreResult<AttestationRecord> {
    organizations::get(conn, organization)?;
    get(conn, Owner::Organization(organization), id)
}

/// A page of `practice`'s own attestations, by effective date.
pub fn list_for_practice(
    conn: &mut Connection,
    practice: PracticeId,
    filter: &AttestationFilter,
    page: Page,
) -> StoreResult<Listing<AttestationRecord>> {
    practices::get(conn, practice)?;
    list(conn, Owner::Practice(practice), filter, page)
}

/// A page of `organization`'s PO-level attestations, by effective date.
pub fn list_for_organization(
    conn: &mut Connection,
    organization: OrganizationId,
    filter: &AttestationFilter,
    page: Page,
) -> StoreResult<Listing<AttestationRecord>> {
    organizations::get(conn, organization)?;
    list(conn, Owner::Organization(organization), filter, page)
}

fn list(
    conn: &mut Connection,
    owner: Owner,
    filter: &AttestationFilter,
    page: Page,
) -> StoreResult<Listing<AttestationRecord>> {
    let criterion = filter.criterion.as_ref().map(CriterionId::as_str);
    let (start, end) = (filter.effective.start(), filter.effective.end());
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let later = diesel::alias!(attestations as later);
        let query = || {
            let mut query = owned!(
                attestations::table
                    .filter(attestations::effective_on.between(start, end))
                    .into_boxed(),
                owner
            );
            if let Some(criterion) = criterion {
                query = query.filter(attestations::criterion.eq(criterion));
            }
            if filter.current_only {
                query = query.filter(
                    attestations::id.ne_all(
                        later
                            .filter(later.field(attestations::supersedes_id).is_not_null())
                            .select(later.field(attestations::supersedes_id).assume_not_null()),
                    ),
                );
            }
            query
        };
        let rows = query()
            .order((attestations::effective_on, attestations::id))
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = query().count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let by = superseded_by(conn, &ids)?;
    let items = rows
        .into_iter()
        .map(|row| {
            let superseded = by.get(&row.id).copied();
            row.into_record(superseded)
        })
        .collect::<StoreResult<_>>()?;
    Ok(Listing {
        items,
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// The records the rules read for a practice: its own and its PO's (`practice: None` gives the
/// PO's own records only).
pub(crate) fn all(
    conn: &mut Connection,
    organization: OrganizationId,
    practice: Option<PracticeId>,
) -> StoreResult<Vec<Attestation>> {
    let rows: Vec<Row> = on_backend!(conn, |c| {
        let mut query = attestations::table
            .filter(attestations::organization_id.eq(organization.0))
            .into_boxed();
        query = match practice {
            Some(p) => query.filter(
                attestations::practice_id
                    .eq(p.0)
                    .or(attestations::practice_id.is_null()),
            ),
            None => query.filter(attestations::practice_id.is_null()),
        };
        query.order(attestations::id).select(Row::as_select()).load(c)
    })?;
    rows.into_iter()
        .map(|row| row.into_record(None).map(|r| r.attestation))
        .collect()
}

/// Every attestation of `organization` and of all its practices, ordered by id (one query).
pub(crate) fn all_of_organization(
    conn: &mut Connection,
    organization: OrganizationId,
) -> StoreResult<Vec<Attestation>> {
    let rows: Vec<Row> = on_backend!(conn, |c| attestations::table
        .filter(attestations::organization_id.eq(organization.0))
        .order(attestations::id)
        .select(Row::as_select())
        .load(c))?;
    rows.into_iter()
        .map(|row| row.into_record(None).map(|r| r.attestation))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::organizations::NewOrganization;
    use crate::store::practices::NewPractice;
    use crate::store::Store;

    fn catalog() -> Catalog {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy-catalog/domain-4/1.0.0.yaml");
        crate::catalog::load_file(&path).unwrap()
    }

    fn form(criterion: &str, status: AttestedStatus, supersedes: Option<AttestationId>) -> NewAttestation {
        NewAttestation {
            criterion: CriterionId::parse(criterion).unwrap(),
            status,
            effective_on: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            signer: "Dana Reyes".into(),
            signer_role: "Office manager".into(),
            statement: "In place and in use.".into(),
            evidence: Vec::new(),
            supersedes,
        }
    }

    #[test]
    fn the_rules_see_a_practice_s_own_attestations_and_its_po_s_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Store::default_url(dir.path())).unwrap();
        store.migrate().unwrap();
        let catalog = catalog();
        let (maple, own, corrected, po_level) = store
            .write(|c| {
                let po = organizations::create(
                    c,
                    &NewOrganization {
                        name: "North PO".into(),
                    },
                )?;
                let other_po = organizations::create(
                    c,
                    &NewOrganization {
                        name: "South PO".into(),
                    },
                )?;
                let new_practice = |name: &str| NewPractice {
                    name: name.into(),
                    initial_focus_population: None,
                    catalog_version: None,
                    joined_on: None,
                    time_zone: None,
                };
                let maple = practices::create(c, po.id, &catalog, &new_practice("Maple"))?;
                let birch = practices::create(c, po.id, &catalog, &new_practice("Birch"))?;
                let own = create_for_practice(c, maple.id, &catalog, &form("4.3", AttestedStatus::InPlace, None))?;
                let corrected = create_for_practice(
                    c,
                    maple.id,
                    &catalog,
                    &form("4.3", AttestedStatus::NotInPlace, Some(own.attestation.id)),
                )?;
                create_for_practice(c, birch.id, &catalog, &form("4.3", AttestedStatus::InPlace, None))?;
                let po_level =
                    create_for_organization(c, po.id, &catalog, &form("4.24", AttestedStatus::InPlace, None))?;
                create_for_organization(c, other_po.id, &catalog, &form("4.24", AttestedStatus::InPlace, None))?;
                Ok((maple, own, corrected, po_level))
            })
            .unwrap();
        let seen = store.read(|c| all(c, maple.organization_id, Some(maple.id))).unwrap();
        let ids: Vec<AttestationId> = seen.iter().map(|a| a.id).collect();
        assert_eq!(
            ids,
            [own.attestation.id, corrected.attestation.id, po_level.attestation.id]
        );
        assert_eq!(po_level.attestation.owner, Owner::Organization(maple.organization_id));
        assert_eq!(corrected.attestation.supersedes, Some(own.attestation.id));
        let reread = store
            .read(|c| get(c, Owner::Practice(maple.id), own.attestation.id))
            .unwrap();
        assert_eq!(reread.superseded_by, Some(corrected.attestation.id));
        assert_eq!(reread.attestation, own.attestation, "the original is kept unchanged");

        let again = store
            .write(|c| {
                create_for_practice(
                    c,
                    maple.id,
                    &catalog,
                    &form("4.3", AttestedStatus::InPlace, Some(own.attestation.id)),
                )
            })
            .unwrap_err();
        assert!(
            matches!(&again, StoreError::Conflict { message } if message.contains("already superseded")),
            "{again:?}"
        );
        assert_eq!(
            store
                .read(|c| all(c, maple.organization_id, Some(maple.id)))
                .unwrap()
                .len(),
            3,
            "the refused correction wrote nothing"
        );
    }

    #[test]
    fn statuses_are_stored_as_their_snake_case_names() {
        for status in [
            AttestedStatus::InPlace,
            AttestedStatus::PartiallyInPlace,
            AttestedStatus::NotInPlace,
            AttestedStatus::NotApplicable,
        ] {
            assert_eq!(status_from_text(&status_text(status)), Some(status));
        }
        assert_eq!(status_text(AttestedStatus::PartiallyInPlace), "partially_in_place");
        assert_eq!(status_from_text("maybe"), None);
    }

    #[test]
    fn ownership_follows_the_practice_column() {
        let practice = Owner::Practice(PracticeId(3));
        let po = Owner::Organization(OrganizationId(1));
        assert!(owned_by(practice, 1, Some(3)));
        assert!(!owned_by(practice, 1, Some(4)));
        assert!(!owned_by(practice, 1, None));
        assert!(owned_by(po, 1, None));
        assert!(!owned_by(po, 1, Some(3)), "a practice's attestation is not the PO's");
        assert!(!owned_by(po, 2, None));
        assert_eq!(owner_columns(practice, OrganizationId(1)), (1, Some(3)));
        assert_eq!(owner_columns(po, OrganizationId(1)), (1, None));
    }
}
