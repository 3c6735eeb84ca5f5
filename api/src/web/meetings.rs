//! Team meetings: twelve months against what the catalog expects (4.21), the meetings held,
//! recording one with its attendees and follow-ups, and the follow-ups still open. A meeting
//! entered by mistake is voided, or amended: the form filled in with the meeting (its attendees
//! on the roster and its follow-ups not voided), whose new version replaces it.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, Months, NaiveDate};
use pcmh_core::actions::{compliance, meetings as actions};
use pcmh_core::catalog::Vocabulary;
use pcmh_core::ids::{StaffId, TeamMeetingId};
use pcmh_core::records::{Practice, Staff};
use pcmh_core::store::meetings::{self, FollowUpCompletion, MeetingRecord, NewMeeting};
use pcmh_core::store::{staff, DateRange, Page};
use serde_json::{json, Value};

use super::auth::run;
use super::corrections::{amend_asked, amending, read_replaces, Amending};
use super::forms::{self, read_json, Fields, FormErrors, Kind};
use super::{long_date, Chrome, Posted, Viewer, WebError};
use crate::http::AppState;

/// Empty follow-up rows the form offers.
const FOLLOW_UP_ROWS: usize = 3;

/// A choice of a select or a checkbox.
pub struct Choice {
    value: String,
    label: String,
    checked: bool,
}

/// One month of the calendar.
pub struct MonthLine {
    words: String,
    status: &'static str,
    class: &'static str,
}

/// One meeting of the list.
pub struct MeetingLine {
    id: i64,
    held: String,
    kind: String,
    attendees: String,
    patients: u32,
    documented: &'static str,
    /// Who voided it, when and why, if it was voided; what it corrects.
    corrections: Vec<String>,
    /// Its "Void" form, for a person who may write and a meeting not voided.
    void: Option<super::corrections::VoidForm>,
    /// Whether it may be amended: by a person who may write, and not voided.
    amendable: bool,
}

/// One follow-up of the list.
pub struct FollowUpLine {
    meeting: i64,
    id: i64,
    what: String,
    owner: String,
    due: String,
    status: String,
    class: &'static str,
    open: bool,
    /// Its "Void" form, for a person who may write and an item not voided.
    void: Option<super::corrections::VoidForm>,
}

/// One follow-up row of the form, as typed, with its messages.
pub struct FollowUpInput {
    what: String,
    owner: String,
    due: String,
    /// The day it was done, if it already was.
    done: String,
    what_error: Option<String>,
    owner_error: Option<String>,
    due_error: Option<String>,
    done_error: Option<String>,
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    chrome: Chrome,
    practice_id: i64,
    may_write: bool,
    expectation: Option<String>,
    months: Vec<MonthLine>,
    meetings: Vec<MeetingLine>,
    follow_ups: Vec<FollowUpLine>,
    today: String,
    kinds: Vec<Choice>,
    attendees: Vec<Choice>,
    owners: Vec<Choice>,
    rows: Vec<FollowUpInput>,
    form: Fields,
    /// The meeting the form amends, when it does.
    amending: Option<Amending>,
    errors: FormErrors,
    done_for: Option<i64>,
    done_errors: FormErrors,
}

/// What the page reads: the practice, its roster, its meetings (newest first), its meeting
/// kinds and the 4.21 result.
struct Read {
    practice: Practice,
    roster: Vec<Staff>,
    meetings: Vec<MeetingRecord>,
    kinds: Vec<(String, String)>,
    rule: Option<(String, Vec<String>)>,
}

