//! Storage: the only place that speaks SQL. SQLite (the embedded default) and PostgreSQL (at
//! scale) run the same queries; the database URL chooses the backend.
//!
//! Each query is written once inside [`on_backend!`], which compiles it for both connection
//! types. Writes of several rows run in one transaction ([`Connection::transaction`]), so a
//! failure leaves nothing half-written. Model modules return domain types.

pub mod attestations;
pub mod audit;
pub mod backup;
pub mod bulk;
pub mod care_plans;
pub mod documents;
pub mod files;
pub mod kept;
pub mod meetings;
pub mod organizations;
pub mod packets;
pub mod practices;
pub mod records;
pub mod reports;
pub mod schema;
pub mod sessions;
pub mod staff;
pub mod surveys;
pub mod tokens;
pub mod trainings;
pub mod users;
pub mod voids;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::{Connection as _, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use serde::{Deserialize, Serialize};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Runs `$body` with `$c` bound to the concrete connection of whichever backend is in use.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::Connection::Sqlite($c) => $body,
            $crate::store::Connection::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record asked for does not exist (or is outside the caller's scope).
    #[error("{what} {id} was not found")]
    NotFound {
        /// What kind of record.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The write conflicts with what is stored (a duplicate, an attestation already corrected).
    #[error("{message}")]
    Conflict {
        /// What conflicts, in plain words.
        message: String,
    },
    /// A value breaks a rule that needs the stored records to check.
    #[error("{field}: {message}")]
    Invalid {
        /// The field, as the client wrote it.
        field: String,
        /// The rule's short name.
        rule: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The caller's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The database URL names no supported backend.
    #[error("{0}")]
    BadUrl(String),
    /// The database could not be reached.
    #[error("cannot reach the database: {0}")]
    Unavailable(String),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// The evidence files could not be read or written.
    #[error("evidence file storage failed: {0}")]
    Files(std::io::Error),
    /// The disk holding the evidence files (or the database) is full: nothing was kept.
    #[error("the server's storage is full ({0}); nothing was stored: free space on the server, then try again")]
    StorageFull(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(diesel::result::Error),
    /// A fault of the program itself (a value that cannot be serialized).
    #[error("internal error: {0}")]
    Internal(String),
    /// The computation was stopped: the person who asked for it is no longer waiting.
    #[error("the request was given up by its client")]
    Abandoned,
}

impl From<diesel::result::Error> for StoreError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &error {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => StoreError::Conflict {
                message: format!("a record with the same key already exists ({})", info.message()),
            },
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
                StoreError::Unavailable(error.to_string())
            }
            // SQLite's SQLITE_FULL; PostgreSQL's "could not extend file": the disk is full.
            Error::DatabaseError(_, info)
                if info.message().contains("database or disk is full")
                    || info.message().contains("No space left on device") =>
            {
                StoreError::StorageFull(info.message().to_owned())
            }
            _ => StoreError::Database(error),
        }
    }
}

impl From<std::io::Error> for StoreError {
    /// A full disk or an exhausted quota becomes [`StoreError::StorageFull`]; any other
    /// failure, [`StoreError::Files`].
    fn from(error: std::io::Error) -> Self {
        #[cfg(unix)]
        const FULL: [i32; 2] = [28, 122]; // ENOSPC, EDQUOT (Linux)
        #[cfg(not(unix))]
        const FULL: [i32; 0] = [];
        if error.kind() == std::io::ErrorKind::StorageFull
            || error.kind() == std::io::ErrorKind::QuotaExceeded
            || error.raw_os_error().is_some_and(|code| FULL.contains(&code))
        {
            StoreError::StorageFull(error.to_string())
        } else {
            StoreError::Files(error)
        }
    }
}

impl From<r2d2::PoolError> for StoreError {
    fn from(error: r2d2::PoolError) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

impl StoreError {
    /// A record that does not exist.
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// A value that breaks a rule.
    pub fn invalid(field: impl Into<String>, rule: &'static str, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            field: field.into(),
            rule,
            message: message.into(),
        }
    }
}

/// The result of a storage operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server.
    Postgres(String),
}

