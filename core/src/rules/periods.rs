//! Calendar periods for recurring requirements ("a team meeting every month").
//!
//! Periods are whole months aligned on the calendar year: monthly periods are calendar
//! months, quarterly ones start in January, April, July and October. The periods checked are
//! the complete ones before the period that contains the day asked; that current period is
//! still running, so what it needs is due by its end rather than missing.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::records::RecordRef;

use super::{Evaluation, Occurrences, RequirementResult, Status};

/// One calendar period of whole months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Its first day.
    pub start: NaiveDate,
    /// Its last day.
    pub end: NaiveDate,
    /// Its name, e.g. "2026-03", "2026-Q1" or "2026".
    pub label: String,
}

impl Period {
    /// Whether `date` falls in the period.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }
}

fn month_index(date: NaiveDate) -> i32 {
    date.year() * 12 + date.month0() as i32
}

fn period_at(index: i32, months: u32) -> Option<Period> {
    let start = NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)?;
    let end = start.checked_add_months(Months::new(months))?.pred_opt()?;
    let label = match months {
        1 => format!("{}-{:02}", start.year(), start.month()),
        3 => format!("{}-Q{}", start.year(), start.month0() / 3 + 1),
        6 => format!("{}-H{}", start.year(), start.month0() / 6 + 1),
        12 => format!("{}", start.year()),
        _ => format!(
            "{}-{:02}..{}-{:02}",
            start.year(),
            start.month(),
            end.year(),
            end.month()
        ),
    };
    Some(Period { start, end, label })
}

/// The word for a recurrence of `months`.
pub(crate) fn every_words(months: u32) -> String {
    match months {
        1 => "monthly".into(),
        3 => "quarterly".into(),
        6 => "half-yearly".into(),
        12 => "yearly".into(),
        n => format!("every {n} months"),
    }
}

/// The `count` complete periods of `months` before the one containing `as_of` (oldest first),
/// and that current period.
pub(crate) fn periods_before(as_of: NaiveDate, months: u32, count: u32) -> (Vec<Period>, Option<Period>) {
    let months = months.max(1);
    let index = month_index(as_of);
    let current_index = index - index.rem_euclid(months as i32);
    let expected = (1..=count as i32)
        .rev()
        .filter_map(|k| period_at(current_index - k * months as i32, months))
        .collect();
    (expected, period_at(current_index, months))
}

/// Tallies a recurring requirement: for each expected period, the records that satisfy it.
/// `what` names one occurrence ("team meeting"), `found` gives the records for a period.
pub(crate) fn tally(
    evaluation: &Evaluation,
    kind: &str,
    what: &str,
    every_months: u32,
    within_months: u32,
    found: impl Fn(&Period) -> Vec<RecordRef>,
) -> RequirementResult {
    let (expected, current) = periods_before(evaluation.as_of, every_months, within_months / every_months.max(1));
    let mut result = RequirementResult::new(kind, Status::NotMet);
    let mut missing = Vec::new();
    for period in &expected {
        let records = found(period);
        if records.is_empty() {
            missing.push(period.label.clone());
            result
                .due
                .extend(evaluation.due(period.end, format!("{what} for {}", period.label), Vec::new()));
        }
        result.records.extend(records);
    }
    if let Some(period) = current {
        let records = found(&period);
        if records.is_empty() {
            result
                .due
                .extend(evaluation.due(period.end, format!("{what} for {}", period.label), Vec::new()));
        }
        result.records.extend(records);
    }
    let total = expected.len();
    let held = total - missing.len();
    result.status = Status::from_counts(held, total);
    let every = every_words(every_months);
    let mut reason = format!("{every} {what}s: {total} expected, {held} held");
    if !missing.is_empty() {
        reason.push_str(&format!(", none in {}", super::name_list(&missing, 12)));
    }
    if let (Some(first), Some(last)) = (expected.first(), expected.last()) {
        reason.push_str(&format!(" ({} to {})", first.start, last.end));
    }
    result.reasons.push(reason);
    result.occurrences = Some(Occurrences {
        every,
        expected: total as u32,
        held: held as u32,
        missing,
    });
    result
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::d;
    use super::*;

    #[test]
    fn monthly_periods_are_the_twelve_complete_months_before_this_one() {
        let (expected, current) = periods_before(d("2026-11-24"), 1, 12);
        let labels: Vec<_> = expected.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels.first(), Some(&"2025-11"));
        assert_eq!(labels.last(), Some(&"2026-10"));
        assert_eq!(labels.len(), 12);
        let current = current.unwrap();
        assert_eq!((current.start, current.end), (d("2026-11-01"), d("2026-11-30")));
    }

    #[test]
    fn february_ends_on_the_29th_in_a_leap_year() {
        let (expected, _) = periods_before(d("2028-03-01"), 1, 1);
        assert_eq!((expected[0].start, expected[0].end), (d("2028-02-01"), d("2028-02-29")));
        let (expected, _) = periods_before(d("2027-03-01"), 1, 1);
        assert_eq!(expected[0].end, d("2027-02-28"));
    }

    #[test]
    fn quarters_and_years_align_on_the_calendar() {
        let (expected, current) = periods_before(d("2026-05-15"), 3, 4);
        let labels: Vec<_> = expected.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]);
        assert_eq!(current.unwrap().label, "2026-Q2");
        let (years, _) = periods_before(d("2026-01-01"), 12, 2);
        assert_eq!(
            years.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(),
            ["2024", "2025"]
        );
        assert_eq!(years[1].end, d("2025-12-31"));
    }

    #[test]
    fn the_first_day_of_a_month_already_belongs_to_it() {
        let (expected, current) = periods_before(d("2026-12-01"), 1, 12);
        assert_eq!(expected.last().unwrap().label, "2026-11");
        assert_eq!(current.unwrap().label, "2026-12");
    }
}
