//! Care plans: advance care plans and survivorship care plans are discussed, documented in
//! the medical record and shared with every care partner in time.
//!
//! Plans are named by their record id in reasons, never by the patient reference.

use chrono::NaiveDate;

use crate::catalog::{CarePlanRequirement, CarePlanSharingRequirement};
use crate::records::{CarePlan, CarePlanKind, RecordKind, RecordRef};

use super::{name_list, plural, Evaluation, RequirementResult, Status};

fn plans_of<'a>(evaluation: &'a Evaluation, kind: CarePlanKind) -> impl Iterator<Item = &'a CarePlan> {
    evaluation.records.care_plans.iter().filter(move |p| p.kind == kind)
}

fn plan_ref(plan: &CarePlan) -> RecordRef {
    RecordRef::new(RecordKind::CarePlan, plan.id.0)
}

/// Plans are held (discussed) in the period, documented, and shared with a provider if asked.
pub(super) fn evaluate_plans(evaluation: &Evaluation, requirement: &CarePlanRequirement) -> RequirementResult {
    let as_of = evaluation.as_of;
    let label = requirement.plan.label();
    let since = requirement.within.window_start(as_of);
    let recent: Vec<&CarePlan> = plans_of(evaluation, requirement.plan)
        .filter(|p| requirement.within.counts_on(p.discussed_on, as_of))
        .collect();
    let mut undocumented = Vec::new();
    let mut unshared = Vec::new();
    let mut complete: Vec<&CarePlan> = Vec::new();
    for plan in &recent {
        let documented = !requirement.documented_in_record || plan.documented_in_record;
        let shared = !requirement.shared_with_provider
            || (plan.established_on.is_some_and(|e| e <= as_of) && plan.shares.iter().any(|s| s.shared_on <= as_of));
        if !documented {
            undocumented.push(format!("#{}", plan.id));
        }
        if !shared {
            unshared.push(format!("#{}", plan.id));
        }
        if documented && shared {
            complete.push(plan);
        }
    }
    let needed = requirement.min_count as usize;
    let status = if complete.len() >= needed && complete.len() == recent.len() {
        Status::Met
    } else if !complete.is_empty() {
        Status::PartiallyMet
    } else {
        Status::NotMet
    };
    let mut result = RequirementResult::new("care_plans", status);
    result.records = complete.iter().map(|p| plan_ref(p)).collect();
    result.reasons.push(format!(
        "{} discussed since {since}, {} complete ({needed} needed)",
        plural(recent.len(), label, &format!("{label}s")),
        complete.len()
    ));
    if !undocumented.is_empty() {
        result.reasons.push(format!(
            "{} not documented in the medical record: {}",
            plural(undocumented.len(), "plan is", "plans are"),
            name_list(&undocumented, 10)
        ));
    }
    if !unshared.is_empty() {
        result.reasons.push(format!(
            "{} not been established and shared with another provider: {}",
            plural(unshared.len(), "plan has", "plans have"),
            name_list(&unshared, 10)
        ));
    }
    // When the plans that make the count age out of the period, a new one is needed.
    let mut by_date: Vec<NaiveDate> = complete.iter().map(|p| p.discussed_on).collect();
    by_date.sort_unstable_by(|a, b| b.cmp(a));
    let lapses = match by_date.get(needed.saturating_sub(1)) {
        Some(&oldest_needed) => requirement.within.after(oldest_needed),
        None => Some(as_of),
    };
    if let Some(due_on) = lapses {
        result.due.extend(evaluation.due(
            due_on,
            format!("hold and document a new {label} conversation"),
            Vec::new(),
        ));
    }
    result
}

