//! Training: every active staff member in the roles concerned is trained on every topic,
//! recently enough; new staff have a grace period from their first day.

use std::collections::HashMap;

use crate::catalog::{TrainingRequirement, Vocabulary};
use crate::ids::StaffId;
use crate::records::{RecordKind, RecordRef, Staff, TrainingRecord};

use super::{name_list, plural, Evaluation, RequirementResult, Status};

const NAMES_SHOWN: usize = 5;

/// Where one staff member stands on one topic.
enum Standing {
    Trained,
    InGrace,
    Missing,
}

pub(super) fn evaluate(evaluation: &Evaluation, requirement: &TrainingRequirement) -> RequirementResult {
    let as_of = evaluation.as_of;
    let records = evaluation.records;
    let topics = &evaluation.catalog.vocabulary.training_topics;
    let in_scope: Vec<&Staff> = records
        .staff
        .iter()
        .filter(|s| s.is_active_on(as_of))
        .filter(|s| requirement.roles.as_ref().is_none_or(|roles| roles.contains(&s.role)))
        .collect();
    let who = match &requirement.roles {
        None => "active staff".to_owned(),
        Some(roles) => format!(
            "active staff ({})",
            roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(" or ")
        ),
    };
    if in_scope.is_empty() {
        return RequirementResult::new("training", Status::NotMet)
            .reason(format!("no {who} are on record as of {as_of}"));
    }
    let since = requirement
        .within
        .map(|w| format!(" since {}", w.window_start(as_of)))
        .unwrap_or_default();

    // Each staff member's training records, found once: a PO-wide evaluation has thousands of
    // staff and tens of thousands of records.
    let mut by_staff: HashMap<StaffId, Vec<&TrainingRecord>> = in_scope.iter().map(|s| (s.id, Vec::new())).collect();
    for record in &records.trainings {
        if let Some(list) = by_staff.get_mut(&record.staff_id) {
            list.push(record);
        }
    }

    let mut result = RequirementResult::new("training", Status::NotMet);
    let mut trained_all = 0;
    let mut in_grace_names = Vec::new();
    let mut missing_by_topic = vec![Vec::new(); requirement.topics.len()];
    for staff in &in_scope {
        let mut standings = Vec::new();
        for (t, topic) in requirement.topics.iter().enumerate() {
            let label = Vocabulary::label(topics, topic);
            let latest = by_staff
                .get(&staff.id)
                .into_iter()
                .flatten()
                .copied()
                .filter(|r| &r.topic == topic && r.completed_on <= as_of)
                .max_by_key(|r| (r.completed_on, r.id));
            let current = latest.filter(|r| requirement.within.is_none_or(|w| w.counts_on(r.completed_on, as_of)));
            let grace_ends = requirement.new_staff_grace.and_then(|g| g.after(staff.started_on));
            let standing = if let Some(record) = current {
                let reference = RecordRef::new(RecordKind::Training, record.id.0);
                result.records.push(reference);
                if let Some(expires) = requirement.within.and_then(|w| w.after(record.completed_on)) {
                    result.due.extend(evaluation.due(
                        expires,
                        format!("{} ({}) renews {label} training", staff.name, staff.role),
                        vec![reference, RecordRef::new(RecordKind::Staff, staff.id.0)],
                    ));
                }
                Standing::Trained
            } else if grace_ends.is_some_and(|end| as_of <= end) {
                let end = grace_ends.unwrap_or(as_of);
                result.due.extend(evaluation.due(
                    end,
                    format!(
                        "{} ({}, started {}) completes {label} training",
                        staff.name, staff.role, staff.started_on
                    ),
                    vec![RecordRef::new(RecordKind::Staff, staff.id.0)],
                ));
                Standing::InGrace
            } else {
                // Overdue since the last training lapsed, or since the grace period (or first day) ended.
                let lapsed = latest.and_then(|r| requirement.within.and_then(|w| w.after(r.completed_on)));
                let due_on = lapsed.or(grace_ends).unwrap_or(staff.started_on).max(staff.started_on);
                let what = match latest {
                    Some(r) => format!(
                        "{} ({}) renews {label} training, last done {}",
                        staff.name, staff.role, r.completed_on
                    ),
                    None => format!("{} ({}) completes {label} training", staff.name, staff.role),
                };
                result
                    .due
                    .extend(evaluation.due(due_on, what, vec![RecordRef::new(RecordKind::Staff, staff.id.0)]));
                missing_by_topic[t].push(format!("{} ({})", staff.name, staff.role));
                Standing::Missing
            };
            standings.push(standing);
        }
        if standings.iter().all(|s| matches!(s, Standing::Trained)) {
            trained_all += 1;
        } else if standings.iter().all(|s| !matches!(s, Standing::Missing)) {
            in_grace_names.push(format!("{} ({}, started {})", staff.name, staff.role, staff.started_on));
        }
    }

    let assessed = in_scope.len() - in_grace_names.len();
    let topic_words = if requirement.topics.len() == 1 {
        format!("{} training", Vocabulary::label(topics, &requirement.topics[0]))
    } else {
        format!("all {} required trainings", requirement.topics.len())
    };
    result.status = Status::from_coverage(trained_all, assessed, requirement.coverage);
    result.reasons.push(format!(
        "{trained_all} of {} {who} have {topic_words}{since}{}",
        assessed,
        if requirement.coverage < 100 {
            format!(" ({}% needed)", requirement.coverage)
        } else {
            String::new()
        }
    ));
    for (topic, missing) in requirement.topics.iter().zip(&missing_by_topic) {
        if !missing.is_empty() {
            result.reasons.push(format!(
                "{} of {} {who} have no {} training{since}: {}",
                missing.len(),
                in_scope.len(),
                Vocabulary::label(topics, topic),
                name_list(missing, NAMES_SHOWN)
            ));
        }
    }
    if !in_grace_names.is_empty() {
        let grace = requirement.new_staff_grace.map(|g| g.in_words()).unwrap_or_default();
        result.reasons.push(format!(
            "{} within the {grace} grace period for new staff: {}",
            plural(in_grace_names.len(), "new staff member is", "new staff members are"),
            name_list(&in_grace_names, NAMES_SHOWN)
        ));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::catalog::CalendarDuration;
    use crate::records::Role;

    fn care_model_training() -> TrainingRequirement {
        TrainingRequirement {
            topics: vec![term("pcmh_n_model"), term("chronic_care_model")],
            roles: None,
            within: Some(CalendarDuration::months(12)),
            new_staff_grace: Some(CalendarDuration::days(90)),
            coverage: 100,
        }
    }

    fn trained(book: &mut Book, name: &str, role: Role, on: &str) {
        let s = book.staff(name, role, "2020-01-06");
        book.training(s, "pcmh_n_model", on);
        book.training(s, "chronic_care_model", on);
    }

    #[test]
    fn everyone_trained_within_the_year_is_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        trained(&mut book, "Ana Lopez", Role::Physician, "2026-02-10");
        trained(&mut book, "Ben Okafor", Role::Nurse, "2026-03-15");
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &care_model_training());
        assert_eq!(result.status, Status::Met);
        assert_eq!(result.records.len(), 4);
        assert_eq!(
            result.reasons[0],
            "2 of 2 active staff have all 2 required trainings since 2025-11-24"
        );
    }

    #[test]
    fn a_training_exactly_one_year_old_still_counts_and_a_day_older_does_not() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        trained(&mut book, "Ana Lopez", Role::Physician, "2025-11-24");
        let on_the_day = evaluate(&book.evaluation(&catalog, "2026-11-24"), &care_model_training());
        assert_eq!(on_the_day.status, Status::Met);
        assert!(on_the_day.due.iter().all(|i| i.due_on == d("2026-11-24") && !i.overdue));
        let day_after = evaluate(&book.evaluation(&catalog, "2026-11-25"), &care_model_training());
        assert_eq!(day_after.status, Status::NotMet);
        assert!(
            day_after.reasons[1].contains("have no PCMH-N model training since 2025-11-25"),
            "{:?}",
            day_after.reasons
        );
        assert!(day_after.due.iter().all(|d| d.overdue));
    }

    #[test]
    fn a_training_on_a_leap_day_counts_through_the_28th_of_february() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        trained(&mut book, "Ana Lopez", Role::Physician, "2024-02-29");
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2025-02-28"), &care_model_training()).status,
            Status::Met
        );
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2025-03-01"), &care_model_training()).status,
            Status::NotMet
        );
    }

    #[test]
    fn staff_missing_a_topic_are_named_and_make_it_partial() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        trained(&mut book, "Ana Lopez", Role::Physician, "2026-02-10");
        let ben = book.staff("Ben Okafor", Role::Nurse, "2019-05-01");
        book.training(ben, "pcmh_n_model", "2026-04-01");
        book.staff("Cara Diaz", Role::FrontOffice, "2018-09-01");
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &care_model_training());
        assert_eq!(result.status, Status::PartiallyMet);
        assert_eq!(
            result.reasons[1],
            "1 of 3 active staff have no PCMH-N model training since 2025-11-24: Cara Diaz (front office)"
        );
        assert_eq!(
            result.reasons[2],
            "2 of 3 active staff have no Chronic Care Model training since 2025-11-24: Ben Okafor (nurse), Cara Diaz (front office)"
        );
    }

    #[test]
    fn nobody_trained_is_not_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.staff("Ana Lopez", Role::Physician, "2019-01-01");
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &care_model_training());
        assert_eq!(result.status, Status::NotMet);
        // Never trained: overdue since the grace period for new staff ended, 90 days after the first day.
        assert!(
            result.due.iter().all(|i| i.overdue && i.due_on == d("2019-04-01")),
            "{:?}",
            result.due
        );
    }

    #[test]
    fn new_staff_within_the_grace_period_are_not_a_gap_but_fall_due() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        trained(&mut book, "Ana Lopez", Role::Physician, "2026-02-10");
        book.staff("Dev Patel", Role::MedicalAssistant, "2026-10-20");
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &care_model_training());
        assert_eq!(result.status, Status::Met, "{:?}", result.reasons);
        assert!(
            result.reasons[1].contains("1 new staff member is within the 90 days grace period"),
            "{:?}",
            result.reasons
        );
        let dev_due: Vec<_> = result.due.iter().filter(|d| d.what.starts_with("Dev Patel")).collect();
        assert_eq!(dev_due.len(), 2);
        assert!(dev_due.iter().all(|i| i.due_on == d("2027-01-18") && !i.overdue));
    }

    #[test]
    fn the_grace_period_ends_on_its_last_day() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.staff("Dev Patel", Role::MedicalAssistant, "2026-10-20");
        // 2026-10-20 + 90 days = 2027-01-18: still in grace that day, not the next.
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2027-01-18"), &care_model_training()).status,
            Status::Met
        );
        let after = evaluate(&book.evaluation(&catalog, "2027-01-19"), &care_model_training());
        assert_eq!(after.status, Status::NotMet);
        assert!(after.due.iter().all(|i| i.overdue && i.due_on == d("2027-01-18")));
    }

    #[test]
    fn staff_who_left_or_have_not_started_are_not_counted() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        trained(&mut book, "Ana Lopez", Role::Physician, "2026-02-10");
        let gone = book.staff("Eli Stone", Role::Nurse, "2015-01-01");
        book.left(gone, "2026-06-30");
        book.staff("Fay Wong", Role::Nurse, "2026-12-01");
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &care_model_training());
        assert_eq!(result.status, Status::Met);
        assert_eq!(
            result.reasons[0],
            "1 of 1 active staff have all 2 required trainings since 2025-11-24"
        );
        // On the last day of work the staff member still counts.
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2026-06-30"), &care_model_training()).status,
            Status::PartiallyMet
        );
    }

    #[test]
    fn a_practice_with_no_active_staff_is_not_met() {
        let catalog = vocabulary_catalog();
        let book = Book::new();
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &care_model_training());
        assert_eq!(result.status, Status::NotMet);
        assert_eq!(result.reasons, vec!["no active staff are on record as of 2026-11-24"]);
    }

    #[test]
    fn only_the_roles_named_are_checked_and_onboarding_counts_for_ever() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let cm = book.staff("Gus Hale", Role::CareManager, "2018-01-01");
        book.training(cm, "care_manager_onboarding", "2018-02-01");
        book.staff("Hal Ruiz", Role::Physician, "2018-01-01");
        let onboarding = TrainingRequirement {
            topics: vec![term("care_manager_onboarding")],
            roles: Some(vec![Role::CareManager]),
            within: None,
            new_staff_grace: None,
            coverage: 100,
        };
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &onboarding);
        assert_eq!(result.status, Status::Met);
        assert_eq!(
            result.reasons[0],
            "1 of 1 active staff (care manager) have care manager onboarding training"
        );
        assert!(result.due.is_empty());
    }

    #[test]
    fn coverage_below_one_hundred_percent_is_met_at_the_threshold() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        for n in 0..4 {
            trained(&mut book, &format!("Trained {n}"), Role::Nurse, "2026-05-01");
        }
        book.staff("Untrained", Role::Nurse, "2019-01-01");
        let mut requirement = care_model_training();
        requirement.coverage = 80;
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2026-11-24"), &requirement).status,
            Status::Met
        );
        requirement.coverage = 81;
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2026-11-24"), &requirement).status,
            Status::PartiallyMet
        );
    }

    #[test]
    fn a_training_recorded_for_a_later_date_does_not_count_yet() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        trained(&mut book, "Ana Lopez", Role::Physician, "2026-12-01");
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2026-11-24"), &care_model_training()).status,
            Status::NotMet
        );
    }
}
