//! `pcmh serve` and `pcmh migrate`.

use std::sync::Arc;

use pcmh_core::catalog::CatalogSet;
use pcmh_core::store::Store;

use super::{DatabaseArgs, Outcome, ServeArgs, TokenCommand, UserCommand};
use crate::http::{self, AppState};

/// Opens the database and applies pending migrations; says what it did.
pub fn open(args: &DatabaseArgs) -> Result<(Store, usize), String> {
    open_waiting(args, pcmh_core::store::DEFAULT_CONNECT_TIMEOUT)
}

/// [`open`], with requests waiting at most `connect_timeout` for a database connection.
pub fn open_waiting(args: &DatabaseArgs, connect_timeout: std::time::Duration) -> Result<(Store, usize), String> {
    let store = Store::open_with_timeout(&args.url(), connect_timeout).map_err(|e| format!("pcmh: {e}"))?;
    let applied = store
        .migrate()
        .map_err(|e| format!("pcmh: {} : {e}", store.describe()))?;
    Ok((store, applied))
}

/// `pcmh migrate`: applies the migrations not yet applied.
pub fn migrate(args: &DatabaseArgs) -> Outcome {
    let (store, applied) = open(args)?;
    Ok(format!("{}: {applied} migration(s) applied", store.describe()))
}

/// The allocator settings `pcmh serve` runs with, unless the environment already sets them.
///
/// glibc's allocator gives threads that allocate at once arenas of their own (up to eight per
/// core) and keeps in them what is freed: after eight clients read PO matrices together, a
/// server kept 190 MB resident that it no longer used (BENCHMARKS.md, issue 13). Two arenas, and a
/// fixed size (256 KiB) above which a block is mapped on its own and given back when freed, keep
/// the resident memory near what is in use. glibc reads these only from the environment, at start.
const ALLOCATOR_SETTINGS: [(&str, &str); 2] = [("MALLOC_ARENA_MAX", "2"), ("MALLOC_MMAP_THRESHOLD_", "262144")];

/// Starts this same command again with [`ALLOCATOR_SETTINGS`] in its environment, when none of
/// them is set there (an operator's own setting wins). Returns only if that cannot be done; then
/// the server runs with glibc's defaults.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn restart_with_allocator_settings() {
    use std::os::unix::process::CommandExt;
    if ALLOCATOR_SETTINGS
        .iter()
        .any(|(name, _)| std::env::var_os(name).is_some())
    {
        return;
    }
    let Ok(program) = std::env::current_exe() else { return };
    let error = std::process::Command::new(program)
        .args(std::env::args_os().skip(1))
        .envs(ALLOCATOR_SETTINGS)
        .exec();
    eprintln!("pcmh serve: running with the allocator's default settings ({error})");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn restart_with_allocator_settings() {}

