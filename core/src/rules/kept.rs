//! Kept evaluations: what the PO-wide views need of one practice's evaluation on one day (and of
//! the PO-level criteria's), in the compact form kept between requests, and the views rebuilt
//! from it. Pure functions: the store keeps and reads the rows, `actions::kept` decides when to
//! compute them.
//!
//! A practice's kept evaluation holds, per criterion of its catalog version in catalog order,
//! four letters (status, agreement with the current attestation, whether it needs re-attestation,
//! whether something is due within 30 days) and what falls due within [`KEPT_DUE_DAYS`]: enough
//! to rebuild its row of the matrix, its statuses in the trend and its part of the due list,
//! exactly as [`super::view`] computes them from the records.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::attested::{self, AgreementStatus, DUE_HORIZON_DAYS};
use super::organization::{merge_due, retain_scope, tally_per_criterion, trend_point, CriterionDue, DueFilter};
use super::organization::{OrganizationDueItem, TrendPoint};
use super::view::{self, AttestedCriterion, MatrixCell, OrganizationCompliance, PracticeRow, StatusCounts};
use super::{current_attestations, evaluate_all, Evaluation, Status};
use crate::catalog::{Catalog, CatalogNotLoaded, CatalogSet, Scope};
use crate::ids::CriterionId;
use crate::records::{Organization, Practice, Records};

/// How far ahead a kept evaluation lists what falls due: the longest look-ahead the due list
/// accepts, so that any shorter one is a filter of it.
pub const KEPT_DUE_DAYS: u32 = 366;

/// One practice's evaluation on one day, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeKept {
    /// The catalog version it was evaluated against.
    pub catalog_version: String,
    /// Four letters per criterion of that version, in catalog order (see [`encode_cell`]).
    pub cells: String,
    /// What falls due within [`KEPT_DUE_DAYS`] (overdue included), per criterion that has any.
    pub due: Vec<CriterionDue>,
}

/// The PO-level criteria's evaluation on one day, as kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationKept {
    /// The catalog the PO-level criteria were evaluated against.
    pub catalog_id: String,
    /// Its version.
    pub catalog_version: String,
    /// The PO-level criteria beside the PO's attestations, looking 90 days ahead (the matrix's).
    pub criteria: Vec<AttestedCriterion>,
    /// Their counts.
    pub summary: StatusCounts,
    /// Their statuses in catalog order (the trend's).
    pub statuses: Vec<(CriterionId, Status)>,
    /// What falls due within [`KEPT_DUE_DAYS`], per criterion that has any.
    pub due: Vec<CriterionDue>,
}

/// Why a kept evaluation could not be read back: it was written by another catalog than the one
/// loaded now (the fingerprint makes this rare), or it is damaged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a kept evaluation cannot be read: {0}")]
pub struct KeptUnreadable(pub String);

fn status_letter(status: Status) -> char {
    match status {
        Status::Met => 'M',
        Status::PartiallyMet => 'P',
        Status::NotMet => 'N',
        Status::NotApplicable => 'A',
    }
}

fn letter_status(letter: u8) -> Option<Status> {
    Some(match letter {
        b'M' => Status::Met,
        b'P' => Status::PartiallyMet,
        b'N' => Status::NotMet,
        b'A' => Status::NotApplicable,
        _ => return None,
    })
}

fn agreement_letter(agreement: AgreementStatus) -> char {
    match agreement {
        AgreementStatus::Agrees => 'a',
        AgreementStatus::Disagrees => 'd',
        AgreementStatus::Unattested => 'u',
        AgreementStatus::NotAssessedHere => 'x',
    }
}

fn letter_agreement(letter: u8) -> Option<AgreementStatus> {
    Some(match letter {
        b'a' => AgreementStatus::Agrees,
        b'd' => AgreementStatus::Disagrees,
        b'u' => AgreementStatus::Unattested,
        b'x' => AgreementStatus::NotAssessedHere,
        _ => return None,
    })
}

