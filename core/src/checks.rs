//! Checks of single input values, used by the rules fields declare with `#[check(...)]`.
//!
//! A request struct carries [`checked`] and declares each field's rules once, with
//! `#[check(...)]`: the server enforces them (validator) and the OpenAPI document states them
//! (utoipa) from that one declaration (see the `pcmh-checks-derive` crate for the words).
//! Each check here returns a `ValidationError` whose code names the rule, so the API can tell
//! a client which field broke which rule.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
use validator::ValidationError;

/// What the OpenAPI document states of text that must not be blank: a character that is not
/// white space (as `char::is_whitespace` has it), and no NUL anywhere. `#[check(not_blank)]`
/// states the same.
pub const NOT_BLANK_PATTERN: &str =
    "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$";

/// The earliest date a record may document.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The latest date a record may document.
pub const LATEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// Turns `#[check(...)]` on a request struct's fields into enforced and documented rules.
pub use pcmh_checks_derive::checked;

fn error(code: &'static str, message: impl Into<Cow<'static, str>>) -> ValidationError {
    ValidationError::new(code).with_message(message.into())
}

/// Text that is not empty or only spaces.
pub fn not_blank(text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        Err(error("not_blank", "must not be empty"))
    } else {
        Ok(())
    }
}

/// A finite number: a range's bounds alone let NaN through.
pub fn finite(value: f64) -> Result<(), ValidationError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(error("range", format!("{value} is not a finite number")))
    }
}

/// The OpenAPI type of a time zone field: one of the IANA names the server knows.
pub struct TimeZoneName;

impl utoipa::PartialSchema for TimeZoneName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An IANA time zone name such as America/Detroit."))
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name())))
            .into()
    }
}

impl utoipa::ToSchema for TimeZoneName {}

/// An IANA time zone name such as `America/Detroit`.
pub fn time_zone(text: &str) -> Result<(), ValidationError> {
    match text.parse::<chrono_tz::Tz>() {
        Ok(_) => Ok(()),
        Err(_) => Err(error(
            "time_zone",
            format!("{text:?} is not a time zone name such as America/Detroit"),
        )),
    }
}

/// A date between 1900-01-01 and 2100-12-31.
pub fn plausible_date(date: &NaiveDate) -> Result<(), ValidationError> {
    if (EARLIEST_DATE..=LATEST_DATE).contains(date) {
        Ok(())
    } else {
        Err(error(
            "date_range",
            format!("{date} is outside the dates records may document ({EARLIEST_DATE} to {LATEST_DATE})"),
        ))
    }
}

/// An opaque practice-local patient reference: 3 to 64 letters, digits, `-` or `_`, with at
/// least one digit, and nothing that reads as a date. Names and dates of birth are refused so
/// that no protected health information beyond the reference is stored.
pub fn patient_reference(text: &str) -> Result<(), ValidationError> {
    let refuse = |why: &'static str| Err(error("opaque_patient_reference", why));
    if !(3..=64).contains(&text.len()) {
        return refuse("a patient reference is 3 to 64 characters");
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return refuse("a patient reference has only letters, digits, - and _ (no spaces: it is not a name)");
    }
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return refuse("a patient reference contains digits: letters alone look like a name");
    }
    if looks_like_a_date(text) {
        return refuse("a patient reference must not contain a date (it could be a date of birth)");
    }
    Ok(())
}

