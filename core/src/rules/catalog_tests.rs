//! Every criterion of the released Domain 4.0 catalog, evaluated on a practice that has it in
//! place and on the same practice with one thing gone wrong.

use std::path::Path;

use super::fixtures::*;
use super::{evaluate, evaluate_all, Status};
use crate::catalog::{parse, Catalog, EvidenceRequirement, Scope};
use crate::records::{AttestedStatus, CarePlanKind, Role};

const AS_OF: &str = "2026-11-24";

fn domain_4() -> Catalog {
    parse(
        include_str!("../../../policy-catalog/domain-4/1.0.0.yaml"),
        Path::new("1.0.0.yaml"),
    )
    .expect("the released catalog loads")
}

/// A practice with every criterion of the catalog in place as of 2026-11-24.
fn compliant_practice(catalog: &Catalog) -> Book {
    let mut book = Book::new();
    let team = [
        ("Ana Lopez", Role::Physician),
        ("Ben Okafor", Role::Nurse),
        ("Gus Hale", Role::CareManager),
        ("Iris Park", Role::BehavioralHealth),
        ("Cara Diaz", Role::FrontOffice),
        ("Olga Berg", Role::OfficeLeader),
    ];
    for (name, role) in team {
        let staff = book.staff(name, role, "2019-03-04");
        for topic in ["pcmh_n_model", "chronic_care_model", "practice_transformation"] {
            book.training(staff, topic, "2026-03-10");
        }
        if role == Role::CareManager {
            book.training(staff, "care_manager_onboarding", "2019-03-20");
        }
    }
    for criterion in &catalog.criteria {
        for requirement in &criterion.evidence {
            match requirement {
                EvidenceRequirement::Document(doc) => {
                    let kind = doc.types.first().map_or("care_management_workflow", |t| t.as_str());
                    book.document(kind, &[criterion.id.as_str()], "2026-02-01");
                }
                EvidenceRequirement::Attestation(_) => {
                    book.attest(criterion.id.as_str(), AttestedStatus::InPlace, "2026-02-01");
                }
                _ => {}
            }
        }
    }
    for on in ["2025-06-30", "2026-06-30"] {
        book.survey("patient_satisfaction", on);
        book.survey("office_efficiency", on);
    }
    for (discussed, established) in [("2026-01-12", "2026-01-20"), ("2026-05-04", "2026-05-04")] {
        let plan = book.care_plan(CarePlanKind::AdvanceCarePlan, discussed, Some(established), true, 2);
        book.share(plan, 0, established);
        book.share(plan, 1, established);
    }
    let survivorship = book.care_plan(
        CarePlanKind::SurvivorshipCarePlan,
        "2026-04-01",
        Some("2026-04-08"),
        true,
        1,
    );
    book.share(survivorship, 0, "2026-04-09");
    for month in 1..=12 {
        let (year, month) = if month <= 2 {
            (2025, month + 10)
        } else {
            (2026, month - 2)
        };
        book.meeting(
            &format!("{year}-{month:02}-14"),
            &[Role::Physician, Role::CareManager, Role::Nurse],
            true,
        );
    }
    book.monthly_reports("member_list", "2025-11", "2026-10");
    book
}

fn status_of(catalog: &Catalog, book: &Book, id: &str) -> Status {
    let criterion = catalog.criterion(&cid(id)).expect("a criterion of 1.0.0");
    let evaluation = match criterion.scope {
        Scope::Practice => book.evaluation(catalog, AS_OF),
        Scope::PhysicianOrganization => book.organization_evaluation(catalog, AS_OF),
    };
    evaluate(&evaluation, criterion).status
}

#[test]
fn a_practice_with_everything_in_place_meets_every_criterion() {
    let catalog = domain_4();
    let book = compliant_practice(&catalog);
    for criterion in &catalog.criteria {
        let evaluation = match criterion.scope {
            Scope::Practice => book.evaluation(&catalog, AS_OF),
            Scope::PhysicianOrganization => book.organization_evaluation(&catalog, AS_OF),
        };
        let result = evaluate(&evaluation, criterion);
        assert_eq!(result.status, Status::Met, "{}: {:?}", criterion.id, result.reasons);
        assert!(
            !result.records.is_empty(),
            "{} names the records that support it",
            criterion.id
        );
    }
}