async fn read(state: &web::Data<AppState>, practice: Practice) -> Result<Read, WebError> {
    let app = state.clone();
    run(move || {
        let all = Page { limit: 500, offset: 0 };
        let (roster, meetings) = app.store.read(|c| {
            let roster = staff::list(c, practice.id, DateRange::default(), all)?.items;
            Ok((roster, meetings::all_records(c, practice.id)?))
        })?;
        let catalog = app.catalog(&practice.catalog_id, &practice.catalog_version)?;
        let list = &catalog.vocabulary.meeting_kinds;
        let kinds = list
            .keys()
            .map(|k| (k.to_string(), Vocabulary::label(list, k).to_owned()))
            .collect();
        let view = compliance::practice_compliance(&app.store, &app.catalogs, practice.id, None, chrono::Utc::now())?;
        let rule = view.criteria.iter().flat_map(|c| &c.result.requirements).find_map(|r| {
            let occurrences = r.occurrences.as_ref().filter(|_| r.kind == "team_meetings")?;
            Some((
                r.reasons.first().cloned().unwrap_or_default(),
                occurrences.missing.clone(),
            ))
        });
        Ok(Read {
            practice,
            roster,
            meetings,
            kinds,
            rule,
        })
    })
    .await
}

/// The first day of the month of `day`.
fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The twelve months before this one and this one, each in words with the meetings held.
fn calendar(read: &Read, today: NaiveDate) -> Vec<MonthLine> {
    let this_month = month_start(today);
    (0..=12u32)
        .rev()
        .filter_map(|back| this_month.checked_sub_months(Months::new(back)))
        .map(|start| {
            let held = read
                .meetings
                .iter()
                .filter(|m| !m.correction.is_voided() && month_start(m.held_on) == start)
                .count();
            let count = match held {
                0 => "none".to_owned(),
                1 => "1 meeting".to_owned(),
                n => format!("{n} meetings"),
            };
            let label = start.format("%Y-%m").to_string();
            let (status, class) = match &read.rule {
                _ if start == this_month => ("This month", "status-na"),
                Some((_, missing)) if missing.contains(&label) => ("Missing", "status-not-met"),
                Some(_) => ("Met", "status-met"),
                None if held == 0 => ("Missing", "status-not-met"),
                None => ("Held", "status-met"),
            };
            MonthLine {
                words: format!("{}: {count}", start.format("%b %Y")),
                status,
                class,
            }
        })
        .collect()
}

fn name_of(roster: &[Staff], id: StaffId) -> String {
    roster
        .iter()
        .find(|s| s.id == id)
        .map_or_else(|| format!("Staff member {id}"), |s| s.name.clone())
}

fn lines(read: &Read, today: NaiveDate, practice_id: i64, may_write: bool) -> (Vec<MeetingLine>, Vec<FollowUpLine>) {
    let kind = |k: &str| {
        read.kinds
            .iter()
            .find(|(v, _)| v == k)
            .map_or_else(|| k.to_owned(), |(_, l)| l.clone())
    };
    let meetings = read
        .meetings
        .iter()
        .map(|m| MeetingLine {
            id: m.id.0,
            held: long_date(m.held_on),
            kind: kind(m.kind.as_str()),
            attendees: m
                .attendees
                .iter()
                .map(|a| match a.staff_id {
                    Some(id) => format!("{} ({})", name_of(&read.roster, id), a.role.label()),
                    None => super::dashboard::capitalized(a.role.label()),
                })
                .collect::<Vec<_>>()
                .join(", "),
            patients: m.patients_reviewed,
            documented: if m.documented_in_chart { "Yes" } else { "No" },
            corrections: super::corrections::notes("meeting", &m.correction),
            void: super::corrections::void_form(
                may_write,
                &m.correction,
                format!("/practices/{practice_id}/meetings/{}/void", m.id),
                format!("the meeting of {}", long_date(m.held_on)),
            ),
            amendable: may_write && !m.correction.is_voided(),
        })
        .collect();
    let mut follow_ups: Vec<(u8, NaiveDate, FollowUpLine)> = read
        .meetings
        .iter()
        .flat_map(|m| m.follow_ups.iter().map(move |f| (m, f)))
        .map(|(m, f)| {
            // A voided item, or one of a voided meeting, falls due no more.
            let voided = super::corrections::voided_words("follow-up", &f.correction).or_else(|| {
                super::corrections::voided_words("meeting", &m.correction).map(|w| format!("Its meeting: {w}"))
            });
            let (rank, status, class) = match (&voided, f.completed_on) {
                (Some(words), _) => (3, words.clone(), "status-na"),
                (None, Some(done)) => (2, format!("Done on {}", long_date(done)), "status-met"),
                (None, None) if f.due_on < today => (0, "Overdue".to_owned(), "status-not-met"),
                (None, None) => (1, "Open".to_owned(), "status-partial"),
            };
            let line = FollowUpLine {
                meeting: m.id.0,
                id: f.id,
                what: f.description.clone(),
                owner: f
                    .owner
                    .map_or_else(|| "No owner".to_owned(), |o| name_of(&read.roster, o)),
                due: long_date(f.due_on),
                status,
                class,
                open: f.completed_on.is_none() && voided.is_none(),
                void: super::corrections::void_form(
                    may_write && voided.is_none(),
                    &f.correction,
                    format!("/practices/{practice_id}/meetings/{}/follow-ups/{}/void", m.id, f.id),
                    format!("follow-up {}", f.id),
                ),
            };
            (rank, f.due_on, line)
        })
        .collect();
    follow_ups.sort_by_key(|(rank, due, _)| (*rank, *due));
    (meetings, follow_ups.into_iter().map(|(_, _, l)| l).collect())
}

