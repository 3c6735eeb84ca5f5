//! The compliance views users read: a practice's criteria with their attestations, and a PO's
//! matrix, due list and trend. Each is a pure function of the catalogs, the records and a date;
//! the HTTP handlers, the auditor packet and the benchmarks all call these same functions.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::attestations::current_attestations;
use super::attested::{self, Agreement, AgreementStatus, DueWindow, WindowedDue};
use super::organization::{
    merge_due, month_ends, retain_scope, statuses, tally_per_criterion, trend_point, CriterionDue, CriterionTally,
    DueFilter, OrganizationDueItem, TrendPoint,
};
use super::{evaluate_all, CriterionResult, Evaluation, Status};
use crate::catalog::{Catalog, CatalogNotLoaded, CatalogSet, Scope};
use crate::ids::CriterionId;
use crate::records::{Attestation, Organization, OrganizationRecords, Practice, Records};

/// How many criteria have each status, and how many need attention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StatusCounts {
    /// Met.
    pub met: usize,
    /// Partially met.
    pub partially_met: usize,
    /// Not met.
    pub not_met: usize,
    /// Not applicable.
    pub not_applicable: usize,
    /// Criteria whose current attestation disagrees with the computed status.
    pub disagreements: usize,
    /// Criteria whose current attestation was made under an earlier catalog version and no longer holds.
    pub needs_reattestation: usize,
    /// Criteria with something overdue or due within 30 days.
    pub due_within_30_days: usize,
}

impl StatusCounts {
    /// Counts one criterion: its status, whether it disagrees with its attestation, whether it
    /// needs re-attestation, and whether something of it is overdue or due within 30 days.
    pub(crate) fn add(&mut self, status: Status, disagreement: bool, needs_reattestation: bool, due_soon: bool) {
        match status {
            Status::Met => self.met += 1,
            Status::PartiallyMet => self.partially_met += 1,
            Status::NotMet => self.not_met += 1,
            Status::NotApplicable => self.not_applicable += 1,
        }
        self.disagreements += usize::from(disagreement);
        self.needs_reattestation += usize::from(needs_reattestation);
        self.due_within_30_days += usize::from(due_soon);
    }
}

/// One criterion's computed status beside its current attestation.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AttestedCriterion {
    /// The computed status, its reasons, supporting records and what falls due within 90 days.
    #[serde(flatten)]
    pub result: CriterionResult,
    /// The attestation in force on the day evaluated, if any.
    pub attestation: Option<Attestation>,
    /// Whether the computed status and the attestation say the same.
    pub agreement: Agreement,
    /// Whether the attestation no longer holds under the catalog version evaluated.
    pub needs_reattestation: bool,
    /// Why it needs a new attestation, in plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reattestation_reason: Option<String>,
    /// What is overdue or falls due within 90 days, each with its window (overdue, within_30_days,
    /// within_60_days, within_90_days).
    pub due_windows: Vec<WindowedDue>,
}

/// A practice's compliance with its catalog version, criterion by criterion.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PracticeCompliance {
    /// The practice.
    pub practice: Practice,
    /// The day evaluated.
    pub as_of: NaiveDate,
    /// The catalog evaluated against.
    pub catalog_id: String,
    /// Its version.
    pub catalog_version: String,
    /// How many criteria have each status, disagree with their attestation, or need re-attestation.
    pub summary: StatusCounts,
    /// One result per criterion, in catalog order.
    pub criteria: Vec<AttestedCriterion>,
    /// The records evaluated: today's corrected ones (voided records left out), or those known
    /// on a past day (`as_known_on`).
    pub basis: crate::records::Basis,
}

/// Whether `subject` assesses `criterion` under `catalog` (a criterion the catalog does not have
/// counts as assessed, so that nothing is hidden).
fn assessed_here(catalog: &Catalog, criterion: &CriterionId, subject: Scope) -> bool {
    catalog.criterion(criterion).is_none_or(|c| c.scope == subject)
}

/// Whether something of `due` is overdue or due within 30 days of `as_of`.
pub(crate) fn due_soon(as_of: NaiveDate, due: &[super::DueItem]) -> bool {
    due.iter()
        .any(|d| attested::window(as_of, d.due_on).is_some_and(|w| w <= DueWindow::Within30Days))
}

