//! `pcmh backup` and `pcmh restore` against real servers on SQLite and PostgreSQL: a backup
//! of a running server restores every record and document, a second backup copies only new
//! files, a damaged backup or a target holding data is refused, the signing key travels only
//! when asked, writes acknowledged before a backup under load are all restored; and an upload
//! into a data folder whose disk is full is refused with 507, leaving nothing behind.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{fresh_postgres_database, organization_with_practice, pcmh_on, try_http_with, Backend, Response, Server};
use pcmh_core::hash::sha256_hex;
use serde_json::{json, Value};

both_backends! {
    a_backup_of_a_running_server_restores_every_record_and_document => a_backup_of_a_running_server_restores_every_record_and_document;
    a_second_backup_copies_only_new_files => a_second_backup_copies_only_new_files;
    a_damaged_backup_is_refused_naming_the_file => a_damaged_backup_is_refused_naming_the_file;
    a_target_holding_data_is_refused => a_target_holding_data_is_refused;
    the_signing_key_is_backed_up_only_when_asked => the_signing_key_is_backed_up_only_when_asked;
    writes_acknowledged_before_a_backup_under_load_are_restored => writes_acknowledged_before_a_backup_under_load_are_restored;
    a_full_disk_refuses_an_upload_with_507_and_keeps_nothing => a_full_disk_refuses_an_upload_with_507_and_keeps_nothing;
}

/// Runs `pcmh ARGS` with `--database-url URL --data-dir DIR`, returning what it did.
fn pcmh(args: &[&str], database_url: &str, data_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pcmh"))
        .args(args)
        .args(["--database-url", database_url])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("PCMH_DATABASE_URL")
        .env_remove("PCMH_SIGNING_KEY")
        .output()
        .expect("pcmh runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Backs up the server's database and files into `to`; returns what the command printed.
fn backup(server: &Server, to: &Path, extra: &[&str]) -> String {
    let mut args = vec!["backup", "--to", to.to_str().unwrap()];
    args.extend_from_slice(extra);
    pcmh_on(server, &args)
}

/// A place to restore into: an empty data folder and a database that does not exist yet (SQLite)
/// or is empty (PostgreSQL).
fn fresh_target(backend: Backend) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("pcmh.sqlite3").display()),
        Backend::Postgres => fresh_postgres_database(),
    };
    (dir, url)
}

/// Restores `from` into the target; returns the command's output (not checked).
fn restore(from: &Path, url: &str, data_dir: &Path) -> Output {
    pcmh(&["restore", "--from", from.to_str().unwrap()], url, data_dir)
}

/// A `multipart/form-data` upload of `bytes` with a metadata part.
fn upload(server: &Server, practice: i64, title: &str, bytes: &[u8]) -> Response {
    let boundary = "pcmh-backup-test-boundary-5be1";
    let metadata = json!({"title": title, "document_type": "care_management_workflow", "criteria": ["4.2"], "effective_on": "2026-01-10"});
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{title}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    server.request(
        "POST",
        &format!("/api/v1/practices/{practice}/documents"),
        Some(&format!("multipart/form-data; boundary={boundary}")),
        &body,
    )
}

fn uploaded(server: &Server, practice: i64, title: &str, bytes: &[u8]) -> Value {
    let response = upload(server, practice, title, bytes);
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

/// Bytes of a file that differ by `seed`.
fn file_bytes(seed: u32, len: usize) -> Vec<u8> {
    let mut bytes = format!("%PDF-1.7 evidence {seed}\n").into_bytes();
    bytes.extend((0..len).map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8));
    bytes
}

fn get_ok(server: &Server, path: &str) -> Value {
    let response = server.get(path);
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    response.json()
}

/// Everything a server holds that a restore must bring back, read over HTTP: the POs, their
/// practices, and each practice's staff, trainings and documents.
fn everything(server: &Server) -> BTreeMap<String, Value> {
    let mut seen = BTreeMap::new();
    let organizations = get_ok(server, "/api/v1/organizations?limit=500");
    for po in organizations["items"].as_array().unwrap() {
        let po_id = po["id"].as_i64().unwrap();
        let practices = get_ok(server, &format!("/api/v1/organizations/{po_id}/practices?limit=500"));
        for practice in practices["items"].as_array().unwrap() {
            let id = practice["id"].as_i64().unwrap();
            for kind in ["staff", "trainings", "documents"] {
                let path = format!("/api/v1/practices/{id}/{kind}?limit=500");
                seen.insert(path.clone(), get_ok(server, &path));
            }
        }
        seen.insert(format!("organization {po_id} practices"), practices);
    }
    seen.insert("organizations".into(), organizations);
    seen
}

