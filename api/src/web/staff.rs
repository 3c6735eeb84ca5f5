//! Staff: the roster with roles and first and last days, the training grid (staff × required
//! topic), adding a staff member, recording a last day, and correcting a staff member entered
//! by mistake: voiding them, or amending them (the form filled in, whose new version replaces
//! them; refused for a staff member whom records name).

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::actions::staff as actions;
use pcmh_core::ids::StaffId;
use pcmh_core::records::{Practice, Role, Staff};
use pcmh_core::rules::training_grid::{training_grid, Standing};
use pcmh_core::store::staff::{NewStaff, StaffUpdate};
use pcmh_core::store::{records, DateRange, Page};

use super::auth::run;
use super::corrections::{amend_asked, amending, read_replaces, Amending};
use super::forms::{self, Fields, FormErrors, Kind};
use super::{long_date, Chrome, Posted, Viewer, WebError};
use crate::http::AppState;

/// A role as a choice of a select: its value and its words.
pub struct Choice {
    /// The value sent.
    pub value: String,
    /// The words shown.
    pub label: String,
}

/// A role as the value a form sends.
fn role_value(role: Role) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Every role, as choices.
pub fn role_choices() -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: role_value(*r),
            label: super::dashboard::capitalized(r.label()),
        })
        .collect()
}

/// One row of the roster.
pub struct RosterLine {
    /// The staff member.
    pub id: i64,
    /// Their name.
    pub name: String,
    /// Their role in words.
    pub role: String,
    /// First day.
    pub started: String,
    /// Last day, if they left.
    pub ended: Option<String>,
    /// Who voided them, when and why, if they were entered by mistake; whom they correct.
    pub corrections: Vec<String>,
    /// Its "Void" form, for a person who may write and a record not voided.
    pub void: Option<super::corrections::VoidForm>,
    /// Whether it may be amended: by a person who may write, and not voided.
    pub amendable: bool,
}

/// One cell of the training grid, in words.
pub struct GridLine {
    /// The staff member's name and role.
    pub who: String,
    /// Each topic's cell: words and CSS class.
    pub cells: Vec<(String, &'static str)>,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    chrome: Chrome,
    practice_id: i64,
    roster: Vec<RosterLine>,
    topics: Vec<String>,
    grid: Vec<GridLine>,
    roles: Vec<Choice>,
    may_write: bool,
    form: Fields,
    /// The staff member the add form amends, when it does.
    amending: Option<Amending>,
    errors: FormErrors,
    last_day_for: Option<i64>,
    last_day_errors: FormErrors,
}

async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    practice: Practice,
    notice: Option<String>,
    form: Fields,
    errors: FormErrors,
    last_day: Option<(i64, FormErrors)>,
) -> Result<HttpResponse, WebError> {
    let app = state.clone();
    let id = practice.id;
    let (practice, records, everyone, catalog) = run(move || {
        let ((practice, records), everyone) = app.store.read(|c| {
            c.snapshot(|c| {
                // The roster lists staff voided as entered by mistake too, marked voided.
                let all = Page {
                    limit: 10_000,
                    offset: 0,
                };
                Ok((
                    records::for_practice(c, id)?,
                    pcmh_core::store::staff::list(c, id, DateRange::default(), all)?.items,
                ))
            })
        })?;
        let catalog = app.catalog(&practice.catalog_id, &practice.catalog_version)?.clone();
        Ok((practice, records, everyone, catalog))
    })
    .await?;
    let today = practice.today(chrono::Utc::now());
    let grid = training_grid(&catalog, &records, today);
    let mut roster: Vec<&Staff> = everyone.iter().collect();
    roster.sort_by(|a, b| a.name.cmp(&b.name));
    let failed = !errors.is_empty() || last_day.as_ref().is_some_and(|(_, e)| !e.is_empty());
    let (last_day_for, last_day_errors) = last_day.map_or((None, FormErrors::default()), |(id, e)| (Some(id), e));
    let page = StaffPage {
        chrome: Chrome::practice(viewer, &practice, "/staff", format!("Staff · {}", practice.name)).with_notice(notice),
        practice_id: practice.id.0,
        roster: roster
            .into_iter()
            .map(|s| RosterLine {
                id: s.id.0,
                name: s.name.clone(),
                role: super::dashboard::capitalized(s.role.label()),
                started: long_date(s.started_on),
                ended: s.ended_on.map(long_date),
                corrections: super::corrections::notes("staff member", &s.correction),
                void: super::corrections::void_form(
                    viewer.may_write(),
                    &s.correction,
                    format!("/practices/{}/staff/{}/void", practice.id, s.id),
                    format!("staff member {}", s.name),
                ),
                amendable: viewer.may_write() && !s.correction.is_voided(),
            })
            .collect(),
        topics: grid.topics.iter().map(|(_, label)| label.clone()).collect(),
        grid: grid
            .rows
            .iter()
            .map(|(staff, cells)| GridLine {
                who: format!("{} ({})", staff.name, staff.role.label()),
                cells: cells
                    .iter()
                    .map(|cell| {
                        let class = match cell.standing {
                            Standing::Current => "status-met",
                            Standing::DueSoon | Standing::InGrace => "status-partial",
                            Standing::Lapsed | Standing::Missing => "status-not-met",
                            Standing::NotRequired => "status-na",
                        };
                        let mut words = super::dashboard::capitalized(cell.standing.label());
                        if let Some(last) = cell.last {
                            words.push_str(&format!(" · last {}", long_date(last)));
                        }
                        if let Some(due) = cell.due_on {
                            let verb = if cell.standing == Standing::Lapsed {
                                "lapsed"
                            } else {
                                "due"
                            };
                            words.push_str(&format!(" · {verb} {}", long_date(due)));
                        }
                        (words, class)
                    })
                    .collect(),
            })
            .collect(),
        roles: role_choices(),
        may_write: viewer.may_write(),
        amending: amending("staff member", "add-heading", &form, &errors),
        form,
        errors,
        last_day_for,
        last_day_errors,
    };
    forms::answer(&page, failed)
}