/// The current attestation `subject` compares `result` with, and how they compare: none, and
/// "not assessed here", for a criterion assessed at the other level.
pub(crate) fn compared<'a>(
    catalog: &Catalog,
    current: &HashMap<&CriterionId, &'a Attestation>,
    result: &CriterionResult,
    subject: Scope,
) -> (Option<&'a Attestation>, AgreementStatus) {
    if !assessed_here(catalog, &result.criterion, subject) {
        return (None, AgreementStatus::NotAssessedHere);
    }
    let attestation = current.get(&result.criterion).copied();
    (attestation, attested::agreement_status(result.status, attestation))
}

/// Puts each result beside the current attestation of its criterion in `records`, and counts them.
///
/// A criterion `subject` does not assess (a PO-level one in a practice's view) is shown without
/// an attestation: the PO's attestation of it is compared in the PO's view, not once per practice.
pub fn attest_results(
    catalogs: &CatalogSet,
    catalog: &Catalog,
    records: &Records,
    results: Vec<CriterionResult>,
    as_of: NaiveDate,
    subject: Scope,
) -> (Vec<AttestedCriterion>, StatusCounts) {
    let current = current_attestations(records, as_of);
    let mut summary = StatusCounts::default();
    let criteria = results
        .into_iter()
        .map(|result| {
            let (attestation, status) = compared(catalog, &current, &result, subject);
            let agreement = match status {
                AgreementStatus::NotAssessedHere => attested::not_assessed_here(&result.criterion, subject),
                _ => attested::compare(&result.criterion, result.status, attestation),
            };
            let reattestation_reason = attestation.and_then(|a| attested::needs_reattestation(catalogs, catalog, a));
            summary.add(
                result.status,
                agreement.disagreement,
                reattestation_reason.is_some(),
                due_soon(as_of, &result.due),
            );
            let due_windows = attested::bucket(as_of, &result.due);
            AttestedCriterion {
                attestation: attestation.cloned(),
                result,
                agreement,
                needs_reattestation: reattestation_reason.is_some(),
                reattestation_reason,
                due_windows,
            }
        })
        .collect();
    (criteria, summary)
}

/// Evaluates every criterion of the practice's catalog version as of `as_of`, each beside its
/// current attestation, looking 90 days ahead.
pub fn practice_compliance(
    catalogs: &CatalogSet,
    practice: Practice,
    records: &Records,
    as_of: NaiveDate,
) -> Result<PracticeCompliance, CatalogNotLoaded> {
    let catalog = catalogs.named(&practice.catalog_id, &practice.catalog_version)?;
    let evaluation = Evaluation {
        due_within_days: attested::DUE_HORIZON_DAYS,
        ..Evaluation::for_practice(catalog, records, as_of)
    };
    let (criteria, summary) = attest_results(
        catalogs,
        catalog,
        records,
        evaluate_all(&evaluation),
        as_of,
        Scope::Practice,
    );
    Ok(PracticeCompliance {
        catalog_id: practice.catalog_id.clone(),
        catalog_version: practice.catalog_version.clone(),
        practice,
        as_of,
        summary,
        criteria,
        basis: crate::records::Basis::corrected(),
    })
}

/// One cell of the matrix: a practice's status on a criterion and how its attestation stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MatrixCell {
    /// The criterion.
    pub criterion: CriterionId,
    /// The practice's computed status on it.
    pub status: Status,
    /// Whether the practice's current attestation agrees with it (or there is none).
    pub agreement: AgreementStatus,
    /// Whether the current attestation was made under an earlier catalog version and no longer holds.
    pub needs_reattestation: bool,
}

/// One row of the matrix: a practice, evaluated against its own catalog version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PracticeRow {
    /// The practice.
    pub practice: Practice,
    /// The catalog version it is evaluated against.
    pub catalog_version: String,
    /// How many of its criteria have each status, disagree with their attestation, need
    /// re-attestation or have something due within 30 days.
    pub summary: StatusCounts,
    /// Its status on every criterion of its catalog version, in catalog order.
    pub criteria: Vec<MatrixCell>,
}