/// Every document's content, read back, has the SHA-256 its record gives; returns how many.
fn contents_match(server: &Server, records: &BTreeMap<String, Value>) -> usize {
    let mut checked = 0;
    for (path, list) in records {
        let Some(base) = path.strip_suffix("?limit=500").filter(|p| p.ends_with("/documents")) else {
            continue;
        };
        for document in list["items"].as_array().unwrap() {
            let id = document["id"].as_i64().unwrap();
            let content = server.get(&format!("{base}/{id}/content"));
            assert_eq!(content.status, 200, "{base}/{id}/content: {}", content.text());
            assert_eq!(
                Some(sha256_hex(&content.body).as_str()),
                document["sha256"].as_str(),
                "{base}/{id}"
            );
            checked += 1;
        }
    }
    checked
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("backup.json")).expect("a manifest")).expect("JSON")
}

/// The evidence files of a backup with their modification times.
fn backed_up_files(dir: &Path) -> BTreeMap<PathBuf, SystemTime> {
    let mut files = BTreeMap::new();
    let Ok(prefixes) = std::fs::read_dir(dir.join("files")) else {
        return files;
    };
    for prefix in prefixes {
        for file in std::fs::read_dir(prefix.unwrap().path()).unwrap() {
            let file = file.unwrap();
            files.insert(file.path(), file.metadata().unwrap().modified().unwrap());
        }
    }
    files
}

fn audit_verifies(url: &str, data_dir: &Path) {
    let verified = pcmh(&["audit", "verify"], url, data_dir);
    assert!(verified.status.success(), "pcmh audit verify: {}", stderr(&verified));
    assert!(
        stdout(&verified).contains("audit chain intact"),
        "{}",
        stdout(&verified)
    );
}

fn a_backup_of_a_running_server_restores_every_record_and_document(backend: Backend) {
    let server = Server::start_with(backend, &["--demo"]);
    let (_, practice) = organization_with_practice(&server, "Backup Clinic");
    uploaded(&server, practice, "workflow", &file_bytes(1, 20_000));
    uploaded(&server, practice, "empty", b"");
    let before = everything(&server);
    let documents = contents_match(&server, &before);
    assert!(documents >= 3, "the demo's documents and two more: {documents}");

    let dir = tempfile::tempdir().unwrap();
    let said = backup(&server, dir.path(), &[]);
    assert!(said.contains("copied"), "{said}");
    let manifest = manifest(dir.path());
    let kind = if backend == Backend::Sqlite {
        "sqlite"
    } else {
        "postgresql"
    };
    assert_eq!(manifest["format"], "pcmh-backup/1");
    assert_eq!(manifest["database"], kind);
    assert_eq!(
        manifest["schema_version"].as_str().map(str::len),
        Some(14),
        "{manifest}"
    );
    assert!(manifest["created_at"].as_str().unwrap().ends_with('Z'));
    // The manifest gives every file's SHA-256, and every file is listed.
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let bytes = std::fs::read(dir.path().join(path)).unwrap();
            assert_eq!(f["sha256"].as_str(), Some(sha256_hex(&bytes).as_str()), "{path}");
            path
        })
        .collect();
    assert!(listed.contains(&manifest["database_file"].as_str().unwrap()));
    assert_eq!(listed.len(), 1 + backed_up_files(dir.path()).len());

    let (target, url) = fresh_target(backend);
    let restored = restore(dir.path(), &url, target.path());
    assert!(restored.status.success(), "pcmh restore: {}", stderr(&restored));
    audit_verifies(&url, target.path());

    let restored = Server::start_in(backend, target, url, &[]);
    let after = everything(&restored);
    assert_eq!(after, before, "the restored server holds the same records");
    assert_eq!(contents_match(&restored, &after), documents);
    audit_verifies(&restored.database_url, restored.data_dir.path());
}

