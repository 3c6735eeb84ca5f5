//! Team meetings: held every period, documented in the chart, with enough disciplines;
//! their open follow-ups fall due.

use crate::catalog::{TeamMeetingRequirement, Vocabulary};
use crate::records::{RecordKind, RecordRef, TeamMeeting};

use super::periods::tally;
use super::{Evaluation, RequirementResult};

/// Why a meeting does not count, if it does not.
fn shortfall(evaluation: &Evaluation, requirement: &TeamMeetingRequirement, meeting: &TeamMeeting) -> Option<String> {
    let kinds = &evaluation.catalog.vocabulary.meeting_kinds;
    if !requirement.kinds.is_empty() && !requirement.kinds.contains(&meeting.kind) {
        return Some(format!("is a {}, not a {}", Vocabulary::label(kinds, &meeting.kind), {
            requirement
                .kinds
                .iter()
                .map(|k| Vocabulary::label(kinds, k))
                .collect::<Vec<_>>()
                .join(" or ")
        }));
    }
    if requirement.documented_in_chart && !meeting.documented_in_chart {
        return Some("is not documented in the patient chart".into());
    }
    let disciplines = meeting.disciplines().len();
    if disciplines < requirement.min_disciplines as usize {
        return Some(format!(
            "had {disciplines} discipline{} attending, {} needed",
            if disciplines == 1 { "" } else { "s" },
            requirement.min_disciplines
        ));
    }
    None
}

