//! Periodic reports: a report of the right type covers every period (monthly member lists).

use crate::catalog::{PeriodicReportRequirement, Vocabulary};
use crate::records::{RecordKind, RecordRef};

use super::periods::tally;
use super::{Evaluation, RequirementResult};

pub(super) fn evaluate(evaluation: &Evaluation, requirement: &PeriodicReportRequirement) -> RequirementResult {
    let as_of = evaluation.as_of;
    let types = &evaluation.catalog.vocabulary.report_types;
    let what = requirement
        .report_types
        .iter()
        .map(|t| Vocabulary::label(types, t))
        .collect::<Vec<_>>()
        .join(" or ");
    let every = requirement.every.whole_months().unwrap_or(1);
    let within = requirement.within.whole_months().unwrap_or(12);
    // A report counts for the period its own period falls in: evidence belongs to the period
    // it documents, whenever it was made.
    let mut result = tally(evaluation, "periodic_reports", &what, every, within, |period| {
        evaluation
            .records
            .reports
            .iter()
            .filter(|r| requirement.report_types.contains(&r.report_type))
            .filter(|r| r.period_start <= as_of && period.contains(r.period_start) && period.contains(r.period_end))
            .map(|r| RecordRef::new(RecordKind::PeriodicReport, r.id.0))
            .collect()
    });
    if let Some(reason) = result.reasons.first_mut() {
        *reason = reason.replacen(" held", " on file", 1);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::Status;
    use super::*;
    use crate::catalog::CalendarDuration;

    fn member_lists() -> PeriodicReportRequirement {
        PeriodicReportRequirement {
            report_types: vec![term("member_list")],
            every: CalendarDuration::months(1),
            within: CalendarDuration::months(12),
        }
    }

    #[test]
    fn a_member_list_for_every_month_is_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.monthly_reports("member_list", "2025-11", "2026-10");
        let result = evaluate(&book.organization_evaluation(&catalog, "2026-11-24"), &member_lists());
        assert_eq!(result.status, Status::Met, "{:?}", result.reasons);
        assert_eq!(result.records.len(), 12);
        assert_eq!(
            result.reasons[0],
            "monthly member lists: 12 expected, 12 on file (2025-11-01 to 2026-10-31)"
        );
    }

    #[test]
    fn a_missing_month_is_named_and_overdue() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.monthly_reports("member_list", "2025-11", "2026-06");
        book.monthly_reports("member_list", "2026-08", "2026-10");
        let result = evaluate(&book.organization_evaluation(&catalog, "2026-11-24"), &member_lists());
        assert_eq!(result.status, Status::PartiallyMet);
        assert_eq!(result.occurrences.as_ref().unwrap().missing, vec!["2026-07"]);
        assert!(result.due.iter().any(|i| i.overdue && i.due_on == d("2026-07-31")));
    }

    #[test]
    fn a_report_spanning_a_quarter_does_not_stand_for_each_month() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.report("member_list", "2026-07-01", "2026-09-30");
        let result = evaluate(&book.organization_evaluation(&catalog, "2026-11-24"), &member_lists());
        assert_eq!(result.status, Status::NotMet);
    }

    #[test]
    fn a_report_made_late_counts_for_the_month_it_documents() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        // The December list, whenever it is entered, belongs to December.
        book.report("member_list", "2025-12-01", "2025-12-31");
        let only_december = PeriodicReportRequirement {
            within: CalendarDuration::months(1),
            ..member_lists()
        };
        assert_eq!(
            evaluate(&book.organization_evaluation(&catalog, "2026-01-10"), &only_december).status,
            Status::Met
        );
    }
}
