//! Care plans: advance care plans and survivorship care plans by patient reference, which care
//! partners have a copy and which do not yet, adding a plan with its partners, recording its
//! execution date, and recording each share. The 4.22 status line heads the page. A plan
//! entered by mistake is voided, or amended: the add form filled in with the plan, whose new
//! version replaces it.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use pcmh_core::actions::care_plans as actions;
use pcmh_core::actions::compliance;
use pcmh_core::ids::CarePlanId;
use pcmh_core::records::{CarePlan, CarePlanKind, Practice, ShareMethod, Staff};
use pcmh_core::store::care_plans::{CarePlanUpdate, NewCarePlan, NewCarePlanShare};
use pcmh_core::store::records;

use super::auth::run;
use super::corrections::{amend_asked, amending, read_replaces, Amending};
use super::forms::{self, Fields, FormErrors, Kind};
use super::staff::Choice;
use super::{long_date, status_words, Chrome, Posted, Viewer, WebError};
use crate::http::AppState;

/// The fields the add form shows.
const ADD_FIELDS: [&str; 8] = [
    "kind",
    "patient_ref",
    "initiating_provider",
    "discussed_on",
    "established_on",
    "documented_in_record",
    "care_partners",
    "replaces_reason",
];

/// How many partner rows the add form shows at least.
const PARTNER_ROWS: usize = 3;

/// A snake_case enum's value as sent.
fn value_of<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A share method in words.
pub fn method_words(method: ShareMethod) -> &'static str {
    match method {
        ShareMethod::Electronic => "Electronically (EHR or HIE)",
        ShareMethod::Portal => "Through a portal",
        ShareMethod::Fax => "By fax",
        ShareMethod::Mail => "By mail",
        ShareMethod::InPerson => "In person",
    }
}

const METHODS: [ShareMethod; 5] = [
    ShareMethod::Electronic,
    ShareMethod::Portal,
    ShareMethod::Fax,
    ShareMethod::Mail,
    ShareMethod::InPerson,
];

/// One care partner of a plan and each share with them.
pub struct PartnerLine {
    /// The partner's id.
    pub id: i64,
    /// Who they are.
    pub name: String,
    /// "Mar 4, 2026 · By fax", one per share; empty when not yet shared.
    pub shares: Vec<ShareLine>,
}

/// One share of a plan with a partner.
pub struct ShareLine {
    /// "Mar 4, 2026 · By fax", and its corrections.
    pub words: String,
    /// Its "Void" form, for a person who may write and a share not voided.
    pub void: Option<super::corrections::VoidForm>,
}

/// One care plan, in words.
pub struct PlanLine {
    /// The plan's id.
    pub id: i64,
    /// Its kind.
    pub kind: String,
    /// The opaque patient reference.
    pub patient_ref: String,
    /// The initiating provider's name.
    pub provider: String,
    /// The day discussed.
    pub discussed: String,
    /// The day executed, if it was.
    pub established: Option<String>,
    /// Whether it is in the medical record, in words.
    pub documented: &'static str,
    /// "2 of 3 partners have it; Home care agency not yet".
    pub sharing: String,
    /// Whether every partner has it.
    pub all_shared: bool,
    /// Its partners.
    pub partners: Vec<PartnerLine>,
    /// Who voided it, when and why, if it was voided; what it corrects.
    pub corrections: Vec<String>,
    /// Its "Void" form, for a person who may write and a record not voided.
    pub void: Option<super::corrections::VoidForm>,
    /// Whether it may be amended: by a person who may write, and not voided.
    pub amendable: bool,
}

/// One row of the partner inputs of the add form.
pub struct PartnerInput {
    /// Its position (0-based).
    pub index: usize,
    /// What was typed.
    pub value: String,
    /// The message beside it.
    pub error: Option<String>,
}

/// A form posted for one plan, refused: which plan, what was sent, what is wrong.
pub struct PlanForm {
    /// The plan.
    pub plan: i64,
    /// The fields sent.
    pub form: Fields,
    /// The messages.
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "care_plans.html")]
struct CarePlansPage {
    chrome: Chrome,
    practice_id: i64,
    criterion_line: Option<(String, &'static str, &'static str, Vec<String>)>,
    plans: Vec<PlanLine>,
    may_write: bool,
    kinds: Vec<Choice>,
    providers: Vec<Choice>,
    methods: Vec<Choice>,
    partner_inputs: Vec<PartnerInput>,
    form: Fields,
    /// The care plan the add form amends, when it does.
    amending: Option<Amending>,
    errors: FormErrors,
    share: Option<PlanForm>,
    execution: Option<PlanForm>,
}

