//! Calendar durations as the catalog writes them (ISO 8601 dates part: `P12M`, `P90D`, `P1Y6M`).
//!
//! A duration is added to a date in calendar terms: months first (clamped to the month's last
//! day, so 2024-02-29 + P12M is 2025-02-28), then weeks and days. Every "how recent" rule of
//! the engine goes through [`CalendarDuration::counts_on`], so that "within the last 12 months"
//! means one thing everywhere.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{Days, Months, NaiveDate};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar duration of years, months, weeks and days, written like `P12M` or `P90D`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CalendarDuration {
    /// Whole months (a year counts as twelve).
    pub months: u32,
    /// Whole days (a week counts as seven).
    pub days: u32,
}

/// Why a text is not a calendar duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a duration: {why} (write it like P12M, P1Y, P90D or P2W)")]
pub struct DurationError {
    /// The text that was given.
    pub text: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl CalendarDuration {
    /// A duration of whole months.
    pub const fn months(months: u32) -> Self {
        Self { months, days: 0 }
    }

    /// A duration of whole days.
    pub const fn days(days: u32) -> Self {
        Self { months: 0, days }
    }

    /// Whether the duration is zero.
    pub fn is_zero(&self) -> bool {
        self.months == 0 && self.days == 0
    }

    /// The months of a duration made of whole months only, `None` when it has days.
    pub fn whole_months(&self) -> Option<u32> {
        (self.days == 0 && self.months > 0).then_some(self.months)
    }

    /// The date this duration after `date`, or `None` past the end of the calendar.
    pub fn after(&self, date: NaiveDate) -> Option<NaiveDate> {
        date.checked_add_months(Months::new(self.months))?
            .checked_add_days(Days::new(u64::from(self.days)))
    }

    /// Whether evidence dated `dated` still counts on `as_of`: it counts from its own date
    /// through `dated + self` inclusive.
    pub fn counts_on(&self, dated: NaiveDate, as_of: NaiveDate) -> bool {
        dated <= as_of && self.after(dated).is_none_or(|last| as_of <= last)
    }

    /// The earliest date whose evidence still counts on `as_of` (the start of the look-back window).
    pub fn window_start(&self, as_of: NaiveDate) -> NaiveDate {
        let mut start = as_of
            .checked_sub_days(Days::new(u64::from(self.days)))
            .and_then(|d| d.checked_sub_months(Months::new(self.months)))
            .unwrap_or(NaiveDate::MIN);
        // Month clamping makes subtraction and addition disagree near month ends; step to the
        // first date that `counts_on` accepts so that the two never contradict each other.
        while start > NaiveDate::MIN && self.counts_on(start.pred_opt().unwrap_or(start), as_of) {
            start = start.pred_opt().unwrap_or(start);
        }
        while start < as_of && !self.counts_on(start, as_of) {
            start = start.succ_opt().unwrap_or(as_of);
        }
        start
    }
}

impl FromStr for CalendarDuration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |why| DurationError {
            text: text.to_owned(),
            why,
        };
        let rest = text.strip_prefix('P').ok_or_else(|| fail("it must start with P"))?;
        if rest.contains('T') {
            return Err(fail("hours, minutes and seconds are not used for evidence"));
        }
        let mut duration = CalendarDuration::default();
        let mut number = String::new();
        let mut last_unit = 0;
        let mut any = false;
        for ch in rest.chars() {
            if ch.is_ascii_digit() {
                number.push(ch);
                continue;
            }
            let rank = match ch {
                'Y' => 1,
                'M' => 2,
                'W' => 3,
                'D' => 4,
                _ => return Err(fail("the units are Y, M, W and D")),
            };
            if number.is_empty() {
                return Err(fail("each unit needs a number before it"));
            }
            if rank <= last_unit {
                return Err(fail("units must come in the order Y, M, W, D, each at most once"));
            }
            last_unit = rank;
            let n: u32 = number.parse().map_err(|_| fail("the number is too large"))?;
            number.clear();
            let add = |total: u32, n: u32, factor: u32| {
                n.checked_mul(factor)
                    .and_then(|v| total.checked_add(v))
                    .ok_or_else(|| fail("the number is too large"))
            };
            match ch {
                'Y' => duration.months = add(duration.months, n, 12)?,
                'M' => duration.months = add(duration.months, n, 1)?,
                'W' => duration.days = add(duration.days, n, 7)?,
                _ => duration.days = add(duration.days, n, 1)?,
            }
            any = true;
        }
        if !number.is_empty() {
            return Err(fail("a number must be followed by a unit"));
        }
        if !any {
            return Err(fail("it has no amount"));
        }
        if duration.is_zero() {
            return Err(fail("it must not be zero"));
        }
        Ok(duration)
    }
}

