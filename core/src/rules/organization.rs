//! A PO's view over its practices' results: counts per criterion and per practice, what falls
//! due across the PO, and the month ends a trend is computed at. Pure: no database, no clock.

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

use super::{CriterionResult, DueItem, Status};
use crate::catalog::{Catalog, Scope};
use crate::ids::{CriterionId, PracticeId};
use crate::records::{Practice, RecordRef};

/// The most months a trend may span.
pub const MAX_TREND_MONTHS: usize = 36;

/// How many criteria (or practices) have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StatusTally {
    /// Met.
    pub met: usize,
    /// Partially met.
    pub partially_met: usize,
    /// Not met.
    pub not_met: usize,
    /// Not applicable.
    pub not_applicable: usize,
}

impl StatusTally {
    /// Counts one more `status`.
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Met => self.met += 1,
            Status::PartiallyMet => self.partially_met += 1,
            Status::NotMet => self.not_met += 1,
            Status::NotApplicable => self.not_applicable += 1,
        }
    }

    /// The tally of some statuses.
    pub fn of(statuses: impl IntoIterator<Item = Status>) -> Self {
        let mut tally = StatusTally::default();
        for status in statuses {
            tally.add(status);
        }
        tally
    }
}

/// How the practices of a PO stand on one criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CriterionTally {
    /// The criterion.
    pub criterion: CriterionId,
    /// How many practices have each status on it.
    #[serde(flatten)]
    pub counts: StatusTally,
}

/// Per criterion, how many practices have each status, in the order the criteria first appear
/// (catalog order; criteria only some catalog versions have come where they first appear).
/// `practices` gives, per practice, each criterion with its status.
pub fn tally_per_criterion<'a, P, C>(practices: P) -> Vec<CriterionTally>
where
    P: IntoIterator<Item = C>,
    C: IntoIterator<Item = (&'a CriterionId, Status)>,
{
    let mut tallies: Vec<CriterionTally> = Vec::new();
    // Where each criterion's tally is, so that a thousand practices × 28 criteria do not search.
    let mut index: std::collections::HashMap<&'a CriterionId, usize> = std::collections::HashMap::new();
    for practice in practices {
        for (criterion, status) in practice {
            match index.get(criterion) {
                Some(&at) => tallies[at].counts.add(status),
                None => {
                    index.insert(criterion, tallies.len());
                    tallies.push(CriterionTally {
                        criterion: criterion.clone(),
                        counts: StatusTally::of([status]),
                    });
                }
            }
        }
    }
    tallies
}

/// Something that falls due somewhere in a PO, with the practice (none for the PO itself) and criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrganizationDueItem {
    /// The practice it falls due in; absent for a PO-level criterion.
    pub practice_id: Option<PracticeId>,
    /// That practice's name.
    pub practice_name: Option<String>,
    /// The criterion it is due for.
    pub criterion: CriterionId,
    /// The last day it can be done in time.
    pub due_on: NaiveDate,
    /// What is due, in plain words.
    pub what: String,
    /// Whether the day has already passed.
    pub overdue: bool,
    /// The records it concerns.
    pub records: Vec<RecordRef>,
}

impl OrganizationDueItem {
    fn new(practice: Option<&Practice>, criterion: &CriterionId, item: &DueItem) -> Self {
        OrganizationDueItem {
            practice_id: practice.map(|p| p.id),
            practice_name: practice.map(|p| p.name.clone()),
            criterion: criterion.clone(),
            due_on: item.due_on,
            what: item.what.clone(),
            overdue: item.overdue,
            records: item.records.clone(),
        }
    }
}

/// Which due items to keep.
#[derive(Debug, Clone, Default)]
pub struct DueFilter {
    /// Only this criterion's.
    pub criterion: Option<CriterionId>,
    /// Only this practice's (PO-level items have no practice and are then left out).
    pub practice: Option<PracticeId>,
}

/// Every due item of the practices' and the PO's criteria, filtered, sorted by date, then
/// practice (PO-level first), criterion and what.
pub fn merge_due<'a>(
    sources: impl IntoIterator<Item = (Option<&'a Practice>, &'a [CriterionDue])>,
    filter: &DueFilter,
) -> Vec<OrganizationDueItem> {
    let mut items = Vec::new();
    for (practice, due) in sources {
        if filter.practice.is_some() && practice.map(|p| p.id) != filter.practice {
            continue;
        }
        for of in due {
            if filter.criterion.as_ref().is_some_and(|c| *c != of.criterion) {
                continue;
            }
            items.extend(
                of.items
                    .iter()
                    .map(|item| OrganizationDueItem::new(practice, &of.criterion, item)),
            );
        }
    }
    items.sort_by(|a, b| {
        (a.due_on, a.practice_id, &a.criterion, &a.what).cmp(&(b.due_on, b.practice_id, &b.criterion, &b.what))
    });
    items
}

