//! The command line's options (clap) and how a command's outcome becomes output and exit code.
//!
//! Exit codes: 0 success, 1 invalid input (a catalog with problems, a file that cannot be
//! read), 2 usage error (clap's own).

use std::io::{ErrorKind, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod backup;
mod catalog;
mod generate;
mod packet;
mod serve;

/// The pcmh-track command line.
#[derive(Debug, Parser)]
#[command(
    name = "pcmh",
    version,
    about = "Tracks whether PCMH practices have Domain 4.0 Individual Care Management in place."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API server.
    Serve(ServeArgs),
    /// Apply the database migrations not yet applied, then exit.
    Migrate(DatabaseArgs),
    /// Copy the database, the evidence files and a manifest of their SHA-256 into a folder, while the server runs.
    Backup(BackupArgs),
    /// Check a backup and restore it into an empty data folder and an empty database.
    Restore(RestoreArgs),
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
    /// Make, list and revoke bearer tokens.
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Invite people to the web application and disable their accounts.
    User {
        /// What to do with accounts.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check an auditor packet offline.
    Packet {
        /// What to do with packets.
        #[command(subcommand)]
        command: PacketCommand,
    },
    /// Generate large demo data for measurements.
    Demo {
        /// What to generate.
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Check the audit trail.
    Audit {
        /// What to do with the audit trail.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Check, show and compare policy catalogs.
    Catalog {
        /// What to do with catalogs.
        #[command(subcommand)]
        command: CatalogCommand,
    },
}

/// Where the database is: the options of every command that touches it.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// The database (sqlite://FILE or postgres://...); by default a SQLite file in the data dir.
    #[arg(long, env = "PCMH_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The folder for evidence files and the default SQLite database.
    #[arg(long, env = "PCMH_DATA_DIR", value_name = "DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

impl DatabaseArgs {
    /// The database URL: the one given, or the SQLite file in the data folder.
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| pcmh_core::store::Store::default_url(&self.data_dir))
    }
}

/// The options of `pcmh backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup folder: absent, empty, or holding an earlier backup of the same database (then only new evidence files are copied); anything else is refused.
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
    /// Put the packet signing key in the backup too (then keep the backup as secret as the key).
    #[arg(long)]
    pub include_signing_key: bool,
    /// The signing key's file, with --include-signing-key (default <data-dir>/signing-key).
    #[arg(long, env = "PCMH_SIGNING_KEY", value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
    /// Where the database is.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// The options of `pcmh restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup folder (made by `pcmh backup`); every file is checked against its manifest first.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// Where a backed-up signing key is written (default <data-dir>/signing-key); it must not exist.
    #[arg(long, env = "PCMH_SIGNING_KEY", value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
    /// Where to restore: an empty (or absent) data folder and a new, empty database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// The options of `pcmh serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Load a demo physician organization with practices and records into an empty database.
    #[arg(long)]
    pub demo: bool,
    /// The address (host:port) the HTTP API listens on.
    #[arg(long, env = "PCMH_BIND", value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Where the database is.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The folder of policy catalogs, laid out as <catalog>/<version>.yaml.
    #[arg(long, env = "PCMH_CATALOG_DIR", value_name = "DIR", default_value = "policy-catalog")]
    pub catalog_dir: PathBuf,
    /// The file of the Ed25519 key that signs packets (32 bytes as hex), so several servers sign alike; by default <data-dir>/signing-key, made at first start.
    #[arg(long, env = "PCMH_SIGNING_KEY", value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
    /// The URL people open the web application at (e.g. https://pcmh.example.org); with https, session cookies are Secure.
    #[arg(long, env = "PCMH_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Seconds without a request after which a web session ends (default 30 minutes).
    #[arg(long, env = "PCMH_SESSION_IDLE_TIMEOUT", value_name = "SECONDS", default_value_t = 1800,
          value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub session_idle_timeout: u32,
    /// How the log on standard error is written: text lines for people, or one JSON object per line for a log collector.
    #[arg(long, env = "PCMH_LOG_FORMAT", value_enum, default_value_t = crate::logging::LogFormat::Text)]
    pub log_format: crate::logging::LogFormat,
    /// What is logged, as a filter like `info`, `warn` or `warn,pcmh::request=info` (default: RUST_LOG, else info).
    #[arg(long, env = "PCMH_LOG_LEVEL", value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Serve Prometheus metrics at http://ADDR/metrics, an address apart from the API's (off unless given).
    #[arg(long, env = "PCMH_METRICS_BIND", value_name = "ADDR")]
    pub metrics_bind: Option<String>,
    /// Seconds a request waits for a database connection before it is answered 503 (the database is not reachable).
    #[arg(long, env = "PCMH_DATABASE_TIMEOUT", value_name = "SECONDS", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=300))]
    pub database_timeout: u32,
    /// Serve HTTPS with this PEM file of the certificate (and its chain), with --tls-key; session cookies are then Secure.
    #[arg(long, env = "PCMH_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM file of the certificate's private key (PKCS#8, PKCS#1 or SEC1), with --tls-cert.
    #[arg(long, env = "PCMH_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Requests to the API a minute for each token, and for each client address that sends none, in bursts of up to as many; past that the answer is 429 with Retry-After. 0 turns the limit off.
    #[arg(long, env = "PCMH_RATE_LIMIT_PER_MINUTE", value_name = "N", default_value_t = 12_000)]
    pub rate_limit_per_minute: u32,
    /// Requests to the API a minute from each client address in all, with tokens or without (so made-up tokens do not get around the limit); behind a reverse proxy every request comes from the proxy's address, so raise it or turn it off there. 0 turns it off.
    #[arg(
        long,
        env = "PCMH_RATE_LIMIT_PER_ADDRESS_PER_MINUTE",
        value_name = "N",
        default_value_t = 30_000
    )]
    pub rate_limit_per_address_per_minute: u32,
    /// Seconds a client has to send a request's line and headers; past that it is answered 408 and disconnected.
    #[arg(long, env = "PCMH_HEADER_TIMEOUT", value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=3_600))]
    pub header_timeout: u32,
    /// Seconds a client has to send each 64 KiB of a request's body; past that the request fails and the connection is closed.
    #[arg(long, env = "PCMH_BODY_TIMEOUT", value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=3_600))]
    pub body_timeout: u32,
    /// Seconds an idle connection stays open for the client's next request (0: closed after each answer).
    #[arg(long, env = "PCMH_KEEP_ALIVE", value_name = "SECONDS", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(0..=3_600))]
    pub keep_alive: u32,
    /// Seconds the requests in flight have to finish after SIGTERM or Ctrl-C, before the server stops anyway.
    #[arg(long, env = "PCMH_SHUTDOWN_TIMEOUT", value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(0..=3_600))]
    pub shutdown_timeout: u32,
    /// How many PO-wide views computed from every record (the matrix as known on a past day, the PO's OSCAL) are computed at once; each loads every record of the PO's practices into memory.
    #[arg(long, env = "PCMH_HEAVY_VIEWS", value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub heavy_views: u32,
    /// Seconds a request for a PO-wide view waits for its turn before it is answered 503 with Retry-After (0: not at all).
    #[arg(long, env = "PCMH_HEAVY_VIEW_WAIT", value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(0..=600))]
    pub heavy_view_wait: u32,
    /// Seconds between the passes that keep each practice's evaluation current for the days the PO views read by default (today, the last 12 month ends); 0: never, views then compute what is missing when asked.
    #[arg(long, env = "PCMH_REFRESH_KEPT_EVERY", value_name = "SECONDS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(0..=3600))]
    pub refresh_kept_every: u32,
}

