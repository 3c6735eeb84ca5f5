//! The web application: server-rendered pages for people who sign in, beside the JSON API.
//!
//! Each screen has its own module; its handlers read the signed-in [`Viewer`], call the same
//! `pcmh_core` function the JSON endpoint of the action calls, and render an askama template
//! from `api/templates/`. Every form is a plain HTML form (post/redirect/get) carrying the
//! session's CSRF token; htmx only makes them smoother. Access is decided by the same
//! `pcmh_core::access::decide` as the API's: another practice's page is a 404 page.

pub mod admin;
pub mod assets;
pub mod audit_trail;
pub mod auth;
pub mod care_plans;
pub mod catalogs;
pub mod corrections;
pub mod criteria;
pub mod dashboard;
pub mod documents;
pub mod error;
pub mod forms;
pub mod home;
pub mod meetings;
pub mod organization;
pub mod organization_due;
pub mod organization_practices;
pub mod organization_records;
pub mod organization_trend;
pub mod organization_upgrade;
pub mod packet;
pub mod packet_verify;
pub mod people;
pub mod session;
pub mod staff;
pub mod surveys;
pub mod tokens;
pub mod trainings;
pub mod voids;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use chrono::NaiveDate;
use pcmh_core::records::{Organization, Practice};
use pcmh_core::store::sessions::SessionRules;

pub use auth::{Posted, Viewer};
pub use error::WebError;

/// How the web application's sessions and cookies behave.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// Session lifetimes and lock-out limits.
    pub sessions: SessionRules,
    /// The URL people reach the server at, when it is told (`--public-url`); cookies are
    /// `Secure` when it is https.
    pub public_url: Option<String>,
    /// Whether the server itself serves HTTPS (`--tls-cert`); cookies are `Secure` then too.
    pub tls: bool,
}

impl WebSettings {
    /// Whether cookies must only travel over https.
    pub fn secure_cookies(&self) -> bool {
        self.tls || self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }
}

/// The Content-Security-Policy of every page: only our own scripts, styles and images.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Adds the security headers every page carries.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// Registers every page.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .configure(assets::configure)
        .configure(session::configure)
        .configure(home::configure)
        .configure(dashboard::configure)
        .configure(criteria::configure)
        .configure(staff::configure)
        .configure(trainings::configure)
        .configure(meetings::configure)
        .configure(care_plans::configure)
        .configure(documents::configure)
        .configure(surveys::configure)
        .configure(packet::configure)
        .configure(people::configure)
        .configure(tokens::configure)
        .configure(organization::configure)
        .configure(organization_due::configure)
        .configure(organization_trend::configure)
        .configure(organization_records::configure)
        .configure(organization_upgrade::configure)
        .configure(organization_practices::configure)
        .configure(audit_trail::configure)
        .configure(catalogs::configure)
        .configure(packet_verify::configure)
        .configure(admin::configure)
        .configure(voids::configure);
}

/// One link of the navigation bar.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// What it says.
    pub label: &'static str,
    /// Where it goes.
    pub href: String,
    /// Whether it is the page shown.
    pub current: bool,
}

/// What every page's frame shows: who is signed in, the navigation, the practice and catalog
/// version the page is about, and the session's CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page's title.
    pub title: String,
    /// The signed-in person's name.
    pub user_name: String,
    /// Their role, in words.
    pub role: &'static str,
    /// The token every form carries.
    pub csrf: String,
    /// The navigation bar.
    pub nav: Vec<NavLink>,
    /// "Maple Street Family Medicine · catalog pcmh-n-domain-4 1.0.0", when the page is about a practice.
    pub context: Option<String>,
    /// A message shown once at the top (after a redirect).
    pub notice: Option<String>,
    /// The stylesheet's URL.
    pub css: String,
    /// The scripts' URLs.
    pub scripts: Vec<String>,
}

/// The screens of a practice, in the navigation bar's order.
pub const PRACTICE_SCREENS: [(&str, &str); 8] = [
    ("Dashboard", ""),
    ("Staff", "/staff"),
    ("Training", "/trainings"),
    ("Meetings", "/meetings"),
    ("Care plans", "/care-plans"),
    ("Documents", "/documents"),
    ("Surveys & reports", "/surveys"),
    ("Packet", "/packet"),
];

/// The screens of a PO, in the navigation bar's order.
pub const ORGANIZATION_SCREENS: [(&str, &str); 6] = [
    ("PO dashboard", ""),
    ("What falls due", "/due"),
    ("Trend", "/trend"),
    ("PO records", "/records"),
    ("Practices of the PO", "/practices"),
    ("Catalog upgrade", "/upgrade"),
];