fn a_second_backup_copies_only_new_files(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Twice Clinic");
    uploaded(&server, practice, "one", &file_bytes(1, 5_000));
    uploaded(&server, practice, "two", &file_bytes(2, 5_000));
    let dir = tempfile::tempdir().unwrap();
    let first = backup(&server, dir.path(), &[]);
    assert!(first.contains("2 copied"), "{first}");
    let files = backed_up_files(dir.path());
    assert_eq!(files.len(), 2);
    let first_database = manifest(dir.path())["database_file"].as_str().unwrap().to_owned();

    std::thread::sleep(Duration::from_millis(50));
    let third = uploaded(&server, practice, "three", &file_bytes(3, 5_000));
    let second = backup(&server, dir.path(), &[]);
    assert!(
        second.contains("1 copied") && second.contains("2 already in the backup"),
        "{second}"
    );
    let now = backed_up_files(dir.path());
    assert_eq!(now.len(), 3);
    for (path, modified) in &files {
        assert_eq!(now.get(path), Some(modified), "{} was copied again", path.display());
    }
    let sha = third["sha256"].as_str().unwrap();
    assert!(now.keys().any(|p| p.ends_with(sha)));
    // One database copy: the earlier one is replaced once the new manifest is written.
    let manifest = manifest(dir.path());
    assert_ne!(manifest["database_file"].as_str().unwrap(), first_database);
    assert!(!dir.path().join(&first_database).exists());
    let databases = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("database-")
        })
        .count();
    assert_eq!(databases, 1);

    // The folder restores to the newer state.
    let (target, url) = fresh_target(backend);
    let restored = restore(dir.path(), &url, target.path());
    assert!(restored.status.success(), "{}", stderr(&restored));
    let restored = Server::start_in(backend, target, url, &[]);
    let list = get_ok(&restored, &format!("/api/v1/practices/{practice}/documents"));
    assert_eq!(list["total"], 3);
}

fn a_damaged_backup_is_refused_naming_the_file(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Damage Clinic");
    let document = uploaded(&server, practice, "policy", &file_bytes(7, 3_000));
    let dir = tempfile::tempdir().unwrap();
    backup(&server, dir.path(), &[]);
    let sha = document["sha256"].as_str().unwrap();
    let evidence = dir.path().join("files").join(&sha[..2]).join(sha);
    let good = std::fs::read(&evidence).unwrap();
    let database = dir.path().join(manifest(dir.path())["database_file"].as_str().unwrap());
    let good_database = std::fs::read(&database).unwrap();

    let (target, url) = fresh_target(backend);
    let mut bad = good.clone();
    bad[10] ^= 0x01;
    std::fs::write(&evidence, &bad).unwrap();
    let refused = restore(dir.path(), &url, target.path());
    assert_eq!(refused.status.code(), Some(1));
    let said = stderr(&refused);
    assert!(
        said.contains("damaged") && said.contains(&format!("files/{}/{sha}", &sha[..2])),
        "{said}"
    );
    assert_eq!(
        std::fs::read_dir(target.path()).unwrap().count(),
        0,
        "nothing was restored"
    );

    std::fs::write(&evidence, &good).unwrap();
    let mut bad_database = good_database.clone();
    let last = bad_database.len() - 1;
    bad_database[last] ^= 0x40;
    std::fs::write(&database, &bad_database).unwrap();
    let said = stderr(&restore(dir.path(), &url, target.path()));
    let name = database.file_name().unwrap().to_string_lossy().into_owned();
    assert!(said.contains("damaged") && said.contains(&name), "{said}");

    std::fs::remove_file(&database).unwrap();
    let said = stderr(&restore(dir.path(), &url, target.path()));
    assert!(said.contains("damaged") && said.contains(&name), "{said}");
    assert_eq!(
        std::fs::read_dir(target.path()).unwrap().count(),
        0,
        "nothing was restored"
    );

    // Mended, it restores.
    std::fs::write(&database, &good_database).unwrap();
    let restored = restore(dir.path(), &url, target.path());
    assert!(restored.status.success(), "{}", stderr(&restored));
    if backend == Backend::Postgres {
        // The test made this database: drop it with a server on it.
        drop(Server::start_in(backend, target, url, &[]));
    }
}