/// The four letters of one criterion: status (M, P, N, A), agreement (a, d, u, x), needs
/// re-attestation (r or -), something overdue or due within 30 days (s or -).
pub fn encode_cell(cell: &MatrixCell, due_soon: bool) -> [char; 4] {
    [
        status_letter(cell.status),
        agreement_letter(cell.agreement),
        if cell.needs_reattestation { 'r' } else { '-' },
        if due_soon { 's' } else { '-' },
    ]
}

/// Evaluates one practice as of `day` into what is kept of it.
pub fn practice_kept(
    catalogs: &CatalogSet,
    practice: &Practice,
    records: &Records,
    day: NaiveDate,
) -> Result<PracticeKept, CatalogNotLoaded> {
    let catalog = catalogs.named(&practice.catalog_id, &practice.catalog_version)?;
    let evaluation = Evaluation {
        due_within_days: KEPT_DUE_DAYS,
        ..Evaluation::for_practice(catalog, records, day)
    };
    let results = evaluate_all(&evaluation);
    let current = current_attestations(records, day);
    let mut cells = String::with_capacity(results.len() * 4);
    let mut due = Vec::new();
    for result in results {
        let (attestation, agreement) = view::compared(catalog, &current, &result, Scope::Practice);
        let cell = MatrixCell {
            criterion: result.criterion.clone(),
            status: result.status,
            agreement,
            needs_reattestation: attestation
                .is_some_and(|a| attested::needs_reattestation(catalogs, catalog, a).is_some()),
        };
        cells.extend(encode_cell(&cell, view::due_soon(day, &result.due)));
        if !result.due.is_empty() {
            due.push(CriterionDue {
                criterion: result.criterion,
                items: result.due,
            });
        }
    }
    Ok(PracticeKept {
        catalog_version: practice.catalog_version.clone(),
        cells,
        due,
    })
}

/// The catalog a practice's kept evaluation was made against.
fn kept_catalog<'a>(
    catalogs: &'a CatalogSet,
    practice: &Practice,
    kept: &PracticeKept,
) -> Result<&'a Catalog, KeptUnreadable> {
    catalogs
        .named(&practice.catalog_id, &kept.catalog_version)
        .map_err(|e| KeptUnreadable(e.to_string()))
}

/// The cells of a kept evaluation, each with its due-soon flag, against the criteria of `catalog`.
fn decode_cells(catalog: &Catalog, kept: &PracticeKept) -> Result<Vec<(MatrixCell, bool)>, KeptUnreadable> {
    let bytes = kept.cells.as_bytes();
    if bytes.len() != catalog.criteria.len() * 4 {
        return Err(KeptUnreadable(format!(
            "{} letters for {} criteria",
            bytes.len(),
            catalog.criteria.len()
        )));
    }
    catalog
        .criteria
        .iter()
        .zip(bytes.chunks(4))
        .map(|(criterion, letters)| {
            let bad = || {
                KeptUnreadable(format!(
                    "{criterion}: {:?}",
                    String::from_utf8_lossy(letters),
                    criterion = criterion.id
                ))
            };
            Ok((
                MatrixCell {
                    criterion: criterion.id.clone(),
                    status: letter_status(letters[0]).ok_or_else(bad)?,
                    agreement: letter_agreement(letters[1]).ok_or_else(bad)?,
                    needs_reattestation: letters[2] == b'r',
                },
                letters[3] == b's',
            ))
        })
        .collect()
}

/// A practice's row of the matrix, rebuilt from what is kept of it.
pub fn matrix_row(
    catalogs: &CatalogSet,
    practice: &Practice,
    kept: &PracticeKept,
) -> Result<PracticeRow, KeptUnreadable> {
    let catalog = kept_catalog(catalogs, practice, kept)?;
    let mut summary = StatusCounts::default();
    let criteria = decode_cells(catalog, kept)?
        .into_iter()
        .map(|(cell, due_soon)| {
            summary.add(
                cell.status,
                cell.agreement == AgreementStatus::Disagrees,
                cell.needs_reattestation,
                due_soon,
            );
            cell
        })
        .collect();
    Ok(PracticeRow {
        practice: practice.clone(),
        catalog_version: kept.catalog_version.clone(),
        summary,
        criteria,
    })
}

