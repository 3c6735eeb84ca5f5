//! The PO-wide views read from kept evaluations: one row per practice instead of every record.
//!
//! A view for a day reads the current kept evaluations of that day; a practice without one (its
//! records changed since, or the day was never computed) is evaluated from its own records alone
//! and kept; the PO-level criteria likewise. [`refresh`] (the server's background worker) keeps
//! the days the views ask for by default current, so that a user's request rarely computes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::catalog::{CatalogSet, Scope};
use crate::ids::{CriterionId, OrganizationId, PracticeId};
use crate::records::{Organization, Practice};
use crate::rules::kept::{self as rules, OrganizationKept, PracticeKept, RecordsRead};
use crate::rules::organization::{month_end, DueFilter, OrganizationDueItem, TrendPoint};
use crate::rules::view::OrganizationCompliance;
use crate::store::{kept, practices, records, Store, StoreError, StoreResult};

/// Practices evaluated in one transaction's worth of kept rows.
const BATCH: usize = 100;

fn internal(e: impl ToString) -> StoreError {
    StoreError::Internal(e.to_string())
}

/// A practice's evaluation on one day, with the revision of the records it was computed from.
type Evaluated = (PracticeId, NaiveDate, i64, PracticeKept);

/// Evaluates `practices` on each of their days from their own records and keeps the results;
/// returns them by practice and day.
fn compute_practices(
    store: &Store,
    catalogs: &CatalogSet,
    practices: &[(PracticeId, Vec<NaiveDate>)],
) -> StoreResult<HashMap<(PracticeId, NaiveDate), PracticeKept>> {
    let fingerprint = catalogs.fingerprint();
    let mut found = HashMap::new();
    for batch in practices.chunks(BATCH) {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
        let per_thread = batch.len().div_ceil(threads);
        let computed: Vec<StoreResult<Vec<Evaluated>>> = std::thread::scope(|scope| {
            let parts: Vec<_> = batch
                .chunks(per_thread.max(1))
                .map(|part| {
                    scope.spawn(move || {
                        let mut rows = Vec::new();
                        for (id, days) in part {
                            let (revision, practice, records) = store.read(|c| {
                                c.snapshot(|c| {
                                    let revision = kept::practice_revision(c, *id)?;
                                    let (practice, records) = records::for_practice(c, *id)?;
                                    Ok((revision, practice, records))
                                })
                            })?;
                            for day in days {
                                let evaluated =
                                    rules::practice_kept(catalogs, &practice, &records, *day).map_err(internal)?;
                                rows.push((*id, *day, revision, evaluated));
                            }
                        }
                        Ok(rows)
                    })
                })
                .collect();
            parts
                .into_iter()
                .map(|part| part.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        });
        let mut rows = Vec::new();
        for part in computed {
            rows.extend(part?);
        }
        store.write(|c| kept::keep_practices(c, &rows, fingerprint))?;
        for (id, day, _, evaluated) in rows {
            found.insert((id, day), evaluated);
        }
    }
    Ok(found)
}

/// One computation of a PO's own criteria at a time per PO in this process: a second request
/// waits for the first and then finds its result kept.
fn organization_turn(organization: OrganizationId) -> Arc<Mutex<()>> {
    static TURNS: OnceLock<Mutex<HashMap<OrganizationId, Arc<Mutex<()>>>>> = OnceLock::new();
    let turns = TURNS.get_or_init(Mutex::default);
    let mut turns = turns.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    turns.entry(organization).or_default().clone()
}

/// The catalog a PO's own criteria are assessed against on `day`: the newest version its
/// practices use (the one in force that day when it has none).
fn organization_catalog<'a>(
    catalogs: &'a CatalogSet,
    practices: &[Practice],
    day: NaiveDate,
) -> StoreResult<&'a crate::catalog::Catalog> {
    catalogs
        .for_organization(
            practices
                .iter()
                .map(|p| (p.catalog_id.as_str(), p.catalog_version.as_str())),
            day,
        )
        .map_err(internal)
}

