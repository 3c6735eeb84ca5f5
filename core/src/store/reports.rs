//! Periodic reports of a PO (monthly member lists, care management reports), PO-wide or about
//! one of its practices. A report counts for the period it covers, whenever it was filed.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use validator::Validate;

use super::schema::{documents, periodic_reports};
use super::voids::{self, Known, Replaces, VoidMark};
use super::{now, on_backend, organizations, practices, Connection, DateRange, Listing, Page, StoreError, StoreResult};
use crate::catalog::Catalog;
use crate::ids::{DocumentId, OrganizationId, PeriodicReportId, PracticeId, Term};
use crate::records::{Owner, PeriodicReport};

/// The longest period a report may cover, in days (a leap year).
pub const MAX_PERIOD_DAYS: i64 = 366;

/// What is needed to file a periodic report.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// The report's type, a term of the catalog's `report_types` (e.g. `member_list`).
    pub report_type: Term,
    /// The first day of the period it covers.
    #[check(date)]
    pub period_start: NaiveDate,
    /// The last day of the period it covers (at most 366 days after the first, counting both).
    #[check(date)]
    pub period_end: NaiveDate,
    /// The practice of the PO the report is about; omitted, the report is PO-wide.
    pub practice_id: Option<PracticeId>,
    /// The report itself, a document kept by the PO (or by the practice the report is about).
    pub document_id: Option<DocumentId>,
    /// The report of this PO this one corrects (not voided): it is voided in the same
    /// transaction, with the reason given.
    #[serde(default)]
    #[check(nested)]
    pub replaces: Option<Replaces>,
}

/// Which reports a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    /// Only those of this type.
    pub report_type: Option<Term>,
    /// Only those about this practice (PO lists only).
    pub practice_id: Option<PracticeId>,
    /// Only those whose period starts in this range.
    pub period_start: DateRange,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = periodic_reports)]
struct Row {
    id: i64,
    organization_id: i64,
    practice_id: Option<i64>,
    report_type: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
    document_id: Option<i64>,
    #[diesel(embed)]
    corrections: Corrections,
}

voids::correction_columns!(periodic_reports);

impl Row {
    fn into_report(self) -> StoreResult<PeriodicReport> {
        let report_type = Term::parse(&self.report_type).map_err(|_| {
            StoreError::Database(diesel::result::Error::DeserializationError(
                format!("periodic report {} has an unreadable report type", self.id).into(),
            ))
        })?;
        Ok(PeriodicReport {
            id: PeriodicReportId(self.id),
            owner: match self.practice_id {
                Some(practice) => Owner::Practice(PracticeId(practice)),
                None => Owner::Organization(OrganizationId(self.organization_id)),
            },
            report_type,
            period_start: self.period_start,
            period_end: self.period_end,
            document_id: self.document_id.map(DocumentId),
            correction: self.corrections.into(),
        })
    }
}

/// The period must not end before it starts and must last at most [`MAX_PERIOD_DAYS`].
fn check_period(start: NaiveDate, end: NaiveDate) -> StoreResult<()> {
    if end < start {
        return Err(StoreError::invalid(
            "period_end",
            "not_before_start",
            format!("the period ends ({end}) before it starts ({start})"),
        ));
    }
    let days = (end - start).num_days() + 1;
    if days > MAX_PERIOD_DAYS {
        return Err(StoreError::invalid(
            "period_end",
            "period_length",
            format!("the period from {start} to {end} lasts {days} days; a report covers at most {MAX_PERIOD_DAYS}"),
        ));
    }
    Ok(())
}

/// The report type must be a term of the catalog's vocabulary.
fn check_report_type(catalog: &Catalog, report_type: &Term) -> StoreResult<()> {
    let known = &catalog.vocabulary.report_types;
    if known.contains_key(report_type) {
        return Ok(());
    }
    let names: Vec<&str> = known.keys().map(Term::as_str).collect();
    Err(StoreError::invalid(
        "report_type",
        "vocabulary",
        format!(
            "`{report_type}` is not a report type of {} {} (known: {})",
            catalog.id,
            catalog.version,
            names.join(", ")
        ),
    ))
}