/// A practice's statuses on its practice-level criteria, for a point of the trend.
pub fn practice_statuses(
    catalogs: &CatalogSet,
    practice: &Practice,
    kept: &PracticeKept,
) -> Result<Vec<(CriterionId, Status)>, KeptUnreadable> {
    let catalog = kept_catalog(catalogs, practice, kept)?;
    // The cells are in catalog order: each one's criterion is the catalog's at the same place.
    Ok(decode_cells(catalog, kept)?
        .into_iter()
        .zip(&catalog.criteria)
        .filter(|(_, criterion)| criterion.scope == Scope::Practice)
        .map(|((cell, _), _)| (cell.criterion, cell.status))
        .collect())
}

/// Evaluates the PO-level criteria of `catalog` as of `day` over `combined` (every practice's
/// records and the PO's own) into what is kept of them.
pub fn organization_kept(
    catalogs: &CatalogSet,
    catalog: &Catalog,
    combined: &Records,
    day: NaiveDate,
) -> OrganizationKept {
    let evaluation = Evaluation {
        due_within_days: KEPT_DUE_DAYS,
        ..Evaluation::for_organization(catalog, combined, day)
    };
    let mut results = evaluate_all(&evaluation);
    retain_scope(catalog, &mut results, Scope::PhysicianOrganization);
    let statuses = super::organization::statuses(&results);
    let due = CriterionDue::of_results(&results);
    // The matrix looks 90 days ahead: the same results with what falls due later left out.
    let matrix_results = results
        .into_iter()
        .map(|mut r| {
            let last = horizon(day, DUE_HORIZON_DAYS);
            r.due.retain(|item| item.due_on <= last);
            for requirement in &mut r.requirements {
                requirement.due.retain(|item| item.due_on <= last);
            }
            r
        })
        .collect();
    let (criteria, summary) = view::attest_results(
        catalogs,
        catalog,
        combined,
        matrix_results,
        day,
        Scope::PhysicianOrganization,
    );
    OrganizationKept {
        catalog_id: catalog.id.to_string(),
        catalog_version: catalog.version.to_string(),
        criteria,
        summary,
        statuses,
        due,
    }
}

/// The last day `within` days after `day`.
fn horizon(day: NaiveDate, within: u32) -> NaiveDate {
    day.checked_add_days(Days::new(u64::from(within)))
        .unwrap_or(NaiveDate::MAX)
}

/// The PO's matrix as of `as_of`, from its practices' kept evaluations (in practice order) and the
/// PO-level one: the same answer [`view::organization_compliance`] computes from the records.
pub fn organization_compliance<'a>(
    catalogs: &CatalogSet,
    organization: &Organization,
    practices: impl IntoIterator<Item = (&'a Practice, &'a PracticeKept)>,
    po: &OrganizationKept,
    as_of: NaiveDate,
) -> Result<OrganizationCompliance, KeptUnreadable> {
    let rows = practices
        .into_iter()
        .map(|(practice, kept)| matrix_row(catalogs, practice, kept))
        .collect::<Result<Vec<_>, _>>()?;
    let criteria = tally_per_criterion(
        rows.iter()
            .map(|row| row.criteria.iter().map(|c| (&c.criterion, c.status))),
    );
    Ok(OrganizationCompliance {
        organization: organization.clone(),
        as_of,
        catalog_id: po.catalog_id.clone(),
        catalog_version: po.catalog_version.clone(),
        criteria,
        practices: rows,
        organization_summary: po.summary,
        organization_criteria: po.criteria.clone(),
        basis: crate::records::Basis::corrected(),
    })
}