/// The PO-level evaluation of `organization` on each of `days`, computed from the records the
/// PO-level criteria read and kept.
fn compute_organization(
    store: &Store,
    catalogs: &CatalogSet,
    organization: OrganizationId,
    days: &[NaiveDate],
) -> StoreResult<Vec<(NaiveDate, OrganizationKept)>> {
    let fingerprint = catalogs.fingerprint();
    let (revision, _, practices, combined) = store.read(|c| {
        c.snapshot(|c| {
            let revision = kept::organization_revision(c, organization)?;
            // The catalog depends on the practices' versions (and on the day when it has none).
            let practices = practices::all_of_organization(c, organization)?;
            let mut read = RecordsRead::default();
            for day in days {
                let catalog = organization_catalog(catalogs, &practices, *day)?;
                read = read.and(RecordsRead::by(catalog, Scope::PhysicianOrganization));
            }
            let (organization, practices, combined) = records::organization_combined(c, organization, read)?;
            Ok((revision, organization, practices, combined))
        })
    })?;
    let mut evaluated = Vec::new();
    for day in days {
        let catalog = organization_catalog(catalogs, &practices, *day)?;
        evaluated.push((*day, rules::organization_kept(catalogs, catalog, &combined, *day)));
    }
    store.write(|c| kept::keep_organization(c, organization, &evaluated, revision, fingerprint))?;
    Ok(evaluated)
}

/// The PO-level evaluation of `organization` on `day`: kept, or computed now (one at a time per PO).
fn organization_on(
    store: &Store,
    catalogs: &CatalogSet,
    organization: OrganizationId,
    day: NaiveDate,
) -> StoreResult<OrganizationKept> {
    let fingerprint = catalogs.fingerprint();
    if let Some(found) = store.read(|c| kept::current_organization(c, organization, day, fingerprint))? {
        return Ok(found);
    }
    let turn = organization_turn(organization);
    let _turn = turn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(found) = store.read(|c| kept::current_organization(c, organization, day, fingerprint))? {
        return Ok(found);
    }
    let mut computed = compute_organization(store, catalogs, organization, &[day])?;
    computed
        .pop()
        .map(|(_, kept)| kept)
        .ok_or_else(|| internal("no PO-level evaluation was computed"))
}

