//! Instants as they leave and enter the program: RFC 3339 in UTC with the offset written `Z`
//! (`2026-11-28T16:55:01.507162Z`), the form `chrono::DateTime<Utc>` serializes to. The
//! database keeps UTC without an offset (`NaiveDateTime` columns); rows are converted at the
//! boundary with `.and_utc()`.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer};

/// The rule an instant read from a request must follow, as error messages state it.
pub const RULE: &str = "must be a date-time with an offset, such as 2026-11-28T16:55:01Z or \
                        2026-11-28T11:55:01-05:00 (in a URL, write + as %2B)";

/// An instant as files and answers write it: RFC 3339, UTC, `Z`, with the fraction of a
/// second it has (none, milli-, micro- or nanoseconds).
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An instant to the second, for people reading a terminal: `2026-11-28T16:55:01Z`.
pub fn rfc3339_seconds(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Reads an RFC 3339 date-time that carries its offset (`Z`, `+02:00`, `-05:00`) as the same
/// instant in UTC; a date-time without an offset is refused with [`RULE`].
pub fn parse(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| RULE.to_owned())
}

/// Reads an instant written with an offset, or without one as UTC: what the audit trail's
/// stored events hold (their hashed content writes UTC without an offset).
pub fn parse_utc_or_naive(text: &str) -> Result<DateTime<Utc>, String> {
    parse(text).or_else(|_| {
        text.trim()
            .parse::<NaiveDateTime>()
            .map(|at| at.and_utc())
            .map_err(|_| format!("{text:?} is not a date-time"))
    })
}

/// serde: an optional instant that must carry its offset (`#[serde(default, deserialize_with = ...)]`).
pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        Some(text) => parse(&text).map(Some).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

/// serde: an instant with an offset, or without one read as UTC.
pub fn utc_or_naive<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_utc_or_naive(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_offset_is_read_as_the_same_instant_in_utc() {
        let at = parse("2026-01-01T00:00:00+02:00").unwrap();
        assert_eq!(at, Utc.with_ymd_and_hms(2025, 12, 31, 22, 0, 0).unwrap());
        assert_eq!(rfc3339(at), "2025-12-31T22:00:00Z");
        assert_eq!(
            parse("2026-11-28T16:55:01.507162Z").unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 28, 16, 55, 1).unwrap() + chrono::Duration::microseconds(507_162)
        );
    }

    #[test]
    fn a_date_time_without_an_offset_is_refused_where_one_is_required() {
        for text in ["2026-11-28T16:55:01", "2026-11-28", "2026-11-28T16:55:01 02:00", "soon"] {
            assert_eq!(parse(text), Err(RULE.to_owned()), "{text}");
        }
    }

    #[test]
    fn stored_events_without_an_offset_read_as_utc() {
        let at = parse_utc_or_naive("2026-11-28T16:55:01.507162").unwrap();
        assert_eq!(rfc3339(at), "2026-11-28T16:55:01.507162Z");
        assert_eq!(parse_utc_or_naive("2026-11-28T18:55:01.507162+02:00").unwrap(), at);
        assert!(parse_utc_or_naive("yesterday").is_err());
    }

    #[test]
    fn what_is_written_matches_serde() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 16, 55, 1).unwrap() + chrono::Duration::microseconds(507_162);
        assert_eq!(serde_json::to_value(at).unwrap(), rfc3339(at));
        assert_eq!(rfc3339_seconds(at), "2026-11-28T16:55:01Z");
    }
}
