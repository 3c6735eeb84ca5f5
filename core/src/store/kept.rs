//! Kept evaluations as stored: one row per practice and day, one per PO and day, each with the
//! revision of the records it was computed from.
//!
//! Every write that changes what an evaluation reads increments the revision of the practice it
//! concerns (all of a PO's practices for the PO's own records, which every practice's evaluation
//! reads) and of its PO, in the write's own transaction ([`mark_stale`], called by
//! [`super::audit::append`]). A kept row is current while its revision equals the practice's
//! (or PO's) and its fingerprint the catalogs' and rules' now: a crash can lose a row, never
//! leave a wrong one current.

use std::collections::HashSet;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::audit::Audit;
use super::schema::{
    kept_organization_evaluations, kept_practice_due_lists, kept_practice_evaluations, organizations, practices,
};
use super::{now, on_backend, Connection, StoreError, StoreResult};
use crate::ids::{OrganizationId, PracticeId};
use crate::rules::kept::{OrganizationKept, PracticeKept};

/// Kinds of record whose writes change no evaluation: access and accounts.
const NOT_EVALUATED: [&str; 3] = ["token", "user", "session"];

/// Marks stale, in the write's transaction, the kept evaluations the audited write may change:
/// its practice's and its PO's; every practice's of the PO for a PO's own record; everyone's for
/// a write that names neither.
pub fn mark_stale(conn: &mut Connection, audit: &Audit) -> StoreResult<()> {
    if NOT_EVALUATED.contains(&audit.record_kind) {
        return Ok(());
    }
    let organization = match (audit.practice, audit.organization) {
        (Some(practice), known) => {
            let organization: Option<i64> = on_backend!(conn, |c| {
                diesel::update(practices::table.find(practice.0))
                    .set(practices::records_revision.eq(practices::records_revision + 1))
                    .execute(c)?;
                practices::table
                    .find(practice.0)
                    .select(practices::organization_id)
                    .first(c)
                    .optional()
            })?;
            known.map(|o| o.0).or(organization)
        }
        (None, Some(organization)) => {
            on_backend!(conn, |c| diesel::update(
                practices::table.filter(practices::organization_id.eq(organization.0))
            )
            .set(practices::records_revision.eq(practices::records_revision + 1))
            .execute(c))?;
            Some(organization.0)
        }
        (None, None) => {
            on_backend!(conn, |c| {
                diesel::update(practices::table)
                    .set(practices::records_revision.eq(practices::records_revision + 1))
                    .execute(c)?;
                diesel::update(organizations::table)
                    .set(organizations::records_revision.eq(organizations::records_revision + 1))
                    .execute(c)
            })?;
            None
        }
    };
    if let Some(organization) = organization {
        on_backend!(conn, |c| diesel::update(organizations::table.find(organization))
            .set(organizations::records_revision.eq(organizations::records_revision + 1))
            .execute(c))?;
    }
    Ok(())
}

/// The revision of a practice's records (read it on the snapshot its records are read on).
pub fn practice_revision(conn: &mut Connection, practice: PracticeId) -> StoreResult<i64> {
    on_backend!(conn, |c| practices::table
        .find(practice.0)
        .select(practices::records_revision)
        .first(c)
        .optional())?
    .ok_or_else(|| StoreError::not_found("practice", practice))
}

/// The revision of a PO's records, all of its practices' included.
pub fn organization_revision(conn: &mut Connection, organization: OrganizationId) -> StoreResult<i64> {
    on_backend!(conn, |c| organizations::table
        .find(organization.0)
        .select(organizations::records_revision)
        .first(c)
        .optional())?
    .ok_or_else(|| StoreError::not_found("organization", organization))
}

/// A kept row's due list as stored.
fn due_from_text(text: &str) -> StoreResult<Vec<crate::rules::organization::CriterionDue>> {
    serde_json::from_str(text).map_err(|e| StoreError::Internal(format!("a kept due list cannot be read: {e}")))
}

fn to_text<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Internal(e.to_string()))
}

