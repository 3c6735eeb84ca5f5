//! Voiding a record entered by mistake, and correcting it with a new one.
//!
//! A voided record stays stored and listed; only its void columns (`voided_at`, `voided_by_user`,
//! `voided_by_token`, `voided_by`, `void_reason`, and `replaced_by` when a correction names it)
//! are set, once. Evaluations leave voided records out when they load them ([`Known`]), in SQL.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::schema::{tokens, users};
use super::{now, on_backend, Connection, StoreError, StoreResult};
use crate::access::Principal;
use crate::records::{Basis, Correction, RecordsCounted, Voided};

/// Why a record is voided.
#[crate::checks::checked]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Void {
    /// Why the record is voided, in plain words (at most 500 characters).
    #[check(not_blank, max_length = 500)]
    pub reason: String,
}

/// The record a new one corrects: it is voided, with this reason, in the same transaction.
#[crate::checks::checked]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replaces {
    /// The id of the record corrected: of the same kind and the same practice (or PO), not voided.
    pub id: i64,
    /// Why it is corrected, in plain words (at most 500 characters).
    #[check(not_blank, max_length = 500)]
    pub reason: String,
}

/// Who voids a record, when and why, as written to its void columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidMark {
    /// The moment of the void.
    pub at: NaiveDateTime,
    /// The signed-in person, if a person voids.
    pub user_id: Option<i64>,
    /// The token, if a token voids.
    pub token_id: Option<i64>,
    /// Their name as shown: the person's name, or the token's label.
    pub by: String,
    /// Why.
    pub reason: String,
    /// The record that corrects the voided one, for an amendment.
    pub replaced_by: Option<i64>,
}

impl VoidMark {
    /// A void by `principal` now, for `reason`; the name is looked up in the same transaction.
    pub fn by(conn: &mut Connection, principal: &Principal, reason: &str) -> StoreResult<Self> {
        let by = name_of(conn, principal)?;
        Ok(VoidMark {
            at: now(),
            user_id: principal.user_id,
            token_id: principal.token_id,
            by,
            reason: reason.trim().to_owned(),
            replaced_by: None,
        })
    }
}

/// The name a void shows for `principal`: the person's, the token's label, or the command line.
fn name_of(conn: &mut Connection, principal: &Principal) -> StoreResult<String> {
    if let Some(user) = principal.user_id {
        let name: Option<String> = on_backend!(conn, |c| users::table
            .find(user)
            .select(users::display_name)
            .first(c)
            .optional())?;
        if let Some(name) = name {
            return Ok(name);
        }
    }
    if let Some(token) = principal.token_id {
        let label: Option<String> = on_backend!(conn, |c| tokens::table
            .find(token)
            .select(tokens::label)
            .first(c)
            .optional())?;
        return Ok(match label {
            Some(label) => format!("token {token} ({label})"),
            None => format!("token {token}"),
        });
    }
    Ok("the command line".into())
}

/// The void columns of a row, as read.
pub(crate) fn correction(
    voided_at: Option<NaiveDateTime>,
    voided_by_user: Option<i64>,
    voided_by_token: Option<i64>,
    voided_by: Option<String>,
    void_reason: Option<String>,
    replaces: Option<i64>,
    replaced_by: Option<i64>,
) -> Correction {
    Correction {
        voided: voided_at.map(|at| Voided {
            at: at.and_utc(),
            by: voided_by.unwrap_or_default(),
            user_id: voided_by_user,
            token_id: voided_by_token,
            reason: void_reason.unwrap_or_default(),
        }),
        replaces,
        replaced_by,
    }
}

/// Declares `Corrections`, the void columns of `$table` to embed in a row (`#[diesel(embed)]`).
macro_rules! correction_columns {
    ($table:ident) => {
        /// The void columns of a row.
        #[derive(diesel::Queryable, diesel::Selectable)]
        #[diesel(table_name = $table)]
        pub(crate) struct Corrections {
            voided_at: Option<chrono::NaiveDateTime>,
            voided_by_user: Option<i64>,
            voided_by_token: Option<i64>,
            voided_by: Option<String>,
            void_reason: Option<String>,
            replaces: Option<i64>,
            replaced_by: Option<i64>,
        }

        impl From<Corrections> for $crate::records::Correction {
            fn from(row: Corrections) -> Self {
                $crate::store::voids::correction(
                    row.voided_at,
                    row.voided_by_user,
                    row.voided_by_token,
                    row.voided_by,
                    row.void_reason,
                    row.replaces,
                    row.replaced_by,
                )
            }
        }
    };
}
pub(crate) use correction_columns;

