//! The browser tests: tests/browser/ (Python, pytest + Playwright + axe) drive Debian's Chromium
//! against the real `pcmh serve --demo`, on SQLite and, when a PostgreSQL server is configured,
//! on PostgreSQL.
//!
//! They need a Python whose venv has tests/browser/requirements.txt installed, named by
//! `PCMH_BROWSER_PYTHON`, and `/usr/bin/chromium`; `.ci/run` sets both up. Without the Python
//! they print that they are skipped. Screenshots of every page visited land in
//! target/browser-screenshots/<backend>/.

mod common;

use std::ffi::OsStr;
use std::sync::Mutex;
use std::time::Duration;

use common::python::{say, Suite};
use common::{repo_root, POSTGRES_ENV};

const PYTHON_ENV: &str = "PCMH_BROWSER_PYTHON";
/// A whole run takes a few minutes; past this something hangs (a browser, a server).
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
    if common::postgres_url().is_none() {
        say(&format!(
            "SKIPPED browser_postgres: set {POSTGRES_ENV} to run the browser tests on PostgreSQL"
        ));
        return;
    }
    // The tests marked `postgres` in tests/browser.
    run_suite("postgres", &["-m", "postgres"]);
}

/// Runs `python -m pytest tests/browser -q -x EXTRA` on `backend` and asserts it passes.
fn run_suite(backend: &str, extra: &[&str]) {
    let Some(python) = std::env::var_os(PYTHON_ENV).filter(|p| !p.is_empty()) else {
        say(&format!("SKIPPED browser tests: set {PYTHON_ENV} (see .ci/run)"));
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let root = repo_root();
    let screenshots = root.join("target").join("browser-screenshots").join(backend);
    let mut args = vec!["tests/browser", "-q", "-x"];
    args.extend_from_slice(extra);
    let status = Suite {
        name: &format!("browser tests on {backend}"),
        python: &python,
        args: &args,
        env: &[
            ("PCMH_REPO", root.as_os_str()),
            ("PCMH_BROWSER_BACKEND", OsStr::new(backend)),
            ("PCMH_SCREENSHOT_DIR", screenshots.as_os_str()),
        ],
        deadline: DEADLINE,
    }
    .run();
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