/// The follow-up rows of the form as typed (at least [`FOLLOW_UP_ROWS`]).
fn follow_up_inputs(form: &Fields, errors: &FormErrors) -> Vec<FollowUpInput> {
    let (what, owner, due, done) = (
        form.all("fu_what"),
        form.all("fu_owner"),
        form.all("fu_due"),
        form.all("fu_done"),
    );
    let count = what
        .len()
        .max(owner.len())
        .max(due.len())
        .max(done.len())
        .max(FOLLOW_UP_ROWS);
    let mut sent = 0;
    (0..count)
        .map(|i| {
            let cell = |list: &[&str]| list.get(i).map_or_else(String::new, |v| (*v).to_owned());
            let mut input = FollowUpInput {
                what: cell(&what),
                owner: cell(&owner),
                due: cell(&due),
                done: cell(&done),
                what_error: None,
                owner_error: None,
                due_error: None,
                done_error: None,
            };
            if !(input.what.trim().is_empty()
                && input.owner.is_empty()
                && input.due.is_empty()
                && input.done.is_empty())
            {
                let message = |f: &str| errors.get(&format!("follow_ups[{sent}].{f}")).map(str::to_owned);
                input.what_error = message("description");
                input.owner_error = message("owner");
                input.due_error = message("due_on");
                input.done_error = message("completed_on");
                sent += 1;
            }
            input
        })
        .collect()
}

async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    practice: Practice,
    notice: Option<String>,
    form: Fields,
    errors: FormErrors,
    done: Option<(i64, FormErrors)>,
) -> Result<HttpResponse, WebError> {
    let read = read(state, practice).await?;
    let practice = &read.practice;
    let today = practice.today(chrono::Utc::now());
    let (meetings, follow_ups) = lines(&read, today, practice.id.0, viewer.may_write());
    let failed = !errors.is_empty() || done.as_ref().is_some_and(|(_, e)| !e.is_empty());
    let (done_for, done_errors) = done.map_or((None, FormErrors::default()), |(id, e)| (Some(id), e));
    let picked = form.all("attendee");
    let active: Vec<&Staff> = read
        .roster
        .iter()
        .filter(|s| s.ended_on.is_none_or(|end| end >= today))
        .collect();
    let page = MeetingsPage {
        chrome: Chrome::practice(
            viewer,
            practice,
            "/meetings",
            format!("Team meetings · {}", practice.name),
        )
        .with_notice(notice),
        practice_id: practice.id.0,
        may_write: viewer.may_write(),
        expectation: read.rule.as_ref().map(|(reason, _)| reason.clone()),
        months: calendar(&read, today),
        meetings,
        follow_ups,
        today: today.to_string(),
        kinds: read
            .kinds
            .iter()
            .map(|(v, l)| Choice {
                value: v.clone(),
                label: l.clone(),
                checked: form.get("kind") == Some(v.as_str()),
            })
            .collect(),
        attendees: active
            .iter()
            .map(|s| Choice {
                value: s.id.0.to_string(),
                label: format!("{} ({})", s.name, s.role.label()),
                checked: picked.contains(&s.id.0.to_string().as_str()),
            })
            .collect(),
        owners: active
            .iter()
            .map(|s| Choice {
                value: s.id.0.to_string(),
                label: s.name.clone(),
                checked: false,
            })
            .collect(),
        rows: follow_up_inputs(&form, &errors),
        amending: amending("meeting", "record-heading", &form, &errors),
        errors: errors.keep_fields(&[
            "held_on",
            "kind",
            "attendees",
            "patients_reviewed",
            "documented_in_chart",
            "follow_ups",
            "replaces_reason",
        ]),
        form,
        done_for,
        done_errors,
    };
    forms::answer(&page, failed)
}

