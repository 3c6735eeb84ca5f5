//! Inter-disciplinary team meetings of a practice, with their attendees and follow-up items.
//!
//! A meeting is written once, with all its rows, in the caller's transaction. Afterwards the
//! only change allowed is recording when a follow-up item was completed.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::schema::{meeting_attendees, meeting_follow_ups, team_meetings};
use super::voids::{self, Known, Replaces, VoidMark};
use super::{now, on_backend, practices, staff, Connection, DateRange, Listing, Page, StoreError, StoreResult};
use crate::catalog::Catalog;
use crate::ids::{PracticeId, StaffId, TeamMeetingId, Term};
use crate::records::{Attendee, Correction, FollowUp, Role, TeamMeeting};

/// The most ids sent in one `IN (...)` list.
const CHUNK: usize = 500;

/// What is needed to record a team meeting.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    /// The day it was held.
    #[check(date)]
    pub held_on: NaiveDate,
    /// The kind of meeting, a term of the `meeting_kinds` of the practice's catalog version.
    pub kind: Term,
    /// Who attended, by role (1 to 50).
    #[check(min_length = 1, max_length = 50, nested)]
    pub attendees: Vec<NewAttendee>,
    /// How many patients' care was reviewed (0 to 500).
    #[check(maximum = 500)]
    pub patients_reviewed: u32,
    /// Whether the meeting is documented in the reviewed patients' charts.
    pub documented_in_chart: bool,
    /// The follow-up items agreed (0 to 50; none if omitted).
    #[serde(default)]
    #[check(max_length = 50, nested)]
    pub follow_ups: Vec<NewFollowUp>,
    /// The meeting this one corrects (of the same practice, not voided): it is voided in the
    /// same transaction, with the reason given.
    #[serde(default)]
    #[check(nested)]
    pub replaces: Option<Replaces>,
}

/// One attendee of a meeting being recorded.
#[crate::checks::checked]
#[derive(Debug, Clone, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttendee {
    /// The role the attendee held at the meeting.
    pub role: Role,
    /// The staff member, when they are on the practice's staff (partners from a health plan are not).
    pub staff_id: Option<StaffId>,
}

/// One follow-up item of a meeting being recorded.
#[crate::checks::checked]
#[derive(Debug, Clone, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFollowUp {
    /// What is to be done.
    #[check(not_blank, max_length = 1000)]
    pub description: String,
    /// The staff member who owns it.
    pub owner: Option<StaffId>,
    /// When it is due (not before the meeting).
    #[check(date)]
    pub due_on: NaiveDate,
    /// When it was done, if it already was (not before the meeting).
    #[check(date)]
    pub completed_on: Option<NaiveDate>,
}

/// The completion of a follow-up item: the only change a recorded meeting accepts.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpCompletion {
    /// The day the item was done (not before the meeting).
    #[check(date)]
    pub completed_on: NaiveDate,
}

/// A follow-up item as stored, with its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowUpRecord {
    /// The item's id (to record its completion).
    pub id: i64,
    /// What is to be done.
    pub description: String,
    /// The staff member who owns it.
    pub owner: Option<StaffId>,
    /// When it is due.
    pub due_on: NaiveDate,
    /// When it was done, if it was.
    pub completed_on: Option<NaiveDate>,
    /// Whether it was voided.
    #[serde(flatten)]
    pub correction: Correction,
}

/// A team meeting as stored: the domain meeting plus the ids of its follow-ups and its catalog version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeetingRecord {
    /// The meeting's id.
    pub id: TeamMeetingId,
    /// The practice that held it.
    pub practice_id: PracticeId,
    /// The day it was held.
    pub held_on: NaiveDate,
    /// The kind of meeting, a term of the catalog's `meeting_kinds`.
    pub kind: Term,
    /// Who attended, by role.
    pub attendees: Vec<Attendee>,
    /// How many patients' care was reviewed.
    pub patients_reviewed: u32,
    /// Whether the meeting is documented in the reviewed patients' charts.
    pub documented_in_chart: bool,
    /// The follow-up items it agreed.
    pub follow_ups: Vec<FollowUpRecord>,
    /// The catalog the meeting kind was taken from.
    pub catalog_id: String,
    /// That catalog's version.
    pub catalog_version: String,
    /// Whether it was voided, and what it corrects or was corrected by.
    #[serde(flatten)]
    pub correction: Correction,
}

