//! The care team: each practice has enough distinct disciplines among its active staff, and
//! the roles it cannot do without (a care manager).

use std::collections::BTreeSet;

use crate::catalog::CareTeamRequirement;
use crate::ids::PracticeId;
use crate::records::{RecordKind, RecordRef, Role};

use super::{Evaluation, RequirementResult, Status};

pub(super) fn evaluate(evaluation: &Evaluation, requirement: &CareTeamRequirement) -> RequirementResult {
    let as_of = evaluation.as_of;
    let records = evaluation.records;
    // Each practice is judged on its own team; staff of a practice not listed still form one.
    let mut practices: Vec<(PracticeId, String)> = records.practices.iter().map(|p| (p.id, p.name.clone())).collect();
    for staff in &records.staff {
        if !practices.iter().any(|(id, _)| *id == staff.practice_id) {
            practices.push((staff.practice_id, format!("practice {}", staff.practice_id)));
        }
    }
    let mut result = RequirementResult::new("care_team", Status::NotMet);
    if practices.is_empty() {
        return result.reason("no practice or staff is on record");
    }
    let mut statuses = Vec::new();
    for (practice, name) in &practices {
        let active: Vec<_> = records
            .staff
            .iter()
            .filter(|s| s.practice_id == *practice && s.is_active_on(as_of))
            .collect();
        let disciplines: BTreeSet<Role> = active
            .iter()
            .map(|s| s.role)
            .filter(|r| requirement.disciplines.contains(r))
            .collect();
        let missing_roles: Vec<Role> = requirement
            .required_roles
            .iter()
            .copied()
            .filter(|r| !active.iter().any(|s| s.role == *r))
            .collect();
        let enough = disciplines.len() >= requirement.min_disciplines as usize;
        let mut parts = Vec::new();
        if requirement.min_disciplines > 0 {
            parts.push(if enough { Status::Met } else { Status::NotMet });
            let listed: Vec<&str> = disciplines.iter().map(|r| r.label()).collect();
            result.reasons.push(format!(
                "{name}: {} of {} disciplines needed on the care team as of {as_of}{}",
                disciplines.len(),
                requirement.min_disciplines,
                if listed.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", listed.join(", "))
                }
            ));
        }
        if !requirement.required_roles.is_empty() {
            parts.push(if missing_roles.is_empty() {
                Status::Met
            } else {
                Status::NotMet
            });
            for role in &missing_roles {
                result
                    .reasons
                    .push(format!("{name}: no active {role} on the care team as of {as_of}"));
            }
        }
        result.records.extend(
            active
                .iter()
                .filter(|s| requirement.disciplines.contains(&s.role) || requirement.required_roles.contains(&s.role))
                .map(|s| RecordRef::new(RecordKind::Staff, s.id.0)),
        );
        statuses.push(Status::combine(parts));
    }
    result.status = Status::combine(statuses);
    result
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    fn team() -> CareTeamRequirement {
        CareTeamRequirement {
            disciplines: vec![
                Role::Physician,
                Role::Nurse,
                Role::CareManager,
                Role::BehavioralHealth,
                Role::Pharmacist,
            ],
            min_disciplines: 3,
            required_roles: vec![Role::CareManager],
        }
    }

    #[test]
    fn three_disciplines_with_a_care_manager_is_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.staff("Ana Lopez", Role::Physician, "2020-01-01");
        book.staff("Ben Okafor", Role::Nurse, "2020-01-01");
        book.staff("Gus Hale", Role::CareManager, "2021-01-01");
        book.staff("Cara Diaz", Role::FrontOffice, "2021-01-01");
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &team());
        assert_eq!(result.status, Status::Met, "{:?}", result.reasons);
        assert_eq!(
            result.reasons,
            vec!["Maple Street Family Medicine: 3 of 3 disciplines needed on the care team as of 2026-11-24 (physician, nurse, care manager)"]
        );
        // Front office staff are not a discipline of the care team and do not support it.
        assert_eq!(result.records.len(), 3);
    }

    #[test]
    fn several_staff_of_one_role_are_one_discipline() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.staff("Ana Lopez", Role::Physician, "2020-01-01");
        book.staff("Hal Ruiz", Role::Physician, "2020-01-01");
        book.staff("Gus Hale", Role::CareManager, "2021-01-01");
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &team());
        assert_eq!(result.status, Status::PartiallyMet);
        assert!(result.reasons[0].contains("2 of 3 disciplines"), "{:?}", result.reasons);
    }

    #[test]
    fn a_team_without_an_active_care_manager_is_partially_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.staff("Ana Lopez", Role::Physician, "2020-01-01");
        book.staff("Ben Okafor", Role::Nurse, "2020-01-01");
        book.staff("Iris Park", Role::Pharmacist, "2020-01-01");
        let cm = book.staff("Gus Hale", Role::CareManager, "2021-01-01");
        book.left(cm, "2026-09-30");
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &team());
        assert_eq!(result.status, Status::PartiallyMet);
        assert!(result.reasons.contains(
            &"Maple Street Family Medicine: no active care manager on the care team as of 2026-11-24".to_owned()
        ));
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2026-09-30"), &team()).status,
            Status::Met
        );
    }

    #[test]
    fn no_staff_is_not_met() {
        let catalog = vocabulary_catalog();
        let book = Book::new();
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2026-11-24"), &team()).status,
            Status::NotMet
        );
    }

    #[test]
    fn at_po_level_each_practice_needs_its_own_care_manager() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let second = book.add_practice(2, "Riverside Pediatrics");
        book.staff("Gus Hale", Role::CareManager, "2021-01-01");
        book.staff_in(second, "Jo Kim", Role::Physician, "2021-01-01");
        let care_manager_only = CareTeamRequirement {
            disciplines: Vec::new(),
            min_disciplines: 0,
            required_roles: vec![Role::CareManager],
        };
        let result = evaluate(
            &book.organization_evaluation(&catalog, "2026-11-24"),
            &care_manager_only,
        );
        assert_eq!(result.status, Status::PartiallyMet);
        assert_eq!(
            result.reasons,
            vec!["Riverside Pediatrics: no active care manager on the care team as of 2026-11-24"]
        );
        book.staff_in(second, "Lee Moss", Role::CareManager, "2025-01-01");
        assert_eq!(
            evaluate(
                &book.organization_evaluation(&catalog, "2026-11-24"),
                &care_manager_only
            )
            .status,
            Status::Met
        );
    }
}
