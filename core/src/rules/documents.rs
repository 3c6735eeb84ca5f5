//! Documents: a current document of the right type (or linked to the criterion) is kept.

use crate::catalog::{Criterion, DocumentRequirement, Vocabulary};
use crate::records::{Document, RecordKind, RecordRef};

use super::{Evaluation, RequirementResult, Status};

pub(super) fn evaluate(
    evaluation: &Evaluation,
    criterion: &Criterion,
    requirement: &DocumentRequirement,
) -> RequirementResult {
    let as_of = evaluation.as_of;
    let types = &evaluation.catalog.vocabulary.document_types;
    let counts = |doc: &&Document| {
        if requirement.types.is_empty() {
            doc.criteria.contains(&criterion.id)
        } else {
            requirement.types.contains(&doc.document_type)
        }
    };
    let wanted = if requirement.types.is_empty() {
        format!("document supporting {}", criterion.id)
    } else {
        requirement
            .types
            .iter()
            .map(|t| Vocabulary::label(types, t))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let latest = evaluation
        .records
        .documents
        .iter()
        .filter(counts)
        .filter(|doc| doc.effective_on <= as_of)
        .max_by_key(|doc| (doc.effective_on, doc.id));
    let Some(doc) = latest else {
        return RequirementResult::new("document", Status::NotMet)
            .reason(format!("no {wanted} is on file as of {as_of}"));
    };
    let record = RecordRef::new(RecordKind::Document, doc.id.0);
    let current = requirement.within.is_none_or(|w| w.counts_on(doc.effective_on, as_of));
    let mut result = if current {
        RequirementResult::new("document", Status::Met).reason(format!(
            "{wanted} on file: \"{}\", effective {}",
            doc.title, doc.effective_on
        ))
    } else {
        RequirementResult::new("document", Status::NotMet).reason(format!(
            "the latest {wanted}, \"{}\" effective {}, is older than {}: it needs a review",
            doc.title,
            doc.effective_on,
            requirement.within.map(|w| w.in_words()).unwrap_or_default()
        ))
    };
    result.records.push(record);
    if let Some(expires) = requirement.within.and_then(|w| w.after(doc.effective_on)) {
        result
            .due
            .extend(evaluation.due(expires, format!("review the {wanted}"), vec![record]));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::catalog::{CalendarDuration, Scope};

    fn criterion() -> Criterion {
        Criterion {
            id: cid("4.24"),
            title: "Care management workflows".into(),
            text: "t".into(),
            scope: Scope::Practice,
            population: Vec::new(),
            related: Vec::new(),
            allow_not_applicable: false,
            evidence: Vec::new(),
        }
    }

    fn workflow(within: Option<u32>) -> DocumentRequirement {
        DocumentRequirement {
            types: vec![term("care_management_workflow")],
            within: within.map(CalendarDuration::months),
        }
    }

    #[test]
    fn a_document_of_the_type_within_the_period_is_met() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let id = book.document("care_management_workflow", &[], "2025-11-24");
        let result = evaluate(
            &book.evaluation(&catalog, "2026-11-24"),
            &criterion(),
            &workflow(Some(12)),
        );
        assert_eq!(result.status, Status::Met);
        assert_eq!(result.records, vec![RecordRef::new(RecordKind::Document, id.0)]);
        assert_eq!(result.due[0].due_on, d("2026-11-24"));
        let later = evaluate(
            &book.evaluation(&catalog, "2026-11-25"),
            &criterion(),
            &workflow(Some(12)),
        );
        assert_eq!(later.status, Status::NotMet);
        assert!(later.reasons[0].contains("is older than 1 year"), "{:?}", later.reasons);
    }

    #[test]
    fn without_a_period_any_age_counts_but_not_a_future_one() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.document("care_management_workflow", &[], "2027-01-01");
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2026-11-24"), &criterion(), &workflow(None)).status,
            Status::NotMet
        );
        book.document("care_management_workflow", &[], "2010-01-01");
        assert_eq!(
            evaluate(&book.evaluation(&catalog, "2026-11-24"), &criterion(), &workflow(None)).status,
            Status::Met
        );
    }

    #[test]
    fn without_types_a_document_must_be_linked_to_the_criterion() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        let linked_elsewhere = DocumentRequirement {
            types: Vec::new(),
            within: None,
        };
        book.document("care_management_workflow", &["4.2"], "2026-01-01");
        let result = evaluate(
            &book.evaluation(&catalog, "2026-11-24"),
            &criterion(),
            &linked_elsewhere,
        );
        assert_eq!(result.status, Status::NotMet);
        assert_eq!(
            result.reasons,
            vec!["no document supporting 4.24 is on file as of 2026-11-24"]
        );
        book.document("care_management_workflow", &["4.2", "4.24"], "2026-01-01");
        assert_eq!(
            evaluate(
                &book.evaluation(&catalog, "2026-11-24"),
                &criterion(),
                &linked_elsewhere
            )
            .status,
            Status::Met
        );
    }

    #[test]
    fn the_newest_document_is_the_one_judged() {
        let catalog = vocabulary_catalog();
        let mut book = Book::new();
        book.document("care_management_workflow", &[], "2024-01-01");
        let newer = book.document("care_management_workflow", &[], "2026-06-01");
        let result = evaluate(
            &book.evaluation(&catalog, "2026-11-24"),
            &criterion(),
            &workflow(Some(12)),
        );
        assert_eq!(result.records, vec![RecordRef::new(RecordKind::Document, newer.0)]);
        assert!(result.due.is_empty(), "renewal is more than 60 days away");
    }
}
