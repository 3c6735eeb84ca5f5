//! The audit trail: events browsed with filters (who, kind of record, practice, dates), 50 a
//! page, newest or oldest first, each event's before and after side by side, named by its chain
//! (its PO's, or the server-wide one) and its place there; an admin can verify every chain
//! (`pcmh audit verify`'s check) and see each chain's head hash. A po_manager
//! or auditor sees only the events of their PO or practice, by the same rule as
//! `GET /api/v1/audit-events` (`pcmh_core::actions::admin::audit_scope`).

use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use pcmh_core::access::{decide, Action, Decision, Resource};
use pcmh_core::actions::admin::audit_scope;
use pcmh_core::ids::PracticeId;
use pcmh_core::store::audit::{self, AuditEvent, EventFilter};
use pcmh_core::store::Page;

use super::auth::run;
use super::forms::{self, Fields, FormErrors};
use super::{long_date, Chrome, Viewer, WebError};
use crate::http::AppState;

/// Events per page.
const PAGE: i64 = 50;

/// One event, in words.
pub struct EventLine {
    /// Its chain, in words ("PO 7", "Server").
    pub chain: String,
    /// Its place in the chain.
    pub seq: i64,
    /// When, in words (UTC).
    pub when: String,
    /// Who acted.
    pub who: String,
    /// What was done.
    pub action: String,
    /// To which record.
    pub record: String,
    /// Where.
    pub scope: String,
    /// The record before, pretty JSON (none for a creation).
    pub before: Option<String>,
    /// The record after, pretty JSON.
    pub after: String,
    /// Its hash.
    pub hash: String,
}

/// What verifying one chain found.
pub struct ChainLine {
    /// The chain's number (its PO's id, 0 for the server-wide chain).
    pub chain: i64,
    /// The chain in words.
    pub name: String,
    /// Whether its events link and hash as written, and its head is its last event.
    pub intact: bool,
    /// How many of its events fit.
    pub events: i64,
    /// Its head's hash.
    pub head_hash: String,
    /// What the check says of it.
    pub message: String,
}

/// The result of verifying every chain.
pub struct ChainCheck {
    /// Whether every chain is intact.
    pub intact: bool,
    /// What the check says.
    pub message: String,
    /// Each chain.
    pub chains: Vec<ChainLine>,
}

#[derive(Template)]
#[template(path = "audit_trail.html")]
struct AuditPage {
    chrome: Chrome,
    form: Fields,
    errors: FormErrors,
    newest_first: bool,
    events: Vec<EventLine>,
    total: i64,
    page: i64,
    pages: i64,
    previous: Option<String>,
    next: Option<String>,
    is_admin: bool,
    check: Option<ChainCheck>,
}

/// The filter asked for, or the messages of the fields that cannot be read.
fn read_filter(form: &Fields) -> Result<EventFilter, FormErrors> {
    let mut errors = FormErrors::default();
    let mut number = |name: &str| -> Option<i64> {
        let text = form.get(name).map(str::trim).filter(|t| !t.is_empty())?;
        match text.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errors
                    .fields
                    .insert(name.into(), "must be a whole number above 0".into());
                None
            }
        }
    };
    let (user_id, token_id, practice) = (number("user_id"), number("token_id"), number("practice_id"));
    let mut day = |name: &str| -> Option<NaiveDate> {
        let text = form.get(name).map(str::trim).filter(|t| !t.is_empty())?;
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.fields.insert(name.into(), "must be a date (YYYY-MM-DD)".into());
                None
            }
        }
    };
    let (from, to) = (day("from"), day("to"));
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.fields.insert("to".into(), format!("{t} is before from ({f})"));
        }
    }
    let kind = form.get("record_kind").map(str::trim).filter(|t| !t.is_empty());
    if kind.is_some_and(|k| k.len() > 50) {
        errors
            .fields
            .insert("record_kind".into(), "must be at most 50 characters".into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(EventFilter {
        record_kind: kind.map(str::to_owned),
        practice: practice.map(PracticeId),
        since: from.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()),
        until: to
            .and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc()),
        user_id,
        token_id,
        ..EventFilter::default()
    })
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn when(at: DateTime<Utc>) -> String {
    format!("{} {} UTC", long_date(at.date_naive()), at.format("%H:%M:%S"))
}

fn line(event: &AuditEvent) -> EventLine {
    let c = &event.content;
    let who = match (c.user_id, c.token_id) {
        (Some(user), _) => format!("Person (user {user})"),
        (None, Some(token)) => format!("API token {token}"),
        (None, None) => "The system".to_owned(),
    };
    let scope = match (c.practice_id, c.organization_id) {
        (Some(p), _) => format!("Practice {p}"),
        (None, Some(o)) => format!("PO {o}"),
        (None, None) => "Server".to_owned(),
    };
    EventLine {
        chain: match c.chain() {
            audit::SERVER_CHAIN => "Server".to_owned(),
            po => format!("PO {po}"),
        },
        seq: c.seq,
        when: when(c.occurred_at),
        who,
        action: c.action.clone(),
        record: match c.record_id {
            Some(id) => format!("{} {id}", c.record_kind),
            None => c.record_kind.clone(),
        },
        scope,
        before: c.before.as_ref().map(pretty),
        after: pretty(&c.after),
        hash: event.hash.clone(),
    }
}