impl DatabaseUrl {
    /// Reads `sqlite://PATH`, `sqlite:PATH`, `postgres://...` or `postgresql://...`.
    pub fn parse(url: &str) -> StoreResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"));
        match path {
            Some(path) if !path.is_empty() => Ok(DatabaseUrl::Sqlite(PathBuf::from(path))),
            _ => Err(StoreError::BadUrl(
                "the database URL must start with sqlite:// (a file) or postgres:// (a server)".into(),
            )),
        }
    }

    /// The URL without any password, for logs.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => redact_password(url),
        }
    }
}

/// A URL with its password, if it has one, replaced by `***`.
pub fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    match authority[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &url[scheme_end + at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_database_urls_are_not_printed() {
        assert_eq!(
            redact_password("postgres://pcmh:s3cr@t@db.example:5432/pcmh?sslmode=require"),
            "postgres://pcmh:***@db.example:5432/pcmh?sslmode=require"
        );
        assert_eq!(redact_password("postgres://pcmh@db/pcmh"), "postgres://pcmh@db/pcmh");
        assert_eq!(redact_password("data/pcmh.sqlite"), "data/pcmh.sqlite");
    }

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:x.db").unwrap(),
            DatabaseUrl::Sqlite("x.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/d").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        for bad in ["", "mysql://h/d", "sqlite://", "data/x.db"] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad}");
        }
    }
}

/// A connection to one of the two backends.
pub enum Connection {
    /// The embedded default.
    Sqlite(SqliteConnection),
    /// The server at scale.
    Postgres(PgConnection),
}

impl Connection {
    fn open(url: &DatabaseUrl) -> StoreResult<Self> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                // WAL lets readers and a writer work at once; FULL sync makes an acknowledged
                // write survive a crash; the busy timeout queues writers instead of failing them.
                // `optimize` refreshes the planner's statistics when they are stale: without them a
                // grown database picks the PO's index over the practice's and scans (88 ms → 2 ms).
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA optimize;",
                )?;
                Ok(Connection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => Ok(Connection::Postgres(
                PgConnection::establish(url).map_err(|e| StoreError::Unavailable(e.to_string()))?,
            )),
        }
    }

    fn batch(&mut self, sql: &str) -> StoreResult<()> {
        on_backend!(self, |c| c.batch_execute(sql))?;
        Ok(())
    }

    /// Runs `work` in one transaction: everything it wrote is committed, or nothing is.
    pub fn transaction<T>(&mut self, work: impl FnOnce(&mut Self) -> StoreResult<T>) -> StoreResult<T> {
        // SQLite takes the write lock at the start, so two writers queue rather than deadlock.
        let begin = match self {
            Connection::Sqlite(_) => "BEGIN IMMEDIATE",
            Connection::Postgres(_) => "BEGIN",
        };
        self.batch(begin)?;
        let mut guard = RollbackGuard { conn: self, open: true };
        let result = work(guard.conn);
        guard.open = false;
        match result {
            Ok(value) => {
                if let Err(e) = guard.conn.batch("COMMIT") {
                    let _ = guard.conn.batch("ROLLBACK");
                    return Err(e);
                }
                Ok(value)
            }
            Err(e) => {
                guard.conn.batch("ROLLBACK")?;
                Err(e)
            }
        }
    }
}

impl Connection {
    /// Runs `work` in a read-only transaction: every query it makes sees the database as of one
    /// moment (SQLite's read transaction in WAL mode; PostgreSQL's repeatable read).
    pub fn snapshot<T>(&mut self, work: impl FnOnce(&mut Self) -> StoreResult<T>) -> StoreResult<T> {
        let begin = match self {
            Connection::Sqlite(_) => "BEGIN DEFERRED",
            Connection::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        self.batch(begin)?;
        self.finish_read(work)
    }

    /// Runs `work` inside the read transaction already begun, then ends it (a read-only
    /// transaction has nothing to keep, so it is rolled back, also after an error or a panic).
    fn finish_read<T>(&mut self, work: impl FnOnce(&mut Self) -> StoreResult<T>) -> StoreResult<T> {
        let mut guard = RollbackGuard { conn: self, open: true };
        let result = work(guard.conn);
        guard.open = false;
        guard.conn.batch("ROLLBACK")?;
        result
    }
}

/// The name PostgreSQL gives an exported snapshot.
#[derive(diesel::QueryableByName)]
struct ExportedSnapshot {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// Rolls back when the transaction's work panicked, so the pooled connection is clean again.
struct RollbackGuard<'a> {
    conn: &'a mut Connection,
    open: bool,
}

impl Drop for RollbackGuard<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.batch("ROLLBACK");
        }
    }
}