/// `pcmh serve`: loads the catalogs, opens and migrates the database, and serves the API.
pub fn run(args: &ServeArgs) -> Outcome {
    restart_with_allocator_settings();
    crate::logging::init(args.log_format, args.log_level.as_deref())?;
    let serving = serving(args)?;
    let dir = args.catalog_dir.display();
    let catalogs = CatalogSet::load_dir(&args.catalog_dir)
        .map_err(|e| format!("{e}\npcmh serve: the catalogs in {dir} did not load; nothing was started"))?;
    std::fs::create_dir_all(&args.database.data_dir).map_err(|e| {
        format!(
            "pcmh serve: cannot create the data folder {}: {e}",
            args.database.data_dir.display()
        )
    })?;
    let (store, applied) = open_waiting(
        &args.database,
        std::time::Duration::from_secs(u64::from(args.database_timeout)),
    )?;
    let names: Vec<String> = catalogs
        .iter()
        .map(|(_, c)| format!("{} {}", c.id, c.version))
        .collect();
    tracing::info!("pcmh {}: catalogs {}", env!("CARGO_PKG_VERSION"), names.join(", "));
    tracing::info!("database {} ({applied} migration(s) applied)", store.describe());
    let signing_key = match &args.signing_key {
        Some(path) => pcmh_core::packet::PacketKey::read(path),
        None => pcmh_core::packet::PacketKey::read_or_create(&args.database.data_dir.join("signing-key")),
    }
    .map_err(|e| format!("pcmh serve: the signing key: {e}"))?;
    tracing::info!("packets are signed by {}", signing_key.public_hex());
    let state = AppState {
        store,
        catalogs: Arc::new(catalogs),
        data_dir: args.database.data_dir.clone(),
        signing_key: Arc::new(signing_key),
        web: crate::web::WebSettings {
            sessions: pcmh_core::store::sessions::SessionRules {
                idle: chrono::Duration::seconds(i64::from(args.session_idle_timeout)),
                ..Default::default()
            },
            public_url: args.public_url.clone(),
            tls: serving.tls.is_some(),
        },
        heavy_views: Arc::new(http::heavy::HeavyViews::new(
            args.heavy_views as usize,
            std::time::Duration::from_secs(u64::from(args.heavy_view_wait)),
        )),
    };
    if args.demo {
        match crate::demo::seed(&state) {
            Ok(summary) => println!("{summary}"),
            Err(e) => return Err(format!("pcmh serve: the demo data could not be loaded: {e}")),
        }
        match crate::demo::tokens(&state) {
            Ok(tokens) => println!("{tokens}"),
            Err(e) => return Err(format!("pcmh serve: the demo tokens could not be made: {e}")),
        }
        match crate::demo::accounts(&state) {
            Ok(accounts) => println!("{accounts}"),
            Err(e) => return Err(format!("pcmh serve: the demo accounts could not be made: {e}")),
        }
    }
    if args.refresh_kept_every > 0 {
        crate::keeper::start(
            state.store.clone(),
            state.catalogs.clone(),
            std::time::Duration::from_secs(u64::from(args.refresh_kept_every)),
        );
    }
    actix_web::rt::System::new()
        .block_on(async {
            // Metrics get their own address, so the API's port never shows them.
            let metrics = match &args.metrics_bind {
                Some(bind) => Some(
                    http::observe::metrics_server(actix_web::web::Data::new(state.clone()), bind)
                        .map_err(|e| std::io::Error::new(e.kind(), format!("the metrics address {bind}: {e}")))?,
                ),
                None => None,
            };
            let stop = metrics.as_ref().map(actix_web::dev::Server::handle);
            if let Some(metrics) = metrics {
                actix_web::rt::spawn(metrics);
            }
            let served = http::serve(state, &args.bind, serving).await;
            if let Some(stop) = stop {
                stop.stop(false).await;
            }
            served
        })
        .map_err(|e| format!("pcmh serve: cannot serve on {}: {e}", args.bind))?;
    Ok(String::new())
}

/// How `pcmh serve` meets the network; the TLS files are read here, so a bad one stops the start.
fn serving(args: &ServeArgs) -> Result<http::serving::Serving, String> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(
            http::serving::tls_config(cert, key).map_err(|e| format!("pcmh serve: {e}; nothing was started"))?,
        )),
        (None, None) => None,
        _ => return Err("pcmh serve: --tls-cert and --tls-key go together: give both, or neither".into()),
    };
    let seconds = |s: u32| std::time::Duration::from_secs(u64::from(s));
    Ok(http::serving::Serving {
        tls,
        rate_limit_per_minute: args.rate_limit_per_minute,
        rate_limit_per_address_per_minute: args.rate_limit_per_address_per_minute,
        header_timeout: seconds(args.header_timeout),
        body_timeout: seconds(args.body_timeout),
        keep_alive: seconds(args.keep_alive),
        shutdown_timeout: u64::from(args.shutdown_timeout),
    })
}