impl CarePlansPage {
    /// The refused share form of `plan`, if that is the one refused.
    fn share_of(&self, plan: &i64) -> Option<&PlanForm> {
        self.share.as_ref().filter(|f| f.plan == *plan)
    }

    /// The refused execution date form of `plan`, if that is the one refused.
    fn execution_of(&self, plan: &i64) -> Option<&PlanForm> {
        self.execution.as_ref().filter(|f| f.plan == *plan)
    }
}

/// Which partners have the plan, in words.
fn sharing_words(plan: &CarePlan) -> (String, bool) {
    let total = plan.care_partners.len();
    if total == 0 {
        return ("No care partners named".to_owned(), true);
    }
    let missing: Vec<&str> = plan
        .care_partners
        .iter()
        .filter(|p| {
            !plan
                .shares
                .iter()
                .any(|s| s.partner_id == p.id && !s.correction.is_voided())
        })
        .map(|p| p.name.as_str())
        .collect();
    let have = total - missing.len();
    let noun = if total == 1 { "partner has" } else { "partners have" };
    let mut words = format!("{have} of {total} {noun} it");
    if !missing.is_empty() {
        words.push_str(&format!("; {} not yet", missing.join(", ")));
    }
    (words, missing.is_empty())
}

fn plan_line(plan: &CarePlan, staff: &[Staff], practice_id: i64, may_write: bool) -> PlanLine {
    let (sharing, all_shared) = sharing_words(plan);
    PlanLine {
        id: plan.id.0,
        kind: super::dashboard::capitalized(plan.kind.label()),
        patient_ref: plan.patient_ref.clone(),
        provider: staff.iter().find(|s| s.id == plan.initiating_provider).map_or_else(
            || format!("Staff member {}", plan.initiating_provider),
            |s| s.name.clone(),
        ),
        discussed: long_date(plan.discussed_on),
        established: plan.established_on.map(long_date),
        documented: if plan.documented_in_record { "Yes" } else { "No" },
        sharing,
        all_shared,
        partners: plan
            .care_partners
            .iter()
            .map(|p| PartnerLine {
                id: p.id.0,
                name: p.name.clone(),
                shares: plan
                    .shares
                    .iter()
                    .filter(|s| s.partner_id == p.id)
                    .map(|s| {
                        let mut words = format!("{} · {}", long_date(s.shared_on), method_words(s.method));
                        for note in super::corrections::notes("share", &s.correction) {
                            words.push_str(&format!(" · {note}"));
                        }
                        ShareLine {
                            words,
                            void: super::corrections::void_form(
                                may_write && !plan.correction.is_voided(),
                                &s.correction,
                                format!("/practices/{practice_id}/care-plans/{}/shares/{}/void", plan.id, s.id),
                                format!("share {}", s.id),
                            ),
                        }
                    })
                    .collect(),
            })
            .collect(),
        corrections: super::corrections::notes("care plan", &plan.correction),
        void: super::corrections::void_form(
            may_write,
            &plan.correction,
            format!("/practices/{practice_id}/care-plans/{}/void", plan.id),
            format!("care plan {}", plan.id),
        ),
        amendable: may_write && !plan.correction.is_voided(),
    }
}

/// The partner rows of the add form: what was typed, each with its message (the API numbers
/// the non-empty names, so `care_partners[1]` is the second row that has a name).
fn partner_inputs(form: &Fields, errors: &FormErrors) -> Vec<PartnerInput> {
    let values = form.all("care_partners");
    let mut filled = 0;
    let mut rows: Vec<PartnerInput> = values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let error = if value.is_empty() {
                None
            } else {
                filled += 1;
                errors.get(&format!("care_partners[{}]", filled - 1)).map(str::to_owned)
            };
            PartnerInput {
                index,
                value: (*value).to_owned(),
                error,
            }
        })
        .collect();
    while rows.len() < PARTNER_ROWS.max(values.len() + 1) {
        rows.push(PartnerInput {
            index: rows.len(),
            value: String::new(),
            error: None,
        });
    }
    rows
}