pub(super) fn evaluate(evaluation: &Evaluation, requirement: &TeamMeetingRequirement) -> RequirementResult {
    let as_of = evaluation.as_of;
    let held: Vec<&TeamMeeting> = evaluation
        .records
        .meetings
        .iter()
        .filter(|m| m.held_on <= as_of)
        .collect();
    let every = requirement.every.whole_months().unwrap_or(1);
    let within = requirement.within.whole_months().unwrap_or(12);
    let mut result = tally(evaluation, "team_meetings", "team meeting", every, within, |period| {
        held.iter()
            .filter(|m| period.contains(m.held_on) && shortfall(evaluation, requirement, m).is_none())
            .map(|m| RecordRef::new(RecordKind::TeamMeeting, m.id.0))
            .collect()
    });
    // Name the meetings that do not count, over the periods checked and the current one.
    let (expected, _) = super::periods::periods_before(as_of, every, within / every.max(1));
    let window_start = expected.first().map_or(as_of, |p| p.start);
    for meeting in held.iter().filter(|m| m.held_on >= window_start) {
        if let Some(why) = shortfall(evaluation, requirement, meeting) {
            result
                .reasons
                .push(format!("the meeting of {} does not count: it {why}", meeting.held_on));
        }
    }
    for meeting in &held {
        for follow_up in &meeting.follow_ups {
            let open = follow_up.completed_on.is_none_or(|done| done > as_of);
            if open {
                result.due.extend(evaluation.due(
                    follow_up.due_on,
                    format!(
                        "follow-up from the meeting of {}: {}",
                        meeting.held_on, follow_up.description
                    ),
                    vec![RecordRef::new(RecordKind::TeamMeeting, meeting.id.0)],
                ));
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::Status;
    use super::*;
    use crate::catalog::CalendarDuration;
    use crate::records::Role;

    const TEAM: [Role; 3] = [Role::Physician, Role::CareManager, Role::Nurse];

    fn monthly() -> TeamMeetingRequirement {
        TeamMeetingRequirement {
            every: CalendarDuration::months(1),
            within: CalendarDuration::months(12),
            kinds: vec![term("case_conference")],
            documented_in_chart: true,
            min_disciplines: 2,
        }
    }

    fn every_month(book: &mut Book, first: (i32, u32), count: u32, skip: &[&str]) {
        let (mut year, mut month) = first;
        for _ in 0..count {
            let label = format!("{year}-{month:02}");
            if !skip.contains(&label.as_str()) {
                book.meeting(&format!("{label}-15"), &TEAM, true);
            }
            month += 1;
            if month == 13 {
                month = 1;
                year += 1;
            }
        }
    }

    #[test]
    fn a_meeting_every_month_of_the_year_is_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        every_month(&mut book, (2025, 11), 12, &[]);
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &monthly());
        assert_eq!(result.status, Status::Met, "{:?}", result.reasons);
        let occurrences = result.occurrences.unwrap();
        assert_eq!((occurrences.expected, occurrences.held), (12, 12));
        // November 2026 has no meeting yet: it is due by the month's end, not missing.
        assert_eq!(result.due.len(), 1);
        assert_eq!(result.due[0].due_on, d("2026-11-30"));
        assert!(!result.due[0].overdue);
    }

    #[test]
    fn a_month_with_no_meeting_is_named() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        every_month(&mut book, (2025, 11), 13, &["2026-03"]);
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &monthly());
        assert_eq!(result.status, Status::PartiallyMet);
        assert_eq!(
            result.reasons[0],
            "monthly team meetings: 12 expected, 11 held, none in 2026-03 (2025-11-01 to 2026-10-31)"
        );
        assert_eq!(result.occurrences.unwrap().missing, vec!["2026-03"]);
        let overdue: Vec<_> = result.due.iter().filter(|d| d.overdue).collect();
        assert_eq!(overdue.len(), 1);
        assert_eq!(overdue[0].due_on, d("2026-03-31"));
    }

    #[test]
    fn two_meetings_in_one_month_do_not_make_up_for_an_empty_one() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        every_month(&mut book, (2025, 11), 12, &["2026-04"]);
        book.meeting("2026-05-28", &TEAM, true);
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &monthly());
        assert_eq!(result.status, Status::PartiallyMet);
        assert_eq!(result.occurrences.unwrap().held, 11);
    }

    #[test]
    fn meetings_on_the_first_and_last_day_count_for_their_month() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.meeting("2026-09-01", &TEAM, true);
        book.meeting("2026-10-31", &TEAM, true);
        let quarterly_window = TeamMeetingRequirement {
            within: CalendarDuration::months(2),
            ..monthly()
        };
        let result = evaluate(&book.evaluation(&catalog, "2026-11-01"), &quarterly_window);
        assert_eq!(result.status, Status::Met, "{:?}", result.reasons);
    }

    #[test]
    fn undocumented_or_single_discipline_meetings_do_not_count_and_say_why() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.meeting("2026-10-05", &TEAM, false);
        book.meeting("2026-10-12", &[Role::Nurse, Role::Nurse], true);
        let result = evaluate(
            &book.evaluation(&catalog, "2026-11-24"),
            &TeamMeetingRequirement {
                within: CalendarDuration::months(1),
                ..monthly()
            },
        );
        assert_eq!(result.status, Status::NotMet);
        assert!(result.reasons.contains(
            &"the meeting of 2026-10-05 does not count: it is not documented in the patient chart".to_owned()
        ));
        assert!(result
            .reasons
            .contains(&"the meeting of 2026-10-12 does not count: it had 1 discipline attending, 2 needed".to_owned()));
    }

    #[test]
    fn no_meeting_at_all_is_not_met() {
        let catalog = vocabulary_catalog();
        let book = Book::new();
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &monthly());
        assert_eq!(result.status, Status::NotMet);
        assert_eq!(result.occurrences.unwrap().missing.len(), 12);
    }

    #[test]
    fn open_follow_ups_fall_due_and_done_ones_do_not() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let meeting = book.meeting("2026-11-10", &TEAM, true);
        book.follow_up(meeting, "call the cardiology office", "2026-12-01", None);
        book.follow_up(meeting, "update the care plan", "2026-11-20", Some("2026-11-18"));
        book.follow_up(meeting, "arrange transport", "2026-11-20", None);
        let result = evaluate(&book.evaluation(&catalog, "2026-11-24"), &monthly());
        let follow_ups: Vec<_> = result.due.iter().filter(|d| d.what.starts_with("follow-up")).collect();
        assert_eq!(follow_ups.len(), 2);
        assert!(follow_ups
            .iter()
            .any(|d| d.what.ends_with("arrange transport") && d.overdue));
        assert!(follow_ups
            .iter()
            .any(|d| d.what.ends_with("call the cardiology office") && !d.overdue));
    }
}
