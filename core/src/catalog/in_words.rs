//! A catalog's evidence requirements in plain words, as the catalog pages and the OSCAL
//! catalog's assessment objectives show them.

use std::collections::BTreeMap;

use super::{EvidenceRequirement, Vocabulary};
use crate::duration::CalendarDuration;
use crate::ids::Term;

/// A list in words: "a", "a and b", "a, b and c".
pub fn list(items: &[String], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., end] => format!("{} {last} {end}", rest.join(", ")),
    }
}

/// "every month", "every 3 months".
fn every(duration: &CalendarDuration) -> String {
    match duration.in_words().as_str() {
        "1 month" => "every month".into(),
        "1 year" => "every year".into(),
        "1 day" => "every day".into(),
        other => format!("every {other}"),
    }
}

/// "the last year", "the last 90 days".
fn the_last(duration: &CalendarDuration) -> String {
    let words = duration.in_words();
    match words.strip_prefix("1 ") {
        Some(unit) if !unit.contains(' ') => format!("the last {unit}"),
        _ => format!("the last {words}"),
    }
}

/// The labels of `terms` in a vocabulary list.
fn labels(list: &BTreeMap<Term, String>, terms: &[Term]) -> Vec<String> {
    terms.iter().map(|t| Vocabulary::label(list, t).to_owned()).collect()
}

/// What an evidence requirement asks, in plain words.
pub fn requirement(requirement: &EvidenceRequirement, vocabulary: &Vocabulary) -> String {
    match requirement {
        EvidenceRequirement::Training(t) => {
            let roles = match &t.roles {
                Some(roles) if !roles.is_empty() => {
                    let names: Vec<String> = roles.iter().map(|r| r.label().to_owned()).collect();
                    format!("staff in the roles {}", list(&names, "and"))
                }
                _ => "all active staff".into(),
            };
            let within = t.within.map_or_else(
                || ", at any time (onboarding)".to_owned(),
                |w| format!(", within {}", the_last(&w)),
            );
            let grace = t.new_staff_grace.map_or_else(String::new, |g| {
                format!("; new staff have {} from their first day", g.in_words())
            });
            format!(
                "Training in {} for {roles}{within}{grace}, covering {}% of staff.",
                list(&labels(&vocabulary.training_topics, &t.topics), "and"),
                t.coverage
            )
        }
        EvidenceRequirement::CareTeam(c) => {
            let mut out = format!(
                "A care team with at least {} distinct disciplines among active staff",
                c.min_disciplines
            );
            if !c.disciplines.is_empty() {
                let names: Vec<String> = c.disciplines.iter().map(|r| r.label().to_owned()).collect();
                out.push_str(&format!(" (counting {})", list(&names, "and")));
            }
            if !c.required_roles.is_empty() {
                let names: Vec<String> = c.required_roles.iter().map(|r| r.label().to_owned()).collect();
                out.push_str(&format!(", with the roles {} filled", list(&names, "and")));
            }
            out.push('.');
            out
        }
        EvidenceRequirement::Document(d) => {
            let what = if d.types.is_empty() {
                "A document linked to the criterion".to_owned()
            } else {
                format!(
                    "A document of type {}",
                    list(&labels(&vocabulary.document_types, &d.types), "or")
                )
            };
            let within = d
                .within
                .map_or_else(String::new, |w| format!(", in force from within {}", the_last(&w)));
            format!("{what}{within}.")
        }
        EvidenceRequirement::Survey(s) => format!(
            "Surveys ({}) {}, with results over {} periods to show a trend.",
            list(&labels(&vocabulary.survey_kinds, &s.kinds), "and"),
            every(&s.every),
            s.trend_periods
        ),
        EvidenceRequirement::CarePlans(p) => {
            let mut out = format!(
                "At least {} {}{} discussed within {}",
                p.min_count,
                p.plan.label(),
                if p.min_count == 1 { "" } else { "s" },
                the_last(&p.within)
            );
            if p.documented_in_record {
                out.push_str(", each documented in the patient's medical record");
            }
            if p.shared_with_provider {
                out.push_str(", each shared with at least one other provider");
            }
            out.push('.');
            out
        }
        EvidenceRequirement::CarePlanSharing(s) => format!(
            "Each {} established within {} shared with all its care partners within {} \
             of being established, for {}% of plans.",
            s.plan.label(),
            the_last(&s.within),
            s.share_within.in_words(),
            s.coverage
        ),
        EvidenceRequirement::TeamMeetings(m) => {
            let kinds = if m.kinds.is_empty() {
                String::new()
            } else {
                format!(" ({})", list(&labels(&vocabulary.meeting_kinds, &m.kinds), "or"))
            };
            let mut out = format!("A team meeting{kinds} {} over {}", every(&m.every), the_last(&m.within));
            if m.documented_in_chart {
                out.push_str(", documented in the patient chart");
            }
            if m.min_disciplines > 0 {
                out.push_str(&format!(
                    ", attended by at least {} distinct disciplines",
                    m.min_disciplines
                ));
            }
            out.push('.');
            out
        }
        EvidenceRequirement::PeriodicReports(r) => format!(
            "A report ({}) for each period, {} over {}.",
            list(&labels(&vocabulary.report_types, &r.report_types), "or"),
            every(&r.every),
            the_last(&r.within)
        ),
        EvidenceRequirement::Attestation(a) => format!(
            "A current attestation that the criterion is in place, effective within {}.",
            the_last(&a.within)
        ),
    }
}