/// A PO's compliance: every practice × every criterion, and the PO-level criteria.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganizationCompliance {
    /// The PO.
    pub organization: Organization,
    /// The day evaluated.
    pub as_of: NaiveDate,
    /// The catalog the PO-level criteria are evaluated against.
    pub catalog_id: String,
    /// Its version: the newest its practices are assessed against.
    pub catalog_version: String,
    /// Per criterion, how many practices have each status.
    pub criteria: Vec<CriterionTally>,
    /// One row per practice, by id.
    pub practices: Vec<PracticeRow>,
    /// How many PO-level criteria have each status, disagree with their attestation or need
    /// re-attestation.
    pub organization_summary: StatusCounts,
    /// The PO-level criteria, evaluated over all of the PO's practices and its own records, each
    /// beside the PO's current attestation.
    pub organization_criteria: Vec<AttestedCriterion>,
    /// The records evaluated: today's corrected ones (voided records left out), or those known
    /// on a past day (`as_known_on`).
    pub basis: crate::records::Basis,
}

/// The catalog the PO-level criteria of `loaded` are evaluated against: the newest version its
/// practices use (the one in force on `as_of` when it has none).
pub fn organization_catalog<'a>(
    catalogs: &'a CatalogSet,
    loaded: &OrganizationRecords,
    as_of: NaiveDate,
) -> Result<&'a Catalog, CatalogNotLoaded> {
    catalogs.for_organization(
        loaded
            .practices
            .iter()
            .map(|(p, _)| (p.catalog_id.as_str(), p.catalog_version.as_str())),
        as_of,
    )
}

/// The PO-level criteria of `po_catalog` evaluated over the combined records.
fn organization_results(
    po_catalog: &Catalog,
    loaded: &OrganizationRecords,
    as_of: NaiveDate,
    within: u32,
) -> Vec<CriterionResult> {
    let evaluation = Evaluation {
        due_within_days: within,
        ..Evaluation::for_organization(po_catalog, &loaded.combined, as_of)
    };
    let mut results = evaluate_all(&evaluation);
    retain_scope(po_catalog, &mut results, Scope::PhysicianOrganization);
    results
}

/// Evaluates one practice against its own catalog version.
fn practice_results<'a>(
    catalogs: &'a CatalogSet,
    practice: &Practice,
    records: &Records,
    as_of: NaiveDate,
    within: u32,
) -> Result<(&'a Catalog, Vec<CriterionResult>), CatalogNotLoaded> {
    let catalog = catalogs.named(&practice.catalog_id, &practice.catalog_version)?;
    let evaluation = Evaluation {
        due_within_days: within,
        ..Evaluation::for_practice(catalog, records, as_of)
    };
    Ok((catalog, evaluate_all(&evaluation)))
}

/// Fewer practices than this are evaluated on the calling thread alone.
const PARALLEL_FROM: usize = 64;

/// `work` done for every practice of `loaded`, spread over the machine's cores (the rules are
/// pure, so practices are independent); the results come back in practice order.
fn per_practice<'a, R: Send>(
    loaded: &'a OrganizationRecords,
    work: impl Fn(&'a Practice, &'a Records) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads == 1 || loaded.practices.len() < PARALLEL_FROM {
        return loaded.practices.iter().map(|(p, r)| work(p, r)).collect();
    }
    let chunk = loaded.practices.len().div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        let parts: Vec<_> = loaded
            .practices
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|(p, r)| work(p, r)).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// A practice's row of the matrix.
fn matrix_row(
    catalogs: &CatalogSet,
    practice: &Practice,
    records: &Records,
    as_of: NaiveDate,
) -> Result<PracticeRow, CatalogNotLoaded> {
    let (catalog, results) = practice_results(catalogs, practice, records, as_of, 30)?;
    let current = current_attestations(records, as_of);
    let mut summary = StatusCounts::default();
    let criteria = results
        .into_iter()
        .map(|result| {
            let (attestation, agreement) = compared(catalog, &current, &result, Scope::Practice);
            let needs_reattestation =
                attestation.is_some_and(|a| attested::needs_reattestation(catalogs, catalog, a).is_some());
            summary.add(
                result.status,
                agreement == AgreementStatus::Disagrees,
                needs_reattestation,
                due_soon(as_of, &result.due),
            );
            MatrixCell {
                criterion: result.criterion,
                status: result.status,
                agreement,
                needs_reattestation,
            }
        })
        .collect();
    Ok(PracticeRow {
        practice: practice.clone(),
        catalog_version: practice.catalog_version.clone(),
        summary,
        criteria,
    })
}