/// The `pcmh user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Make an account and print its one-time invitation link (valid for 7 days), where the
    /// person sets their password. This is how the first admin of a fresh install is made.
    Invite(UserInviteArgs),
    /// List the accounts.
    List(DatabaseArgs),
    /// Disable an account: it cannot sign in and its sessions end at once.
    Disable {
        /// The account's email.
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// Where the database is.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// The options of `pcmh user invite`.
#[derive(Debug, Args)]
pub struct UserInviteArgs {
    /// The person's email address (they sign in with it).
    #[arg(long, value_name = "EMAIL")]
    pub email: String,
    /// The person's name as shown in the application (default: the part of the email before @).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// admin, po_manager, practice_manager or auditor.
    #[arg(long, value_name = "ROLE")]
    pub role: String,
    /// The PO (po_manager; an auditor of a whole PO).
    #[arg(long, value_name = "ID")]
    pub organization: Option<i64>,
    /// The practice (practice_manager; an auditor of one practice).
    #[arg(long, value_name = "ID")]
    pub practice: Option<i64>,
    /// The URL people open the server at, to print the link with.
    #[arg(
        long,
        env = "PCMH_PUBLIC_URL",
        value_name = "URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
    /// Where the database is.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// The `pcmh token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it (it is shown this once).
    Create(TokenCreateArgs),
    /// List tokens (never their secrets).
    List(DatabaseArgs),
    /// Revoke a token at once.
    Revoke {
        /// The token's id.
        id: i64,
        /// Where the database is.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// The options of `pcmh token create`.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// admin, po_manager, practice_manager or auditor.
    #[arg(long, value_name = "ROLE")]
    pub role: String,
    /// The PO a po_manager or auditor token is scoped to.
    #[arg(long, value_name = "ID")]
    pub organization: Option<i64>,
    /// The practice a practice_manager or auditor token is scoped to.
    #[arg(long, value_name = "ID")]
    pub practice: Option<i64>,
    /// Days until the token expires (auditor tokens expire after 30 days unless told).
    #[arg(long, value_name = "DAYS")]
    pub expires_in: Option<u32>,
    /// What the token is for.
    #[arg(long, default_value = "made on the command line")]
    pub label: String,
    /// Where the database is.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// The `pcmh packet` subcommands.
#[derive(Debug, Subcommand)]
pub enum PacketCommand {
    /// Check every hash and the signature of a packet, offline; name the first thing that does not match.
    Verify {
        /// The packet (a ZIP file).
        #[arg(value_name = "PACKET.zip")]
        packet: PathBuf,
        /// The server's public key (64 hex digits, or the JSON answer of GET /api/v1/signing-key); without it the packet is checked against the key it carries.
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
    },
}

/// The `pcmh demo` subcommands.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Make a large PO with realistic records, for benchmarks.
    Generate {
        /// How many practices.
        #[arg(long, default_value_t = 100)]
        practices: u32,
        /// How many years of records.
        #[arg(long, default_value_t = 1)]
        years: u32,
        /// Give the first practice this many extra scanned-evidence documents (files of tens to hundreds of KB) dated within the last year, for packet measurements.
        #[arg(long, value_name = "N", default_value_t = 0)]
        evidence_files: u32,
        /// Where the database is.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// The `pcmh audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk every hash chain (each PO's and the server-wide one) and say whether each is intact, or name its first event that does not fit.
    Verify(DatabaseArgs),
}

/// The `pcmh catalog` subcommands.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Check catalog files, and the mappings between their versions.
    ///
    /// All files are checked together, so a version's mapping is checked against the version
    /// it upgrades from (loaded from beside the file when not given). A folder is either a
    /// catalog root like policy-catalog (holding <catalog>/<version>.yaml) or the folder of
    /// one catalog like policy-catalog/domain-4.
    Validate {
        /// Catalog files (<version>.yaml) or folders.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Print a catalog's criteria.
    Show {
        /// The catalog file.
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// A text table, or the parsed catalog as JSON.
        #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
        format: ShowFormat,
    },
    /// Show what changed from one catalog version to another.
    Diff {
        /// The older version's file.
        #[arg(value_name = "OLD")]
        old: PathBuf,
        /// The newer version's file.
        #[arg(value_name = "NEW")]
        new: PathBuf,
        /// Text for people, or JSON (which always lists every criterion).
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// List unchanged criteria one per line instead of summarizing them.
        #[arg(long)]
        all: bool,
    },
    /// Print the JSON Schema of the catalog format.
    Schema,
    /// Print a catalog version in another standard's format, on standard output.
    ///
    /// `--format oscal` writes a NIST OSCAL 1.1.3 catalog (JSON): every criterion a control
    /// `pcmh-<id>`, grouped by scope; the same bytes as
    /// `GET /api/v1/catalogs/{catalog}/versions/{version}/oscal`.
    Export {
        /// The catalog file (<version>.yaml).
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// The format to write.
        #[arg(long, value_enum)]
        format: ExportFormat,
    },
}

/// The formats `pcmh catalog export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// A NIST OSCAL 1.1.3 catalog, as JSON.
    Oscal,
}

/// How `pcmh catalog show` prints a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// An aligned text table, one criterion per line.
    Table,
    /// The parsed catalog as JSON.
    Json,
}

/// How `pcmh catalog diff` prints the changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// One line per change, unchanged criteria summarized.
    Text,
    /// The full diff as JSON.
    Json,
}