/// The staff page.
#[get("/practices/{id}/staff")]
async fn staff_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let practice = viewer.practice(&state, path.into_inner()).await?;
    let mut query = Fields::parse(req.query_string().as_bytes());
    // Amending: the add form is filled in with the staff member, whose new version will replace them.
    let form = match amend_asked(&mut query) {
        Some(id) if viewer.may_write() => {
            let (app, practice_id) = (state.clone(), practice.id);
            let staff = run(move || {
                Ok(app
                    .store
                    .read(|c| pcmh_core::store::staff::get(c, practice_id, StaffId(id)))?)
            })
            .await?;
            Fields(vec![
                ("name".into(), staff.name),
                ("role".into(), role_value(staff.role)),
                ("started_on".into(), staff.started_on.to_string()),
                (
                    "ended_on".into(),
                    staff.ended_on.map(|d| d.to_string()).unwrap_or_default(),
                ),
                ("replaces_id".into(), id.to_string()),
            ])
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

/// Adds a staff member (the API's `create_staff`).
#[post("/practices/{id}/staff")]
async fn add_staff(state: web::Data<AppState>, posted: Posted, path: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let practice = viewer.practice_to_write(&state, path.into_inner()).await?;
    let kinds = [
        ("name", Kind::Text),
        ("role", Kind::Text),
        ("started_on", Kind::Text),
        ("ended_on", Kind::Text),
    ];
    let mut form: NewStaff = match fields.read(&kinds) {
        Ok(form) => form,
        Err(errors) => return render(&state, &viewer, practice, None, fields, errors, None).await,
    };
    // An amendment names the staff member it replaces and why; the rest is the form of a new one.
    if let Err(errors) = read_replaces(&fields, "staff member", &mut form.replaces) {
        return render(&state, &viewer, practice, None, fields, errors, None).await;
    }
    let amended = form.replaces.as_ref().map(|r| r.id);
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let added = run(move || forms::outcome(actions::add_staff(&app.store, &actor, id, &form))).await?;
    match added {
        Ok(staff) => Ok(forms::redirect(
            &format!("/practices/{}/staff", practice.id),
            &match amended {
                Some(old) => format!(
                    "Staff member {old} was corrected by staff member {}; the old entry stays listed, voided.",
                    staff.id
                ),
                None => format!("{} was added to the roster.", staff.name),
            },
        )),
        Err(errors) => render(&state, &viewer, practice, None, fields, errors, None).await,
    }
}

/// Records a staff member's last day, or clears it (the API's `update_staff`).
#[post("/practices/{id}/staff/{staff_id}/last-day")]
async fn record_last_day(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let (practice_id, staff_id) = path.into_inner();
    let practice = viewer.practice_to_write(&state, practice_id).await?;
    let form: StaffUpdate = match fields.read(&[("ended_on", Kind::Text)]) {
        Ok(form) => form,
        Err(errors) => {
            return render(
                &state,
                &viewer,
                practice,
                None,
                Fields::default(),
                FormErrors::default(),
                Some((staff_id, errors)),
            )
            .await
        }
    };
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let updated =
        run(move || forms::outcome(actions::update_staff(&app.store, &actor, id, StaffId(staff_id), &form))).await?;
    match updated {
        Ok(staff) => {
            let notice = match staff.ended_on {
                Some(day) => format!("{}'s last day is recorded as {}.", staff.name, long_date(day)),
                None => format!("{} is recorded as still working here.", staff.name),
            };
            Ok(forms::redirect(&format!("/practices/{}/staff", practice.id), &notice))
        }
        Err(errors) => {
            render(
                &state,
                &viewer,
                practice,
                None,
                Fields::default(),
                FormErrors::default(),
                Some((staff_id, errors)),
            )
            .await
        }
    }
}

/// Registers the staff pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(staff_page).service(add_staff).service(record_last_day);
}