/// Whether a run of digits in `text` reads as a calendar date (YYYYMMDD, MMDDYYYY, DDMMYYYY,
/// or digit groups like 1965-04-12 or 04_12_1965).
fn looks_like_a_date(text: &str) -> bool {
    let valid = |y: i64, m: i64, d: i64| {
        (1900..=2100).contains(&y)
            && NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32).is_some_and(|date| date.year() == y as i32)
    };
    let groups: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    for window in groups.windows(3) {
        let n: Vec<i64> = window.iter().filter_map(|g| g.parse().ok()).collect();
        if n.len() == 3 && (valid(n[0], n[1], n[2]) || valid(n[2], n[0], n[1]) || valid(n[2], n[1], n[0])) {
            return true;
        }
    }
    groups.iter().any(|g| {
        g.len() == 8
            && g.parse::<i64>().is_ok_and(|n| {
                let (a, b, c) = (n / 10000, n / 100 % 100, n % 100);
                let (d, e, f) = (n / 1_000_000, n / 10000 % 100, n % 10000);
                valid(a, b, c) || valid(f, d, e) || valid(f, e, d)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_references_pass() {
        for ok in ["PT-00042", "MRN_118273", "a1b2c3", "X99"] {
            assert!(patient_reference(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn names_and_dates_of_birth_are_refused() {
        for bad in [
            "John Smith",
            "JohnSmith",
            "PT-1965-04-12",
            "19650412",
            "04121965",
            "smith_04_12_1965",
            "12/04/1965",
            "ab",
            "PT 42",
        ] {
            let e = patient_reference(bad).unwrap_err();
            assert_eq!(e.code, "opaque_patient_reference", "{bad}");
        }
    }

    #[test]
    fn dates_outside_the_plausible_range_are_refused() {
        assert!(plausible_date(&NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()).is_ok());
        assert!(plausible_date(&NaiveDate::from_ymd_opt(1899, 12, 31).unwrap()).is_err());
        assert!(plausible_date(&NaiveDate::from_ymd_opt(2101, 1, 1).unwrap()).is_err());
    }

    /// The schema the OpenAPI document states for `field` of `T`.
    fn stated<T: utoipa::PartialSchema>(field: &str) -> jsonschema::Validator {
        let schema = serde_json::to_value(T::schema()).unwrap();
        let property = schema["properties"][field].clone();
        assert!(property.is_object(), "{field} is not a property of {schema}");
        jsonschema::validator_for(&property).unwrap()
    }

    #[test]
    fn care_partner_names_state_the_not_blank_rule_of_check() {
        let staff = serde_json::to_value(<crate::store::staff::NewStaff as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(staff["properties"]["name"]["pattern"], NOT_BLANK_PATTERN);
        let partner =
            serde_json::to_value(<crate::store::care_plans::CarePartnerName as utoipa::PartialSchema>::schema())
                .unwrap();
        assert_eq!(partner["pattern"], NOT_BLANK_PATTERN);
    }

    #[test]
    fn the_stated_not_blank_rule_is_the_enforced_one() {
        let name = stated::<crate::store::staff::NewStaff>("name");
        let mut texts: Vec<String> = (0..=0x3100u32).filter_map(char::from_u32).map(String::from).collect();
        texts.extend(
            [
                "",
                "  ",
                " a ",
                "\u{3000}\u{2028}",
                "a\u{0}b",
                "\u{0}",
                "Ana Ruiz",
                "\u{1c}",
            ]
            .map(String::from),
        );
        for text in texts {
            let enforced = not_blank(&text).is_ok() && !text.contains('\0');
            assert_eq!(
                name.is_valid(&serde_json::json!(text)),
                enforced,
                "{text:?}: the document and the server disagree"
            );
        }
    }

    #[test]
    fn every_day_the_document_allows_is_one_the_server_takes() {
        let day = stated::<crate::store::staff::NewStaff>("started_on");
        let mut date = NaiveDate::from_ymd_opt(1899, 12, 1).unwrap();
        while date <= NaiveDate::from_ymd_opt(2101, 1, 31).unwrap() {
            let text = date.format("%Y-%m-%d").to_string();
            assert_eq!(
                day.is_valid(&serde_json::json!(text)),
                plausible_date(&date).is_ok(),
                "{text}"
            );
            date = date.succ_opt().unwrap();
        }
        for not_a_day in [
            "2026-02-29",
            "2100-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-1-1",
        ] {
            assert!(!day.is_valid(&serde_json::json!(not_a_day)), "{not_a_day}");
        }
        for leap in ["2000-02-29", "2024-02-29", "1904-02-29", "2096-02-29"] {
            assert!(day.is_valid(&serde_json::json!(leap)), "{leap}");
        }
    }

    #[test]
    fn the_stated_date_range_is_the_enforced_one() {
        let day = stated::<crate::store::staff::NewStaff>("started_on");
        for (text, ok) in [
            ("1900-01-01", true),
            ("2100-12-31", true),
            ("2026-11-28", true),
            ("1899-12-31", false),
            ("2101-01-01", false),
            ("0001-01-01", false),
        ] {
            assert_eq!(day.is_valid(&serde_json::json!(text)), ok, "{text}");
            let date: NaiveDate = text.parse().unwrap();
            assert_eq!(plausible_date(&date).is_ok(), ok, "{text}");
        }
    }

    #[test]
    fn the_stated_time_zones_are_the_accepted_ones() {
        let zones = serde_json::to_value(<TimeZoneName as utoipa::PartialSchema>::schema()).unwrap();
        let zones = jsonschema::validator_for(&zones).unwrap();
        for tz in chrono_tz::TZ_VARIANTS {
            assert!(zones.is_valid(&serde_json::json!(tz.name())), "{}", tz.name());
            assert!(time_zone(tz.name()).is_ok(), "{}", tz.name());
        }
        for not_a_zone in ["not a zone", "A000", "america/detroit"] {
            assert!(!zones.is_valid(&serde_json::json!(not_a_zone)), "{not_a_zone}");
            assert!(time_zone(not_a_zone).is_err(), "{not_a_zone}");
        }
    }

    #[test]
    fn every_accepted_patient_reference_fits_the_stated_pattern() {
        let reference = stated::<crate::store::care_plans::NewCarePlan>("patient_ref");
        for text in [
            "PT-00042",
            "MRN_118273",
            "a1b2c3",
            "X99",
            "PT 42",
            "ab",
            "John Smith",
            "",
            "19650412",
            &"9".repeat(64),
            &"9".repeat(65),
            &format!("{}1", "a".repeat(63)),
            "1ab",
            "a1b",
            "ab1",
            "a1",
            "1-",
        ] {
            if patient_reference(text).is_ok() {
                assert!(reference.is_valid(&serde_json::json!(text)), "{text}");
            }
            if !reference.is_valid(&serde_json::json!(text)) {
                assert!(patient_reference(text).is_err(), "{text}");
            }
        }
    }

    #[test]
    fn blank_text_is_refused() {
        assert!(not_blank("  ").is_err());
        assert!(not_blank("Maple").is_ok());
    }
}
