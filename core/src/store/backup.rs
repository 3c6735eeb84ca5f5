//! Backups of a running installation, and restoring one into an empty place.
//!
//! A backup is a folder:
//!
//! ```text
//! backup.json                          the manifest: what, when, and the SHA-256 of every file
//! database-20261128T234501Z.sqlite3    a SQLite database copied by `VACUUM INTO`, or
//! database-20261128T234501Z.pgdump     a PostgreSQL database dumped by `pg_dump --format=custom`
//! files/ab/ab12…                       the evidence files, named by their SHA-256 as in the data folder
//! signing-key                          the packet signing key, only when asked for
//! ```
//!
//! The database is copied first, then the evidence files: a file is always stored before the
//! row naming it, so every document of the copied database has its file in the backup. Both
//! copies are consistent while the server writes (SQLite's read transaction; `pg_dump`'s
//! snapshot). A second backup into the same folder copies only the evidence files it does not
//! hold yet, writes a new database copy, and then replaces the manifest in one rename, so the
//! folder always holds one complete backup. A folder holding anything else (another database's
//! backup, other files) is refused.
//!
//! Restoring checks every file against the manifest before writing anything, and writes only
//! into an empty data folder and an empty database: it never overwrites data.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Utc;
use diesel::migration::MigrationSource;
use diesel::RunQueryDsl;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::files::{is_sha256_hex, EvidenceFiles, FolderFiles};
use super::{on_backend, Connection, DatabaseUrl, Store, StoreError};
use crate::hash::to_hex;

/// The manifest's file name in a backup folder.
pub const MANIFEST: &str = "backup.json";
/// The format this version writes and reads.
pub const FORMAT: &str = "pcmh-backup/1";
/// The folder of the evidence files inside a backup.
const FILES: &str = "files";
/// The signing key's file name inside a backup.
const SIGNING_KEY: &str = "signing-key";

/// Which kind of database a backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseKind {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgresql,
}

impl DatabaseKind {
    fn of(url: &DatabaseUrl) -> Self {
        match url {
            DatabaseUrl::Sqlite(_) => DatabaseKind::Sqlite,
            DatabaseUrl::Postgres(_) => DatabaseKind::Postgresql,
        }
    }

    /// The name people know it by.
    pub fn name(self) -> &'static str {
        match self {
            DatabaseKind::Sqlite => "SQLite",
            DatabaseKind::Postgresql => "PostgreSQL",
        }
    }
}

/// One file of a backup and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFile {
    /// The path inside the backup folder, with `/` between folders.
    pub path: String,
    /// The SHA-256 of its bytes, as lower-case hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size_bytes: u64,
}

/// What `backup.json` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// When the backup was made (RFC 3339, UTC).
    pub created_at: String,
    /// The pcmh version that made it.
    pub pcmh_version: String,
    /// The kind of database.
    pub database: DatabaseKind,
    /// The last migration applied to the database when it was copied.
    pub schema_version: String,
    /// Which installation this is: the hash of its first audit event (none while the trail is empty).
    pub database_id: Option<String>,
    /// The database copy's path in the backup.
    pub database_file: String,
    /// Whether the signing key is in the backup.
    pub signing_key: bool,
    /// Every file of the backup (the database copy, the evidence files, the key).
    pub files: Vec<BackupFile>,
}

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The target is not a place this may write to; nothing was changed.
    #[error("{0}")]
    Refused(String),
    /// The backup does not match its manifest.
    #[error("the backup is damaged: {0}")]
    Damaged(String),
    /// A tool the backup needs is missing or cannot do the job.
    #[error("{0}")]
    Tool(String),
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, naming the file.
        what: String,
        /// The error.
        source: io::Error,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for BackupError {
    fn from(error: diesel::result::Error) -> Self {
        BackupError::Store(error.into())
    }
}

fn io_error(what: impl std::fmt::Display) -> impl FnOnce(io::Error) -> BackupError {
    let what = what.to_string();
    move |source| BackupError::Io { what, source }
}