/// The PO, its practices, and each practice's kept evaluation on `day` (computed for those that
/// have none current), in practice order.
fn practices_on(
    store: &Store,
    catalogs: &CatalogSet,
    organization: OrganizationId,
    day: NaiveDate,
    with_due: bool,
) -> StoreResult<(Organization, Vec<(Practice, PracticeKept)>)> {
    let fingerprint = catalogs.fingerprint();
    let (po, practices, mut current) = store.read(|c| {
        c.snapshot(|c| {
            let po = crate::store::organizations::get(c, organization)?;
            let practices = practices::all_of_organization(c, organization)?;
            let current: HashMap<PracticeId, PracticeKept> =
                kept::current_of_organization(c, organization, day, fingerprint, with_due)?
                    .into_iter()
                    .collect();
            Ok((po, practices, current))
        })
    })?;
    let missing: Vec<(PracticeId, Vec<NaiveDate>)> = practices
        .iter()
        .filter(|p| !current.contains_key(&p.id))
        .map(|p| (p.id, vec![day]))
        .collect();
    if !missing.is_empty() {
        current.extend(
            compute_practices(store, catalogs, &missing)?
                .into_iter()
                .map(|((id, _), kept)| (id, kept)),
        );
    }
    let rows = practices
        .into_iter()
        .map(|p| {
            let kept = current
                .remove(&p.id)
                .ok_or_else(|| internal(format!("practice {} was not evaluated", p.id)))?;
            Ok((p, kept))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((po, rows))
}

/// The PO's compliance matrix as of `as_of` from kept evaluations: the same answer as
/// [`crate::rules::view::organization_compliance`] over today's corrected records.
pub fn organization_compliance(
    store: &Store,
    catalogs: &CatalogSet,
    organization: OrganizationId,
    as_of: NaiveDate,
) -> StoreResult<OrganizationCompliance> {
    let (po, practices) = practices_on(store, catalogs, organization, as_of, false)?;
    let own = organization_on(store, catalogs, organization, as_of)?;
    rules::organization_compliance(catalogs, &po, practices.iter().map(|(p, k)| (p, k)), &own, as_of).map_err(internal)
}

/// Checks a due list's filter against the PO: the criterion must be one of the catalogs its
/// practices (or the PO) are assessed against, the practice one of its own.
fn check_due_filter(
    catalogs: &CatalogSet,
    practices: &[(Practice, PracticeKept)],
    own: &OrganizationKept,
    filter: &DueFilter,
) -> StoreResult<()> {
    if let Some(c) = &filter.criterion {
        let in_catalog = |id: &str, version: &str| {
            catalogs
                .named(id, version)
                .is_ok_and(|catalog| catalog.criteria.iter().any(|k| &k.id == c))
        };
        let known = in_catalog(&own.catalog_id, &own.catalog_version)
            || practices
                .iter()
                .any(|(p, _)| in_catalog(&p.catalog_id, &p.catalog_version));
        if !known {
            return Err(StoreError::invalid(
                "criterion",
                "known_criterion",
                format!("{c} is not a criterion of the catalogs this PO is assessed against"),
            ));
        }
    }
    if let Some(wanted) = filter.practice {
        if !practices.iter().any(|(p, _)| p.id == wanted) {
            return Err(StoreError::invalid(
                "practice_id",
                "same_organization",
                format!("{} is not a practice of this PO", wanted.0),
            ));
        }
    }
    Ok(())
}

/// What falls due or is overdue across the PO by `as_of + within` (at most
/// [`rules::KEPT_DUE_DAYS`] days), from kept evaluations; a criterion or practice the PO does not
/// have is refused naming the field.
pub fn organization_due(
    store: &Store,
    catalogs: &CatalogSet,
    organization: OrganizationId,
    as_of: NaiveDate,
    within: u32,
    filter: &DueFilter,
) -> StoreResult<Vec<OrganizationDueItem>> {
    let (_, practices) = practices_on(store, catalogs, organization, as_of, true)?;
    let own = organization_on(store, catalogs, organization, as_of)?;
    check_due_filter(catalogs, &practices, &own, filter)?;
    Ok(rules::organization_due(
        practices.iter().map(|(p, k)| (p, k)),
        &own,
        as_of,
        within.min(rules::KEPT_DUE_DAYS),
        filter,
    ))
}

/// The PO's trend at each month end from `from` to `to` (the last point at `to`), from kept
/// evaluations; returns the number of practices the PO has now beside the points.
pub fn organization_trend(
    store: &Store,
    catalogs: &CatalogSet,
    organization: OrganizationId,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<(usize, Vec<TrendPoint>)> {
    let days = crate::rules::organization::month_ends(from, to);
    let fingerprint = catalogs.fingerprint();
    // Every month's rows in one read; the practices without a current row for a day (records
    // changed since, or a day never kept) are evaluated now.
    let (practices, mut rows) = store.read(|c| {
        c.snapshot(|c| {
            let practices = practices::all_of_organization(c, organization)?;
            let rows: HashMap<(PracticeId, NaiveDate), PracticeKept> =
                kept::current_cells_on_days(c, organization, &days, fingerprint)?
                    .into_iter()
                    .map(|(p, d, k)| ((p, d), k))
                    .collect();
            Ok((practices, rows))
        })
    })?;
    let missing: Vec<(PracticeId, Vec<NaiveDate>)> = practices
        .iter()
        .map(|p| {
            let days: Vec<NaiveDate> = days
                .iter()
                .copied()
                .filter(|d| !rows.contains_key(&(p.id, *d)))
                .collect();
            (p.id, days)
        })
        .filter(|(_, days)| !days.is_empty())
        .collect();
    if !missing.is_empty() {
        rows.extend(compute_practices(store, catalogs, &missing)?);
    }
    let mut points = Vec::with_capacity(days.len());
    for day in &days {
        let own = organization_on(store, catalogs, organization, *day)?;
        let kept = practices
            .iter()
            .map(|p| {
                rows.remove(&(p.id, *day))
                    .map(|k| (p, k))
                    .ok_or_else(|| internal(format!("practice {} was not evaluated for {day}", p.id)))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let point = rules::trend_point_of(catalogs, *day, kept.iter().map(|(p, k)| (*p, k)), &own);
        points.push(point.map_err(internal)?);
    }
    Ok((practices.len(), points))
}

/// The days the views read by default, as of `now`: today in UTC and in each of `zones`, and the
/// last day of each of the 12 months before this one (the trend's).
pub fn default_days<'a>(now: DateTime<Utc>, zones: impl IntoIterator<Item = &'a str>) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = vec![now.date_naive()];
    for zone in zones {
        if let Ok(tz) = zone.parse::<chrono_tz::Tz>() {
            days.push(now.with_timezone(&tz).date_naive());
        }
    }
    let mut month = now.date_naive().with_day(1).unwrap_or(now.date_naive());
    for _ in 0..12 {
        match month.pred_opt() {
            Some(last) => {
                days.push(month_end(last));
                month = last.with_day(1).unwrap_or(last);
            }
            None => break,
        }
    }
    days.sort();
    days.dedup();
    days
}

/// How often at most the worker recomputes a PO's own criteria while its records keep changing:
/// each computation reads the staff, trainings, documents, reports and attestations of the whole
/// PO (about half a second for a thousand practices). A view that finds them stale meanwhile
/// computes the day it needs itself.
const ORGANIZATION_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether the worker may recompute `organization`'s own criteria now (at most once every
/// [`ORGANIZATION_EVERY`] per process); if so, notes that it does.
fn worker_may_compute(organization: OrganizationId) -> bool {
    static LAST: OnceLock<Mutex<HashMap<OrganizationId, std::time::Instant>>> = OnceLock::new();
    let mut last = LAST
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let now = std::time::Instant::now();
    match last.get(&organization) {
        Some(at) if now.duration_since(*at) < ORGANIZATION_EVERY => false,
        _ => {
            last.insert(organization, now);
            true
        }
    }
}

/// What one pass of [`refresh`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Practice evaluations computed and kept.
    pub practices: usize,
    /// PO-level evaluations computed and kept.
    pub organizations: usize,
    /// Kept evaluations of past days no view reads by default, forgotten.
    pub forgotten: usize,
    /// Whether evaluations are still missing (more than one pass computes).
    pub more: bool,
}

/// One pass of the background worker: computes and keeps the missing or stale evaluations of the
/// days the views read by default (at most `limit` practices), the PO-level ones of POs whose
/// kept one is stale, and forgets kept days no longer read.
pub fn refresh(store: &Store, catalogs: &CatalogSet, now: DateTime<Utc>, limit: usize) -> StoreResult<Refreshed> {
    let fingerprint = catalogs.fingerprint();
    let everyone = store.read(kept::practices_everywhere)?;
    let zones: HashSet<&str> = everyone.iter().map(|(_, _, zone)| zone.as_str()).collect();
    let days = default_days(now, zones);
    let (current, organizations_current) = store.read(|c| {
        Ok((
            kept::current_days(c, None, &days, fingerprint)?,
            kept::current_organization_days(c, &days, fingerprint)?,
        ))
    })?;
    let missing: Vec<(PracticeId, Vec<NaiveDate>)> = everyone
        .iter()
        .map(|(p, _, _)| {
            let days: Vec<NaiveDate> = days.iter().copied().filter(|d| !current.contains(&(*p, *d))).collect();
            (*p, days)
        })
        .filter(|(_, days)| !days.is_empty())
        .collect();
    let more = missing.len() > limit;
    let mut refreshed = Refreshed {
        more,
        ..Refreshed::default()
    };
    let missing = &missing[..missing.len().min(limit)];
    compute_practices(store, catalogs, missing)?;
    refreshed.practices = missing.iter().map(|(_, days)| days.len()).sum();
    let organizations: HashSet<OrganizationId> = everyone.iter().map(|(_, o, _)| *o).collect();
    for organization in organizations {
        let stale: Vec<NaiveDate> = days
            .iter()
            .copied()
            .filter(|d| !organizations_current.contains(&(organization, *d)))
            .collect();
        if stale.is_empty() || !worker_may_compute(organization) {
            continue;
        }
        // Today's first, in a turn of their own: a view waiting for the PO's turn waits for
        // those, not for the twelve month ends as well.
        let (recent, month_ends): (Vec<NaiveDate>, Vec<NaiveDate>) = stale
            .into_iter()
            .partition(|d| *d >= now.date_naive().pred_opt().unwrap_or(*d));
        for group in [recent, month_ends] {
            if group.is_empty() {
                continue;
            }
            let turn = organization_turn(organization);
            let _turn = turn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            compute_organization(store, catalogs, organization, &group)?;
            refreshed.organizations += group.len();
        }
    }
    let oldest = days.first().copied().unwrap_or(now.date_naive());
    let before = now.date_naive().pred_opt().and_then(|d| d.pred_opt()).unwrap_or(oldest);
    refreshed.forgotten = store.write(|c| kept::forget_days_before(c, before, &days))?;
    Ok(refreshed)
}

/// The criteria a PO is assessed against, with their titles, in order: the practice-level ones of
/// its practices' catalog versions and the PO-level ones of its own (for forms that filter by one).
pub fn criteria_of(catalogs: &CatalogSet, practices: &[Practice], as_of: NaiveDate) -> Vec<(CriterionId, String)> {
    let mut criteria: Vec<(CriterionId, String)> = Vec::new();
    let mut add = |catalog: &crate::catalog::Catalog, scope: Scope| {
        for k in catalog.criteria.iter().filter(|k| k.scope == scope) {
            if !criteria.iter().any(|(c, _)| *c == k.id) {
                criteria.push((k.id.clone(), k.title.clone()));
            }
        }
    };
    for p in practices {
        if let Ok(catalog) = catalogs.named(&p.catalog_id, &p.catalog_version) {
            add(catalog, Scope::Practice);
        }
    }
    if let Ok(catalog) = organization_catalog(catalogs, practices, as_of) {
        add(catalog, Scope::PhysicianOrganization);
    }
    criteria.sort_by(|a, b| a.0.cmp(&b.0));
    criteria
}