/// Renders the page, with a refused form if there is one.
async fn render(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    practice: Practice,
    notice: Option<String>,
    added: (Fields, FormErrors),
    share: Option<PlanForm>,
    execution: Option<PlanForm>,
) -> Result<HttpResponse, WebError> {
    let (app, id) = (state.clone(), practice.id);
    let (records, view) = run(move || {
        // Every plan, voided ones too: they stay listed, marked voided.
        let everything = pcmh_core::store::voids::Known::everything();
        let (_, records) = app
            .store
            .read(|c| c.snapshot(|c| records::for_practice_known(c, id, everything)))?;
        let view = compliance::practice_compliance(&app.store, &app.catalogs, id, None, chrono::Utc::now())?;
        Ok((records, view))
    })
    .await?;
    let criterion_line = view
        .criteria
        .iter()
        .find(|c| c.result.criterion.as_str() == "4.22")
        .map(|c| {
            let (words, class) = status_words(c.result.status);
            (c.result.title.clone(), words, class, c.result.reasons.clone())
        });
    let today = practice.today(chrono::Utc::now());
    let mut plans: Vec<&CarePlan> = records.care_plans.iter().collect();
    plans.sort_by(|a, b| b.discussed_on.cmp(&a.discussed_on).then(b.id.0.cmp(&a.id.0)));
    let (form, errors) = added;
    let failed = !errors.is_empty() || share.is_some() || execution.is_some();
    let page = CarePlansPage {
        chrome: Chrome::practice(
            viewer,
            &practice,
            "/care-plans",
            format!("Care plans · {}", practice.name),
        )
        .with_notice(notice),
        practice_id: practice.id.0,
        criterion_line,
        plans: plans
            .into_iter()
            .map(|p| plan_line(p, &records.staff, practice.id.0, viewer.may_write()))
            .collect(),
        may_write: viewer.may_write(),
        kinds: [CarePlanKind::AdvanceCarePlan, CarePlanKind::SurvivorshipCarePlan]
            .into_iter()
            .map(|k| Choice {
                value: value_of(k),
                label: super::dashboard::capitalized(k.label()),
            })
            .collect(),
        providers: records
            .staff
            .iter()
            .filter(|s| s.ended_on.is_none_or(|end| end >= today))
            .map(|s| Choice {
                value: s.id.0.to_string(),
                label: format!("{} ({})", s.name, s.role.label()),
            })
            .collect(),
        methods: METHODS
            .iter()
            .map(|m| Choice {
                value: value_of(m),
                label: method_words(*m).to_owned(),
            })
            .collect(),
        partner_inputs: partner_inputs(&form, &errors),
        amending: amending("care plan", "add-heading", &form, &errors),
        form,
        errors,
        share,
        execution,
    };
    forms::answer(&page, failed)
}

fn no_form() -> (Fields, FormErrors) {
    (Fields::default(), FormErrors::default())
}

fn back(practice: &Practice, notice: &str) -> HttpResponse {
    forms::redirect(&format!("/practices/{}/care-plans", practice.id), notice)
}

/// The care plans page.
#[get("/practices/{id}/care-plans")]
async fn care_plans_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<i64>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let practice = viewer.practice(&state, path.into_inner()).await?;
    let mut query = Fields::parse(req.query_string().as_bytes());
    // Amending: the add form is filled in with the plan, whose new version will replace it.
    let added = match amend_asked(&mut query) {
        Some(id) if viewer.may_write() => {
            let (app, practice_id) = (state.clone(), practice.id);
            let plan = run(move || {
                Ok(app
                    .store
                    .read(|c| pcmh_core::store::care_plans::get(c, practice_id, CarePlanId(id)))?)
            })
            .await?;
            let mut form = vec![
                ("kind".into(), value_of(plan.kind)),
                ("patient_ref".into(), plan.patient_ref),
                ("initiating_provider".into(), plan.initiating_provider.0.to_string()),
                ("discussed_on".into(), plan.discussed_on.to_string()),
                (
                    "established_on".into(),
                    plan.established_on.map(|d| d.to_string()).unwrap_or_default(),
                ),
            ];
            if plan.documented_in_record {
                form.push(("documented_in_record".into(), "on".into()));
            }
            form.extend(plan.care_partners.into_iter().map(|p| ("care_partners".into(), p.name)));
            form.push(("replaces_id".into(), id.to_string()));
            (Fields(form), FormErrors::default())
        }
        _ => no_form(),
    };
    render(&state, &viewer, practice, forms::notice(&req), added, None, None).await
}