/// What a backup did.
#[derive(Debug, Clone)]
pub struct BackupReport {
    /// The manifest written.
    pub manifest: Manifest,
    /// Evidence files copied by this run.
    pub files_copied: usize,
    /// Evidence files already in the backup folder, not copied again.
    pub files_kept: usize,
    /// The bytes of the evidence files copied by this run.
    pub bytes_copied: u64,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// The manifest of the backup restored.
    pub manifest: Manifest,
    /// Evidence files restored.
    pub files: usize,
    /// Where the signing key was written, when the backup had one.
    pub signing_key: Option<PathBuf>,
}

#[derive(diesel::QueryableByName)]
struct OptionalText {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    value: Option<String>,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}

/// The last migration applied, and the hash of the first audit event (the first written, of any chain).
fn identify(conn: &mut Connection) -> Result<(String, Option<String>), BackupError> {
    let version: OptionalText = on_backend!(conn, |c| diesel::sql_query(
        "SELECT MAX(version) AS value FROM __diesel_schema_migrations"
    )
    .get_result(c))?;
    let first: Vec<OptionalText> = on_backend!(conn, |c| diesel::sql_query(
        "SELECT hash AS value FROM audit_events WHERE seq = 1 ORDER BY occurred_at, chain LIMIT 1"
    )
    .load(c))?;
    let version = version.value.ok_or_else(|| {
        BackupError::Refused("the database has no migrations applied: there is nothing to back up".into())
    })?;
    Ok((version, first.into_iter().next().and_then(|r| r.value)))
}

/// The newest migration this program knows for `kind`.
pub fn latest_migration(kind: DatabaseKind) -> String {
    fn newest<DB: diesel::backend::Backend>(source: &impl MigrationSource<DB>) -> String {
        source
            .migrations()
            .unwrap_or_default()
            .iter()
            .map(|m| m.name().version().to_string())
            .max()
            .unwrap_or_default()
    }
    match kind {
        DatabaseKind::Sqlite => newest::<diesel::sqlite::Sqlite>(&super::SQLITE_MIGRATIONS),
        DatabaseKind::Postgresql => newest::<diesel::pg::Pg>(&super::POSTGRES_MIGRATIONS),
    }
}

/// Reads a backup folder's manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST);
    let text = match fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(BackupError::Refused(format!(
                "{} holds no pcmh backup (there is no {MANIFEST})",
                dir.display()
            )))
        }
        Err(e) => return Err(io_error(format!("cannot read {}", path.display()))(e)),
    };
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| BackupError::Damaged(format!("{MANIFEST} cannot be read: {e}")))?;
    if manifest.format != FORMAT {
        return Err(BackupError::Refused(format!(
            "{} is a backup of format {:?}; this pcmh reads {FORMAT:?}",
            dir.display(),
            manifest.format
        )));
    }
    Ok(manifest)
}

/// Whether a folder is absent or empty.
fn is_empty_dir(dir: &Path) -> Result<bool, BackupError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(io_error(format!("cannot read the folder {}", dir.display()))(e)),
    }
}