/// What a command produced: its standard output, or the problems for standard error.
type Outcome = Result<String, String>;

/// Runs a parsed command line and returns the process's exit code.
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match &cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Migrate(args) => serve::migrate(args),
        Command::Backup(args) => backup::run(args),
        Command::Restore(args) => backup::restore(args),
        Command::Token { command } => serve::token(command),
        Command::User { command } => serve::user(command),
        Command::Packet { command } => packet::run(command),
        Command::Demo { command } => generate::run(command),
        Command::Audit {
            command: AuditCommand::Verify(args),
        } => serve::verify_audit(args),
        Command::Openapi => serde_json::to_string_pretty(&crate::http::openapi()).map_err(|e| e.to_string()),
        Command::Catalog { command } => catalog::run(command),
    };
    match outcome {
        Ok(text) => match write_all(&mut std::io::stdout().lock(), &text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                // Standard error may be gone too; there is nothing left to tell then.
                let _ = writeln!(std::io::stderr(), "pcmh: cannot write the output: {e}");
                ExitCode::FAILURE
            }
        },
        Err(text) => {
            let _ = write_all(&mut std::io::stderr().lock(), &text);
            ExitCode::from(1)
        }
    }
}

/// Writes `text`, ending it with a newline; a reader that stopped early (`| head`) is no error.
fn write_all(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    let newline = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    match out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(newline.as_bytes()))
        .and_then(|()| out.flush())
    {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