/// What falls due of one criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CriterionDue {
    /// The criterion.
    pub criterion: CriterionId,
    /// Its items, by date.
    pub items: Vec<DueItem>,
}

impl CriterionDue {
    /// What falls due of each result that has anything due.
    pub fn of_results(results: &[CriterionResult]) -> Vec<CriterionDue> {
        results
            .iter()
            .filter(|r| !r.due.is_empty())
            .map(|r| CriterionDue {
                criterion: r.criterion.clone(),
                items: r.due.clone(),
            })
            .collect()
    }
}

/// The first day of the month of `day`.
fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The last day of the month of `day`.
pub fn month_end(day: NaiveDate) -> NaiveDate {
    let start = month_start(day);
    start
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.checked_sub_days(Days::new(1)))
        .unwrap_or(NaiveDate::MAX)
}

/// How many calendar months `from` to `to` touch (0 when `to` is before `from`).
pub fn months_spanned(from: NaiveDate, to: NaiveDate) -> usize {
    if to < from {
        return 0;
    }
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1;
    usize::try_from(months).unwrap_or(0)
}

/// The days a trend is evaluated at: the end of each month from `from`'s to `to`'s, the last
/// one cut to `to` when the month has not ended by then.
pub fn month_ends(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut days = Vec::new();
    let mut start = month_start(from);
    while start <= to {
        days.push(month_end(start).min(to));
        match start.checked_add_months(chrono::Months::new(1)) {
            Some(next) => start = next,
            None => break,
        }
    }
    days
}

/// How many practices have each status on each criterion at one month end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    /// The month, e.g. "2026-03".
    pub month: String,
    /// The day evaluated: the month's last day, or the trend's end.
    pub as_of: NaiveDate,
    /// How many practices were members of the PO that day (those joined later are not counted).
    pub practices: usize,
    /// Per practice-level criterion, how many practices had each status.
    pub criteria: Vec<CriterionTally>,
    /// The PO-level criteria's statuses for the PO as a whole.
    pub organization: Vec<CriterionStatus>,
}

/// One criterion's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CriterionStatus {
    /// The criterion.
    pub criterion: CriterionId,
    /// Its status.
    pub status: Status,
}

/// Keeps only the results of criteria that `catalog` assesses for `scope`.
pub fn retain_scope(catalog: &Catalog, results: &mut Vec<CriterionResult>, scope: Scope) {
    results.retain(|r| catalog.criteria.iter().any(|c| c.id == r.criterion && c.scope == scope));
}

/// A trend point at `as_of` from the practices' statuses (practice-level criteria) and the PO's
/// (PO-level criteria).
pub fn trend_point<'a>(
    as_of: NaiveDate,
    practices: impl IntoIterator<Item = &'a [(CriterionId, Status)]>,
    organization: &[(CriterionId, Status)],
) -> TrendPoint {
    let practices: Vec<&[(CriterionId, Status)]> = practices.into_iter().collect();
    TrendPoint {
        month: as_of.format("%Y-%m").to_string(),
        as_of,
        practices: practices.len(),
        criteria: tally_per_criterion(
            practices
                .into_iter()
                .map(|statuses| statuses.iter().map(|(criterion, status)| (criterion, *status))),
        ),
        organization: organization
            .iter()
            .map(|(criterion, status)| CriterionStatus {
                criterion: criterion.clone(),
                status: *status,
            })
            .collect(),
    }
}