/// The PO's matrix as of `as_of`: every practice against its own catalog version (each cell with
/// its attestation's agreement and re-attestation flag), counts per criterion and per practice,
/// and the PO-level criteria over all practices beside the PO's attestations.
pub fn organization_compliance(
    catalogs: &CatalogSet,
    loaded: &OrganizationRecords,
    as_of: NaiveDate,
) -> Result<OrganizationCompliance, CatalogNotLoaded> {
    let po_catalog = organization_catalog(catalogs, loaded, as_of)?;
    let rows = per_practice(loaded, |practice, records| {
        matrix_row(catalogs, practice, records, as_of)
    })
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    let criteria = tally_per_criterion(
        rows.iter()
            .map(|row| row.criteria.iter().map(|c| (&c.criterion, c.status))),
    );
    let organization = organization_results(po_catalog, loaded, as_of, attested::DUE_HORIZON_DAYS);
    let (organization_criteria, organization_summary) = attest_results(
        catalogs,
        po_catalog,
        &loaded.combined,
        organization,
        as_of,
        Scope::PhysicianOrganization,
    );
    Ok(OrganizationCompliance {
        organization: loaded.organization.clone(),
        as_of,
        catalog_id: po_catalog.id.to_string(),
        catalog_version: po_catalog.version.to_string(),
        criteria,
        practices: rows,
        organization_summary,
        organization_criteria,
        basis: crate::records::Basis::corrected(),
    })
}

/// Every item overdue or due by `as_of + within` across the PO's practices and the PO itself,
/// by date, kept to what `filter` asks for.
pub fn organization_due(
    catalogs: &CatalogSet,
    loaded: &OrganizationRecords,
    as_of: NaiveDate,
    within: u32,
    filter: &DueFilter,
) -> Result<Vec<OrganizationDueItem>, CatalogNotLoaded> {
    let po_catalog = organization_catalog(catalogs, loaded, as_of)?;
    let practices = per_practice(loaded, |practice, records| {
        practice_results(catalogs, practice, records, as_of, within)
            .map(|(_, results)| (practice, CriterionDue::of_results(&results)))
    })
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    let organization = CriterionDue::of_results(&organization_results(po_catalog, loaded, as_of, within));
    let sources = practices
        .iter()
        .map(|(p, r)| (Some(*p), r.as_slice()))
        .chain(std::iter::once((None, organization.as_slice())));
    Ok(merge_due(sources, filter))
}