/// Adds a care plan with its partners (the API's `create_care_plan`).
#[post("/practices/{id}/care-plans")]
async fn add_care_plan(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let practice = viewer.practice_to_write(&state, path.into_inner()).await?;
    let kinds = [
        ("kind", Kind::Text),
        ("patient_ref", Kind::Text),
        ("initiating_provider", Kind::Number),
        ("discussed_on", Kind::Text),
        ("established_on", Kind::Text),
        ("documented_in_record", Kind::Flag),
        ("care_partners", Kind::List),
    ];
    let mut form: NewCarePlan = match fields.read(&kinds) {
        Ok(form) => form,
        Err(errors) => {
            return render(
                &state,
                &viewer,
                practice,
                None,
                (fields, errors.keep_fields(&ADD_FIELDS)),
                None,
                None,
            )
            .await
        }
    };
    // An amendment names the plan it replaces and why; the rest is the form of a new plan.
    if let Err(errors) = read_replaces(&fields, "care plan", &mut form.replaces) {
        return render(&state, &viewer, practice, None, (fields, errors), None, None).await;
    }
    let amended = form.replaces.as_ref().map(|r| r.id);
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let added = run(move || forms::outcome(actions::add_care_plan(&app.store, &actor, id, &form))).await?;
    match added {
        Ok(plan) => Ok(back(
            &practice,
            &match amended {
                Some(old) => format!(
                    "Care plan {old} was corrected by care plan {}; it stays listed, voided.",
                    plan.id
                ),
                None => format!("The {} for patient {} was added.", plan.kind.label(), plan.patient_ref),
            },
        )),
        Err(errors) => {
            render(
                &state,
                &viewer,
                practice,
                None,
                (fields, errors.keep_fields(&ADD_FIELDS)),
                None,
                None,
            )
            .await
        }
    }
}

/// Records a plan's execution date (the API's `update_care_plan`).
#[post("/practices/{id}/care-plans/{plan_id}/established")]
async fn record_execution(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let (practice_id, plan) = path.into_inner();
    let practice = viewer.practice_to_write(&state, practice_id).await?;
    let refused = |fields: Fields, errors: FormErrors| {
        Some(PlanForm {
            plan,
            form: fields,
            errors: errors.keep_fields(&["established_on"]),
        })
    };
    let form: CarePlanUpdate = match fields.read::<CarePlanUpdate>(&[("established_on", Kind::Text)]) {
        Ok(form) if form.established_on.is_some() => form,
        Ok(_) => {
            let errors = FormErrors {
                fields: [("established_on".to_owned(), "is required".to_owned())].into(),
                general: Vec::new(),
            };
            return render(
                &state,
                &viewer,
                practice,
                None,
                no_form(),
                None,
                refused(fields, errors),
            )
            .await;
        }
        Err(errors) => {
            return render(
                &state,
                &viewer,
                practice,
                None,
                no_form(),
                None,
                refused(fields, errors),
            )
            .await
        }
    };
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let updated = run(move || {
        forms::outcome(actions::update_care_plan(
            &app.store,
            &actor,
            id,
            CarePlanId(plan),
            &form,
        ))
    })
    .await?;
    match updated {
        Ok(plan) => Ok(back(
            &practice,
            &format!(
                "The {} for patient {} is recorded as executed.",
                plan.kind.label(),
                plan.patient_ref
            ),
        )),
        Err(errors) => {
            render(
                &state,
                &viewer,
                practice,
                None,
                no_form(),
                None,
                refused(fields, errors),
            )
            .await
        }
    }
}

/// Records a share of a plan with one of its partners (the API's `create_care_plan_share`).
#[post("/practices/{id}/care-plans/{plan_id}/shares")]
async fn record_share(
    state: web::Data<AppState>,
    posted: Posted,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let Posted { viewer, fields } = posted;
    let (practice_id, plan) = path.into_inner();
    let practice = viewer.practice_to_write(&state, practice_id).await?;
    let kinds = [
        ("partner_id", Kind::Number),
        ("shared_on", Kind::Text),
        ("method", Kind::Text),
    ];
    let refused = |fields: Fields, errors: FormErrors| {
        Some(PlanForm {
            plan,
            form: fields,
            errors: errors.keep_fields(&["partner_id", "shared_on", "method"]),
        })
    };
    let form: NewCarePlanShare = match fields.read(&kinds) {
        Ok(form) => form,
        Err(errors) => {
            return render(
                &state,
                &viewer,
                practice,
                None,
                no_form(),
                refused(fields, errors),
                None,
            )
            .await
        }
    };
    let (app, actor, id) = (state.clone(), viewer.actor(&practice), practice.id);
    let shared = run(move || {
        forms::outcome(actions::share_care_plan(
            &app.store,
            &actor,
            id,
            CarePlanId(plan),
            &form,
        ))
    })
    .await?;
    match shared {
        Ok(share) => Ok(back(
            &practice,
            &format!("The share on {} is recorded.", long_date(share.shared_on)),
        )),
        Err(errors) => {
            render(
                &state,
                &viewer,
                practice,
                None,
                no_form(),
                refused(fields, errors),
                None,
            )
            .await
        }
    }
}

/// Registers the care plan pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(care_plans_page)
        .service(add_care_plan)
        .service(record_execution)
        .service(record_share);
}