/// Every established plan reaches every care partner within the delay.
pub(super) fn evaluate_sharing(evaluation: &Evaluation, requirement: &CarePlanSharingRequirement) -> RequirementResult {
    let as_of = evaluation.as_of;
    let label = requirement.plan.label();
    let since = requirement.within.window_start(as_of);
    let delay = requirement.share_within.in_words();
    let established: Vec<(&CarePlan, NaiveDate)> = plans_of(evaluation, requirement.plan)
        .filter_map(|p| p.established_on.map(|e| (p, e)))
        .filter(|(_, e)| requirement.within.counts_on(*e, as_of))
        .collect();
    let mut result = RequirementResult::new("care_plan_sharing", Status::NotMet);
    if established.is_empty() {
        return result.reason(format!(
            "no {label} was established since {since}, so sharing with care partners cannot be shown"
        ));
    }
    let (mut fully_shared, mut judged) = (0, 0);
    let mut gaps = Vec::new();
    for (plan, established_on) in &established {
        let deadline = requirement
            .share_within
            .after(*established_on)
            .unwrap_or(NaiveDate::MAX);
        let mut plan_gaps = Vec::new();
        let mut pending = false;
        if plan.care_partners.is_empty() {
            plan_gaps.push(format!("plan #{} lists no care partner", plan.id));
        }
        for partner in &plan.care_partners {
            let first_share = plan
                .shares
                .iter()
                .filter(|s| s.partner_id == partner.id && s.shared_on <= as_of)
                .min_by_key(|s| s.shared_on);
            match first_share {
                Some(share) if share.shared_on <= deadline => {
                    result
                        .records
                        .push(RecordRef::new(RecordKind::CarePlanShare, share.id.0));
                }
                Some(share) => {
                    result
                        .records
                        .push(RecordRef::new(RecordKind::CarePlanShare, share.id.0));
                    plan_gaps.push(format!(
                        "plan #{} reached {} on {}, after the {delay} allowed",
                        plan.id, partner.name, share.shared_on
                    ));
                }
                None if as_of <= deadline => {
                    pending = true;
                    result.due.extend(evaluation.due(
                        deadline,
                        format!("share {label} #{} with {}", plan.id, partner.name),
                        vec![plan_ref(plan)],
                    ));
                }
                None => {
                    plan_gaps.push(format!("plan #{} was never shared with {}", plan.id, partner.name));
                    result.due.extend(evaluation.due(
                        deadline,
                        format!("share {label} #{} with {}", plan.id, partner.name),
                        vec![plan_ref(plan)],
                    ));
                }
            }
        }
        if plan_gaps.is_empty() && pending {
            continue; // Still within its delay: neither a success nor a gap yet.
        }
        judged += 1;
        if plan_gaps.is_empty() {
            fully_shared += 1;
            result.records.push(plan_ref(plan));
        }
        gaps.extend(plan_gaps);
    }
    result.status = Status::from_coverage(fully_shared, judged, requirement.coverage);
    let pending = established.len() - judged;
    result.reasons.push(format!(
        "{fully_shared} of {judged} {label}s established since {since} were shared with all their care partners within {delay}{}",
        if pending > 0 {
            format!(" ({} still within the {delay})", plural(pending, "plan", "plans"))
        } else {
            String::new()
        }
    ));
    if !gaps.is_empty() {
        result.reasons.push(name_list(&gaps, 10));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::catalog::CalendarDuration;

    fn acp_conversations() -> CarePlanRequirement {
        CarePlanRequirement {
            plan: CarePlanKind::AdvanceCarePlan,
            within: CalendarDuration::months(12),
            min_count: 1,
            documented_in_record: true,
            shared_with_provider: false,
        }
    }

    fn acp_sharing() -> CarePlanSharingRequirement {
        CarePlanSharingRequirement {
            plan: CarePlanKind::AdvanceCarePlan,
            share_within: CalendarDuration::days(30),
            within: CalendarDuration::months(12),
            coverage: 100,
        }
    }

    const ACP: CarePlanKind = CarePlanKind::AdvanceCarePlan;

    #[test]
    fn documented_acp_conversations_in_the_year_are_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let plan = book.care_plan(ACP, "2025-11-24", None, true, 0);
        let result = evaluate_plans(&book.evaluation(&catalog, "2026-11-24"), &acp_conversations());
        assert_eq!(result.status, Status::Met, "{:?}", result.reasons);
        assert_eq!(result.records, vec![RecordRef::new(RecordKind::CarePlan, plan.0)]);
        assert_eq!(
            result.reasons[0],
            "1 advance care plan discussed since 2025-11-24, 1 complete (1 needed)"
        );
        // It was the only one and it ages out today: a new conversation is due.
        assert_eq!(result.due[0].due_on, d("2026-11-24"));
        assert_eq!(
            evaluate_plans(&book.evaluation(&catalog, "2026-11-25"), &acp_conversations()).status,
            Status::NotMet
        );
    }

    #[test]
    fn an_undocumented_conversation_makes_it_partial() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.care_plan(ACP, "2026-03-01", None, true, 0);
        let undocumented = book.care_plan(ACP, "2026-04-01", None, false, 0);
        let result = evaluate_plans(&book.evaluation(&catalog, "2026-11-24"), &acp_conversations());
        assert_eq!(result.status, Status::PartiallyMet);
        assert_eq!(
            result.reasons[1],
            format!("1 plan is not documented in the medical record: #{}", undocumented)
        );
        assert!(
            result.reasons.iter().all(|r| !r.contains("PT-")),
            "reasons never carry the patient reference"
        );
    }

    #[test]
    fn no_conversation_is_not_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.care_plan(CarePlanKind::SurvivorshipCarePlan, "2026-03-01", None, true, 0);
        let result = evaluate_plans(&book.evaluation(&catalog, "2026-11-24"), &acp_conversations());
        assert_eq!(result.status, Status::NotMet);
        assert_eq!(result.due[0].due_on, d("2026-11-24"));
    }

    #[test]
    fn survivorship_plans_must_be_shared_with_a_provider() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let requirement = CarePlanRequirement {
            plan: CarePlanKind::SurvivorshipCarePlan,
            shared_with_provider: true,
            ..acp_conversations()
        };
        let plan = book.care_plan(
            CarePlanKind::SurvivorshipCarePlan,
            "2026-05-01",
            Some("2026-05-03"),
            true,
            1,
        );
        let result = evaluate_plans(&book.evaluation(&catalog, "2026-11-24"), &requirement);
        assert_eq!(result.status, Status::NotMet);
        assert!(
            result.reasons[1].contains("not been established and shared"),
            "{:?}",
            result.reasons
        );
        book.share(plan, 0, "2026-05-10");
        assert_eq!(
            evaluate_plans(&book.evaluation(&catalog, "2026-11-24"), &requirement).status,
            Status::Met
        );
        // Before the share, it was not yet shared.
        assert_eq!(
            evaluate_plans(&book.evaluation(&catalog, "2026-05-09"), &requirement).status,
            Status::NotMet
        );
    }

    #[test]
    fn every_partner_reached_within_thirty_days_is_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let plan = book.care_plan(ACP, "2026-05-01", Some("2026-05-01"), true, 2);
        book.share(plan, 0, "2026-05-02");
        book.share(plan, 1, "2026-05-31"); // the 30th day after
        let result = evaluate_sharing(&book.evaluation(&catalog, "2026-11-24"), &acp_sharing());
        assert_eq!(result.status, Status::Met, "{:?}", result.reasons);
        assert_eq!(result.records.len(), 3);
    }

    #[test]
    fn a_partner_never_shared_with_is_a_gap_once_the_delay_has_passed() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let plan = book.care_plan(ACP, "2026-10-01", Some("2026-10-01"), true, 2);
        book.share(plan, 0, "2026-10-05");
        // Within the 30 days, the missing share is due, not a gap.
        let early = evaluate_sharing(&book.evaluation(&catalog, "2026-10-20"), &acp_sharing());
        assert_eq!(early.status, Status::Met, "{:?}", early.reasons);
        assert_eq!(early.due.len(), 1);
        assert_eq!(early.due[0].due_on, d("2026-10-31"));
        assert!(early.reasons[0].contains("1 plan still within the 30 days"));
        // After the 30 days it is a gap, named, and overdue.
        let late = evaluate_sharing(&book.evaluation(&catalog, "2026-11-24"), &acp_sharing());
        assert_eq!(late.status, Status::NotMet);
        assert_eq!(late.reasons[1], format!("plan #{plan} was never shared with partner 1"));
        assert!(late.due[0].overdue);
    }

    #[test]
    fn a_share_after_the_delay_is_late() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let on_time = book.care_plan(ACP, "2026-03-01", Some("2026-03-01"), true, 1);
        book.share(on_time, 0, "2026-03-10");
        let late = book.care_plan(ACP, "2026-04-01", Some("2026-04-01"), true, 1);
        book.share(late, 0, "2026-05-02");
        let result = evaluate_sharing(&book.evaluation(&catalog, "2026-11-24"), &acp_sharing());
        assert_eq!(result.status, Status::PartiallyMet);
        assert_eq!(
            result.reasons[1],
            format!("plan #{late} reached partner 0 on 2026-05-02, after the 30 days allowed")
        );
    }

    #[test]
    fn plans_not_yet_established_are_not_expected_to_be_shared() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.care_plan(ACP, "2026-03-01", None, true, 2);
        let result = evaluate_sharing(&book.evaluation(&catalog, "2026-11-24"), &acp_sharing());
        assert_eq!(result.status, Status::NotMet);
        assert!(result.reasons[0].starts_with("no advance care plan was established since 2025-11-24"));
    }

    #[test]
    fn a_plan_with_no_care_partner_is_a_gap() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let plan = book.care_plan(ACP, "2026-03-01", Some("2026-03-01"), true, 0);
        let result = evaluate_sharing(&book.evaluation(&catalog, "2026-11-24"), &acp_sharing());
        assert_eq!(result.status, Status::NotMet);
        assert_eq!(result.reasons[1], format!("plan #{plan} lists no care partner"));
    }

    #[test]
    fn a_share_with_another_plans_partner_does_not_count() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let first = book.care_plan(ACP, "2026-03-01", Some("2026-03-01"), true, 1);
        let second = book.care_plan(ACP, "2026-03-01", Some("2026-03-01"), true, 1);
        book.share(first, 0, "2026-03-02");
        // A share recorded on the second plan but naming the first plan's partner.
        let foreign = book.records.care_plans[0].care_partners[0].id;
        book.records.care_plans[1].shares.push(crate::records::CarePlanShare {
            id: crate::ids::CarePlanShareId(9999),
            partner_id: foreign,
            shared_on: d("2026-03-02"),
            method: crate::records::ShareMethod::Fax,
            correction: Default::default(),
        });
        let result = evaluate_sharing(&book.evaluation(&catalog, "2026-11-24"), &acp_sharing());
        assert_eq!(result.status, Status::PartiallyMet);
        assert!(result.reasons[1].contains(&format!("plan #{second} was never shared")));
    }
}