impl From<MeetingRecord> for TeamMeeting {
    fn from(record: MeetingRecord) -> Self {
        TeamMeeting {
            id: record.id,
            practice_id: record.practice_id,
            held_on: record.held_on,
            kind: record.kind,
            attendees: record.attendees,
            patients_reviewed: record.patients_reviewed,
            documented_in_chart: record.documented_in_chart,
            follow_ups: record
                .follow_ups
                .into_iter()
                .map(|f| FollowUp {
                    description: f.description,
                    owner: f.owner,
                    due_on: f.due_on,
                    completed_on: f.completed_on,
                    correction: f.correction,
                })
                .collect(),
            correction: record.correction,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = team_meetings)]
struct Row {
    id: i64,
    practice_id: i64,
    held_on: NaiveDate,
    kind: String,
    patients_reviewed: i32,
    documented_in_chart: bool,
    catalog_id: String,
    catalog_version: String,
    #[diesel(embed)]
    corrections: Corrections,
}

voids::correction_columns!(team_meetings);

/// The void columns of a follow-up item.
mod follow_up_columns {
    use crate::store::schema::meeting_follow_ups;
    crate::store::voids::correction_columns!(meeting_follow_ups);
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = meeting_attendees)]
struct AttendeeRow {
    meeting_id: i64,
    role: String,
    staff_id: Option<i64>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = meeting_follow_ups)]
struct FollowUpRow {
    id: i64,
    meeting_id: i64,
    description: String,
    owner_id: Option<i64>,
    due_on: NaiveDate,
    completed_on: Option<NaiveDate>,
    #[diesel(embed)]
    corrections: follow_up_columns::Corrections,
}

/// A stored value this release cannot read (written by a newer one, or damaged).
fn unreadable(what: &str, text: &str) -> StoreError {
    StoreError::Database(diesel::result::Error::DeserializationError(
        format!("the stored {what} `{text}` is not one this release knows").into(),
    ))
}

/// Refuses `id` unless it is a staff member of `practice` (not voided), naming `field`.
pub(crate) fn check_staff(conn: &mut Connection, practice: PracticeId, id: StaffId, field: String) -> StoreResult<()> {
    match staff::get(conn, practice, id) {
        Ok(member) if member.correction.is_voided() => Err(StoreError::invalid(
            field,
            "not_voided",
            format!("staff member {id} was voided (entered by mistake): name the staff member who replaces them"),
        )),
        Ok(_) => Ok(()),
        Err(StoreError::NotFound { .. }) => Err(StoreError::invalid(
            field,
            "same_practice",
            format!("staff member {id} is not on the staff of practice {practice}"),
        )),
        Err(other) => Err(other),
    }
}

/// Refuses a meeting kind that is not a term of `catalog`.
fn check_kind(catalog: &Catalog, kind: &Term) -> StoreResult<()> {
    let kinds = &catalog.vocabulary.meeting_kinds;
    if kinds.contains_key(kind) {
        return Ok(());
    }
    let known: Vec<&str> = kinds.keys().map(Term::as_str).collect();
    Err(StoreError::invalid(
        "kind",
        "vocabulary",
        format!(
            "`{kind}` is not a meeting kind of {} {} (known: {})",
            catalog.id,
            catalog.version,
            known.join(", ")
        ),
    ))
}

/// Refuses a date of the meeting's follow-up that is before the meeting itself.
fn check_not_before_meeting(field: String, date: NaiveDate, held_on: NaiveDate) -> StoreResult<()> {
    if date < held_on {
        return Err(StoreError::invalid(
            field,
            "not_before_held_on",
            format!("{date} is before the meeting was held ({held_on})"),
        ));
    }
    Ok(())
}