fn a_target_holding_data_is_refused(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Full Clinic");
    uploaded(&server, practice, "policy", &file_bytes(9, 1_000));
    let dir = tempfile::tempdir().unwrap();
    backup(&server, dir.path(), &[]);

    // Restoring over the server's own database and data folder never overwrites them.
    let refused = restore(dir.path(), &server.database_url, server.data_dir.path());
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    assert!(stderr(&refused).contains("not empty"), "{}", stderr(&refused));

    // An empty data folder but a database holding data.
    let empty = tempfile::tempdir().unwrap();
    let refused = restore(dir.path(), &server.database_url, empty.path());
    assert_eq!(refused.status.code(), Some(1));
    let said = stderr(&refused);
    assert!(said.contains("already exists") || said.contains("not empty"), "{said}");
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);

    // A restored target cannot be restored into again.
    let (target, url) = fresh_target(backend);
    assert!(restore(dir.path(), &url, target.path()).status.success());
    let again = restore(dir.path(), &url, target.path());
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
    let restored = Server::start_in(backend, target, url, &[]);
    assert_eq!(
        get_ok(&restored, &format!("/api/v1/practices/{practice}/documents"))["total"],
        1
    );

    // A backup goes only into an empty folder or one of this database's backups.
    let stray = tempfile::tempdir().unwrap();
    std::fs::write(stray.path().join("notes.txt"), b"not a backup").unwrap();
    let refused = pcmh(
        &["backup", "--to", stray.path().to_str().unwrap()],
        &server.database_url,
        server.data_dir.path(),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("holds no pcmh backup"),
        "{}",
        stderr(&refused)
    );
    let other = Server::start(backend);
    let refused = pcmh(
        &["backup", "--to", dir.path().to_str().unwrap()],
        &other.database_url,
        other.data_dir.path(),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("another database"), "{}", stderr(&refused));
    // Refused, the backup folder still restores.
    let (target, url) = fresh_target(backend);
    assert!(restore(dir.path(), &url, target.path()).status.success());
    if backend == Backend::Postgres {
        drop(Server::start_in(backend, target, url, &[]));
        // Without pg_dump, a PostgreSQL backup says what it needs.
        let bare = tempfile::tempdir().unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_pcmh"))
            .args(["backup", "--to"])
            .arg(bare.path().join("backup"))
            .args(["--database-url", &server.database_url])
            .arg("--data-dir")
            .arg(server.data_dir.path())
            .env("PATH", bare.path())
            .env_remove("PCMH_DATABASE_URL")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        assert!(
            stderr(&output).contains("pg_dump was not found on PATH"),
            "{}",
            stderr(&output)
        );
    }
}

fn the_signing_key_is_backed_up_only_when_asked(backend: Backend) {
    let server = Server::start(backend);
    organization_with_practice(&server, "Key Clinic");
    let public_key = get_ok(&server, "/api/v1/signing-key")["public_key"].clone();
    let key = std::fs::read(server.data_dir.path().join("signing-key")).unwrap();

    let without = tempfile::tempdir().unwrap();
    let said = backup(&server, without.path(), &[]);
    assert!(said.contains("not in the backup"), "{said}");
    assert!(!without.path().join("signing-key").exists());
    assert_eq!(manifest(without.path())["signing_key"], false);
    let text = std::fs::read_to_string(without.path().join("backup.json")).unwrap();
    assert!(!text.contains("signing-key"), "{text}");

    let with = tempfile::tempdir().unwrap();
    backup(&server, with.path(), &["--include-signing-key"]);
    assert_eq!(std::fs::read(with.path().join("signing-key")).unwrap(), key);
    assert_eq!(manifest(with.path())["signing_key"], true);

    // Restored, the server signs with the same key.
    let (target, url) = fresh_target(backend);
    let restored = restore(with.path(), &url, target.path());
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert_eq!(std::fs::read(target.path().join("signing-key")).unwrap(), key);
    let restored = Server::start_in(backend, target, url, &[]);
    assert_eq!(get_ok(&restored, "/api/v1/signing-key")["public_key"], public_key);

    // A later backup without the flag into that folder takes the key out.
    backup(&server, with.path(), &[]);
    assert!(!with.path().join("signing-key").exists());
    assert_eq!(manifest(with.path())["signing_key"], false);
}