/// Copies `from` to `to` through a temporary file beside `to`, hashing the bytes; returns
/// the SHA-256 and size. A partial copy is removed.
fn copy_hashed(from: &Path, to: &Path) -> Result<BackupFile, BackupError> {
    let partial = partial_path(to);
    let result = (|| {
        let mut source = File::open(from).map_err(io_error(format!("cannot read {}", from.display())))?;
        let mut target = File::create(&partial).map_err(io_error(format!("cannot write {}", partial.display())))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = source
                .read(&mut buf)
                .map_err(io_error(format!("cannot read {}", from.display())))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
            target
                .write_all(&buf[..n])
                .map_err(io_error(format!("cannot write {}", partial.display())))?;
        }
        target
            .sync_all()
            .map_err(io_error(format!("cannot write {}", partial.display())))?;
        Ok(BackupFile {
            path: String::new(),
            sha256: to_hex(&hasher.finalize()),
            size_bytes: size,
        })
    })();
    match result {
        Ok(file) => {
            fs::rename(&partial, to).map_err(io_error(format!("cannot write {}", to.display())))?;
            Ok(file)
        }
        Err(e) => {
            let _ = fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// The SHA-256 and size of a file.
fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok((to_hex(&hasher.finalize()), size));
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial"))
}

/// Flushes a folder's entries, so renames into it survive a crash.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Backs up the database of `store` and the evidence files in `evidence` into `to`; with
/// `signing_key`, that key file too.
///
/// `to` must be absent, empty, or hold an earlier backup of the same database (then only new
/// evidence files are copied). Anything else is refused and left untouched.
pub fn backup(
    store: &Store,
    evidence: &FolderFiles,
    to: &Path,
    signing_key: Option<&Path>,
) -> Result<BackupReport, BackupError> {
    let kind = DatabaseKind::of(&store.url);
    let (schema_version, database_id) = identify(&mut *store.conn()?)?;
    if !is_empty_dir(to)? {
        match read_manifest(to) {
            Ok(earlier) if earlier.database == kind && earlier.database_id == database_id => {}
            Ok(earlier) => {
                return Err(BackupError::Refused(format!(
                    "{} holds a backup of another database ({} made {}); back up into an empty folder or the folder of this database's backups",
                    to.display(),
                    earlier.database.name(),
                    earlier.created_at
                )))
            }
            Err(BackupError::Refused(_)) => {
                return Err(BackupError::Refused(format!(
                    "{} is not empty and holds no pcmh backup; back up into an empty folder (nothing was changed)",
                    to.display()
                )))
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(key) = signing_key {
        if !key.is_file() {
            return Err(BackupError::Refused(format!(
                "--include-signing-key: there is no signing key at {}",
                key.display()
            )));
        }
    }
    fs::create_dir_all(to).map_err(io_error(format!("cannot create the folder {}", to.display())))?;
    let created = Utc::now();
    let stamp = created.format("%Y%m%dT%H%M%S%.6fZ");

    // The database first: every file its rows name is already stored.
    let (database_file, database_entry) = match &store.url {
        DatabaseUrl::Sqlite(_) => {
            let name = format!("database-{stamp}.sqlite3");
            let target = to.join(&name);
            let partial = partial_path(&target);
            let _ = fs::remove_file(&partial);
            let path = partial.to_str().ok_or_else(|| {
                BackupError::Refused(format!("the backup folder's path {} is not UTF-8", to.display()))
            })?;
            let copied = store
                .conn()?
                .batch(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
                .and_then(|()| {
                    File::open(&partial)
                        .and_then(|f| f.sync_all())
                        .map_err(StoreError::from)
                });
            if let Err(e) = copied {
                let _ = fs::remove_file(&partial);
                return Err(e.into());
            }
            fs::rename(&partial, &target).map_err(io_error(format!("cannot write {}", target.display())))?;
            (name, target)
        }
        DatabaseUrl::Postgres(url) => {
            let name = format!("database-{stamp}.pgdump");
            let target = to.join(&name);
            pg_dump(store, url, &target)?;
            (name, target)
        }
    };
    let (sha256, size_bytes) =
        hash_file(&database_entry).map_err(io_error(format!("cannot read {}", database_entry.display())))?;
    let mut files = vec![BackupFile {
        path: database_file.clone(),
        sha256,
        size_bytes,
    }];

    // Then the evidence files, each once.
    let mut files_copied = 0;
    let mut files_kept = 0;
    let mut bytes_copied = 0;
    let names = evidence.stored().map_err(io_error(format!(
        "cannot list the evidence files in {}",
        evidence.root().display()
    )))?;
    for name in names {
        let dir = to.join(FILES).join(&name[..2]);
        let target = dir.join(&name);
        let path = format!("{FILES}/{}/{name}", &name[..2]);
        let source = evidence.path_of(&name).unwrap_or_default();
        let size = fs::metadata(&source)
            .map_err(io_error(format!("cannot read {}", source.display())))?
            .len();
        if fs::metadata(&target).is_ok_and(|m| m.is_file() && m.len() == size) {
            files_kept += 1;
        } else {
            fs::create_dir_all(&dir).map_err(io_error(format!("cannot create the folder {}", dir.display())))?;
            let copied = copy_hashed(&source, &target)?;
            if copied.sha256 != name {
                let _ = fs::remove_file(&target);
                return Err(BackupError::Damaged(format!(
                    "the evidence file {} in the data folder does not have the SHA-256 its name says (it has {}); it was not backed up",
                    source.display(),
                    copied.sha256
                )));
            }
            files_copied += 1;
            bytes_copied += size;
        }
        files.push(BackupFile {
            path,
            sha256: name,
            size_bytes: size,
        });
    }

    let key_path = to.join(SIGNING_KEY);
    if let Some(key) = signing_key {
        let mut entry = copy_hashed(key, &key_path)?;
        entry.path = SIGNING_KEY.into();
        files.push(entry);
    }
    sync_dir(to);

    let manifest = Manifest {
        format: FORMAT.into(),
        created_at: created.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        pcmh_version: env!("CARGO_PKG_VERSION").into(),
        database: kind,
        schema_version,
        database_id,
        database_file: database_file.clone(),
        signing_key: signing_key.is_some(),
        files,
    };
    let manifest_path = to.join(MANIFEST);
    let partial = partial_path(&manifest_path);
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| StoreError::Internal(e.to_string()))?;
    File::create(&partial)
        .and_then(|mut f| f.write_all(&text).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&partial, &manifest_path))
        .map_err(io_error(format!("cannot write {}", manifest_path.display())))?;
    sync_dir(to);

    // What the new manifest no longer names goes: earlier database copies (also those of an
    // interrupted run), a key not asked for.
    if let Ok(entries) = fs::read_dir(to) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale_copy = name.starts_with("database-") && name != database_file;
            let partial = name.starts_with(".database-") && name.ends_with(".partial");
            if (stale_copy || partial) && entry.file_type().is_ok_and(|t| t.is_file()) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    if signing_key.is_none() {
        let _ = fs::remove_file(&key_path);
    }
    Ok(BackupReport {
        manifest,
        files_copied,
        files_kept,
        bytes_copied,
    })
}

/// A file name with no folder in it.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\']) && name != ".."
}

/// A PostgreSQL URL without its password, and the password (percent-decoded) for `PGPASSWORD`.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return (url.to_owned(), None);
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    let Some(at) = authority.rfind('@') else {
        return (url.to_owned(), None);
    };
    let Some(colon) = authority[..at].find(':') else {
        return (url.to_owned(), None);
    };
    let password = percent_decode(&authority[colon + 1..at]);
    let without = format!(
        "{}{}{}",
        &url[..scheme_end + colon],
        &authority[at..],
        &url[authority_end..]
    );
    (without, Some(password))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The major version a PostgreSQL tool prints (`pg_dump (PostgreSQL) 15.18 (Debian …)` → 15).
fn tool_major(tool: &str) -> Result<u32, BackupError> {
    let output = Command::new(tool).arg("--version").output().map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            BackupError::Tool(format!(
                "{tool} was not found on PATH: a backup or restore of a PostgreSQL database needs PostgreSQL's {tool} \
                 (Debian and Ubuntu: the postgresql-client package), of the server's major version or newer"
            ))
        } else {
            BackupError::Tool(format!("{tool} cannot be run: {e}"))
        }
    })?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .find_map(|word| word.split('.').next().and_then(|m| m.parse::<u32>().ok()))
        .ok_or_else(|| {
            BackupError::Tool(format!(
                "{tool} --version said {:?}, which names no version",
                text.trim()
            ))
        })
}