/// Each result's criterion and status.
pub fn statuses(results: &[CriterionResult]) -> Vec<(CriterionId, Status)> {
    results.iter().map(|r| (r.criterion.clone(), r.status)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrganizationId;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn result(criterion: &str, status: Status, due: &[(&str, &str)]) -> CriterionResult {
        CriterionResult {
            criterion: CriterionId::parse(criterion).unwrap(),
            title: String::new(),
            status,
            reasons: Vec::new(),
            records: Vec::new(),
            due: due
                .iter()
                .map(|(on, what)| DueItem {
                    due_on: d(on),
                    what: (*what).into(),
                    overdue: d(on) < d("2026-06-01"),
                    records: Vec::new(),
                })
                .collect(),
            requirements: Vec::new(),
        }
    }

    fn practice(id: i64) -> Practice {
        Practice {
            id: PracticeId(id),
            organization_id: OrganizationId(1),
            name: format!("Practice {id}"),
            initial_focus_population: None,
            catalog_id: "pcmh-n-domain-4".into(),
            catalog_version: "1.0.0".into(),
            joined_on: None,
            time_zone: crate::records::DEFAULT_TIME_ZONE.into(),
        }
    }

    #[test]
    fn tallies_count_each_status_per_criterion_in_first_seen_order() {
        let one = vec![result("4.1", Status::Met, &[]), result("4.2", Status::NotMet, &[])];
        let two = vec![
            result("4.1", Status::PartiallyMet, &[]),
            result("4.2", Status::NotMet, &[]),
            result("4.29", Status::Met, &[]),
        ];
        let tallies = tally_per_criterion([&one, &two].map(|r| r.iter().map(|c| (&c.criterion, c.status))));
        let ids: Vec<&str> = tallies.iter().map(|t| t.criterion.as_str()).collect();
        assert_eq!(ids, ["4.1", "4.2", "4.29"]);
        assert_eq!(
            tallies[0].counts,
            StatusTally {
                met: 1,
                partially_met: 1,
                ..StatusTally::default()
            }
        );
        assert_eq!(tallies[1].counts.not_met, 2);
        assert_eq!(tallies[2].counts.met, 1);
        assert_eq!(StatusTally::of(one.iter().map(|r| r.status)).met, 1);
    }

    #[test]
    fn due_items_merge_sorted_by_date_with_their_practice_and_filter() {
        let (p1, p2) = (practice(1), practice(2));
        let r1 = CriterionDue::of_results(&[result(
            "4.1",
            Status::Met,
            &[("2026-07-01", "renew b"), ("2026-05-01", "renew a")],
        )]);
        let r2 = CriterionDue::of_results(&[result("4.21", Status::Met, &[("2026-06-15", "hold a meeting")])]);
        let po = CriterionDue::of_results(&[result("4.27", Status::PartiallyMet, &[("2026-06-15", "member list")])]);
        let sources = || {
            [
                (Some(&p1), r1.as_slice()),
                (Some(&p2), r2.as_slice()),
                (None, po.as_slice()),
            ]
        };
        let all = merge_due(sources(), &DueFilter::default());
        let order: Vec<(&str, Option<i64>)> = all
            .iter()
            .map(|i| (i.what.as_str(), i.practice_id.map(|p| p.0)))
            .collect();
        assert_eq!(
            order,
            [
                ("renew a", Some(1)),
                ("member list", None),
                ("hold a meeting", Some(2)),
                ("renew b", Some(1))
            ]
        );
        assert!(all[0].overdue && !all[3].overdue);
        assert_eq!(all[0].practice_name.as_deref(), Some("Practice 1"));
        let of_two = merge_due(
            sources(),
            &DueFilter {
                practice: Some(PracticeId(2)),
                ..DueFilter::default()
            },
        );
        assert_eq!(of_two.len(), 1);
        let of_427 = merge_due(
            sources(),
            &DueFilter {
                criterion: Some(CriterionId::parse("4.27").unwrap()),
                ..DueFilter::default()
            },
        );
        assert_eq!(of_427.len(), 1);
        assert_eq!(of_427[0].practice_id, None);
    }

    #[test]
    fn month_ends_run_from_the_first_month_to_the_last_cut_at_the_end() {
        assert_eq!(
            month_ends(d("2026-01-15"), d("2026-04-10")),
            [d("2026-01-31"), d("2026-02-28"), d("2026-03-31"), d("2026-04-10")]
        );
        assert_eq!(month_ends(d("2024-02-01"), d("2024-02-29")), [d("2024-02-29")]);
        assert_eq!(month_ends(d("2025-12-31"), d("2026-01-31")).len(), 2);
        assert!(month_ends(d("2026-02-01"), d("2026-01-31")).is_empty());
        assert_eq!(months_spanned(d("2025-12-31"), d("2026-01-01")), 2);
        assert_eq!(months_spanned(d("2024-01-01"), d("2026-12-31")), MAX_TREND_MONTHS);
        assert_eq!(months_spanned(d("2026-01-02"), d("2026-01-01")), 0);
        assert_eq!(month_end(d("2026-12-05")), d("2026-12-31"));
    }

    #[test]
    fn a_trend_point_names_its_month() {
        let practices = [
            statuses(&[result("4.1", Status::Met, &[])]),
            statuses(&[result("4.1", Status::NotMet, &[])]),
        ];
        let po = statuses(&[result("4.27", Status::Met, &[])]);
        let point = trend_point(d("2026-03-31"), practices.iter().map(Vec::as_slice), &po);
        assert_eq!(point.month, "2026-03");
        assert_eq!(point.criteria[0].counts.met, 1);
        assert_eq!(point.criteria[0].counts.not_met, 1);
        assert_eq!(point.organization[0].status, Status::Met);
    }
}