fn writes_acknowledged_before_a_backup_under_load_are_restored(backend: Backend) {
    let server = Arc::new(Server::start_with(backend, &["--demo"]));
    let (_, practice) = organization_with_practice(&server, "Busy Clinic");
    let staff = server.create(
        &format!("/api/v1/practices/{practice}/staff"),
        &json!({"name": "Dana Writer", "role": "nurse", "started_on": "2020-01-01"}),
    )["id"]
        .as_i64()
        .unwrap();
    let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let topics = ["pcmh_n_model", "chronic_care_model", "practice_transformation"];
    let writers: Vec<_> = (0..3)
        .map(|writer| {
            let (server, acknowledged, stop) = (server.clone(), acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0i64;
                while !stop.load(Ordering::SeqCst) {
                    let day = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap() + chrono::Days::new(n as u64);
                    let body = json!({"staff_id": staff, "topic": topics[writer], "completed_on": day.to_string(), "hours": 1});
                    let response = server.post(&format!("/api/v1/practices/{practice}/trainings"), &body);
                    assert_eq!(response.status, 201, "{}", response.text());
                    acknowledged.lock().unwrap().push(response.json()["id"].as_i64().unwrap());
                    n += 1;
                }
                n
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    let before: Vec<i64> = acknowledged.lock().unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let said = backup(&server, dir.path(), &[]);
    let during = acknowledged.lock().unwrap().len() - before.len();
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let written: i64 = writers.into_iter().map(|w| w.join().expect("a writer")).sum();
    assert!(
        before.len() >= 3,
        "the writers wrote before the backup: {}",
        before.len()
    );
    eprintln!(
        "{} writes acknowledged before the backup, {during} while it ran, {written} in all; {said}",
        before.len()
    );

    let (target, url) = fresh_target(backend);
    let restored = restore(dir.path(), &url, target.path());
    assert!(restored.status.success(), "{}", stderr(&restored));
    audit_verifies(&url, target.path());
    let restored = Server::start_in(backend, target, url, &[]);
    for id in &before {
        let read = restored.get(&format!("/api/v1/practices/{practice}/trainings/{id}"));
        assert_eq!(
            read.status, 200,
            "training {id}, acknowledged before the backup, is restored"
        );
    }
    let total = get_ok(&restored, &format!("/api/v1/practices/{practice}/trainings?limit=1"))["total"]
        .as_i64()
        .unwrap();
    assert!(
        total as usize >= before.len() && total <= written,
        "{total} trainings restored"
    );
}

/// A tmpfs mounted on a folder, unmounted when dropped.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Mounts a tmpfs of `size` on `dir`, or says why it cannot: the fault tests
/// (`PCMH_FAULT_TESTS=1`, as in CI) then fail, other runs skip.
fn mount_small_disk(dir: &Path, size: &str) -> Option<Mounted> {
    std::fs::create_dir_all(dir).unwrap();
    let output = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .output();
    let why = match output {
        Ok(output) if output.status.success() => return Some(Mounted(dir.to_path_buf())),
        Ok(output) => stderr(&output),
        Err(e) => e.to_string(),
    };
    let reason = format!(
        "a tmpfs cannot be mounted here ({}): the full-disk test needs root",
        why.trim()
    );
    assert!(std::env::var("PCMH_FAULT_TESTS").as_deref() != Ok("1"), "{reason}");
    eprintln!("SKIPPED the full-disk test: {reason}; PCMH_FAULT_TESTS=1 makes this a failure");
    None
}

/// The files under `dir`, at any depth.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                folders.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

fn a_full_disk_refuses_an_upload_with_507_and_keeps_nothing(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Disk Clinic");
    // Only the evidence files sit on the small disk; the database (SQLite's file, or
    // PostgreSQL) is elsewhere.
    let evidence = server.data_dir.path().join("evidence");
    let Some(_mounted) = mount_small_disk(&evidence, "4m") else {
        return;
    };
    let first = uploaded(&server, practice, "small", &file_bytes(1, 200_000));
    // Something else fills the disk.
    let ballast = evidence.join("ballast");
    let filled = std::fs::write(&ballast, vec![0u8; 4 * 1024 * 1024]);
    assert!(filled.is_err(), "the 4 MiB disk is full");
    let before = files_under(&evidence);

    let bytes = file_bytes(2, 600_000);
    let refused = upload(&server, practice, "large", &bytes);
    assert_eq!(refused.status, 507, "{}", refused.text());
    let error = refused.json();
    assert_eq!(error["error"]["code"], "insufficient_storage", "{error}");
    assert!(
        error["error"]["message"].as_str().unwrap().contains("storage is full"),
        "{error}"
    );
    assert_eq!(files_under(&evidence), before, "no partial file is left");
    let list = get_ok(&server, &format!("/api/v1/practices/{practice}/documents"));
    assert_eq!(list["total"], 1, "no document row: {list}");
    assert!(!server.log_text().contains("panicked"));

    // On the page, the upload form comes back saying so.
    let page = upload_on_page(&server, practice, "large", &bytes);
    assert_eq!(page.status, 422, "{}", page.text());
    assert!(page.text().contains("storage is full"), "{}", page.text());
    assert_eq!(files_under(&evidence), before, "no partial file is left");
    let list = get_ok(&server, &format!("/api/v1/practices/{practice}/documents"));
    assert_eq!(list["total"], 1, "no document row: {list}");

    // Space is freed: the same upload succeeds, and reads back whole.
    std::fs::remove_file(&ballast).unwrap();
    let stored = uploaded(&server, practice, "large", &bytes);
    assert_eq!(stored["sha256"].as_str(), Some(sha256_hex(&bytes).as_str()));
    let id = stored["id"].as_i64().unwrap();
    let content = server.get(&format!("/api/v1/practices/{practice}/documents/{id}/content"));
    assert_eq!(content.body, bytes);
    assert_ne!(first["sha256"], stored["sha256"]);
    let list = get_ok(&server, &format!("/api/v1/practices/{practice}/documents"));
    assert_eq!(list["total"], 2);
}

/// Uploads `bytes` through the practice's documents page, as a practice manager signed in
/// with a fresh account.
fn upload_on_page(server: &Server, practice: i64, title: &str, bytes: &[u8]) -> Response {
    let link = pcmh_on(
        server,
        &[
            "user",
            "invite",
            "--email",
            "disk.manager@example.org",
            "--role",
            "practice_manager",
            "--practice",
            &practice.to_string(),
            "--public-url",
            "http://example.test",
        ],
    );
    let invitation = link.strip_prefix("http://example.test").expect("an invitation path");
    let origin = format!("http://{}", server.address);
    let set = try_http_with(
        &server.address,
        "POST",
        invitation,
        &[("Origin", &origin)],
        Some("application/x-www-form-urlencoded"),
        b"password=a+long+enough+password&password_confirm=a+long+enough+password",
    )
    .unwrap();
    assert_eq!(set.status, 303, "{}", set.text());
    let session = set
        .headers
        .iter()
        .find_map(|(n, v)| {
            n.eq_ignore_ascii_case("set-cookie")
                .then(|| v.strip_prefix("pcmh_session="))
                .flatten()
        })
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let cookie = format!("pcmh_session={session}");
    let path = format!("/practices/{practice}/documents");
    let page = try_http_with(&server.address, "GET", &path, &[("Cookie", &cookie)], None, b"").unwrap();
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    let at = text.find("name=\"csrf-token\" content=\"").expect("a CSRF token") + 27;
    let csrf = &text[at..at + text[at..].find('"').unwrap()];
    let boundary = "pcmh-page-boundary-77a0";
    let mut body = Vec::new();
    for (name, value) in [
        ("csrf_token", csrf),
        ("title", title),
        ("document_type", "care_management_workflow"),
        ("criteria", "4.2"),
        ("effective_on", "2026-01-10"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{title}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    try_http_with(
        &server.address,
        "POST",
        &path,
        &[("Cookie", &cookie), ("Origin", &origin)],
        Some(&format!("multipart/form-data; boundary={boundary}")),
        &body,
    )
    .unwrap()
}