/// The meetings page.
#[get("/practices/{id}/meetings")]
async fn meetings_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let practice = viewer.practice(&state, path.into_inner()).await?;
    let mut query = Fields::parse(req.query_string().as_bytes());
    // Amending: the form is filled in with the meeting, whose new version will replace it.
    let form = match amend_asked(&mut query) {
        Some(id) if viewer.may_write() => {
            let (app, practice_id) = (state.clone(), practice.id);
            let meeting =
                run(move || Ok(app.store.read(|c| meetings::get(c, practice_id, TeamMeetingId(id)))?)).await?;
            meeting_fields(meeting)
        }
        _ => Fields::default(),
    };
    render(
        &state,
        &viewer,
        practice,
        forms::notice(&req),
        form,
        FormErrors::default(),
        None,
    )
    .await
}

/// The form's fields filled in with `meeting`, to amend it: attendees on the roster and the
/// follow-ups not voided, with the day each was done.
fn meeting_fields(meeting: MeetingRecord) -> Fields {
    let mut form: Vec<(String, String)> = vec![
        ("held_on".into(), meeting.held_on.to_string()),
        ("kind".into(), meeting.kind.to_string()),
        ("patients_reviewed".into(), meeting.patients_reviewed.to_string()),
    ];
    if meeting.documented_in_chart {
        form.push(("documented_in_chart".into(), "on".into()));
    }
    form.extend(
        meeting
            .attendees
            .iter()
            .filter_map(|a| a.staff_id.map(|id| ("attendee".into(), id.0.to_string()))),
    );
    for f in meeting.follow_ups.iter().filter(|f| !f.correction.is_voided()) {
        form.push(("fu_what".into(), f.description.clone()));
        form.push(("fu_owner".into(), f.owner.map(|o| o.0.to_string()).unwrap_or_default()));
        form.push(("fu_due".into(), f.due_on.to_string()));
        form.push((
            "fu_done".into(),
            f.completed_on.map(|d| d.to_string()).unwrap_or_default(),
        ));
    }
    form.push(("replaces_id".into(), meeting.id.0.to_string()));
    Fields(form)
}

/// The JSON body of `create_meeting` that the form's fields make: attendees with the role the
/// roster gives them, follow-up rows left empty ignored.
fn meeting_json(fields: &Fields, roster: &[Staff]) -> Value {
    let mut body = fields.json(&[
        ("held_on", Kind::Text),
        ("kind", Kind::Text),
        ("patients_reviewed", Kind::Number),
        ("documented_in_chart", Kind::Flag),
    ]);
    let attendees: Vec<Value> = fields
        .all("attendee")
        .iter()
        .map(|id| match roster.iter().find(|s| s.id.0.to_string() == *id) {
            Some(s) => json!({"staff_id": s.id.0, "role": s.role}),
            None => json!({"staff_id": id, "role": "other"}),
        })
        .collect();
    let (what, owner, due, done) = (
        fields.all("fu_what"),
        fields.all("fu_owner"),
        fields.all("fu_due"),
        fields.all("fu_done"),
    );
    let follow_ups: Vec<Value> = (0..what.len().max(owner.len()).max(due.len()).max(done.len()))
        .map(|i| {
            (
                what.get(i).map_or("", |v| v.trim()),
                owner.get(i).copied().unwrap_or(""),
                due.get(i).copied().unwrap_or(""),
                done.get(i).copied().unwrap_or(""),
            )
        })
        .filter(|(w, o, d, c)| !(w.is_empty() && o.is_empty() && d.is_empty() && c.is_empty()))
        .map(|(w, o, d, c)| {
            let mut item = json!({"description": w});
            if !o.is_empty() {
                item["owner"] = o.parse::<i64>().map_or_else(|_| json!(o), |n| json!(n));
            }
            if !d.is_empty() {
                item["due_on"] = json!(d);
            }
            if !c.is_empty() {
                item["completed_on"] = json!(c);
            }
            item
        })
        .collect();
    body["attendees"] = Value::Array(attendees);
    body["follow_ups"] = Value::Array(follow_ups);
    body
}