/// Sets the void columns of row `$id` of `$table` from the [`VoidMark`] `$mark`, if it is not
/// voided yet; evaluates to the number of rows changed.
macro_rules! void_row {
    ($conn:expr, $table:ident, $id:expr, $mark:expr) => {{
        let mark: &$crate::store::voids::VoidMark = $mark;
        $crate::store::on_backend!($conn, |c| diesel::update(
            $table::table
                .filter($table::id.eq($id))
                .filter($table::voided_at.is_null())
        )
        .set((
            $table::voided_at.eq(Some(mark.at)),
            $table::voided_by_user.eq(mark.user_id),
            $table::voided_by_token.eq(mark.token_id),
            $table::voided_by.eq(Some(mark.by.as_str())),
            $table::void_reason.eq(Some(mark.reason.as_str())),
            $table::replaced_by.eq(mark.replaced_by),
        ))
        .execute(c))
    }};
}
pub(crate) use void_row;

/// The refusal of a second void.
pub(crate) fn already_voided(what: &str, id: impl std::fmt::Display, voided: &Voided) -> StoreError {
    StoreError::Conflict {
        message: format!(
            "{what} {id} was already voided on {} by {} ({}); a record is voided only once",
            voided.at.format("%Y-%m-%d"),
            voided.by,
            voided.reason
        ),
    }
}

/// Refuses to void a record that already is.
pub(crate) fn check_voided(what: &str, id: impl std::fmt::Display, current: &Correction) -> StoreResult<()> {
    match &current.voided {
        Some(voided) => Err(already_voided(what, id, voided)),
        None => Ok(()),
    }
}

/// Which rows an evaluation loads: those recorded before `recorded_before`, leaving out those
/// voided before `voids_from` (a row voided later counts as not voided).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// Rows recorded at or after this moment are left out.
    pub recorded_before: NaiveDateTime,
    /// Rows voided before this moment are left out.
    pub voids_from: NaiveDateTime,
}

/// The last moment both backends sort correctly (dates compare as text in SQLite).
fn far_future() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(NaiveDateTime::MAX)
}

/// The first moment both backends sort correctly.
fn far_past() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(NaiveDateTime::MIN)
}

impl Known {
    /// The rows `basis` counts: today's not voided ones, or those known at the end of a day (UTC).
    pub fn of(basis: Basis) -> Self {
        match (basis.records, basis.as_known_on) {
            (RecordsCounted::AsKnownOn, Some(day)) => {
                let end = day
                    .succ_opt()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .unwrap_or_else(far_future);
                Known {
                    recorded_before: end,
                    voids_from: end,
                }
            }
            _ => Known {
                recorded_before: far_future(),
                voids_from: far_future(),
            },
        }
    }

    /// Every row, voided or not (what a packet's logs list).
    pub fn everything() -> Self {
        Known {
            recorded_before: far_future(),
            voids_from: far_past(),
        }
    }
}

/// The filter of [`Known`] `$known` on `$table` (which has `recorded_at` and `voided_at`).
macro_rules! known {
    ($table:ident, $known:expr) => {{
        let known: $crate::store::voids::Known = $known;
        $table::recorded_at
            .lt(known.recorded_before)
            .and($table::voided_at.is_null().or($table::voided_at.ge(known.voids_from)))
    }};
}
pub(crate) use known;

/// Names `$new` as the record that corrects row `$old` of `$table`, once.
macro_rules! link_replacement {
    ($conn:expr, $table:ident, $old:expr, $new:expr) => {{
        let (old, new): (i64, i64) = ($old, $new);
        $crate::store::on_backend!($conn, |c| diesel::update(
            $table::table
                .filter($table::id.eq(old))
                .filter($table::replaced_by.is_null())
        )
        .set($table::replaced_by.eq(Some(new)))
        .execute(c))
    }};
}
pub(crate) use link_replacement;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_and_short() {
        let void = |reason: &str| Void { reason: reason.into() };
        assert!(void("entered for the wrong staff member").validate().is_ok());
        for bad in ["", "   ", &"x".repeat(501)] {
            assert!(void(bad).validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_day_known_ends_at_midnight_utc() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let known = Known::of(Basis::known_on(Some(day)));
        assert_eq!(known.recorded_before.to_string(), "2026-03-03 00:00:00");
        assert_eq!(known.voids_from, known.recorded_before);
        let today = Known::of(Basis::corrected());
        assert!(today.voids_from > known.voids_from);
        assert!(Known::everything().voids_from < known.voids_from);
    }
}