impl fmt::Display for CalendarDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("P")?;
        let (years, months) = (self.months / 12, self.months % 12);
        if years > 0 {
            write!(f, "{years}Y")?;
        }
        if months > 0 {
            write!(f, "{months}M")?;
        }
        if self.days > 0 {
            write!(f, "{}D", self.days)?;
        }
        if self.is_zero() {
            f.write_str("0D")?;
        }
        Ok(())
    }
}

impl CalendarDuration {
    /// The duration in plain words, e.g. "12 months" or "90 days".
    pub fn in_words(&self) -> String {
        let part = |n: u32, unit: &str| {
            if n == 1 {
                format!("1 {unit}")
            } else {
                format!("{n} {unit}s")
            }
        };
        match (self.months, self.days) {
            (0, d) => part(d, "day"),
            (m, 0) if m % 12 == 0 => part(m / 12, "year"),
            (m, 0) => part(m, "month"),
            (m, d) => format!("{} and {}", part(m, "month"), part(d, "day")),
        }
    }
}

impl Serialize for CalendarDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CalendarDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for CalendarDuration {
    fn schema_name() -> Cow<'static, str> {
        "CalendarDuration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "description": "An ISO 8601 duration of years, months, weeks and days, e.g. P12M, P1Y, P90D.",
            "type": "string",
            "pattern": "^P(?=\\d)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dur(s: &str) -> CalendarDuration {
        s.parse().unwrap()
    }

    #[test]
    fn parses_the_units_of_a_date_duration() {
        assert_eq!(dur("P12M"), CalendarDuration::months(12));
        assert_eq!(dur("P1Y"), CalendarDuration::months(12));
        assert_eq!(dur("P90D"), CalendarDuration::days(90));
        assert_eq!(dur("P2W"), CalendarDuration::days(14));
        assert_eq!(dur("P1Y6M3D"), CalendarDuration { months: 18, days: 3 });
    }

    #[test]
    fn rejects_what_is_not_a_date_duration() {
        for bad in [
            "",
            "P",
            "12M",
            "P12",
            "PM",
            "P12Q",
            "P1D1Y",
            "P1M1M",
            "PT1H",
            "P0D",
            "P-1M",
            "P99999999999D",
        ] {
            let err = bad.parse::<CalendarDuration>().unwrap_err();
            assert!(err.to_string().contains("is not a duration"), "{bad}: {err}");
        }
    }

    #[test]
    fn displays_in_canonical_form() {
        assert_eq!(dur("P12M").to_string(), "P1Y");
        assert_eq!(dur("P14M10D").to_string(), "P1Y2M10D");
        assert_eq!(dur("P12M").in_words(), "1 year");
        assert_eq!(dur("P3M").in_words(), "3 months");
        assert_eq!(dur("P1D").in_words(), "1 day");
    }

    #[test]
    fn evidence_counts_through_exactly_one_year_later() {
        let year = dur("P12M");
        assert!(year.counts_on(d("2025-11-24"), d("2026-11-24")));
        assert!(!year.counts_on(d("2025-11-23"), d("2026-11-24")));
        assert_eq!(year.window_start(d("2026-11-24")), d("2025-11-24"));
    }

    #[test]
    fn a_year_back_from_a_leap_day_and_over_one() {
        let year = dur("P12M");
        // 2024-02-29 plus a year is clamped to 2025-02-28: it counts that day, not the next.
        assert!(year.counts_on(d("2024-02-29"), d("2025-02-28")));
        assert!(!year.counts_on(d("2024-02-29"), d("2025-03-01")));
        // Over a leap year the window is 366 days long.
        assert_eq!(year.window_start(d("2024-12-31")), d("2023-12-31"));
        assert!(year.counts_on(d("2023-12-31"), d("2024-12-31")));
        // From a leap day back: 2027-02-28 + 12 months lands on 2028-02-28, one day short.
        assert_eq!(year.window_start(d("2028-02-29")), d("2027-03-01"));
        assert!(!year.counts_on(d("2027-02-28"), d("2028-02-29")));
    }

    #[test]
    fn window_start_agrees_with_counts_on_near_month_ends() {
        let month = dur("P1M");
        let mut as_of = d("2024-01-01");
        while as_of < d("2025-12-31") {
            let start = month.window_start(as_of);
            assert!(month.counts_on(start, as_of), "{as_of}");
            assert!(!month.counts_on(start.pred_opt().unwrap(), as_of), "{as_of}");
            as_of = as_of.succ_opt().unwrap();
        }
    }

    #[test]
    fn future_evidence_does_not_count_yet() {
        assert!(!dur("P12M").counts_on(d("2026-11-25"), d("2026-11-24")));
    }
}
