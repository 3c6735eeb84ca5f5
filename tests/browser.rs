//! The browser tests: tests/browser/ (Python, pytest + Playwright + axe) drive Debian's Chromium
//! against the real `pcmh serve --demo`, on SQLite and, when a PostgreSQL server is configured,
//! on PostgreSQL.
//!
//! They need a Python whose venv has tests/browser/requirements.txt installed, named by
//! `PCMH_BROWSER_PYTHON`, and `/usr/bin/chromium`; `.ci/run` sets both up. Without the Python
//! they print that they are skipped. Screenshots of every page visited land in
//! target/browser-screenshots/<backend>/.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const PYTHON_ENV: &str = "PCMH_BROWSER_PYTHON";
const POSTGRES_ENV: &str = "PCMH_TEST_POSTGRES_URL";
/// A whole run takes well under a minute; past this something hangs (a browser, a server).
const DEADLINE: Duration = Duration::from_secs(15 * 60);

/// One suite at a time: the idle-timeout test measures seconds, and two browsers with two
/// servers at once on a small CI machine could stretch them.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn browser_sqlite() {
    run_suite("sqlite", &[]);
}

#[test]
fn browser_postgres() {
    if std::env::var(POSTGRES_ENV).map_or(true, |url| url.is_empty()) {
        say(&format!(
            "SKIPPED browser_postgres: set {POSTGRES_ENV} to run the browser tests on PostgreSQL"
        ));
        return;
    }
    // The tests marked `postgres` in tests/browser.
    run_suite("postgres", &["-m", "postgres"]);
}

fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Prints past the test harness's capture, so the result shows in every `cargo test` log.
fn say(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", text.trim_end());
}

/// Runs `python -m pytest tests/browser -q -x EXTRA` on `backend` and asserts it passes.
fn run_suite(backend: &str, extra: &[&str]) {
    let Some(python) = std::env::var_os(PYTHON_ENV).filter(|p| !p.is_empty()) else {
        say(&format!("SKIPPED browser tests: set {PYTHON_ENV} (see .ci/run)"));
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let root = repo_root();
    let log_path = std::env::temp_dir().join(format!("pcmh-browser-{backend}-{}.log", std::process::id()));
    let log = File::create(&log_path).expect("a log file for pytest");
    let mut command = Command::new(&python);
    command
        .args(["-m", "pytest", "tests/browser", "-q", "-x"])
        .args(extra)
        .current_dir(&root)
        .env("PCMH_BIN", env!("CARGO_BIN_EXE_pcmh"))
        .env("PCMH_REPO", &root)
        .env("PCMH_BROWSER_BACKEND", backend)
        .env(
            "PCMH_SCREENSHOT_DIR",
            root.join("target").join("browser-screenshots").join(backend),
        )
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("the log file"))
        .stderr(log);
    // Its own process group, so a run past the deadline is ended with the browser and servers.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{PYTHON_ENV}={python:?} did not start: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("pytest's status") {
            break Some(status);
        }
        if started.elapsed() > DEADLINE {
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    say(&format!(
        "browser tests on {backend} ({:.0} s):\n{output}",
        started.elapsed().as_secs_f64()
    ));
    match status {
        None => panic!(
            "the browser tests on {backend} ran past {} s and were stopped",
            DEADLINE.as_secs()
        ),
        Some(status) => assert!(
            status.success(),
            "the browser tests on {backend} failed ({status}); screenshots are in target/browser-screenshots/{backend}/"
        ),
    }
}