/// The current kept evaluations of the practices of `organization` on `day` (with what falls due
/// when `with_due`), by practice id; practices without a current one are left out.
pub fn current_of_organization(
    conn: &mut Connection,
    organization: OrganizationId,
    day: NaiveDate,
    fingerprint: &str,
    with_due: bool,
) -> StoreResult<Vec<(PracticeId, PracticeKept)>> {
    let rows: Vec<(i64, String, String)> = on_backend!(conn, |c| kept_practice_evaluations::table
        .inner_join(practices::table)
        .filter(practices::organization_id.eq(organization.0))
        .filter(kept_practice_evaluations::day.eq(day))
        .filter(kept_practice_evaluations::records_revision.eq(practices::records_revision))
        .filter(kept_practice_evaluations::fingerprint.eq(fingerprint))
        .order(kept_practice_evaluations::practice_id)
        .select((
            kept_practice_evaluations::practice_id,
            kept_practice_evaluations::catalog_version,
            kept_practice_evaluations::cells,
        ))
        .load(c))?;
    // A due list is written with its evaluation, in one transaction: the current evaluations'
    // due lists are those of the same practices and day.
    let mut due: std::collections::HashMap<i64, String> = if with_due {
        on_backend!(conn, |c| kept_practice_due_lists::table
            .inner_join(practices::table)
            .filter(practices::organization_id.eq(organization.0))
            .filter(kept_practice_due_lists::day.eq(day))
            .select((kept_practice_due_lists::practice_id, kept_practice_due_lists::due))
            .load::<(i64, String)>(c))?
        .into_iter()
        .collect()
    } else {
        std::collections::HashMap::new()
    };
    rows.into_iter()
        .map(|(id, catalog_version, cells)| {
            let due = match due.remove(&id) {
                Some(text) => due_from_text(&text)?,
                None if with_due => {
                    return Err(StoreError::Internal(format!(
                        "practice {id} has a kept evaluation for {day} without its due list"
                    )))
                }
                None => Vec::new(),
            };
            Ok((
                PracticeId(id),
                PracticeKept {
                    catalog_version,
                    cells,
                    due,
                },
            ))
        })
        .collect()
}

/// Which of `days` have a current kept evaluation of each practice (all practices, or those of
/// one PO), as (practice, day).
pub fn current_days(
    conn: &mut Connection,
    organization: Option<OrganizationId>,
    days: &[NaiveDate],
    fingerprint: &str,
) -> StoreResult<HashSet<(PracticeId, NaiveDate)>> {
    let rows: Vec<(i64, NaiveDate)> = on_backend!(conn, |c| {
        let query = kept_practice_evaluations::table
            .inner_join(practices::table)
            .filter(kept_practice_evaluations::day.eq_any(days))
            .filter(kept_practice_evaluations::records_revision.eq(practices::records_revision))
            .filter(kept_practice_evaluations::fingerprint.eq(fingerprint))
            .select((kept_practice_evaluations::practice_id, kept_practice_evaluations::day));
        match organization {
            Some(o) => query.filter(practices::organization_id.eq(o.0)).load(c),
            None => query.load(c),
        }
    })?;
    Ok(rows.into_iter().map(|(p, d)| (PracticeId(p), d)).collect())
}