#[test]
fn po_criteria_are_not_assessed_per_practice_nor_practice_criteria_for_the_po() {
    let catalog = domain_4();
    let book = compliant_practice(&catalog);
    for result in evaluate_all(&book.evaluation(&catalog, AS_OF)) {
        let po_level = ["4.24", "4.25", "4.26", "4.27", "4.28"].contains(&result.criterion.as_str());
        assert_eq!(result.status == Status::NotApplicable, po_level, "{}", result.criterion);
    }
    for result in evaluate_all(&book.organization_evaluation(&catalog, AS_OF)) {
        let po_level = ["4.24", "4.25", "4.26", "4.27", "4.28"].contains(&result.criterion.as_str());
        assert_eq!(result.status != Status::NotApplicable, po_level, "{}", result.criterion);
    }
}

#[test]
fn a_practice_with_no_records_meets_nothing() {
    let catalog = domain_4();
    let mut book = Book::new();
    book.records.practices[0].initial_focus_population = None;
    for criterion in &catalog.criteria {
        assert_eq!(
            status_of(&catalog, &book, criterion.id.as_str()),
            Status::NotMet,
            "{}",
            criterion.id
        );
    }
}

/// What goes wrong for each criterion, and the status it should then have.
type Breakage = (&'static str, fn(&mut Book), Status);

fn withdraw_attestation(book: &mut Book, criterion: &str) {
    let current = book
        .records
        .attestations
        .iter()
        .find(|a| a.criterion.as_str() == criterion)
        .map(|a| a.id)
        .expect("an attestation to correct");
    book.supersede(current, AttestedStatus::NotInPlace, "2026-02-01");
}

fn drop_documents(book: &mut Book, document_type: &str) {
    book.records
        .documents
        .retain(|d| d.document_type.as_str() != document_type);
}

fn forget_training(book: &mut Book, name: &str, topic: &str) {
    let staff = book
        .records
        .staff
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.id)
        .expect("a staff member");
    book.records
        .trainings
        .retain(|t| !(t.staff_id == staff && t.topic.as_str() == topic));
}

fn undeclare_focus(book: &mut Book) {
    book.records.practices[0].initial_focus_population = None;
}

macro_rules! attested {
    ($id:literal) => {
        (
            $id,
            |book: &mut Book| withdraw_attestation(book, $id),
            Status::PartiallyMet,
        )
    };
}

const BREAKAGES: &[Breakage] = &[
    (
        "4.1",
        |b| forget_training(b, "Ben Okafor", "chronic_care_model"),
        Status::PartiallyMet,
    ),
    (
        "4.1",
        |b| {
            b.records
                .trainings
                .iter_mut()
                .for_each(|t| t.completed_on = d("2025-11-23"))
        },
        Status::PartiallyMet,
    ),
    (
        "4.2",
        |b| b.records.staff.retain(|s| s.role != Role::CareManager),
        Status::PartiallyMet,
    ),
    ("4.2", undeclare_focus, Status::PartiallyMet),
    attested!("4.3"),
    (
        "4.4",
        |b| b.records.surveys.retain(|s| s.conducted_on.to_string() != "2025-06-30"),
        Status::PartiallyMet,
    ),
    attested!("4.5"),
    ("4.5", undeclare_focus, Status::PartiallyMet),
    attested!("4.6"),
    attested!("4.7"),
    attested!("4.8"),
    attested!("4.9"),
    attested!("4.10"),
    attested!("4.11"),
    // 4.5 and 4.11 need the same kind of document: without it, both fall short.
    (
        "4.11",
        |b| drop_documents(b, "action_plan_template"),
        Status::PartiallyMet,
    ),
    (
        "4.5",
        |b| drop_documents(b, "action_plan_template"),
        Status::PartiallyMet,
    ),
    attested!("4.12"),
    attested!("4.13"),
    attested!("4.14"),
    attested!("4.15"),
    (
        "4.16",
        |b| b.records.care_plans[1].documented_in_record = false,
        Status::PartiallyMet,
    ),
    (
        "4.16",
        |b| b.records.care_plans.retain(|p| p.kind != CarePlanKind::AdvanceCarePlan),
        Status::NotMet,
    ),
    (
        "4.17",
        |b| b.records.care_plans.iter_mut().for_each(|p| p.shares.clear()),
        Status::NotMet,
    ),
    attested!("4.18"),
    attested!("4.19"),
    attested!("4.20"),
    (
        "4.21",
        |b| b.records.meetings.retain(|m| m.held_on.to_string() != "2026-03-14"),
        Status::PartiallyMet,
    ),
    (
        "4.21",
        |b| {
            b.records
                .meetings
                .iter_mut()
                .for_each(|m| m.documented_in_chart = false)
        },
        Status::NotMet,
    ),
    (
        "4.22",
        |b| b.records.care_plans[0].shares.truncate(1),
        Status::PartiallyMet,
    ),
    attested!("4.23"),
    attested!("4.24"),
    (
        "4.25",
        |b| {
            b.records
                .trainings
                .retain(|t| t.topic.as_str() != "care_manager_onboarding")
        },
        Status::PartiallyMet,
    ),
    attested!("4.26"),
    (
        "4.27",
        |b| b.records.reports.retain(|r| r.period_start.to_string() != "2026-07-01"),
        Status::PartiallyMet,
    ),
    attested!("4.28"),
];

