//! Attestations: a signed statement that a criterion is in place, current for a while.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::catalog::{AttestationRequirement, Criterion};
use crate::ids::CriterionId;
use crate::records::{Attestation, AttestedStatus, RecordKind, RecordRef, Records};

use super::{Evaluation, RequirementResult, Status};

/// The attestation of `criterion` in force on `as_of`: the latest by effective date among
/// those not corrected by a later one. A superseded attestation never counts.
pub fn current_attestation<'a>(
    records: &'a Records,
    criterion: &CriterionId,
    as_of: NaiveDate,
) -> Option<&'a Attestation> {
    let superseded: HashSet<_> = records.attestations.iter().filter_map(|a| a.supersedes).collect();
    records
        .attestations
        .iter()
        .filter(|a| &a.criterion == criterion && a.effective_on <= as_of && !superseded.contains(&a.id))
        .max_by_key(|a| (a.effective_on, a.recorded_at, a.id))
}

/// The attestation in force on `as_of` of every criterion that has one, as
/// [`current_attestation`] picks them, in one pass over the records.
pub fn current_attestations(records: &Records, as_of: NaiveDate) -> HashMap<&CriterionId, &Attestation> {
    let superseded: HashSet<_> = records.attestations.iter().filter_map(|a| a.supersedes).collect();
    let mut current: HashMap<&CriterionId, &Attestation> = HashMap::new();
    for attestation in &records.attestations {
        if attestation.effective_on > as_of || superseded.contains(&attestation.id) {
            continue;
        }
        let key = |a: &Attestation| (a.effective_on, a.recorded_at, a.id);
        match current.get(&attestation.criterion) {
            Some(best) if key(best) >= key(attestation) => {}
            _ => {
                current.insert(&attestation.criterion, attestation);
            }
        }
    }
    current
}