/// Keeps evaluations of practices, each computed from the records at `revision`; replaces what was
/// kept of the same practice and day.
pub fn keep_practices(
    conn: &mut Connection,
    rows: &[(PracticeId, NaiveDate, i64, PracticeKept)],
    fingerprint: &str,
) -> StoreResult<()> {
    let at = now();
    for (practice, day, revision, kept) in rows {
        let due = to_text(&kept.due)?;
        on_backend!(conn, |c| {
            diesel::insert_into(kept_practice_evaluations::table)
                .values((
                    kept_practice_evaluations::practice_id.eq(practice.0),
                    kept_practice_evaluations::day.eq(day),
                    kept_practice_evaluations::records_revision.eq(revision),
                    kept_practice_evaluations::fingerprint.eq(fingerprint),
                    kept_practice_evaluations::catalog_version.eq(&kept.catalog_version),
                    kept_practice_evaluations::cells.eq(&kept.cells),
                    kept_practice_evaluations::computed_at.eq(at),
                ))
                .on_conflict((kept_practice_evaluations::practice_id, kept_practice_evaluations::day))
                .do_update()
                .set((
                    kept_practice_evaluations::records_revision
                        .eq(excluded(kept_practice_evaluations::records_revision)),
                    kept_practice_evaluations::fingerprint.eq(excluded(kept_practice_evaluations::fingerprint)),
                    kept_practice_evaluations::catalog_version.eq(excluded(kept_practice_evaluations::catalog_version)),
                    kept_practice_evaluations::cells.eq(excluded(kept_practice_evaluations::cells)),
                    kept_practice_evaluations::computed_at.eq(excluded(kept_practice_evaluations::computed_at)),
                ))
                .execute(c)?;
            diesel::insert_into(kept_practice_due_lists::table)
                .values((
                    kept_practice_due_lists::practice_id.eq(practice.0),
                    kept_practice_due_lists::day.eq(day),
                    kept_practice_due_lists::due.eq(&due),
                ))
                .on_conflict((kept_practice_due_lists::practice_id, kept_practice_due_lists::day))
                .do_update()
                .set(kept_practice_due_lists::due.eq(excluded(kept_practice_due_lists::due)))
                .execute(c)
        })?;
    }
    Ok(())
}

/// The current kept evaluation of the PO-level criteria of `organization` on `day`, if any.
pub fn current_organization(
    conn: &mut Connection,
    organization: OrganizationId,
    day: NaiveDate,
    fingerprint: &str,
) -> StoreResult<Option<OrganizationKept>> {
    let text: Option<String> = on_backend!(conn, |c| kept_organization_evaluations::table
        .inner_join(organizations::table)
        .filter(kept_organization_evaluations::organization_id.eq(organization.0))
        .filter(kept_organization_evaluations::day.eq(day))
        .filter(kept_organization_evaluations::records_revision.eq(organizations::records_revision))
        .filter(kept_organization_evaluations::fingerprint.eq(fingerprint))
        .select(kept_organization_evaluations::evaluation)
        .first(c)
        .optional())?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| StoreError::Internal(format!("a kept PO evaluation cannot be read: {e}")))
    })
    .transpose()
}

/// Which of `days` have a current kept PO-level evaluation, as (PO, day).
pub fn current_organization_days(
    conn: &mut Connection,
    days: &[NaiveDate],
    fingerprint: &str,
) -> StoreResult<HashSet<(OrganizationId, NaiveDate)>> {
    let rows: Vec<(i64, NaiveDate)> = on_backend!(conn, |c| kept_organization_evaluations::table
        .inner_join(organizations::table)
        .filter(kept_organization_evaluations::day.eq_any(days))
        .filter(kept_organization_evaluations::records_revision.eq(organizations::records_revision))
        .filter(kept_organization_evaluations::fingerprint.eq(fingerprint))
        .select((
            kept_organization_evaluations::organization_id,
            kept_organization_evaluations::day
        ))
        .load(c))?;
    Ok(rows.into_iter().map(|(o, d)| (OrganizationId(o), d)).collect())
}

/// Keeps evaluations of a PO's own criteria computed from its records at `revision`.
pub fn keep_organization(
    conn: &mut Connection,
    organization: OrganizationId,
    rows: &[(NaiveDate, OrganizationKept)],
    revision: i64,
    fingerprint: &str,
) -> StoreResult<()> {
    let at = now();
    for (day, kept) in rows {
        let text = to_text(kept)?;
        on_backend!(conn, |c| diesel::insert_into(kept_organization_evaluations::table)
            .values((
                kept_organization_evaluations::organization_id.eq(organization.0),
                kept_organization_evaluations::day.eq(day),
                kept_organization_evaluations::records_revision.eq(revision),
                kept_organization_evaluations::fingerprint.eq(fingerprint),
                kept_organization_evaluations::evaluation.eq(&text),
                kept_organization_evaluations::computed_at.eq(at),
            ))
            .on_conflict((
                kept_organization_evaluations::organization_id,
                kept_organization_evaluations::day,
            ))
            .do_update()
            .set((
                kept_organization_evaluations::records_revision
                    .eq(excluded(kept_organization_evaluations::records_revision)),
                kept_organization_evaluations::fingerprint.eq(excluded(kept_organization_evaluations::fingerprint)),
                kept_organization_evaluations::evaluation.eq(excluded(kept_organization_evaluations::evaluation)),
                kept_organization_evaluations::computed_at.eq(excluded(kept_organization_evaluations::computed_at)),
            ))
            .execute(c))?;
    }
    Ok(())
}