/// Files a report of `organization` (PO-wide, or about one of its practices) under `catalog`:
/// the version the practice named is assessed against, or the one the PO's practices use.
pub fn create(
    conn: &mut Connection,
    organization: OrganizationId,
    catalog: &Catalog,
    form: &NewReport,
) -> StoreResult<PeriodicReport> {
    organizations::get(conn, organization)?;
    check_report_type(catalog, &form.report_type)?;
    check_period(form.period_start, form.period_end)?;
    if let Some(practice) = form.practice_id {
        let of_this_po = match practices::get(conn, practice) {
            Ok(p) => p.organization_id == organization,
            Err(StoreError::NotFound { .. }) => false,
            Err(other) => return Err(other),
        };
        if !of_this_po {
            return Err(StoreError::invalid(
                "practice_id",
                "same_organization",
                format!("practice {practice} is not a practice of this physician organization"),
            ));
        }
    }
    if let Some(document) = form.document_id {
        let owner: Option<(i64, Option<i64>)> = on_backend!(conn, |c| documents::table
            .find(document.0)
            .select((documents::organization_id, documents::practice_id))
            .first(c)
            .optional())?;
        let usable = owner.is_some_and(|(organization_id, practice_id)| {
            organization_id == organization.0 && (practice_id.is_none() || practice_id == form.practice_id.map(|p| p.0))
        });
        if !usable {
            return Err(StoreError::invalid(
                "document_id",
                "same_organization",
                format!("document {document} is not a document of this physician organization (or of the practice the report is about)"),
            ));
        }
    }
    let version = catalog.version.to_string();
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(periodic_reports::table)
        .values((
            periodic_reports::organization_id.eq(organization.0),
            periodic_reports::practice_id.eq(form.practice_id.map(|p| p.0)),
            periodic_reports::report_type.eq(form.report_type.as_str()),
            periodic_reports::period_start.eq(form.period_start),
            periodic_reports::period_end.eq(form.period_end),
            periodic_reports::document_id.eq(form.document_id.map(|d| d.0)),
            periodic_reports::catalog_id.eq(&catalog.id),
            periodic_reports::catalog_version.eq(&version),
            periodic_reports::recorded_at.eq(now()),
            periodic_reports::replaces.eq(form.replaces.as_ref().map(|r| r.id)),
        ))
        .returning(periodic_reports::id)
        .get_result(c))?;
    get(conn, organization, PeriodicReportId(id))
}

/// The report `id` of `organization`.
pub fn get(conn: &mut Connection, organization: OrganizationId, id: PeriodicReportId) -> StoreResult<PeriodicReport> {
    organizations::get(conn, organization)?;
    let row: Option<Row> = on_backend!(conn, |c| periodic_reports::table
        .filter(periodic_reports::id.eq(id.0))
        .filter(periodic_reports::organization_id.eq(organization.0))
        .select(Row::as_select())
        .first(c)
        .optional())?;
    row.ok_or_else(|| StoreError::not_found("periodic report", id))?
        .into_report()
}

/// Whose reports a list shows.
#[derive(Clone, Copy)]
enum Scope {
    /// Every report of the PO, PO-wide or about any of its practices.
    Organization(OrganizationId),
    /// The reports that concern a practice: its own and its PO's PO-wide ones.
    Practice(PracticeId, OrganizationId),
}

/// A page of `organization`'s reports, by the start of their period.
pub fn list(
    conn: &mut Connection,
    organization: OrganizationId,
    filter: &ReportFilter,
    page: Page,
) -> StoreResult<Listing<PeriodicReport>> {
    organizations::get(conn, organization)?;
    list_in(conn, Scope::Organization(organization), filter, page)
}

/// A page of the reports that concern `practice` (its own and its PO's PO-wide ones), by the
/// start of their period.
pub fn list_for_practice(
    conn: &mut Connection,
    practice: PracticeId,
    filter: &ReportFilter,
    page: Page,
) -> StoreResult<Listing<PeriodicReport>> {
    let practice = practices::get(conn, practice)?;
    let filter = ReportFilter {
        practice_id: None,
        ..filter.clone()
    };
    list_in(
        conn,
        Scope::Practice(practice.id, practice.organization_id),
        &filter,
        page,
    )
}

