//! `pcmh backup` and `pcmh restore`: the options mapped to `pcmh_core::store::backup`.

use std::time::Instant;

use pcmh_core::store::backup::{self, BackupError};
use pcmh_core::store::files::FolderFiles;
use pcmh_core::store::Store;

use super::{BackupArgs, Outcome, RestoreArgs};

fn failure(command: &str, error: BackupError) -> String {
    format!("pcmh {command}: {error}")
}

/// `pcmh backup --to DIR`: copies the database, the evidence files and (if asked) the signing key.
pub fn run(args: &BackupArgs) -> Outcome {
    let started = Instant::now();
    let url = args.database.url();
    // Opening a SQLite file that is not there would make an empty database: say so instead.
    if let Ok(pcmh_core::store::DatabaseUrl::Sqlite(path)) = pcmh_core::store::DatabaseUrl::parse(&url) {
        if !path.is_file() {
            return Err(format!(
                "pcmh backup: there is no database at {} (give --data-dir or --database-url)",
                path.display()
            ));
        }
    }
    let store = Store::open(&url).map_err(|e| format!("pcmh backup: {e}"))?;
    let key = args.include_signing_key.then(|| {
        args.signing_key
            .clone()
            .unwrap_or_else(|| args.database.data_dir.join("signing-key"))
    });
    let evidence = FolderFiles::in_data_dir(&args.database.data_dir);
    let report = backup::backup(&store, &evidence, &args.to, key.as_deref()).map_err(|e| failure("backup", e))?;
    let manifest = &report.manifest;
    let mut out = format!(
        "backup of the {} database {} (schema {}) written to {} in {:.1} s\n\
         evidence files: {} copied ({} bytes), {} already in the backup\n",
        manifest.database.name(),
        store.describe(),
        manifest.schema_version,
        args.to.display(),
        started.elapsed().as_secs_f64(),
        report.files_copied,
        report.bytes_copied,
        report.files_kept,
    );
    out.push_str(if manifest.signing_key {
        "the signing key is in the backup: keep the backup as secret as the key\n"
    } else {
        "the signing key is not in the backup (--include-signing-key adds it); keep a copy of it apart\n"
    });
    Ok(out)
}

/// `pcmh restore --from DIR`: checks the backup, then restores it into an empty database and data folder.
pub fn restore(args: &RestoreArgs) -> Outcome {
    let started = Instant::now();
    let data_dir = &args.database.data_dir;
    let key = args.signing_key.clone().unwrap_or_else(|| data_dir.join("signing-key"));
    let evidence = FolderFiles::in_data_dir(data_dir);
    let report = backup::restore(&args.from, &args.database.url(), data_dir, &evidence, &key)
        .map_err(|e| failure("restore", e))?;
    let manifest = &report.manifest;
    let mut out = format!(
        "restored the backup of {} ({} database, schema {}, {} evidence files) into {} and {} in {:.1} s\n",
        manifest.created_at,
        manifest.database.name(),
        manifest.schema_version,
        report.files,
        pcmh_core::store::DatabaseUrl::parse(&args.database.url()).map_or_else(|_| String::new(), |u| u.redacted()),
        data_dir.display(),
        started.elapsed().as_secs_f64(),
    );
    match &report.signing_key {
        Some(path) => out.push_str(&format!("the signing key was restored to {}\n", path.display())),
        None => out.push_str(
            "the backup holds no signing key: start the server with the original key (--signing-key), \
             or packets will be signed by a new key\n",
        ),
    }
    out.push_str(
        "check the audit trail with `pcmh audit verify`; `pcmh serve` applies any newer migrations at start\n",
    );
    Ok(out)
}
