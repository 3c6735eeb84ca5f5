//! Watching the server: a log line per request (with a request id sent back as `X-Request-Id`),
//! and Prometheus metrics served on an address of their own (`pcmh serve --metrics-bind`).
//!
//! A request's line holds its id, method, route template (`/api/v1/practices/{id}`, never the
//! path or query string, which can carry names), status, duration and the id of the token or
//! account that made it; nothing of what was sent.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, OnceLock};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, App, HttpMessage, HttpResponse, HttpServer};
use pcmh_core::access::Principal;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};
use tracing::Instrument;

use super::AppState;

/// The header that carries a request's id, in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of a request: the one a proxy sent in `X-Request-Id` when it is a short plain token,
/// otherwise one made here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id `sent` by a client or proxy, if it is 1 to 64 letters, digits, `-`, `_`, `.` or `:`
    /// (anything else could break a log line or smuggle text into it).
    pub fn sane(sent: &str) -> Option<Self> {
        let ok = (1..=64).contains(&sent.len())
            && sent
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        ok.then(|| RequestId(sent.to_owned()))
    }

    /// A new id, unique within this process and unlikely to repeat across servers.
    pub fn new() -> Self {
        static KEYS: LazyLock<std::collections::hash_map::RandomState> =
            LazyLock::new(std::collections::hash_map::RandomState::new);
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut hasher = KEYS.build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        RequestId(format!("{:016x}", hasher.finish()))
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

/// Who made a request, by id only: put in the request's extensions by whatever authenticated it
/// (the API's access guard puts its `Caller`; the pages put this).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Who {
    /// The token's id, for a request with a bearer token.
    pub token_id: Option<i64>,
    /// The account's id, for a signed-in person.
    pub user_id: Option<i64>,
}

impl Who {
    /// The ids of `principal`.
    pub fn of(principal: &Principal) -> Self {
        Who {
            token_id: principal.token_id,
            user_id: principal.user_id,
        }
    }
}

/// The route label of a request that no route matched (so random paths add no series).
const UNMATCHED: &str = "unmatched";

/// Logs one line per request and counts it in the metrics; gives every answer its `X-Request-Id`.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(RequestId::sane)
        .unwrap_or_default();
    let method = req.method().clone();
    // The template of the route the path falls in; found before routing, because a request
    // whose guard refuses it comes back as an error without the request.
    let route = req
        .match_pattern()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    req.extensions_mut().insert(id.clone());
    let span = tracing::info_span!("request", request_id = %id.0);
    let outcome = next.call(req).instrument(span).await;
    let header = HeaderValue::from_str(&id.0).ok();
    match outcome {
        Ok(mut response) => {
            let who = {
                let extensions = response.request().extensions();
                extensions
                    .get::<super::access::Caller>()
                    .map(|c| Who::of(&c.principal))
                    .or_else(|| extensions.get::<Who>().copied())
                    .unwrap_or_default()
            };
            finished(&id, &method, &route, response.status(), started.elapsed(), who);
            if let Some(value) = header {
                response.headers_mut().insert(REQUEST_ID, value);
            }
            Ok(response)
        }
        Err(error) => {
            let mut answer = error.error_response();
            finished(&id, &method, &route, answer.status(), started.elapsed(), Who::default());
            if let Some(value) = header {
                answer.headers_mut().insert(REQUEST_ID, value);
            }
            Err(actix_web::error::InternalError::from_response(error.to_string(), answer).into())
        }
    }
}

/// The log line and the metrics of one answered request.
fn finished(id: &RequestId, method: &Method, route: &str, status: StatusCode, took: Duration, who: Who) {
    let millis = took.as_secs_f64() * 1000.0;
    tracing::info!(
        target: "pcmh::request",
        request_id = %id.0,
        method = %method,
        route,
        status = status.as_u16(),
        duration_ms = (millis * 10.0).round() / 10.0,
        token_id = who.token_id,
        user_id = who.user_id,
        "request"
    );
    if let Some(metrics) = metrics() {
        metrics.request(method, route, status, took);
    }
}

/// How a sign-in on the pages ended, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInOutcome {
    /// A session started.
    Started,
    /// The email or password was wrong.
    Refused,
    /// Refused unchecked: too many failures for the account or the address.
    LockedOut,
}

impl SignInOutcome {
    fn label(self) -> &'static str {
        match self {
            SignInOutcome::Started => "started",
            SignInOutcome::Refused => "refused",
            SignInOutcome::LockedOut => "locked_out",
        }
    }
}

/// Counts a sign-in on the pages.
pub fn count_sign_in(outcome: SignInOutcome) {
    if let Some(metrics) = metrics() {
        metrics.sign_ins.with_label_values(&[outcome.label()]).inc();
    }
}

/// The server's metrics, in a registry of their own.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    writes: IntCounterVec,
    sign_ins: IntCounterVec,
    connections: IntGaugeVec,
    connections_max: IntGauge,
    database_up: IntGauge,
    audit_events: IntGauge,
    kept: IntGaugeVec,
}

/// The process's metrics; `None` only if they could not be defined (then none are kept, and
/// that is logged once).
pub fn metrics() -> Option<&'static Metrics> {
    static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
    METRICS
        .get_or_init(|| match Metrics::define() {
            Ok(metrics) => Some(metrics),
            Err(e) => {
                super::error::log_error("metrics could not be defined", &e.to_string());
                None
            }
        })
        .as_ref()
}

