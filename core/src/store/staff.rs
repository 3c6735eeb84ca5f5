//! Staff of a practice, with their roles and active dates.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use validator::Validate;

use super::schema::{care_plans, meeting_attendees, meeting_follow_ups, staff, team_meetings, training_records};
use super::voids::{self, Known, Replaces, VoidMark};
use super::{now, on_backend, practices, Connection, DateRange, Listing, Page, StoreError, StoreResult};
use crate::ids::{PracticeId, StaffId};
use crate::records::{Role, Staff};

/// What is needed to add a staff member.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    /// Their name.
    #[check(not_blank, max_length = 200)]
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Their first day in the practice.
    #[check(date)]
    pub started_on: NaiveDate,
    /// Their last day, if they left.
    #[check(date)]
    pub ended_on: Option<NaiveDate>,
    /// The staff member this one corrects (of the same practice, not voided, with no records):
    /// they are voided in the same transaction, with the reason given.
    #[serde(default)]
    #[check(nested)]
    pub replaces: Option<Replaces>,
}

/// A staff member leaving (or a correction of their last day).
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffUpdate {
    /// Their last day in the practice; null if they did not leave after all.
    #[check(date)]
    pub ended_on: Option<NaiveDate>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = staff)]
struct Row {
    id: i64,
    practice_id: i64,
    name: String,
    role: String,
    started_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    #[diesel(embed)]
    corrections: Corrections,
}

voids::correction_columns!(staff);

impl From<Row> for Staff {
    fn from(row: Row) -> Self {
        Staff {
            id: StaffId(row.id),
            practice_id: PracticeId(row.practice_id),
            name: row.name,
            role: role_from_text(&row.role),
            started_on: row.started_on,
            ended_on: row.ended_on,
            correction: row.corrections.into(),
        }
    }
}

/// A role as stored (its snake_case name).
pub(crate) fn role_text(role: Role) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A stored role; an unknown one (from a newer release) reads as `other`.
pub(crate) fn role_from_text(text: &str) -> Role {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).unwrap_or(Role::Other)
}

fn check_dates(started_on: NaiveDate, ended_on: Option<NaiveDate>) -> StoreResult<()> {
    match ended_on {
        Some(end) if end < started_on => Err(StoreError::invalid(
            "ended_on",
            "not_before_start",
            format!("the last day ({end}) is before the first day ({started_on})"),
        )),
        _ => Ok(()),
    }
}

/// Adds a staff member to `practice`.
pub fn create(conn: &mut Connection, practice: PracticeId, form: &NewStaff) -> StoreResult<Staff> {
    practices::get(conn, practice)?;
    check_dates(form.started_on, form.ended_on)?;
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(staff::table)
        .values((
            staff::practice_id.eq(practice.0),
            staff::name.eq(form.name.trim()),
            staff::role.eq(role_text(form.role)),
            staff::started_on.eq(form.started_on),
            staff::ended_on.eq(form.ended_on),
            staff::recorded_at.eq(now()),
            staff::replaces.eq(form.replaces.as_ref().map(|r| r.id)),
        ))
        .returning(staff::id)
        .get_result(c))?;
    get(conn, practice, StaffId(id))
}

/// The staff member `id` of `practice`.
pub fn get(conn: &mut Connection, practice: PracticeId, id: StaffId) -> StoreResult<Staff> {
    let row: Option<Row> = on_backend!(conn, |c| staff::table
        .filter(staff::id.eq(id.0).and(staff::practice_id.eq(practice.0)))
        .select(Row::as_select())
        .first(c)
        .optional())?;
    row.map(Staff::from)
        .ok_or_else(|| StoreError::not_found("staff member", id))
}

/// Records a staff member's last day.
pub fn update(conn: &mut Connection, practice: PracticeId, id: StaffId, form: &StaffUpdate) -> StoreResult<Staff> {
    let current = get(conn, practice, id)?;
    check_dates(current.started_on, form.ended_on)?;
    on_backend!(conn, |c| diesel::update(staff::table.find(id.0))
        .set(staff::ended_on.eq(form.ended_on))
        .execute(c))?;
    get(conn, practice, id)
}