/// The server's major version (`server_version_num` 150018 → 15).
fn server_major(store: &Store) -> Result<u32, BackupError> {
    let row: OptionalText = on_backend!(&mut *store.conn()?, |c| diesel::sql_query(
        "SELECT current_setting('server_version_num') AS value"
    )
    .get_result(c))?;
    row.value
        .and_then(|v| v.parse::<u32>().ok())
        .map(|n| n / 10_000)
        .ok_or_else(|| BackupError::Tool("the PostgreSQL server did not say its version".into()))
}

/// Runs `pg_dump` of the database at `url` into `target` (custom format).
fn pg_dump(store: &Store, url: &str, target: &Path) -> Result<(), BackupError> {
    let tool = tool_major("pg_dump")?;
    let server = server_major(store)?;
    if tool < server {
        return Err(BackupError::Tool(format!(
            "pg_dump {tool} cannot dump a PostgreSQL {server} server: install pg_dump {server} or newer \
             (Debian and Ubuntu: postgresql-client-{server}) and put it first on PATH"
        )));
    }
    let partial = partial_path(target);
    let (url, password) = split_password(url);
    let mut command = Command::new("pg_dump");
    command
        .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
        .arg(&partial)
        .arg("--dbname")
        .arg(&url);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let output = command
        .output()
        .map_err(|e| BackupError::Tool(format!("pg_dump cannot be run: {e}")))?;
    if !output.status.success() {
        let _ = fs::remove_file(&partial);
        return Err(BackupError::Tool(format!(
            "pg_dump failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    File::open(&partial)
        .and_then(|f| f.sync_all())
        .and_then(|()| fs::rename(&partial, target))
        .map_err(io_error(format!("cannot write {}", target.display())))
}

/// Checks one file of a backup against the manifest.
fn check_file(dir: &Path, entry: &BackupFile) -> Result<PathBuf, BackupError> {
    let parts: Vec<&str> = entry.path.split('/').collect();
    let safe = match parts.as_slice() {
        [name] => is_plain_name(name),
        [FILES, prefix, name] => is_sha256_hex(name) && name.starts_with(prefix) && prefix.len() == 2,
        _ => false,
    };
    if !safe {
        return Err(BackupError::Damaged(format!(
            "the manifest names {:?}, which is no file of a backup",
            entry.path
        )));
    }
    let path = parts.iter().fold(dir.to_path_buf(), |p, part| p.join(part));
    let (sha256, size) =
        hash_file(&path).map_err(|e| BackupError::Damaged(format!("{} cannot be read: {e}", entry.path)))?;
    if sha256 != entry.sha256 || size != entry.size_bytes {
        return Err(BackupError::Damaged(format!(
            "{} does not have the SHA-256 the manifest gives (it has {sha256}, {size} bytes; the manifest says {}, {} bytes)",
            entry.path, entry.sha256, entry.size_bytes
        )));
    }
    Ok(path)
}

/// Checks a backup folder: the manifest, and every file's size and SHA-256.
pub fn check(dir: &Path) -> Result<Manifest, BackupError> {
    let manifest = read_manifest(dir)?;
    if !manifest.files.iter().any(|f| f.path == manifest.database_file) {
        return Err(BackupError::Damaged(format!(
            "the manifest does not list the database copy {}",
            manifest.database_file
        )));
    }
    if manifest.signing_key != manifest.files.iter().any(|f| f.path == SIGNING_KEY) {
        return Err(BackupError::Damaged(
            "the manifest's signing_key disagrees with its files".into(),
        ));
    }
    for entry in &manifest.files {
        check_file(dir, entry)?;
    }
    Ok(manifest)
}

/// Restores the backup in `from` into the empty database at `url`, the evidence files into the
/// empty `data_dir`, and a backed-up signing key to `signing_key`.
///
/// Every file is checked against the manifest first; a damaged backup or a target holding
/// anything is refused before anything is written.
pub fn restore(
    from: &Path,
    url: &str,
    data_dir: &Path,
    evidence: &FolderFiles,
    signing_key: &Path,
) -> Result<RestoreReport, BackupError> {
    let target = DatabaseUrl::parse(url)?;
    let manifest = check(from)?;
    let kind = DatabaseKind::of(&target);
    if manifest.database != kind {
        return Err(BackupError::Refused(format!(
            "the backup holds a {} database and the target is {}: restore it into a {} database",
            manifest.database.name(),
            kind.name(),
            manifest.database.name()
        )));
    }
    let known = latest_migration(kind);
    if manifest.schema_version > known {
        return Err(BackupError::Refused(format!(
            "the backup's schema version {} is newer than this pcmh knows ({known}): restore it with the pcmh version that made it ({}) or a newer one",
            manifest.schema_version, manifest.pcmh_version
        )));
    }
    if !is_empty_dir(data_dir)? {
        return Err(BackupError::Refused(format!(
            "the data folder {} is not empty: restore only into an empty folder (nothing was changed)",
            data_dir.display()
        )));
    }
    if manifest.signing_key && signing_key.exists() {
        return Err(BackupError::Refused(format!(
            "a signing key already exists at {}: restore only where there is none (nothing was changed)",
            signing_key.display()
        )));
    }
    let database_copy = from.join(&manifest.database_file);
    match &target {
        DatabaseUrl::Sqlite(path) => {
            if fs::metadata(path).is_ok_and(|m| m.len() > 0) {
                return Err(BackupError::Refused(format!(
                    "the database {} already exists: restore only into a new database (nothing was changed)",
                    path.display()
                )));
            }
            fs::create_dir_all(data_dir).map_err(io_error(format!("cannot create {}", data_dir.display())))?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::create_dir_all(dir).map_err(io_error(format!("cannot create {}", dir.display())))?;
            }
            let copied = copy_hashed(&database_copy, path)?;
            if let Some(dir) = path.parent() {
                sync_dir(dir);
            }
            if copied.sha256 != database_file_sha(&manifest) {
                let _ = fs::remove_file(path);
                return Err(BackupError::Damaged(format!(
                    "{} changed while it was restored",
                    manifest.database_file
                )));
            }
        }
        DatabaseUrl::Postgres(url) => {
            let store = Store::open(url)?;
            let tables: Count = on_backend!(&mut *store.conn()?, |c| diesel::sql_query(
                "SELECT COUNT(*) AS value FROM information_schema.tables \
                 WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            )
            .get_result(c))?;
            if tables.value > 0 {
                return Err(BackupError::Refused(format!(
                    "the database {} is not empty ({} tables): restore only into a new, empty database (nothing was changed)",
                    target.redacted(),
                    tables.value
                )));
            }
            drop(store);
            tool_major("pg_restore")?;
            fs::create_dir_all(data_dir).map_err(io_error(format!("cannot create {}", data_dir.display())))?;
            let (url, password) = split_password(url);
            let mut command = Command::new("pg_restore");
            command
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    "--dbname",
                ])
                .arg(&url)
                .arg(&database_copy);
            if let Some(password) = password {
                command.env("PGPASSWORD", password);
            }
            let output = command
                .output()
                .map_err(|e| BackupError::Tool(format!("pg_restore cannot be run: {e}")))?;
            if !output.status.success() {
                return Err(BackupError::Tool(format!(
                    "pg_restore failed (the database was left as it was): {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                )));
            }
        }
    }
    let mut files = 0;
    for entry in manifest.files.iter().filter(|f| f.path.starts_with("files/")) {
        let source = entry.path.split('/').fold(from.to_path_buf(), |p, part| p.join(part));
        let stored = evidence
            .put_path(&source)
            .map_err(io_error(format!("cannot restore {}", entry.path)))?;
        if stored.sha256 != entry.sha256 {
            return Err(BackupError::Damaged(format!(
                "{} changed while it was restored",
                entry.path
            )));
        }
        files += 1;
    }
    let key = if manifest.signing_key {
        if let Some(dir) = signing_key.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(io_error(format!("cannot create {}", dir.display())))?;
        }
        copy_hashed(&from.join(SIGNING_KEY), signing_key)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(signing_key, fs::Permissions::from_mode(0o600));
        }
        Some(signing_key.to_path_buf())
    } else {
        None
    };
    Ok(RestoreReport {
        manifest,
        files,
        signing_key: key,
    })
}

fn database_file_sha(manifest: &Manifest) -> String {
    manifest
        .files
        .iter()
        .find(|f| f.path == manifest.database_file)
        .map(|f| f.sha256.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_goes_to_the_environment_not_the_command_line() {
        assert_eq!(
            split_password("postgres://pcmh:s%40cret@db:5432/pcmh?sslmode=require"),
            (
                "postgres://pcmh@db:5432/pcmh?sslmode=require".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://pcmh@db/pcmh"),
            ("postgres://pcmh@db/pcmh".to_owned(), None)
        );
        assert_eq!(
            split_password("postgres://db/pcmh"),
            ("postgres://db/pcmh".to_owned(), None)
        );
    }

    #[test]
    fn the_migrations_known_are_dated_versions() {
        for kind in [DatabaseKind::Sqlite, DatabaseKind::Postgresql] {
            let version = latest_migration(kind);
            assert_eq!(version.len(), 14, "{version}");
            assert!(version.starts_with("20"), "{version}");
        }
    }

    #[test]
    fn paths_outside_the_backup_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for path in [
            "../etc/passwd",
            "/etc/passwd",
            "files/../x",
            "files/ab/cd",
            ".hidden",
            "",
        ] {
            let entry = BackupFile {
                path: path.into(),
                sha256: "0".repeat(64),
                size_bytes: 0,
            };
            assert!(
                matches!(check_file(dir.path(), &entry), Err(BackupError::Damaged(_))),
                "{path}"
            );
        }
    }
}