/// `pcmh token ...`: tokens made here are recorded in the audit trail with no token as actor.
pub fn token(command: &TokenCommand) -> Outcome {
    use pcmh_core::access::TokenRole;
    use pcmh_core::ids::{OrganizationId, PracticeId};
    use pcmh_core::store::audit::Audit;
    use pcmh_core::store::tokens::{self, NewToken};
    use pcmh_core::store::{now, Page};
    match command {
        TokenCommand::Create(args) => {
            let role = TokenRole::parse(&args.role).ok_or_else(|| {
                format!(
                    "pcmh token create: --role {} is not a role (admin, po_manager, practice_manager, auditor)",
                    args.role
                )
            })?;
            let form = NewToken {
                label: args.label.clone(),
                role,
                organization_id: args.organization.map(OrganizationId),
                practice_id: args.practice.map(PracticeId),
                expires_in_days: args.expires_in,
            };
            validator::Validate::validate(&form).map_err(|e| format!("pcmh token create: {e}"))?;
            let (store, _) = open(&args.database)?;
            let mut secret = String::new();
            let info = store
                .write_audited(Audit::new(None, "create", "token"), |c, event| {
                    let issued = tokens::create(c, &form, None, now())?;
                    event.organization = issued.info.organization_id;
                    event.practice = issued.info.practice_id;
                    secret = issued.token;
                    Ok(issued.info)
                })
                .map_err(|e| format!("pcmh token create: {e}"))?;
            let expiry = info.expires_at.map_or("no expiry".to_owned(), |at| {
                format!("expires {}", pcmh_core::instant::rfc3339_seconds(at))
            });
            eprintln!(
                "{} token {} ({expiry}); it is shown this once:",
                info.role.as_str(),
                info.id
            );
            Ok(secret)
        }
        TokenCommand::List(args) => {
            let (store, _) = open(args)?;
            let page = Page { limit: 500, offset: 0 };
            let list = store
                .read(|c| tokens::list(c, None, page))
                .map_err(|e| format!("pcmh token list: {e}"))?;
            let mut out = String::from("ID  ROLE              SCOPE             EXPIRES              STATE    LABEL\n");
            for t in list.items {
                let scope = match (t.organization_id, t.practice_id) {
                    (_, Some(p)) => format!("practice {p}"),
                    (Some(o), None) => format!("organization {o}"),
                    _ => "everything".into(),
                };
                let expires = t.expires_at.map_or("never".into(), pcmh_core::instant::rfc3339_seconds);
                let state = if t.revoked_at.is_some() { "revoked" } else { "active" };
                out.push_str(&format!(
                    "{:<3} {:<17} {:<17} {:<20} {:<8} {}\n",
                    t.id,
                    t.role.as_str(),
                    scope,
                    expires,
                    state,
                    t.label
                ));
            }
            Ok(out)
        }
        TokenCommand::Revoke { id, database } => {
            let (store, _) = open(database)?;
            let info = store
                .write_audited(Audit::new(None, "revoke", "token"), |c, event| {
                    let before = tokens::get(c, *id)?;
                    event.organization = before.organization_id;
                    event.practice = before.practice_id;
                    event.before = serde_json::to_value(&before).ok();
                    tokens::revoke(c, *id, now())
                })
                .map_err(|e| format!("pcmh token revoke: {e}"))?;
            Ok(format!("token {} is revoked", info.id))
        }
    }
}

/// `pcmh audit verify`: walks every chain (each PO's and the server-wide one) and says what it
/// found in each, one line per chain; exit 0 when all are intact, 1 naming, for each chain that
/// is not, the first event that does not fit.
pub fn verify_audit(args: &DatabaseArgs) -> Outcome {
    let (store, _) = open(args)?;
    let report = store
        .read(pcmh_core::store::audit::verify)
        .map_err(|e| format!("pcmh audit verify: {e}"))?;
    let mut lines: Vec<String> = report.chains.iter().map(|c| c.summary()).collect();
    let chains = report.chains.len();
    let broken = report.broken().count();
    if broken == 0 {
        lines.push(format!(
            "audit chain intact: {} events in {chains} chains",
            report.events()
        ));
        Ok(lines.join("\n"))
    } else {
        lines.push(format!("audit chain broken: {broken} of {chains} chains do not verify"));
        Err(lines.join("\n"))
    }
}