/// Opens connections for the pool.
pub struct ConnectionManager {
    url: DatabaseUrl,
}

/// A connection that could not be opened or checked, for the pool.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

impl ManageConnection for ConnectionManager {
    type Connection = Connection;
    type Error = ConnectError;

    fn connect(&self) -> Result<Connection, ConnectError> {
        Connection::open(&self.url).map_err(|e| ConnectError(e.to_string()))
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), ConnectError> {
        conn.batch("SELECT 1").map_err(|e| ConnectError(e.to_string()))
    }

    fn has_broken(&self, _: &mut Connection) -> bool {
        false
    }
}

/// A pooled connection.
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// The PostgreSQL advisory lock servers hold while they migrate (any fixed number of our own).
const MIGRATION_LOCK: i64 = 0x7063_6d68_0001;

/// The database: a pool of connections to SQLite or PostgreSQL.
#[derive(Clone)]
pub struct Store {
    pool: r2d2::Pool<ConnectionManager>,
    url: DatabaseUrl,
    /// On SQLite, the lock the process's write transactions take one at a time (shared by clones).
    writers: Option<Arc<WriterLock>>,
    /// Tells this store (and its clones) from another opened in the same process, for what the
    /// process keeps in memory about a database.
    instance: u64,
}

/// How long a SQLite writer waits for its turn, as long as SQLite's own busy timeout.
const WRITE_WAIT: Duration = Duration::from_secs(10);

/// SQLite takes one writer at a time. Left to its busy handler, waiting writers sleep and retry
/// (up to 100 ms a sleep), so a write at 16 clients waited up to a second or two while the
/// database was free. Here the process's writers wait on a lock, without a pooled connection,
/// and the next one is woken as soon as a transaction ends. The lock is eventually fair (a writer
/// that waits long is handed the lock), so no writer waits behind newcomers for long.
#[derive(Default)]
struct WriterLock {
    turn: parking_lot::Mutex<()>,
    /// The thread writing now, so that a write inside a write is refused, not left waiting.
    writing: parking_lot::Mutex<Option<ThreadId>>,
}

impl WriterLock {
    /// Waits at most `wait` for this thread's turn to write.
    fn enter(&self, wait: Duration) -> StoreResult<WriterTurn<'_>> {
        let me = std::thread::current().id();
        if *self.writing.lock() == Some(me) {
            // It would wait for itself until the timeout.
            return Err(StoreError::Internal(
                "a write transaction began inside another one on the same thread".into(),
            ));
        }
        let turn = self.turn.try_lock_for(wait).ok_or_else(|| {
            StoreError::Unavailable(format!("other writes kept the database busy for {} s", wait.as_secs()))
        })?;
        *self.writing.lock() = Some(me);
        Ok(WriterTurn {
            lock: self,
            _turn: turn,
        })
    }
}

/// A writer's turn; the next writer's begins when it is dropped (also after a panic).
struct WriterTurn<'a> {
    lock: &'a WriterLock,
    _turn: parking_lot::MutexGuard<'a, ()>,
}

impl Drop for WriterTurn<'_> {
    fn drop(&mut self) {
        *self.lock.writing.lock() = None;
    }
}

/// How long a request waits for a database connection by default before it is answered that the
/// database is not reachable.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How many of the pool's connections are open, and how many of those wait unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections lent to requests now.
    pub in_use: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

impl Store {
    /// Connects to the database at `url` (creating a SQLite file's folder if needed).
    pub fn open(url: &str) -> StoreResult<Self> {
        Self::open_with_timeout(url, DEFAULT_CONNECT_TIMEOUT)
    }

