//! Surveys: each kind is done every period, with results in enough consecutive periods to
//! show a trend.
//!
//! The periods count back from the day asked: with `every: P1Y`, the last year is the 12
//! months through that day, the year before is the 12 months before those, and so on.

use crate::catalog::{CalendarDuration, SurveyRequirement, Vocabulary};
use crate::records::{RecordKind, RecordRef};

use super::{Evaluation, RequirementResult, Status};

/// `every` times `n`.
fn times(every: CalendarDuration, n: u32) -> CalendarDuration {
    CalendarDuration {
        months: every.months.saturating_mul(n),
        days: every.days.saturating_mul(n),
    }
}

pub(super) fn evaluate(evaluation: &Evaluation, requirement: &SurveyRequirement) -> RequirementResult {
    let as_of = evaluation.as_of;
    let kinds = &evaluation.catalog.vocabulary.survey_kinds;
    let every = requirement.every;
    let periods = requirement.trend_periods.max(1);
    let mut result = RequirementResult::new("survey", Status::NotMet);
    let mut statuses = Vec::new();
    for kind in &requirement.kinds {
        let label = Vocabulary::label(kinds, kind);
        let results: Vec<_> = evaluation
            .records
            .surveys
            .iter()
            .filter(|s| &s.kind == kind && s.conducted_on <= as_of)
            .collect();
        // Period k (0 = the latest) holds results that count with k+1 periods but not with k.
        let covered: Vec<bool> = (0..periods)
            .map(|k| {
                results.iter().any(|s| {
                    times(every, k + 1).counts_on(s.conducted_on, as_of)
                        && (k == 0 || !times(every, k).counts_on(s.conducted_on, as_of))
                })
            })
            .collect();
        let held = covered.iter().filter(|c| **c).count();
        let latest = results.iter().max_by_key(|s| (s.conducted_on, s.id));
        let in_window = |s: &&&crate::records::SurveyResult| times(every, periods).counts_on(s.conducted_on, as_of);
        result.records.extend(
            results
                .iter()
                .filter(in_window)
                .map(|s| RecordRef::new(RecordKind::SurveyResult, s.id.0)),
        );
        let status = if covered[0] && held == covered.len() {
            Status::Met
        } else if held > 0 {
            Status::PartiallyMet
        } else {
            Status::NotMet
        };
        statuses.push(status);
        let span = times(every, periods).in_words();
        result.reasons.push(match latest {
            None => format!("no {label} result is on record"),
            Some(s) if !covered[0] => format!(
                "the latest {label} was done {}, more than {} ago; results in {held} of the last {periods} periods ({span})",
                s.conducted_on,
                every.in_words()
            ),
            Some(s) if held < covered.len() => format!(
                "{label} last done {}; results in {held} of the last {periods} periods ({span}), not enough to show a trend",
                s.conducted_on
            ),
            Some(s) => format!("{label} last done {}; results in each of the last {periods} periods ({span})", s.conducted_on),
        });
        let due_on = latest.and_then(|s| every.after(s.conducted_on)).unwrap_or(as_of);
        let refs = latest
            .map(|s| vec![RecordRef::new(RecordKind::SurveyResult, s.id.0)])
            .unwrap_or_default();
        result
            .due
            .extend(evaluation.due(due_on, format!("run the {label}"), refs));
    }
    result.status = Status::combine(statuses);
    result
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    fn yearly() -> SurveyRequirement {
        SurveyRequirement {
            kinds: vec![term("patient_satisfaction"), term("office_efficiency")],
            every: CalendarDuration::months(12),
            trend_periods: 2,
        }
    }

    #[test]
    fn two_years_of_both_surveys_is_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        for on in ["2025-06-30", "2026-06-30"] {
            book.survey("patient_satisfaction", on);
            book.survey("office_efficiency", on);
        }
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &yearly());
        assert_eq!(result.status, Status::Met, "{:?}", result.reasons);
        assert_eq!(result.records.len(), 4);
        assert_eq!(
            result.reasons[0],
            "patient satisfaction survey last done 2026-06-30; results in each of the last 2 periods (2 years)"
        );
    }

    #[test]
    fn one_year_only_cannot_be_trended() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.survey("patient_satisfaction", "2026-06-30");
        book.survey("office_efficiency", "2026-06-30");
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &yearly());
        assert_eq!(result.status, Status::PartiallyMet);
        assert!(
            result.reasons[0].contains("not enough to show a trend"),
            "{:?}",
            result.reasons
        );
    }

    #[test]
    fn a_survey_more_than_a_year_old_is_overdue() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        for on in ["2024-12-01", "2025-11-23"] {
            book.survey("patient_satisfaction", on);
            book.survey("office_efficiency", on);
        }
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &yearly());
        assert_eq!(result.status, Status::PartiallyMet);
        assert!(result.reasons[0]
            .starts_with("the latest patient satisfaction survey was done 2025-11-23, more than 1 year ago"));
        assert!(result.due.iter().all(|i| i.overdue && i.due_on == d("2026-11-23")));
        // A day earlier, the 2025-11-23 survey is exactly a year old and still counts.
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2026-11-23"), &yearly()).status,
            Status::Met
        );
    }

    #[test]
    fn one_kind_missing_is_partial_and_none_is_not_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2026-11-24"), &yearly()).status,
            Status::NotMet
        );
        book.survey("patient_satisfaction", "2025-06-30");
        book.survey("patient_satisfaction", "2026-06-30");
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &yearly());
        assert_eq!(result.status, Status::PartiallyMet);
        assert_eq!(result.reasons[1], "no office efficiency survey result is on record");
    }

    #[test]
    fn two_surveys_in_the_same_year_are_one_period() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        for on in ["2026-02-01", "2026-09-01"] {
            book.survey("patient_satisfaction", on);
            book.survey("office_efficiency", on);
        }
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2026-11-24"), &yearly()).status,
            Status::PartiallyMet
        );
    }
}