/// A page of `practice`'s staff, those active at some point in `active` if given.
pub fn list(conn: &mut Connection, practice: PracticeId, active: DateRange, page: Page) -> StoreResult<Listing<Staff>> {
    practices::get(conn, practice)?;
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let query = staff::table
            .filter(staff::practice_id.eq(practice.0))
            .filter(staff::started_on.le(active.end()))
            .filter(staff::ended_on.is_null().or(staff::ended_on.ge(active.start())));
        let rows = query
            .order(staff::id)
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = query.count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    Ok(Listing {
        items: rows.into_iter().map(Staff::from).collect(),
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// How many records not voided name staff member `id`: trainings, meetings attended, follow-ups owned, care plans initiated.
fn records_naming(conn: &mut Connection, id: StaffId) -> StoreResult<i64> {
    let counts: [i64; 4] = on_backend!(conn, |c| {
        Ok::<_, diesel::result::Error>([
            training_records::table
                .filter(training_records::staff_id.eq(id.0))
                .filter(training_records::voided_at.is_null())
                .count()
                .get_result(c)?,
            meeting_attendees::table
                .inner_join(team_meetings::table)
                .filter(meeting_attendees::staff_id.eq(id.0))
                .filter(team_meetings::voided_at.is_null())
                .count()
                .get_result(c)?,
            meeting_follow_ups::table
                .filter(meeting_follow_ups::owner_id.eq(id.0))
                .filter(meeting_follow_ups::voided_at.is_null())
                .count()
                .get_result(c)?,
            care_plans::table
                .filter(care_plans::initiating_provider.eq(id.0))
                .filter(care_plans::voided_at.is_null())
                .count()
                .get_result(c)?,
        ])
    })?;
    Ok(counts.iter().sum())
}

/// Voids the staff member `id` of `practice`, entered by mistake: refused once voided, and
/// refused for a staff member any record names (their last day is recorded instead).
/// Returns them before and after.
pub fn void(conn: &mut Connection, practice: PracticeId, id: StaffId, mark: &VoidMark) -> StoreResult<(Staff, Staff)> {
    let before = get(conn, practice, id)?;
    voids::check_voided("staff member", id, &before.correction)?;
    let naming = records_naming(conn, id)?;
    if naming > 0 {
        return Err(StoreError::Conflict {
            message: format!(
                "staff member {id} ({}) cannot be voided: {naming} record{} name{} them; record their last day (ended_on) instead",
                before.name,
                if naming == 1 { "" } else { "s" },
                if naming == 1 { "s" } else { "" },
            ),
        });
    }
    voids::void_row!(conn, staff, id.0, mark)?;
    Ok((before, get(conn, practice, id)?))
}

/// Names `new` as the staff member who corrects the voided `old`, both of `practice`.
pub fn link(conn: &mut Connection, practice: PracticeId, old: StaffId, new: StaffId) -> StoreResult<Staff> {
    voids::link_replacement!(conn, staff, old.0, new.0)?;
    get(conn, practice, old)
}

/// Every staff member of `practice` that `known` counts, for the rules.
pub(crate) fn all(conn: &mut Connection, practice: PracticeId, known: Known) -> StoreResult<Vec<Staff>> {
    let rows: Vec<Row> = on_backend!(conn, |c| staff::table
        .filter(staff::practice_id.eq(practice.0))
        .filter(voids::known!(staff, known))
        .order(staff::id)
        .select(Row::as_select())
        .load(c))?;
    Ok(rows.into_iter().map(Staff::from).collect())
}

/// Every staff member of every practice of `organization`, ordered by id (one query).
pub(crate) fn all_of_organization(
    conn: &mut Connection,
    organization: crate::ids::OrganizationId,
    known: Known,
) -> StoreResult<Vec<Staff>> {
    let rows: Vec<Row> = on_backend!(conn, |c| staff::table
        .filter(staff::practice_id.eq_any(super::practices::ids_of(organization)))
        .filter(voids::known!(staff, known))
        .order(staff::id)
        .select(Row::as_select())
        .load(c))?;
    Ok(rows.into_iter().map(Staff::from).collect())
}