/// What falls due within `within` days of `as_of` (overdue included) of each criterion.
fn due_within(due: &[CriterionDue], as_of: NaiveDate, within: u32) -> Vec<CriterionDue> {
    let last = horizon(as_of, within);
    due.iter()
        .map(|d| CriterionDue {
            criterion: d.criterion.clone(),
            items: d.items.iter().filter(|i| i.due_on <= last).cloned().collect(),
        })
        .collect()
}

/// Every item overdue or due by `as_of + within` across the practices and the PO, from their kept
/// evaluations: the same list [`view::organization_due`] computes from the records.
pub fn organization_due<'a>(
    practices: impl IntoIterator<Item = (&'a Practice, &'a PracticeKept)>,
    po: &OrganizationKept,
    as_of: NaiveDate,
    within: u32,
    filter: &DueFilter,
) -> Vec<OrganizationDueItem> {
    let practices: Vec<(&Practice, Vec<CriterionDue>)> = practices
        .into_iter()
        .filter(|(p, _)| filter.practice.is_none_or(|wanted| p.id == wanted))
        .map(|(p, kept)| (p, due_within(&kept.due, as_of, within)))
        .collect();
    let organization = due_within(&po.due, as_of, within);
    let sources = practices
        .iter()
        .map(|(p, due)| (Some(*p), due.as_slice()))
        .chain(std::iter::once((None, organization.as_slice())));
    merge_due(sources, filter)
}

/// One point of the trend, from the kept evaluations of the practices that had joined by `day`
/// and the PO-level one.
pub fn trend_point_of<'a>(
    catalogs: &CatalogSet,
    day: NaiveDate,
    practices: impl IntoIterator<Item = (&'a Practice, &'a PracticeKept)>,
    po: &OrganizationKept,
) -> Result<TrendPoint, KeptUnreadable> {
    let statuses = practices
        .into_iter()
        .filter(|(p, _)| p.joined_on.is_none_or(|joined| joined <= day))
        .map(|(p, kept)| practice_statuses(catalogs, p, kept))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(trend_point(day, statuses.iter().map(Vec::as_slice), &po.statuses))
}

/// Which kinds of record the criteria of one scope read, beyond the practices, their staff and
/// the attestations (which every evaluation reads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordsRead {
    /// Training records.
    pub trainings: bool,
    /// Team meetings.
    pub meetings: bool,
    /// Care plans with their shares.
    pub care_plans: bool,
    /// Survey results.
    pub surveys: bool,
    /// Documents.
    pub documents: bool,
    /// Periodic reports.
    pub reports: bool,
}

impl RecordsRead {
    /// What the criteria of `catalog` assessed for `scope` read.
    pub fn by(catalog: &Catalog, scope: Scope) -> Self {
        use crate::catalog::EvidenceRequirement as E;
        let mut read = RecordsRead::default();
        for criterion in catalog.criteria.iter().filter(|c| c.scope == scope) {
            for requirement in &criterion.evidence {
                match requirement {
                    E::Training(_) => read.trainings = true,
                    E::CareTeam(_) | E::Attestation(_) => {}
                    E::Document(_) => read.documents = true,
                    E::Survey(_) => read.surveys = true,
                    E::CarePlans(_) | E::CarePlanSharing(_) => read.care_plans = true,
                    E::TeamMeetings(_) => read.meetings = true,
                    E::PeriodicReports(_) => read.reports = true,
                }
            }
        }
        read
    }

    /// What either reads.
    pub fn and(self, other: Self) -> Self {
        RecordsRead {
            trainings: self.trainings || other.trainings,
            meetings: self.meetings || other.meetings,
            care_plans: self.care_plans || other.care_plans,
            surveys: self.surveys || other.surveys,
            documents: self.documents || other.documents,
            reports: self.reports || other.reports,
        }
    }
}