/// A current attestation must say the criterion is in place.
pub(super) fn evaluate(
    evaluation: &Evaluation,
    criterion: &Criterion,
    requirement: &AttestationRequirement,
) -> RequirementResult {
    let as_of = evaluation.as_of;
    let Some(attestation) = current_attestation(evaluation.records, &criterion.id, as_of) else {
        return RequirementResult::new("attestation", Status::NotMet)
            .reason(format!("no attestation of {} is on record as of {as_of}", criterion.id));
    };
    let record = RecordRef::new(RecordKind::Attestation, attestation.id.0);
    let expires = requirement
        .within
        .after(attestation.effective_on)
        .unwrap_or(NaiveDate::MAX);
    let who = format!("{} ({})", attestation.signer, attestation.signer_role);
    let mut result = if !requirement.within.counts_on(attestation.effective_on, as_of) {
        RequirementResult::new("attestation", Status::NotMet).reason(format!(
            "the latest attestation of {}, by {who} effective {}, lapsed after {expires}: attestations are renewed every {}",
            criterion.id,
            attestation.effective_on,
            requirement.within.in_words()
        ))
    } else {
        let status = match attestation.status {
            AttestedStatus::InPlace => Status::Met,
            AttestedStatus::PartiallyInPlace => Status::PartiallyMet,
            AttestedStatus::NotInPlace | AttestedStatus::NotApplicable => Status::NotMet,
        };
        let mut result = RequirementResult::new("attestation", status).reason(format!(
            "attested {} by {who} effective {}, current through {expires}",
            attestation.status.label(),
            attestation.effective_on
        ));
        if attestation.status == AttestedStatus::NotApplicable {
            result.reasons.push(format!(
                "the catalog does not allow {} to be attested not applicable",
                criterion.id
            ));
        }
        result
    };
    result.records.push(record);
    result.due.extend(evaluation.due(
        expires,
        format!("renew the attestation of {}", criterion.id),
        vec![record],
    ));
    result
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{evaluate as evaluate_criterion, Status};
    use super::*;
    use crate::catalog::{CalendarDuration, EvidenceRequirement, Scope};

    fn criterion(allow_not_applicable: bool) -> Criterion {
        Criterion {
            id: cid("4.3"),
            title: "Evidence-based guidelines at the point of care".into(),
            text: "Evidence based Guidelines are in use at Point of Care.".into(),
            scope: Scope::Practice,
            population: Vec::new(),
            related: Vec::new(),
            allow_not_applicable,
            evidence: vec![EvidenceRequirement::Attestation(AttestationRequirement {
                within: CalendarDuration::months(12),
            })],
        }
    }

    #[test]
    fn no_attestation_is_not_met() {
        let catalog = vocabulary_catalog();
        let book = Book::new();
        let result = evaluate_criterion(&book.evaluation(&catalog, "2026-11-24"), &criterion(false));
        assert_eq!(result.status, Status::NotMet);
        assert!(
            result.reasons[0].contains("no attestation of 4.3"),
            "{:?}",
            result.reasons
        );
    }

    #[test]
    fn an_attestation_is_current_for_exactly_twelve_months() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let id = book.attest("4.3", AttestedStatus::InPlace, "2025-11-24");
        let on_the_last_day = evaluate_criterion(&book.evaluation(&catalog, "2026-11-24"), &criterion(false));
        assert_eq!(on_the_last_day.status, Status::Met);
        assert_eq!(
            on_the_last_day.records,
            vec![RecordRef::new(RecordKind::Attestation, id.0)]
        );
        assert_eq!(on_the_last_day.due.len(), 1);
        assert_eq!(on_the_last_day.due[0].due_on, d("2026-11-24"));
        assert!(!on_the_last_day.due[0].overdue);

        let a_day_later = evaluate_criterion(&book.evaluation(&catalog, "2026-11-25"), &criterion(false));
        assert_eq!(a_day_later.status, Status::NotMet);
        assert!(
            a_day_later.reasons[0].contains("lapsed after 2026-11-24"),
            "{:?}",
            a_day_later.reasons
        );
        assert!(a_day_later.due[0].overdue);
    }

    #[test]
    fn renewal_shows_as_due_only_within_the_horizon() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.attest("4.3", AttestedStatus::InPlace, "2026-03-01");
        // Expires 2027-03-01, more than 60 days after 2026-11-24.
        assert!(
            evaluate_criterion(&book.evaluation(&catalog, "2026-11-24"), &criterion(false))
                .due
                .is_empty()
        );
        // 2027-01-01 + 60 days reaches it.
        let due = evaluate_criterion(&book.evaluation(&catalog, "2027-01-01"), &criterion(false)).due;
        assert_eq!(due[0].due_on, d("2027-03-01"));
    }

    #[test]
    fn a_partial_attestation_is_partially_met_and_not_in_place_is_not_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let first = book.attest("4.3", AttestedStatus::PartiallyInPlace, "2026-02-01");
        assert_eq!(
            evaluate_criterion(&book.evaluation(&catalog, "2026-11-24"), &criterion(false)).status,
            Status::PartiallyMet
        );
        book.attest("4.3", AttestedStatus::NotInPlace, "2026-06-01");
        assert_eq!(
            evaluate_criterion(&book.evaluation(&catalog, "2026-11-24"), &criterion(false)).status,
            Status::NotMet
        );
        // As of before the later attestation, the earlier one is in force.
        assert_eq!(
            evaluate_criterion(&book.evaluation(&catalog, "2026-05-31"), &criterion(false)).records[0].id,
            first.0
        );
    }

    #[test]
    fn a_superseded_attestation_no_longer_counts() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let wrong = book.attest("4.3", AttestedStatus::InPlace, "2026-06-01");
        let corrected = book.supersede(wrong, AttestedStatus::NotInPlace, "2026-06-01");
        let result = evaluate_criterion(&book.evaluation(&catalog, "2026-11-24"), &criterion(false));
        assert_eq!(result.status, Status::NotMet);
        assert_eq!(result.records[0].id, corrected.0);
    }

    #[test]
    fn an_attestation_dated_after_the_day_asked_does_not_count() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.attest("4.3", AttestedStatus::InPlace, "2026-12-01");
        assert_eq!(
            evaluate_criterion(&book.evaluation(&catalog, "2026-11-24"), &criterion(false)).status,
            Status::NotMet
        );
    }

    #[test]
    fn not_applicable_only_where_the_catalog_allows_it() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.attest("4.3", AttestedStatus::NotApplicable, "2026-06-01");
        let allowed = evaluate_criterion(&book.evaluation(&catalog, "2026-11-24"), &criterion(true));
        assert_eq!(allowed.status, Status::NotApplicable);
        assert!(allowed.reasons[0].contains("attested not applicable by Dana Reyes"));
        let refused = evaluate_criterion(&book.evaluation(&catalog, "2026-11-24"), &criterion(false));
        assert_eq!(refused.status, Status::NotMet);
        assert!(
            refused.reasons.iter().any(|r| r.contains("does not allow 4.3")),
            "{:?}",
            refused.reasons
        );
    }
}