/// Checks what needs the stored records or the catalog (the form itself is already validated).
fn check(conn: &mut Connection, practice: PracticeId, catalog: &Catalog, form: &NewMeeting) -> StoreResult<()> {
    check_kind(catalog, &form.kind)?;
    for (i, item) in form.follow_ups.iter().enumerate() {
        check_not_before_meeting(format!("follow_ups[{i}].due_on"), item.due_on, form.held_on)?;
        if let Some(done) = item.completed_on {
            check_not_before_meeting(format!("follow_ups[{i}].completed_on"), done, form.held_on)?;
        }
    }
    let mut seen = HashSet::new();
    for (i, attendee) in form.attendees.iter().enumerate() {
        if let Some(id) = attendee.staff_id {
            if !seen.insert(id) {
                return Err(StoreError::invalid(
                    format!("attendees[{i}].staff_id"),
                    "unique",
                    format!("staff member {id} is listed twice among the attendees"),
                ));
            }
            check_staff(conn, practice, id, format!("attendees[{i}].staff_id"))?;
        }
    }
    for (i, item) in form.follow_ups.iter().enumerate() {
        if let Some(owner) = item.owner {
            check_staff(conn, practice, owner, format!("follow_ups[{i}].owner"))?;
        }
    }
    Ok(())
}

/// Records a meeting of `practice` with its attendees and follow-ups, its kind taken from `catalog`
/// (the catalog version the practice is assessed against).
pub fn create(
    conn: &mut Connection,
    practice: PracticeId,
    catalog: &Catalog,
    form: &NewMeeting,
) -> StoreResult<MeetingRecord> {
    let owner = practices::get(conn, practice)?;
    let version = catalog.version.to_string();
    if owner.catalog_id != catalog.id || owner.catalog_version != version {
        return Err(StoreError::Conflict {
            message: format!(
                "practice {practice} is assessed against {} {}, not {} {version}",
                owner.catalog_id, owner.catalog_version, catalog.id
            ),
        });
    }
    check(conn, practice, catalog, form)?;
    let recorded_at = now();
    let reviewed = i32::try_from(form.patients_reviewed)
        .map_err(|_| StoreError::invalid("patients_reviewed", "range", "must be at most 500"))?;
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(team_meetings::table)
        .values((
            team_meetings::practice_id.eq(practice.0),
            team_meetings::held_on.eq(form.held_on),
            team_meetings::kind.eq(form.kind.as_str()),
            team_meetings::patients_reviewed.eq(reviewed),
            team_meetings::documented_in_chart.eq(form.documented_in_chart),
            team_meetings::catalog_id.eq(&catalog.id),
            team_meetings::catalog_version.eq(&version),
            team_meetings::recorded_at.eq(recorded_at),
            team_meetings::replaces.eq(form.replaces.as_ref().map(|r| r.id)),
        ))
        .returning(team_meetings::id)
        .get_result(c))?;
    for attendee in &form.attendees {
        on_backend!(conn, |c| diesel::insert_into(meeting_attendees::table)
            .values((
                meeting_attendees::meeting_id.eq(id),
                meeting_attendees::role.eq(staff::role_text(attendee.role)),
                meeting_attendees::staff_id.eq(attendee.staff_id.map(|s| s.0)),
            ))
            .execute(c))?;
    }
    for item in &form.follow_ups {
        on_backend!(conn, |c| diesel::insert_into(meeting_follow_ups::table)
            .values((
                meeting_follow_ups::meeting_id.eq(id),
                meeting_follow_ups::description.eq(item.description.trim()),
                meeting_follow_ups::owner_id.eq(item.owner.map(|s| s.0)),
                meeting_follow_ups::due_on.eq(item.due_on),
                meeting_follow_ups::completed_on.eq(item.completed_on),
                meeting_follow_ups::recorded_at.eq(Some(recorded_at)),
            ))
            .execute(c))?;
    }
    get(conn, practice, TeamMeetingId(id))
}