#[test]
fn each_criterion_responds_to_what_goes_wrong_with_its_evidence() {
    let catalog = domain_4();
    for (id, breakage, expected) in BREAKAGES {
        let mut book = compliant_practice(&catalog);
        breakage(&mut book);
        assert_eq!(status_of(&catalog, &book, id), *expected, "{id}");
    }
}

#[test]
fn every_criterion_of_the_catalog_has_a_breakage_test() {
    let catalog = domain_4();
    for criterion in &catalog.criteria {
        assert!(
            BREAKAGES.iter().any(|(id, _, _)| *id == criterion.id.as_str()),
            "criterion {} has no test of what goes wrong",
            criterion.id
        );
    }
}

#[test]
fn criteria_that_may_not_apply_accept_a_not_applicable_attestation() {
    let catalog = domain_4();
    let mut book = compliant_practice(&catalog);
    book.records
        .care_plans
        .retain(|p| p.kind != CarePlanKind::SurvivorshipCarePlan);
    assert_eq!(status_of(&catalog, &book, "4.17"), Status::NotMet);
    book.attest("4.17", AttestedStatus::NotApplicable, "2026-03-01");
    assert_eq!(status_of(&catalog, &book, "4.17"), Status::NotApplicable);
    // 4.10 may not be declared not applicable: medication review applies to every practice.
    let current = book
        .records
        .attestations
        .iter()
        .find(|a| a.criterion.as_str() == "4.10")
        .map(|a| a.id)
        .unwrap();
    book.supersede(current, AttestedStatus::NotApplicable, "2026-03-01");
    assert_eq!(status_of(&catalog, &book, "4.10"), Status::PartiallyMet);
}

#[test]
fn reasons_and_due_items_are_in_plain_words() {
    let catalog = domain_4();
    let mut book = compliant_practice(&catalog);
    forget_training(&mut book, "Ben Okafor", "chronic_care_model");
    let result = evaluate(
        &book.evaluation(&catalog, AS_OF),
        catalog.criterion(&cid("4.1")).unwrap(),
    );
    assert!(
        result.reasons.contains(
            &"1 of 6 active staff have no Chronic Care Model training since 2025-11-24: Ben Okafor (nurse)".to_owned()
        ),
        "{:?}",
        result.reasons
    );
    let meeting = evaluate(
        &book.evaluation(&catalog, AS_OF),
        catalog.criterion(&cid("4.21")).unwrap(),
    );
    assert_eq!(meeting.due[0].what, "team meeting for 2026-11");
    assert_eq!(meeting.due[0].due_on, d("2026-11-30"));
}