/// Records a meeting (the API's `create_meeting`).
#[post("/practices/{id}/meetings")]
async fn record_meeting(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let practice = viewer.practice_to_write(&state, path.into_inner()).await?;
    let (app, id) = (state.clone(), practice.id);
    let roster = run(move || {
        Ok(app
            .store
            .read(|c| staff::list(c, id, DateRange::default(), Page { limit: 500, offset: 0 }))?
            .items)
    })
    .await?;
    let mut form: NewMeeting = match read_json(&meeting_json(&fields, &roster)) {
        Ok(form) => form,
        Err(errors) => return render(&state, &viewer, practice, None, fields, attendee_errors(errors), None).await,
    };
    // An amendment names the meeting it replaces and why; the rest is the form of a new meeting.
    if let Err(errors) = read_replaces(&fields, "meeting", &mut form.replaces) {
        return render(&state, &viewer, practice, None, fields, errors, None).await;
    }
    let amended = form.replaces.as_ref().map(|r| r.id);
    let (app, actor) = (state.clone(), viewer.actor(&practice));
    let recorded =
        run(move || forms::outcome(actions::record_meeting(&app.store, &app.catalogs, &actor, id, &form))).await?;
    match recorded {
        Ok(meeting) => Ok(forms::redirect(
            &format!("/practices/{}/meetings", practice.id),
            &match amended {
                Some(old) => format!(
                    "Meeting {old} was corrected by meeting {}; it stays listed, voided.",
                    meeting.id
                ),
                None => format!("The meeting of {} was recorded.", long_date(meeting.held_on)),
            },
        )),
        Err(errors) => render(&state, &viewer, practice, None, fields, attendee_errors(errors), None).await,
    }
}

/// Messages about one attendee (`attendees[2].staff_id`) shown beside the attendees' checkboxes.
fn attendee_errors(mut errors: FormErrors) -> FormErrors {
    let keys: Vec<String> = errors
        .fields
        .keys()
        .filter(|k| k.starts_with("attendees["))
        .cloned()
        .collect();
    for key in keys {
        if let Some(message) = errors.fields.remove(&key) {
            errors.fields.entry("attendees".into()).or_insert(message);
        }
    }
    errors
}

/// Records that a follow-up was done (the API's `complete_follow_up`).
#[post("/practices/{id}/meetings/{meeting_id}/follow-ups/{follow_up_id}/done")]
async fn mark_done(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let (practice_id, meeting, follow_up) = path.into_inner();
    let practice = viewer.practice_to_write(&state, practice_id).await?;
    let refused = |errors| {
        render(
            &state,
            &viewer,
            practice.clone(),
            None,
            Fields::default(),
            FormErrors::default(),
            Some((follow_up, errors)),
        )
    };
    let form: FollowUpCompletion = match fields.read(&[("completed_on", Kind::Text)]) {
        Ok(form) => form,
        Err(errors) => return refused(errors).await,
    };
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let done = run(move || {
        forms::outcome(actions::complete_follow_up(
            &app.store,
            &actor,
            id,
            TeamMeetingId(meeting),
            follow_up,
            &form,
        ))
    })
    .await?;
    match done {
        Ok(_) => Ok(forms::redirect(
            &format!("/practices/{}/meetings", practice.id),
            "The follow-up is marked done.",
        )),
        Err(errors) => refused(errors).await,
    }
}

/// Registers the meeting pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(meetings_page).service(record_meeting).service(mark_done);
}