/// Per month end from `from` to `to`, how many practices had each status on each practice-level
/// criterion, and the PO-level criteria's statuses. A practice counts from the day it joined the
/// PO on (always, when that day is not known).
pub fn organization_trend(
    catalogs: &CatalogSet,
    loaded: &OrganizationRecords,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<TrendPoint>, CatalogNotLoaded> {
    month_ends(from, to)
        .into_iter()
        .map(|day| {
            let po_catalog = organization_catalog(catalogs, loaded, day)?;
            let practices = per_practice(loaded, |practice, records| {
                if practice.joined_on.is_some_and(|joined| joined > day) {
                    return Ok(None);
                }
                practice_results(catalogs, practice, records, day, 0).map(|(catalog, mut results)| {
                    retain_scope(catalog, &mut results, Scope::Practice);
                    Some(statuses(&results))
                })
            })
            .into_iter()
            .filter_map(Result::transpose)
            .collect::<Result<Vec<_>, _>>()?;
            let organization = statuses(&organization_results(po_catalog, loaded, day, 0));
            Ok(trend_point(day, practices.iter().map(|r| r.as_slice()), &organization))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::attested::tests::{attestation, catalogs};
    use super::super::fixtures::*;
    use super::*;
    use crate::ids::{OrganizationId, PracticeId};
    use crate::records::Owner;

    const AS_OF: &str = "2026-11-24";

    fn practice(id: i64, version: &str) -> Practice {
        Practice {
            id: PracticeId(id),
            organization_id: OrganizationId(1),
            name: format!("Practice {id}"),
            initial_focus_population: None,
            catalog_id: "test".into(),
            catalog_version: version.into(),
            joined_on: None,
            time_zone: crate::records::DEFAULT_TIME_ZONE.into(),
        }
    }

    /// Practice 1 on 1.0.0 and practice 2 on 1.1.0, each with attestations of 4.1 (kept by
    /// 1.1.0) and 4.2 (changed by 1.1.0) made under 1.0.0.
    fn organization() -> OrganizationRecords {
        let mut practices = Vec::new();
        let mut combined = Records::default();
        for (id, version) in [(1, "1.0.0"), (2, "1.1.0")] {
            let practice = practice(id, version);
            let mut records = Records {
                practices: vec![practice.clone()],
                ..Records::default()
            };
            for (n, criterion) in ["4.1", "4.2"].into_iter().enumerate() {
                let mut made = attestation(criterion, "1.0.0");
                made.id = crate::ids::AttestationId(id * 10 + n as i64);
                made.owner = Owner::Practice(practice.id);
                records.attestations.push(made);
            }
            combined.attestations.extend(records.attestations.iter().cloned());
            combined.practices.push(practice.clone());
            practices.push((practice, records));
        }
        OrganizationRecords {
            organization: Organization {
                id: OrganizationId(1),
                name: "PO".into(),
            },
            practices,
            combined,
        }
    }

    #[test]
    fn each_cell_says_what_the_practice_view_says() {
        let set = CatalogSet::from_catalogs(catalogs());
        let loaded = organization();
        let matrix = organization_compliance(&set, &loaded, d(AS_OF)).unwrap();
        assert_eq!(matrix.catalog_version, "1.1.0", "the newest version its practices use");
        assert_eq!(matrix.practices.len(), 2);
        for (row, (practice, records)) in matrix.practices.iter().zip(&loaded.practices) {
            let own = practice_compliance(&set, practice.clone(), records, d(AS_OF)).unwrap();
            assert_eq!(row.summary, own.summary, "practice {}", practice.id.0);
            assert_eq!(row.catalog_version, own.catalog_version);
            assert_eq!(row.criteria.len(), own.criteria.len());
            for (cell, full) in row.criteria.iter().zip(&own.criteria) {
                assert_eq!(cell.criterion, full.result.criterion);
                assert_eq!(cell.status, full.result.status);
                assert_eq!(cell.agreement, full.agreement.status);
                assert_eq!(cell.needs_reattestation, full.needs_reattestation);
            }
        }
        let flag = |row: usize, criterion: &str| {
            matrix.practices[row]
                .criteria
                .iter()
                .find(|c| c.criterion == cid(criterion))
                .map(|c| c.needs_reattestation)
        };
        assert_eq!(
            flag(0, "4.2"),
            Some(false),
            "still on the version it was attested under"
        );
        assert_eq!(flag(1, "4.2"), Some(true), "changed by 1.1.0");
        assert_eq!(flag(1, "4.1"), Some(false), "kept by 1.1.0");
        assert_eq!(matrix.practices[1].summary.needs_reattestation, 1);
        // 4.4 is only in 1.0.0 and 4.5 only in 1.1.0: each counts the one practice that has it.
        let tally = |criterion: &str| {
            let t = matrix.criteria.iter().find(|t| t.criterion == cid(criterion)).unwrap();
            t.counts.met + t.counts.partially_met + t.counts.not_met + t.counts.not_applicable
        };
        assert_eq!((tally("4.1"), tally("4.4"), tally("4.5")), (2, 1, 1));
        assert!(
            matrix.organization_criteria.is_empty(),
            "the test catalogs have no PO-level criteria"
        );
    }

    #[test]
    fn many_practices_are_evaluated_in_parallel_and_kept_in_order() {
        let set = CatalogSet::from_catalogs(catalogs());
        let mut loaded = organization();
        let template = loaded.practices.clone();
        loaded.practices = (0..(PARALLEL_FROM as i64 * 2 + 3))
            .map(|n| {
                let (mut practice, records) = template[(n % 2) as usize].clone();
                practice.id = PracticeId(n + 1);
                practice.name = format!("Practice {}", n + 1);
                (practice, records)
            })
            .collect();
        let matrix = organization_compliance(&set, &loaded, d(AS_OF)).unwrap();
        assert_eq!(matrix.practices.len(), loaded.practices.len());
        for (row, (practice, records)) in matrix.practices.iter().zip(&loaded.practices) {
            assert_eq!(row.practice.id, practice.id, "rows stay in practice order");
            let alone = matrix_row(&set, practice, records, d(AS_OF)).unwrap();
            assert_eq!(row.criteria, alone.criteria);
            assert_eq!(row.summary, alone.summary);
        }
        let due = organization_due(&set, &loaded, d(AS_OF), 60, &DueFilter::default()).unwrap();
        let mut sorted = due.clone();
        sorted.sort_by_key(|item| item.due_on);
        assert_eq!(
            due.iter().map(|i| i.due_on).collect::<Vec<_>>(),
            sorted.iter().map(|i| i.due_on).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_trend_counts_a_practice_from_the_day_it_joined() {
        let set = CatalogSet::from_catalogs(catalogs());
        let mut loaded = organization();
        loaded.practices[1].0.joined_on = Some(d("2026-10-15"));
        let points = organization_trend(&set, &loaded, d("2026-09-01"), d("2026-11-24")).unwrap();
        let counted: Vec<(String, usize)> = points.iter().map(|p| (p.month.clone(), p.practices)).collect();
        assert_eq!(
            counted,
            [("2026-09".into(), 1), ("2026-10".into(), 2), ("2026-11".into(), 2)]
        );
        let tally = |point: &TrendPoint, criterion: &str| {
            let t = point.criteria.iter().find(|t| t.criterion == cid(criterion)).unwrap();
            t.counts.met + t.counts.partially_met + t.counts.not_met + t.counts.not_applicable
        };
        assert_eq!(tally(&points[0], "4.1"), 1, "only the practice that was a member");
        assert_eq!(tally(&points[1], "4.1"), 2);
    }

    #[test]
    fn a_practice_on_an_unloaded_version_is_named() {
        let set = CatalogSet::from_catalogs(catalogs());
        let mut loaded = organization();
        loaded.practices[1].0.catalog_version = "7.0.0".into();
        let error = organization_compliance(&set, &loaded, d(AS_OF)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "catalog test 7.0.0 is named by a stored record but is not loaded"
        );
    }

    #[test]
    fn a_po_moves_all_its_practices_or_none() {
        let set = CatalogSet::from_catalogs(catalogs());
        let practices = [practice(1, "1.0.0"), practice(2, "1.1.0")];
        let plan = attested::plan_organization_upgrade(&set, &practices, " 1.1.0 ").unwrap();
        assert_eq!(plan.moving.len(), 1);
        assert_eq!(plan.moving[0].0, PracticeId(1));
        assert_eq!(plan.moving[0].1.version.to_string(), "1.1.0");
        assert_eq!(plan.already, vec![PracticeId(2)]);
        let plan = attested::plan_organization_upgrade(&set, &practices, "1.2.0").unwrap();
        assert_eq!(plan.moving.len(), 2, "1.2.0 maps from 1.1.0, which maps from 1.0.0");
        let refused = |version: &str, practices: &[Practice]| {
            attested::plan_organization_upgrade(&set, practices, version).unwrap_err()
        };
        assert_eq!(
            refused("1.0.0", &practices),
            "practice 2 (Practice 2) is already assessed against test 1.1.0, later than 1.0.0"
        );
        assert_eq!(
            refused("9.0.0", &practices),
            "test has no version 9.0.0 (known: 1.0.0, 1.1.0, 1.2.0)",
            "an unknown version is refused without naming a practice"
        );
        assert!(refused("1.1.0", &[]).contains("no practices"));
        assert_eq!(
            refused("1.1.0", &practices[1..]),
            "every practice of the PO is already assessed against 1.1.0"
        );
    }
}
