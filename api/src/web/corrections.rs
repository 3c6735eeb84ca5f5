//! How pages show a record's corrections: a voided record stays listed, marked with who voided
//! it, when and why, and a correction names the record it replaces. An "Amend" link opens the
//! record's form filled in (`?amend=N`); the form then carries `replaces_id` and
//! `replaces_reason`, and its submission records the correction.

use pcmh_core::records::Correction;
use pcmh_core::store::voids::Replaces;

use super::forms::{Fields, FormErrors};
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

/// The record a form amends, for its heading and its reason field (`amend_heading.html`,
/// `amend_fields.html`).
pub struct Amending {
    /// The id of the record amended.
    pub id: String,
    /// Its kind in words ("survey result").
    pub what: &'static str,
    /// The id of the heading of the form's section.
    pub heading_id: &'static str,
    /// The reason as typed.
    pub reason: String,
    /// What is wrong with the reason, if anything.
    pub error: Option<String>,
}

/// The record `form` amends (its `replaces_id`), if it amends one, with the reason's message from `errors`.
pub fn amending(what: &'static str, heading_id: &'static str, form: &Fields, errors: &FormErrors) -> Option<Amending> {
    form.get("replaces_id").filter(|id| !id.is_empty()).map(|id| Amending {
        id: id.to_owned(),
        what,
        heading_id,
        reason: form.get("replaces_reason").unwrap_or_default().to_owned(),
        error: errors.get("replaces_reason").map(str::to_owned),
    })
}

/// The record an "Amend" link asks to open in the form (`amend=N` of the page's query).
pub fn amend_asked(query: &mut Fields) -> Option<i64> {
    query.take("amend").and_then(|id| id.trim().parse().ok())
}

/// Reads an amendment's `replaces_id` and `replaces_reason` from a posted form into `replaces`
/// (left alone when the form amends nothing); a blank reason or an unknown id is refused with a
/// message beside the reason field or about the form.
pub fn read_replaces(fields: &Fields, what: &str, replaces: &mut Option<Replaces>) -> Result<(), FormErrors> {
    let Some(id) = fields.get("replaces_id").filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let Ok(id) = id.trim().parse::<i64>() else {
        return Err(FormErrors::general(format!("the {what} to amend is unknown")));
    };
    let reason = fields.get("replaces_reason").unwrap_or_default();
    if reason.trim().is_empty() {
        let mut errors = FormErrors::default();
        errors
            .fields
            .insert("replaces_reason".into(), format!("say why the {what} is corrected"));
        return Err(errors);
    }
    *replaces = Some(Replaces {
        id,
        reason: reason.to_owned(),
    });
    Ok(())
}