fn list_in(
    conn: &mut Connection,
    scope: Scope,
    filter: &ReportFilter,
    page: Page,
) -> StoreResult<Listing<PeriodicReport>> {
    let (start, end) = (filter.period_start.start(), filter.period_start.end());
    let report_type = filter.report_type.as_ref().map(Term::as_str);
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let query = || {
            let mut query = periodic_reports::table
                .filter(periodic_reports::period_start.between(start, end))
                .into_boxed();
            query = match scope {
                Scope::Organization(organization) => query.filter(periodic_reports::organization_id.eq(organization.0)),
                Scope::Practice(practice, organization) => query.filter(
                    periodic_reports::practice_id
                        .eq(practice.0)
                        .or(periodic_reports::organization_id
                            .eq(organization.0)
                            .and(periodic_reports::practice_id.is_null())
                            .nullable()),
                ),
            };
            if let Some(report_type) = report_type {
                query = query.filter(periodic_reports::report_type.eq(report_type));
            }
            if let Some(practice) = filter.practice_id {
                query = query.filter(periodic_reports::practice_id.eq(practice.0));
            }
            query
        };
        let rows = query()
            .order((periodic_reports::period_start, periodic_reports::id))
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = query().count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    Ok(Listing {
        items: rows.into_iter().map(Row::into_report).collect::<StoreResult<_>>()?,
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// Voids the report `id` of `organization` (unless it already is); returns it before and after.
pub fn void(
    conn: &mut Connection,
    organization: OrganizationId,
    id: PeriodicReportId,
    mark: &VoidMark,
) -> StoreResult<(PeriodicReport, PeriodicReport)> {
    let before = get(conn, organization, id)?;
    voids::check_voided("periodic report", id, &before.correction)?;
    voids::void_row!(conn, periodic_reports, id.0, mark)?;
    Ok((before, get(conn, organization, id)?))
}

/// Names `new` as the report that corrects the voided `old`, both of `organization`.
pub fn link(
    conn: &mut Connection,
    organization: OrganizationId,
    old: PeriodicReportId,
    new: PeriodicReportId,
) -> StoreResult<PeriodicReport> {
    voids::link_replacement!(conn, periodic_reports, old.0, new.0)?;
    get(conn, organization, old)
}

/// The records the rules read for a practice: its own and its PO's (`practice: None` gives the
/// PO's own records only), those `known` counts.
pub(crate) fn all(
    conn: &mut Connection,
    organization: OrganizationId,
    practice: Option<PracticeId>,
    known: Known,
) -> StoreResult<Vec<PeriodicReport>> {
    let rows: Vec<Row> = on_backend!(conn, |c| {
        let mut query = periodic_reports::table
            .filter(periodic_reports::organization_id.eq(organization.0))
            .filter(voids::known!(periodic_reports, known))
            .into_boxed();
        query = match practice {
            Some(p) => query.filter(
                periodic_reports::practice_id
                    .eq(p.0)
                    .or(periodic_reports::practice_id.is_null()),
            ),
            None => query.filter(periodic_reports::practice_id.is_null()),
        };
        query.order(periodic_reports::id).select(Row::as_select()).load(c)
    })?;
    rows.into_iter().map(Row::into_report).collect()
}

/// Every periodic report of `organization` and of all its practices, ordered by id (one query).
pub(crate) fn all_of_organization(
    conn: &mut Connection,
    organization: OrganizationId,
    known: Known,
) -> StoreResult<Vec<PeriodicReport>> {
    let rows: Vec<Row> = on_backend!(conn, |c| periodic_reports::table
        .filter(periodic_reports::organization_id.eq(organization.0))
        .filter(voids::known!(periodic_reports, known))
        .order(periodic_reports::id)
        .select(Row::as_select())
        .load(c))?;
    rows.into_iter().map(Row::into_report).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::organizations::NewOrganization;
    use crate::store::practices::NewPractice;
    use crate::store::Store;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn catalog() -> Catalog {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy-catalog/domain-4/1.0.0.yaml");
        crate::catalog::load_file(&path).unwrap()
    }

    #[test]
    fn a_period_ends_after_it_starts_and_lasts_at_most_a_leap_year() {
        assert!(check_period(d("2026-03-01"), d("2026-03-31")).is_ok());
        assert!(check_period(d("2026-03-01"), d("2026-03-01")).is_ok());
        assert!(check_period(d("2024-01-01"), d("2024-12-31")).is_ok(), "366 days");
        let too_long = check_period(d("2024-01-01"), d("2025-01-01")).unwrap_err();
        assert!(
            matches!(&too_long, StoreError::Invalid { field, rule: "period_length", .. } if field == "period_end"),
            "{too_long:?}"
        );
        let backwards = check_period(d("2026-03-31"), d("2026-03-01")).unwrap_err();
        assert!(matches!(
            backwards,
            StoreError::Invalid {
                rule: "not_before_start",
                ..
            }
        ));
    }

    #[test]
    fn report_types_come_from_the_catalog_vocabulary() {
        let catalog = catalog();
        assert!(check_report_type(&catalog, &Term::parse("member_list").unwrap()).is_ok());
        let error = check_report_type(&catalog, &Term::parse("weather").unwrap()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "report_type: `weather` is not a report type of pcmh-n-domain-4 1.0.0 (known: member_list)"
        );
    }

    #[test]
    fn the_rules_see_a_practice_s_own_reports_and_its_po_wide_ones_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Store::default_url(dir.path())).unwrap();
        store.migrate().unwrap();
        let catalog = catalog();
        let report = |practice: Option<PracticeId>, month: u32| NewReport {
            report_type: Term::parse("member_list").unwrap(),
            period_start: NaiveDate::from_ymd_opt(2026, month, 1).unwrap(),
            period_end: NaiveDate::from_ymd_opt(2026, month, 28).unwrap(),
            practice_id: practice,
            document_id: None,
            replaces: None,
        };
        let (maple, po_wide, own) = store
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
                let elsewhere = practices::create(c, other_po.id, &catalog, &new_practice("Elm"))?;
                let po_wide = create(c, po.id, &catalog, &report(None, 1))?;
                let own = create(c, po.id, &catalog, &report(Some(maple.id), 2))?;
                create(c, po.id, &catalog, &report(Some(birch.id), 3))?;
                create(c, other_po.id, &catalog, &report(None, 4))?;
                create(c, other_po.id, &catalog, &report(Some(elsewhere.id), 5))?;
                Ok((maple, po_wide, own))
            })
            .unwrap();
        let seen = store
            .read(|c| all(c, maple.organization_id, Some(maple.id), Known::everything()))
            .unwrap();
        assert_eq!(seen, vec![po_wide.clone(), own.clone()]);
        assert_eq!(po_wide.owner, Owner::Organization(maple.organization_id));
        assert_eq!(own.owner, Owner::Practice(maple.id));
        let records = store
            .read(|c| crate::store::records::for_practice(c, maple.id))
            .unwrap()
            .1;
        assert_eq!(records.reports, vec![po_wide, own]);
    }
}