/// The meeting `id` of `practice`, with its attendees and follow-ups.
pub fn get(conn: &mut Connection, practice: PracticeId, id: TeamMeetingId) -> StoreResult<MeetingRecord> {
    let row: Option<Row> = on_backend!(conn, |c| team_meetings::table
        .filter(
            team_meetings::id
                .eq(id.0)
                .and(team_meetings::practice_id.eq(practice.0))
        )
        .select(Row::as_select())
        .first(c)
        .optional())?;
    let row = row.ok_or_else(|| StoreError::not_found("team meeting", id))?;
    assemble(conn, vec![row], Known::everything())?
        .pop()
        .ok_or_else(|| StoreError::not_found("team meeting", id))
}

/// Records when the follow-up item `follow_up` of the meeting `meeting` was done.
pub fn complete_follow_up(
    conn: &mut Connection,
    practice: PracticeId,
    meeting: TeamMeetingId,
    follow_up: i64,
    form: &FollowUpCompletion,
) -> StoreResult<MeetingRecord> {
    let current = get(conn, practice, meeting)?;
    let Some(item) = current.follow_ups.iter().find(|f| f.id == follow_up) else {
        return Err(StoreError::not_found("follow-up", follow_up));
    };
    if let Some(voided) = current.correction.voided.as_ref().or(item.correction.voided.as_ref()) {
        return Err(StoreError::Conflict {
            message: format!(
                "follow-up {follow_up} of meeting {meeting} was voided on {} ({}): it cannot be completed",
                voided.at.format("%Y-%m-%d"),
                voided.reason
            ),
        });
    }
    check_not_before_meeting("completed_on".into(), form.completed_on, current.held_on)?;
    on_backend!(conn, |c| diesel::update(
        meeting_follow_ups::table.filter(
            meeting_follow_ups::id
                .eq(follow_up)
                .and(meeting_follow_ups::meeting_id.eq(meeting.0))
        )
    )
    .set(meeting_follow_ups::completed_on.eq(Some(form.completed_on)))
    .execute(c))?;
    get(conn, practice, meeting)
}

