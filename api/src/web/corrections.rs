//! How pages show a record's corrections: a voided record stays listed, marked with who voided
//! it, when and why, and a correction names the record it replaces.

use pcmh_core::records::Correction;

use super::long_date;

/// "Voided on DATE by WHO: REASON (replaced by WHAT N)" for a voided record, `what` naming its kind.
pub fn voided_words(what: &str, correction: &Correction) -> Option<String> {
    correction.voided.as_ref().map(|v| {
        let replaced = correction
            .replaced_by
            .map(|id| format!(" (replaced by {what} {id})"))
            .unwrap_or_default();
        format!(
            "Voided on {} by {}: {}{replaced}",
            long_date(v.at.date_naive()),
            v.by,
            v.reason
        )
    })
}

/// "Corrects WHAT N" for a record that replaces another, `what` naming its kind.
pub fn replaces_words(what: &str, correction: &Correction) -> Option<String> {
    correction.replaces.map(|id| format!("Corrects {what} {id}"))
}

/// What a list row says of a record's corrections: voided (who, when, why), and what it corrects.
pub fn notes(what: &str, correction: &Correction) -> Vec<String> {
    voided_words(what, correction)
        .into_iter()
        .chain(replaces_words(what, correction))
        .collect()
}

/// A row's "Void" form: where it posts, a unique id for its reason field, and the record in words.
pub struct VoidForm {
    /// The form's action.
    pub action: String,
    /// The id of its reason field.
    pub field: String,
    /// The record, in words ("survey result 12").
    pub label: String,
}

/// The "Void" form of a record not yet voided, for a person who may write; none otherwise.
pub fn void_form(may_write: bool, correction: &Correction, action: String, label: String) -> Option<VoidForm> {
    (may_write && !correction.is_voided()).then(|| VoidForm {
        field: format!(
            "void-{}",
            action.trim_matches('/').replace('/', "-").trim_end_matches("-void")
        ),
        action,
        label,
    })
}