/// Deletes kept evaluations of days other than `keep`'s that are before `before`: the days no
/// view reads by default any more (a past day asked for again is computed again).
pub fn forget_days_before(conn: &mut Connection, before: NaiveDate, keep: &[NaiveDate]) -> StoreResult<usize> {
    on_backend!(conn, |c| diesel::delete(
        kept_practice_due_lists::table
            .filter(kept_practice_due_lists::day.lt(before))
            .filter(kept_practice_due_lists::day.ne_all(keep))
    )
    .execute(c))?;
    let practices = on_backend!(conn, |c| diesel::delete(
        kept_practice_evaluations::table
            .filter(kept_practice_evaluations::day.lt(before))
            .filter(kept_practice_evaluations::day.ne_all(keep))
    )
    .execute(c))?;
    let organizations = on_backend!(conn, |c| diesel::delete(
        kept_organization_evaluations::table
            .filter(kept_organization_evaluations::day.lt(before))
            .filter(kept_organization_evaluations::day.ne_all(keep))
    )
    .execute(c))?;
    Ok(practices + organizations)
}

/// How many kept practice evaluations are current and how many stale (any day).
pub fn counts(conn: &mut Connection, fingerprint: &str) -> StoreResult<(i64, i64)> {
    let (all, current): (i64, i64) = on_backend!(conn, |c| {
        let all = kept_practice_evaluations::table.count().get_result(c)?;
        let current = kept_practice_evaluations::table
            .inner_join(practices::table)
            .filter(kept_practice_evaluations::records_revision.eq(practices::records_revision))
            .filter(kept_practice_evaluations::fingerprint.eq(fingerprint))
            .count()
            .get_result(c)?;
        Ok::<_, diesel::result::Error>((all, current))
    })?;
    Ok((current, all - current))
}

/// Every practice with its PO and time zone, by id.
pub fn practices_everywhere(conn: &mut Connection) -> StoreResult<Vec<(PracticeId, OrganizationId, String)>> {
    let rows: Vec<(i64, i64, String)> = on_backend!(conn, |c| practices::table
        .select((practices::id, practices::organization_id, practices::time_zone))
        .order(practices::id)
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(p, o, zone)| (PracticeId(p), OrganizationId(o), zone))
        .collect())
}

/// The current kept evaluations (their cells, not what falls due) of the practices of
/// `organization` on each of `days`, as (practice, day, evaluation); those without a current one
/// are left out.
pub fn current_cells_on_days(
    conn: &mut Connection,
    organization: OrganizationId,
    days: &[NaiveDate],
    fingerprint: &str,
) -> StoreResult<Vec<(PracticeId, NaiveDate, PracticeKept)>> {
    let rows: Vec<(i64, NaiveDate, String, String)> = on_backend!(conn, |c| kept_practice_evaluations::table
        .inner_join(practices::table)
        .filter(practices::organization_id.eq(organization.0))
        .filter(kept_practice_evaluations::day.eq_any(days))
        .filter(kept_practice_evaluations::records_revision.eq(practices::records_revision))
        .filter(kept_practice_evaluations::fingerprint.eq(fingerprint))
        .select((
            kept_practice_evaluations::practice_id,
            kept_practice_evaluations::day,
            kept_practice_evaluations::catalog_version,
            kept_practice_evaluations::cells,
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(id, day, catalog_version, cells)| {
            (
                PracticeId(id),
                day,
                PracticeKept {
                    catalog_version,
                    cells,
                    due: Vec::new(),
                },
            )
        })
        .collect())
}