/// A role in words.
pub fn role_words(role: pcmh_core::access::TokenRole) -> &'static str {
    use pcmh_core::access::TokenRole;
    match role {
        TokenRole::Admin => "Administrator",
        TokenRole::PoManager => "PO manager",
        TokenRole::PracticeManager => "Practice manager",
        TokenRole::Auditor => "Auditor",
    }
}

impl Chrome {
    /// The frame of a page that is not about one practice.
    pub fn new(viewer: &Viewer, title: impl Into<String>) -> Self {
        let mut nav = Vec::new();
        // Everyone scoped to a PO finds its practices from the PO dashboard.
        if viewer.user.practice_id.is_none() && viewer.user.organization_id.is_none() {
            nav.push(NavLink {
                label: "Practices",
                href: "/".into(),
                current: false,
            });
        }
        if let (Some(organization), None) = (viewer.user.organization_id, viewer.user.practice_id) {
            nav.push(NavLink {
                label: "PO dashboard",
                href: format!("/organizations/{organization}"),
                current: false,
            });
        }
        if matches!(
            viewer.user.role,
            pcmh_core::access::TokenRole::Admin | pcmh_core::access::TokenRole::PoManager
        ) {
            nav.push(NavLink {
                label: "People",
                href: "/people".into(),
                current: false,
            });
        }
        if viewer.user.role != pcmh_core::access::TokenRole::PracticeManager {
            nav.push(NavLink {
                label: "Audit trail",
                href: "/audit".into(),
                current: false,
            });
        }
        if viewer.user.role == pcmh_core::access::TokenRole::Admin {
            nav.push(NavLink {
                label: "POs",
                href: "/admin/organizations".into(),
                current: false,
            });
            nav.push(NavLink {
                label: "Catalogs",
                href: "/catalogs".into(),
                current: false,
            });
        }
        nav.push(NavLink {
            label: "Verify a packet",
            href: "/packets/verify".into(),
            current: false,
        });
        Chrome {
            title: title.into(),
            user_name: viewer.user.display_name.clone(),
            role: role_words(viewer.user.role),
            csrf: viewer.csrf.clone(),
            nav,
            context: None,
            notice: None,
            css: assets::url("app.css"),
            scripts: vec![assets::url("htmx.min.js"), assets::url("app.js")],
        }
    }

    /// The frame of a page about `practice`, with its screens in the navigation bar and
    /// `screen` (a path below the practice, "" for the dashboard) marked as current.
    pub fn practice(viewer: &Viewer, practice: &Practice, screen: &str, title: impl Into<String>) -> Self {
        let mut chrome = Chrome::new(viewer, title);
        let base = format!("/practices/{}", practice.id);
        chrome.nav.extend(PRACTICE_SCREENS.iter().map(|(label, path)| NavLink {
            label,
            href: format!("{base}{path}"),
            current: *path == screen,
        }));
        chrome.context = Some(format!(
            "{} · catalog {} {} · time zone {}",
            practice.name, practice.catalog_id, practice.catalog_version, practice.time_zone
        ));
        chrome
    }

    /// The frame of a page about the PO `organization` as a whole, with its screens in the
    /// navigation bar and `screen` (a path below the PO, "" for its dashboard) marked current.
    pub fn organization(viewer: &Viewer, organization: &Organization, screen: &str, title: impl Into<String>) -> Self {
        let mut chrome = Chrome::new(viewer, title);
        let base = format!("/organizations/{}", organization.id);
        chrome.nav.retain(|link| link.href != base);
        let screens = ORGANIZATION_SCREENS
            .iter()
            .filter(|(_, path)| viewer.may_write() || *path != "/upgrade");
        chrome.nav.splice(
            0..0,
            screens.map(|(label, path)| NavLink {
                label,
                href: format!("{base}{path}"),
                current: *path == screen,
            }),
        );
        chrome.context = Some(format!("{} · physician organization", organization.name));
        chrome
    }

    /// The same frame with the navigation link `href` marked as the page shown.
    pub fn current(mut self, href: &str) -> Self {
        for link in &mut self.nav {
            link.current = link.href == href;
        }
        self
    }

    /// The same frame with a one-time notice.
    pub fn with_notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice;
        self
    }
}

/// A date as people read it: "Mar 4, 2026".
pub fn long_date(date: NaiveDate) -> String {
    date.format("%b %-d, %Y").to_string()
}

/// A status in words (never color alone) and the CSS class that colors it.
pub fn status_words(status: pcmh_core::rules::Status) -> (&'static str, &'static str) {
    use pcmh_core::rules::Status;
    match status {
        Status::Met => ("Met", "status-met"),
        Status::PartiallyMet => ("Partially met", "status-partial"),
        Status::NotMet => ("Not met", "status-not-met"),
        Status::NotApplicable => ("Not applicable", "status-na"),
    }
}