    /// [`Store::open`], waiting at most `connect_timeout` for a connection before a request is
    /// refused as [`StoreError::Unavailable`].
    pub fn open_with_timeout(url: &str, connect_timeout: Duration) -> StoreResult<Self> {
        let url = DatabaseUrl::parse(url)?;
        if let DatabaseUrl::Sqlite(path) = &url {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
        }
        // On PostgreSQL a request's reads wait on the database's answers, so the pool is larger
        // than the cores. 32-64 connections shortened the one-record tail at 64 clients in some
        // runs but not in others (BENCHMARKS.md, issue 13), while several servers sharing one
        // PostgreSQL (100 connections by default) ran out of connections: 16 it stays.
        let size = match url {
            DatabaseUrl::Sqlite(_) => 8,
            DatabaseUrl::Postgres(_) => 16,
        };
        // Connections are opened as needed, not all at start: a command-line run needs one, and
        // many servers share one PostgreSQL's connection limit.
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            .connection_timeout(connect_timeout)
            // A connection the database dropped (a restart) fails this check and is replaced.
            .test_on_check_out(true)
            .build(ConnectionManager { url: url.clone() })
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let writers = matches!(url, DatabaseUrl::Sqlite(_)).then(Arc::default);
        static OPENED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let instance = OPENED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Store {
            pool,
            url,
            writers,
            instance,
        })
    }

    /// A number telling this store (and its clones) from any other opened in this process.
    pub fn instance(&self) -> u64 {
        self.instance
    }

    /// The default database: a SQLite file in the data folder.
    pub fn default_url(data_dir: &Path) -> String {
        format!("sqlite://{}", data_dir.join("pcmh.sqlite3").display())
    }

    /// Which database this is, without any password.
    pub fn describe(&self) -> String {
        self.url.redacted()
    }

    /// Applies the migrations not yet applied; returns how many ran.
    ///
    /// Servers that start together on one database take turns: the pending migrations are read
    /// and applied under a lock (SQLite's write lock, a PostgreSQL advisory lock), so each runs once.
    pub fn migrate(&self) -> StoreResult<usize> {
        let _turn = self.writer_turn()?;
        let mut conn = self.conn()?;
        let applied = match &mut *conn {
            Connection::Sqlite(c) => c.immediate_transaction(|c| {
                c.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|v| v.len())
                    .map_err(|e| StoreError::Migration(e.to_string()))
            }),
            Connection::Postgres(c) => {
                c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
                let applied = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len());
                let unlocked = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
                let applied = applied.map_err(|e| StoreError::Migration(e.to_string()))?;
                unlocked?;
                Ok(applied)
            }
        };
        applied
    }

    /// Reverts every migration, then applies them all again (a test of the migrations).
    pub fn remigrate(&self) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let result = match &mut *conn {
            Connection::Sqlite(c) => match c.revert_all_migrations(SQLITE_MIGRATIONS) {
                Ok(_) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
                Err(e) => Err(e),
            },
            Connection::Postgres(c) => match c.revert_all_migrations(POSTGRES_MIGRATIONS) {
                Ok(_) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
                Err(e) => Err(e),
            },
        };
        result.map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// How many connections are in use and idle now.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            in_use: state.connections.saturating_sub(state.idle_connections),
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// Whether the database answers a `SELECT 1` on a connection had within `timeout`.
    pub fn ping_within(&self, timeout: Duration) -> StoreResult<()> {
        self.read_within(timeout, |c| c.batch("SELECT 1"))
    }

    /// Runs `work` on a pooled connection had within `timeout` (rather than the pool's own
    /// timeout), for checks that must answer quickly.
    pub fn read_within<T>(
        &self,
        timeout: Duration,
        work: impl FnOnce(&mut Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut conn = self
            .pool
            .get_timeout(timeout)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        work(&mut conn)
    }

    /// How many migrations are not yet applied (0 when the schema is current).
    pub fn pending_migrations(&self, timeout: Duration) -> StoreResult<usize> {
        self.read_within(timeout, |conn| {
            let pending = match conn {
                Connection::Sqlite(c) => MigrationHarness::pending_migrations(c, SQLITE_MIGRATIONS).map(|v| v.len()),
                Connection::Postgres(c) => {
                    MigrationHarness::pending_migrations(c, POSTGRES_MIGRATIONS).map(|v| v.len())
                }
            };
            pending.map_err(|e| StoreError::Migration(e.to_string()))
        })
    }

    /// A connection from the pool.
    pub fn conn(&self) -> StoreResult<PooledConnection> {
        Ok(self.pool.get()?)
    }

    /// Runs `work` on a pooled connection.
    pub fn read<T>(&self, work: impl FnOnce(&mut Connection) -> StoreResult<T>) -> StoreResult<T> {
        work(&mut *self.conn()?)
    }

    /// Runs `first` and `second` on one snapshot of the database and returns both results.
    ///
    /// On PostgreSQL they run at the same time on two pooled connections that share one exported
    /// snapshot (`pg_export_snapshot`, `SET TRANSACTION SNAPSHOT`), so a large read uses two
    /// database processes and two threads; on SQLite they run one after the other in one read
    /// transaction.
    pub fn read_in_parallel<A, B>(
        &self,
        first: impl FnOnce(&mut Connection) -> StoreResult<A>,
        second: impl FnOnce(&mut Connection) -> StoreResult<B> + Send,
    ) -> StoreResult<(A, B)>
    where
        B: Send,
    {
        let mut lead = self.conn()?;
        if let Connection::Sqlite(_) = &*lead {
            return lead.snapshot(|c| Ok((first(c)?, second(c)?)));
        }
        lead.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        lead.finish_read(|lead| {
            let Connection::Postgres(pg) = &mut *lead else {
                return Err(StoreError::Internal("a PostgreSQL connection was expected".into()));
            };
            let exported: ExportedSnapshot =
                diesel::RunQueryDsl::get_result(diesel::sql_query("SELECT pg_export_snapshot() AS id"), pg)?;
            if exported.id.is_empty() || !exported.id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                return Err(StoreError::Internal(format!(
                    "unexpected snapshot name {:?}",
                    exported.id
                )));
            }
            // A second connection only if the pool has one to spare soon: when every connection
            // is taken (by other requests doing the same), waiting for one could deadlock, so the
            // second half then runs after the first, on the same snapshot.
            let Ok(mut helper) = self.pool.get_timeout(Duration::from_millis(250)) else {
                let a = first(lead)?;
                return Ok((a, second(lead)?));
            };
            if let Err(e) = helper.batch(&format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{}'",
                exported.id
            )) {
                let _ = helper.batch("ROLLBACK");
                return Err(e);
            }
            std::thread::scope(|scope| {
                let other = scope.spawn(move || helper.finish_read(second));
                let a = first(lead);
                let b = other
                    .join()
                    .map_err(|_| StoreError::Internal("a parallel read panicked".into()))?;
                Ok((a?, b?))
            })
        })
    }

    /// Runs `work` in one transaction on a pooled connection.
    ///
    /// On SQLite the process's writes take turns on a lock, each waiting without a connection; a
    /// write inside another write on the same thread is refused rather than left waiting for itself.
    pub fn write<T>(&self, work: impl FnOnce(&mut Connection) -> StoreResult<T>) -> StoreResult<T> {
        let _turn = self.writer_turn()?;
        self.conn()?.transaction(work)
    }

    /// This thread's turn to write on SQLite, taken before a connection; none on PostgreSQL.
    fn writer_turn(&self) -> StoreResult<Option<WriterTurn<'_>>> {
        self.writers.as_deref().map(|lock| lock.enter(WRITE_WAIT)).transpose()
    }

    /// Runs `work` in one transaction and appends its audit event in that same transaction:
    /// the write and its event are stored together or not at all. `work` may complete the
    /// event (the record before an update, the scope); the record after is what it returns.
    pub fn write_audited<T: Serialize>(
        &self,
        mut event: audit::Audit,
        work: impl FnOnce(&mut Connection, &mut audit::Audit) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.write(|conn| {
            let value = work(conn, &mut event)?;
            let after = serde_json::to_value(&value).map_err(|e| StoreError::Internal(e.to_string()))?;
            audit::append(conn, &event, after)?;
            Ok(value)
        })
    }
}

/// The moment a record is stored, to the microsecond (both backends keep that much).
pub fn now() -> NaiveDateTime {
    use chrono::Timelike;
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now)
}

/// Which page of a list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// At most this many items (1 to 500).
    pub limit: i64,
    /// After skipping this many.
    pub offset: i64,
}

impl Default for Page {
    fn default() -> Self {
        Page { limit: 100, offset: 0 }
    }
}

/// An inclusive range of dates to filter a list by the date records document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    /// The first day included.
    pub from: Option<NaiveDate>,
    /// The last day included.
    pub to: Option<NaiveDate>,
}

impl DateRange {
    /// The first day, or 0001-01-01. (Not `NaiveDate::MIN`: dates are compared as text in
    /// SQLite, and years before 1 or after 9999 do not sort as text.)
    pub fn start(&self) -> NaiveDate {
        self.from
            .unwrap_or(NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN))
    }

    /// The last day, or 9999-12-31.
    pub fn end(&self) -> NaiveDate {
        self.to
            .unwrap_or(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX))
    }
}

/// One page of a list, with the total across all pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Listing<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: i64,
    /// The page size asked for.
    pub limit: i64,
    /// How many were skipped.
    pub offset: i64,
}