impl Metrics {
    fn define() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "pcmh_http_requests_total",
                "HTTP requests answered, by method, route template and status",
            ),
            &["method", "route", "status"],
        )?;
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "pcmh_http_request_duration_seconds",
                "Time from receiving a request to answering it, by method and route template",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
            &["method", "route"],
        )?;
        let writes = IntCounterVec::new(
            Opts::new(
                "pcmh_writes_total",
                "POST, PUT, PATCH and DELETE requests that succeeded (2xx or a page's redirect), by method and route template",
            ),
            &["method", "route"],
        )?;
        let sign_ins = IntCounterVec::new(
            Opts::new(
                "pcmh_sign_ins_total",
                "Sign-ins on the pages by outcome: started, refused (wrong email or password), locked_out (too many failures)",
            ),
            &["outcome"],
        )?;
        let connections = IntGaugeVec::new(
            Opts::new(
                "pcmh_database_connections",
                "Open database connections of this server's pool, by state (in_use, idle)",
            ),
            &["state"],
        )?;
        let connections_max = IntGauge::new(
            "pcmh_database_connections_max",
            "The most database connections this server's pool opens",
        )?;
        let database_up = IntGauge::new(
            "pcmh_database_up",
            "1 when the database answered at the last scrape, 0 when it did not",
        )?;
        let audit_events = IntGauge::new(
            "pcmh_audit_chain_length",
            "Events in the audit chain (read from the database at each scrape)",
        )?;
        let kept = IntGaugeVec::new(
            Opts::new(
                "pcmh_kept_evaluations",
                "Kept evaluations of practices (one per practice and day), by state: current, or stale (records changed since, waiting to be recomputed)",
            ),
            &["state"],
        )?;
        let build = IntGaugeVec::new(
            Opts::new("pcmh_build_info", "The server's version (always 1)"),
            &["version"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(durations.clone()))?;
        registry.register(Box::new(writes.clone()))?;
        registry.register(Box::new(sign_ins.clone()))?;
        registry.register(Box::new(connections.clone()))?;
        registry.register(Box::new(connections_max.clone()))?;
        registry.register(Box::new(database_up.clone()))?;
        registry.register(Box::new(audit_events.clone()))?;
        registry.register(Box::new(kept.clone()))?;
        registry.register(Box::new(build.clone()))?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        // Every outcome is shown from the start, so a rate of failures has a series to start from.
        for outcome in [SignInOutcome::Started, SignInOutcome::Refused, SignInOutcome::LockedOut] {
            sign_ins.with_label_values(&[outcome.label()]);
        }
        Ok(Metrics {
            registry,
            requests,
            durations,
            writes,
            sign_ins,
            connections,
            connections_max,
            database_up,
            audit_events,
            kept,
        })
    }

    fn request(&self, method: &Method, route: &str, status: StatusCode, took: Duration) {
        let writes = matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
        let method = method_label(method);
        self.requests.with_label_values(&[method, route, status.as_str()]).inc();
        self.durations
            .with_label_values(&[method, route])
            .observe(took.as_secs_f64());
        if writes && (status.is_success() || status.is_redirection()) {
            self.writes.with_label_values(&[method, route]).inc();
        }
    }

    /// The metrics in Prometheus' text format, with the pool, the audit chain and the kept evaluations read now.
    pub fn render(&self, state: &AppState) -> String {
        let pool = state.store.pool_state();
        self.connections
            .with_label_values(&["in_use"])
            .set(i64::from(pool.in_use));
        self.connections.with_label_values(&["idle"]).set(i64::from(pool.idle));
        self.connections_max.set(i64::from(pool.max));
        match state
            .store
            .read_within(SCRAPE_DATABASE_WAIT, pcmh_core::store::audit::chain_length)
        {
            Ok(length) => {
                self.database_up.set(1);
                self.audit_events.set(length);
            }
            Err(_) => self.database_up.set(0),
        }
        let fingerprint = state.catalogs.fingerprint();
        if let Ok((current, stale)) = state
            .store
            .read_within(SCRAPE_DATABASE_WAIT, |c| pcmh_core::store::kept::counts(c, fingerprint))
        {
            self.kept.with_label_values(&["current"]).set(current);
            self.kept.with_label_values(&["stale"]).set(stale);
        }
        prometheus::TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|e| {
                super::error::log_error("metrics could not be rendered", &e.to_string());
                String::new()
            })
    }
}

/// How long a scrape waits for a database connection (a scrape must answer even when the
/// database does not).
const SCRAPE_DATABASE_WAIT: Duration = Duration::from_secs(1);

/// The method as a label: the standard ones by name, any other as `other` (no unbounded series).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `GET /metrics` on the metrics address.
async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let Some(metrics) = metrics() else {
        return HttpResponse::ServiceUnavailable().body("metrics are not available; see the log");
    };
    match web::block(move || metrics.render(&state)).await {
        Ok(text) => HttpResponse::Ok().content_type(prometheus::TEXT_FORMAT).body(text),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// Serves `/metrics` (and nothing else) on `bind`, apart from the API; returns the running
/// server, to be stopped when the API's stops.
pub fn metrics_server(state: web::Data<AppState>, bind: &str) -> std::io::Result<actix_web::dev::Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(scrape))
            .default_service(web::to(HttpResponse::NotFound))
    })
    .workers(1)
    .disable_signals()
    .bind(bind)?;
    for address in server.addrs() {
        tracing::info!("metrics at http://{address}/metrics");
    }
    Ok(server.run())
}