/// The query string of this page with `page` replaced.
fn link(form: &Fields, page: i64) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &form.0 {
        if k != "page" && k != "notice" && !v.is_empty() {
            out.append_pair(k, v);
        }
    }
    out.append_pair("page", &page.to_string());
    format!("/audit?{}", out.finish())
}

/// Runs the check of every chain (admin only).
async fn check_chain(state: &web::Data<AppState>) -> Result<ChainCheck, WebError> {
    let app = state.clone();
    run(move || {
        let verification = app.store.read(audit::verify)?;
        let chains: Vec<ChainLine> = verification
            .chains
            .iter()
            .map(|c| ChainLine {
                chain: c.chain,
                name: audit::chain_name(c.chain),
                intact: c.intact(),
                events: c.events,
                head_hash: c.head_hash.clone().unwrap_or_else(|| "(no head)".into()),
                message: match &c.first_break {
                    None => format!("Intact: {} events, each linked to the one before.", c.events),
                    Some((seq, why)) => format!("Broken at event {seq}: {why}."),
                },
            })
            .collect();
        let broken = verification.broken().count();
        let message = if broken == 0 {
            format!(
                "The trail is intact: {} events in {} chains, each event linked to the one before in its chain.",
                verification.events(),
                chains.len()
            )
        } else {
            format!(
                "The trail is broken: {broken} of {} chains do not verify.",
                chains.len()
            )
        };
        Ok(ChainCheck {
            intact: verification.intact(),
            message,
            chains,
        })
    })
    .await
}

/// The audit trail page; `/audit/verify` also verifies the chain.
async fn render(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    verify: bool,
) -> Result<HttpResponse, WebError> {
    if decide(&viewer.principal, Resource::AuditEvents, Action::Read) != Decision::Allow {
        return Err(WebError::NotFound);
    }
    if verify && !viewer.is_admin() {
        return Err(WebError::NotFound);
    }
    let form = Fields::parse(req.query_string().as_bytes());
    let newest_first = form.get("order") != Some("chain");
    let page = form.get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).max(1);
    let (filter, errors) = match read_filter(&form) {
        Ok(filter) => (Some(filter), FormErrors::default()),
        Err(errors) => (None, errors),
    };
    let filter = match filter {
        Some(filter) => Some(audit_scope(&viewer.principal, filter).ok_or(WebError::NotFound)?),
        None => None,
    };
    let app = state.clone();
    let (events, total) = run(move || {
        let Some(filter) = filter else {
            return Ok((Vec::new(), 0));
        };
        let total = app
            .store
            .read(|c| audit::list(c, &filter, Page { limit: 1, offset: 0 }))?
            .total;
        let skip = (page - 1) * PAGE;
        let range = if newest_first {
            Page {
                limit: PAGE.min(total - skip).max(1),
                offset: (total - skip - PAGE).max(0),
            }
        } else {
            Page {
                limit: PAGE,
                offset: skip,
            }
        };
        let mut events = if skip < total {
            app.store.read(|c| audit::list(c, &filter, range))?.items
        } else {
            Vec::new()
        };
        if newest_first {
            events.reverse();
        }
        Ok((events, total))
    })
    .await?;
    let check = if verify { Some(check_chain(&state).await?) } else { None };
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let failed = !errors.is_empty();
    let body = AuditPage {
        chrome: Chrome::new(&viewer, "Audit trail")
            .current("/audit")
            .with_notice(forms::notice(&req)),
        newest_first,
        events: events.iter().map(line).collect(),
        total,
        page,
        pages,
        previous: (page > 1).then(|| link(&form, page - 1)),
        next: (page < pages).then(|| link(&form, page + 1)),
        is_admin: viewer.is_admin(),
        check,
        form,
        errors,
    };
    forms::answer(&body, failed)
}

/// The audit trail.
#[get("/audit")]
async fn audit_page(state: web::Data<AppState>, viewer: Viewer, req: HttpRequest) -> Result<HttpResponse, WebError> {
    render(state, viewer, req, false).await
}

/// The audit trail with the chain verified (a read: it changes nothing).
#[get("/audit/verify")]
async fn verify_chain(state: web::Data<AppState>, viewer: Viewer, req: HttpRequest) -> Result<HttpResponse, WebError> {
    render(state, viewer, req, true).await
}

/// Registers the audit trail pages.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(audit_page).service(verify_chain);
}