/// `pcmh user ...`: accounts made here are recorded in the audit trail with no actor.
pub fn user(command: &UserCommand) -> Outcome {
    use pcmh_core::access::TokenRole;
    use pcmh_core::ids::{OrganizationId, PracticeId};
    use pcmh_core::store::audit::{self, Audit};
    use pcmh_core::store::users::{self, NewUser};
    use pcmh_core::store::{now, Page, StoreError};
    let json = |value: &users::User| serde_json::to_value(value).map_err(|e| StoreError::Internal(e.to_string()));
    match command {
        UserCommand::Invite(args) => {
            let role = TokenRole::parse(&args.role).ok_or_else(|| {
                format!(
                    "pcmh user invite: --role {} is not a role (admin, po_manager, practice_manager, auditor)",
                    args.role
                )
            })?;
            let form = NewUser {
                email: args.email.clone(),
                display_name: args
                    .name
                    .clone()
                    .unwrap_or_else(|| args.email.split('@').next().unwrap_or_default().to_owned()),
                role,
                organization_id: args.organization.map(OrganizationId),
                practice_id: args.practice.map(PracticeId),
            };
            validator::Validate::validate(&form).map_err(|e| format!("pcmh user invite: {e}"))?;
            let (store, _) = open(&args.database)?;
            let invitation = store
                .write(|c| {
                    let invited = users::invite(c, &form, None, now())?;
                    let event = Audit::new(None, "invite", "user")
                        .within(invited.user.organization_id, invited.user.practice_id);
                    audit::append(c, &event, json(&invited.user)?)?;
                    Ok(invited)
                })
                .map_err(|e| format!("pcmh user invite: {e}"))?;
            eprintln!(
                "{} account {} for {}; the link works once, until {}:",
                invitation.user.role.as_str(),
                invitation.user.id,
                invitation.user.email,
                pcmh_core::instant::rfc3339_seconds(invitation.expires_at)
            );
            Ok(format!(
                "{}/invitations/{}",
                args.public_url.trim_end_matches('/'),
                invitation.secret
            ))
        }
        UserCommand::List(args) => {
            let (store, _) = open(args)?;
            let list = store
                .read(|c| users::list(c, None, Page { limit: 500, offset: 0 }))
                .map_err(|e| format!("pcmh user list: {e}"))?;
            let mut out = String::from("ID  ROLE              SCOPE             STATE     EMAIL\n");
            for u in list.items {
                let scope = match (u.organization_id, u.practice_id) {
                    (_, Some(p)) => format!("practice {p}"),
                    (Some(o), None) => format!("organization {o}"),
                    _ => "everything".into(),
                };
                let state = match (u.disabled_at, u.active) {
                    (Some(_), _) => "disabled",
                    (None, true) => "active",
                    (None, false) => "invited",
                };
                out.push_str(&format!(
                    "{:<3} {:<17} {:<17} {:<9} {}\n",
                    u.id,
                    u.role.as_str(),
                    scope,
                    state,
                    u.email
                ));
            }
            Ok(out)
        }
        UserCommand::Disable { email, database } => {
            let (store, _) = open(database)?;
            let user = store
                .write(|c| {
                    let before = users::by_email(c, email)?.ok_or_else(|| StoreError::not_found("account", email))?;
                    let after = users::disable(c, before.id, now())?;
                    let mut event =
                        Audit::new(None, "disable", "user").within(after.organization_id, after.practice_id);
                    event.before = Some(json(&before)?);
                    audit::append(c, &event, json(&after)?)?;
                    Ok(after)
                })
                .map_err(|e| format!("pcmh user disable: {e}"))?;
            Ok(format!("account {} ({}) is disabled", user.id, user.email))
        }
    }
}