/// A page of `practice`'s meetings held within `held`, oldest first.
pub fn list(
    conn: &mut Connection,
    practice: PracticeId,
    held: DateRange,
    page: Page,
) -> StoreResult<Listing<MeetingRecord>> {
    practices::get(conn, practice)?;
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let query = team_meetings::table
            .filter(team_meetings::practice_id.eq(practice.0))
            .filter(team_meetings::held_on.ge(held.start()))
            .filter(team_meetings::held_on.le(held.end()));
        let rows = query
            .order((team_meetings::held_on, team_meetings::id))
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = query.count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    Ok(Listing {
        items: assemble(conn, rows, Known::everything())?,
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// Every meeting of `practice` with its attendees and follow-ups (with their ids), newest first.
pub fn all_records(conn: &mut Connection, practice: PracticeId) -> StoreResult<Vec<MeetingRecord>> {
    practices::get(conn, practice)?;
    let rows: Vec<Row> = on_backend!(conn, |c| team_meetings::table
        .filter(team_meetings::practice_id.eq(practice.0))
        .order((team_meetings::held_on.desc(), team_meetings::id.desc()))
        .select(Row::as_select())
        .load(c))?;
    assemble(conn, rows, Known::everything())
}

/// Voids the meeting `id` of `practice` (unless it already is); returns it before and after.
/// Its follow-up items no longer count with it.
pub fn void(
    conn: &mut Connection,
    practice: PracticeId,
    id: TeamMeetingId,
    mark: &VoidMark,
) -> StoreResult<(MeetingRecord, MeetingRecord)> {
    let before = get(conn, practice, id)?;
    voids::check_voided("team meeting", id, &before.correction)?;
    voids::void_row!(conn, team_meetings, id.0, mark)?;
    Ok((before, get(conn, practice, id)?))
}

/// Names `new` as the meeting that corrects the voided `old`, both of `practice`.
pub fn link(
    conn: &mut Connection,
    practice: PracticeId,
    old: TeamMeetingId,
    new: TeamMeetingId,
) -> StoreResult<MeetingRecord> {
    voids::link_replacement!(conn, team_meetings, old.0, new.0)?;
    get(conn, practice, old)
}

/// The follow-up item `follow_up` of the meeting `meeting` of `practice`.
pub fn get_follow_up(
    conn: &mut Connection,
    practice: PracticeId,
    meeting: TeamMeetingId,
    follow_up: i64,
) -> StoreResult<FollowUpRecord> {
    get(conn, practice, meeting)?
        .follow_ups
        .into_iter()
        .find(|f| f.id == follow_up)
        .ok_or_else(|| StoreError::not_found("follow-up", follow_up))
}

/// Voids the follow-up item `follow_up` of the meeting `meeting` of `practice` (unless it
/// already is); returns it before and after.
pub fn void_follow_up(
    conn: &mut Connection,
    practice: PracticeId,
    meeting: TeamMeetingId,
    follow_up: i64,
    mark: &VoidMark,
) -> StoreResult<(FollowUpRecord, FollowUpRecord)> {
    let before = get_follow_up(conn, practice, meeting, follow_up)?;
    voids::check_voided("follow-up", follow_up, &before.correction)?;
    voids::void_row!(conn, meeting_follow_ups, follow_up, mark)?;
    Ok((before, get_follow_up(conn, practice, meeting, follow_up)?))
}

/// The filter of [`Known`] on follow-up items (those recorded before their own moment was kept
/// count from their meeting's).
macro_rules! known_follow_up {
    ($known:expr) => {{
        let known: Known = $known;
        meeting_follow_ups::recorded_at
            .is_null()
            .or(meeting_follow_ups::recorded_at.lt(known.recorded_before))
            .and(
                meeting_follow_ups::voided_at
                    .is_null()
                    .or(meeting_follow_ups::voided_at.ge(known.voids_from)),
            )
    }};
}

/// Loads the attendees and follow-ups (those `known` counts) of the meetings in `rows` and puts
/// each meeting together.
fn assemble(conn: &mut Connection, rows: Vec<Row>, known: Known) -> StoreResult<Vec<MeetingRecord>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut attendees: HashMap<i64, Vec<Attendee>> = HashMap::new();
    let mut follow_ups: HashMap<i64, Vec<FollowUpRecord>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let (attendee_rows, follow_up_rows): (Vec<AttendeeRow>, Vec<FollowUpRow>) = on_backend!(conn, |c| {
            let a = meeting_attendees::table
                .filter(meeting_attendees::meeting_id.eq_any(chunk))
                .order(meeting_attendees::id)
                .select(AttendeeRow::as_select())
                .load(c)?;
            let f = meeting_follow_ups::table
                .filter(meeting_follow_ups::meeting_id.eq_any(chunk))
                .filter(known_follow_up!(known))
                .order(meeting_follow_ups::id)
                .select(FollowUpRow::as_select())
                .load(c)?;
            Ok::<_, diesel::result::Error>((a, f))
        })?;
        for row in attendee_rows {
            attendees.entry(row.meeting_id).or_default().push(Attendee {
                role: staff::role_from_text(&row.role),
                staff_id: row.staff_id.map(StaffId),
            });
        }
        for row in follow_up_rows {
            follow_ups.entry(row.meeting_id).or_default().push(FollowUpRecord {
                id: row.id,
                description: row.description,
                owner: row.owner_id.map(StaffId),
                due_on: row.due_on,
                completed_on: row.completed_on,
                correction: row.corrections.into(),
            });
        }
    }
    rows.into_iter()
        .map(|row| {
            Ok(MeetingRecord {
                id: TeamMeetingId(row.id),
                practice_id: PracticeId(row.practice_id),
                held_on: row.held_on,
                kind: Term::parse(&row.kind).map_err(|_| unreadable("meeting kind", &row.kind))?,
                attendees: attendees.remove(&row.id).unwrap_or_default(),
                patients_reviewed: u32::try_from(row.patients_reviewed).unwrap_or(0),
                documented_in_chart: row.documented_in_chart,
                follow_ups: follow_ups.remove(&row.id).unwrap_or_default(),
                catalog_id: row.catalog_id,
                catalog_version: row.catalog_version,
                correction: row.corrections.into(),
            })
        })
        .collect()
}

/// [`assemble`] for all the meetings of a PO: the child rows in one query per table, not per chunk of ids.
fn assemble_of_organization(
    conn: &mut Connection,
    rows: Vec<Row>,
    organization: crate::ids::OrganizationId,
    known: Known,
) -> StoreResult<Vec<MeetingRecord>> {
    let mut attendees: HashMap<i64, Vec<Attendee>> = HashMap::new();
    let mut follow_ups: HashMap<i64, Vec<FollowUpRecord>> = HashMap::new();
    {
        let (attendee_rows, follow_up_rows): (Vec<AttendeeRow>, Vec<FollowUpRow>) = on_backend!(conn, |c| {
            let a = meeting_attendees::table
                .filter(
                    meeting_attendees::meeting_id.eq_any(
                        team_meetings::table
                            .filter(team_meetings::practice_id.eq_any(super::practices::ids_of(organization)))
                            .select(team_meetings::id),
                    ),
                )
                .order(meeting_attendees::id)
                .select(AttendeeRow::as_select())
                .load(c)?;
            let f = meeting_follow_ups::table
                .filter(
                    meeting_follow_ups::meeting_id.eq_any(
                        team_meetings::table
                            .filter(team_meetings::practice_id.eq_any(super::practices::ids_of(organization)))
                            .select(team_meetings::id),
                    ),
                )
                .filter(known_follow_up!(known))
                .order(meeting_follow_ups::id)
                .select(FollowUpRow::as_select())
                .load(c)?;
            Ok::<_, diesel::result::Error>((a, f))
        })?;
        for row in attendee_rows {
            attendees.entry(row.meeting_id).or_default().push(Attendee {
                role: staff::role_from_text(&row.role),
                staff_id: row.staff_id.map(StaffId),
            });
        }
        for row in follow_up_rows {
            follow_ups.entry(row.meeting_id).or_default().push(FollowUpRecord {
                id: row.id,
                description: row.description,
                owner: row.owner_id.map(StaffId),
                due_on: row.due_on,
                completed_on: row.completed_on,
                correction: row.corrections.into(),
            });
        }
    }
    rows.into_iter()
        .map(|row| {
            Ok(MeetingRecord {
                id: TeamMeetingId(row.id),
                practice_id: PracticeId(row.practice_id),
                held_on: row.held_on,
                kind: Term::parse(&row.kind).map_err(|_| unreadable("meeting kind", &row.kind))?,
                attendees: attendees.remove(&row.id).unwrap_or_default(),
                patients_reviewed: u32::try_from(row.patients_reviewed).unwrap_or(0),
                documented_in_chart: row.documented_in_chart,
                follow_ups: follow_ups.remove(&row.id).unwrap_or_default(),
                catalog_id: row.catalog_id,
                catalog_version: row.catalog_version,
                correction: row.corrections.into(),
            })
        })
        .collect()
}

/// Every meeting of `practice` that `known` counts, for the rules.
pub(crate) fn all(conn: &mut Connection, practice: PracticeId, known: Known) -> StoreResult<Vec<TeamMeeting>> {
    let rows: Vec<Row> = on_backend!(conn, |c| team_meetings::table
        .filter(team_meetings::practice_id.eq(practice.0))
        .filter(voids::known!(team_meetings, known))
        .order((team_meetings::held_on, team_meetings::id))
        .select(Row::as_select())
        .load(c))?;
    Ok(assemble(conn, rows, known)?
        .into_iter()
        .map(TeamMeeting::from)
        .collect())
}

/// Every team meeting of every practice of `organization`, ordered by (held_on, id).
pub(crate) fn all_of_organization(
    conn: &mut Connection,
    organization: crate::ids::OrganizationId,
    known: Known,
) -> StoreResult<Vec<TeamMeeting>> {
    let rows: Vec<Row> = on_backend!(conn, |c| team_meetings::table
        .filter(team_meetings::practice_id.eq_any(super::practices::ids_of(organization)))
        .filter(voids::known!(team_meetings, known))
        .order((team_meetings::held_on, team_meetings::id))
        .select(Row::as_select())
        .load(c))?;
    Ok(assemble_of_organization(conn, rows, organization, known)?
        .into_iter()
        .map(TeamMeeting::from)
        .collect())
}
