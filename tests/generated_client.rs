//! A client generated from openapi/openapi.json by a second, independent generator
//! (openapi-python-client) records a training and reads a practice's compliance against the
//! real `pcmh serve --demo`: tests/contract/test_generated_client.py (pytest).
//!
//! It needs a Python whose venv has tests/contract/requirements.txt installed, named by
//! `PCMH_CONTRACT_PYTHON`; `.ci/run` sets it up. Without it the test prints that it is skipped.
//! (The fuzzer of the same folder, tests/contract/fuzz.py, is run by `.ci/run` after the tests.)

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PYTHON_ENV: &str = "PCMH_CONTRACT_PYTHON";
/// Generating the client and the round trip take seconds; past this something hangs.
const DEADLINE: Duration = Duration::from_secs(10 * 60);

/// Prints past the test harness's capture, so the result shows in every `cargo test` log.
fn say(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", text.trim_end());
}

#[test]
fn generated_client_round_trip() {
    let Some(python) = std::env::var_os(PYTHON_ENV).filter(|p| !p.is_empty()) else {
        say(&format!(
            "SKIPPED generated_client_round_trip: set {PYTHON_ENV} (see .ci/run and tests/contract/README.md)"
        ));
        return;
    };
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let log_path = std::env::temp_dir().join(format!("pcmh-generated-client-{}.log", std::process::id()));
    let log = File::create(&log_path).expect("a log file for pytest");
    let mut command = Command::new(&python);
    command
        .args(["-m", "pytest", "tests/contract", "-q"])
        .current_dir(&root)
        .env("PCMH_BIN", env!("CARGO_BIN_EXE_pcmh"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("the log file"))
        .stderr(log);
    // Its own process group, so a run past the deadline is ended with its server.
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
        "generated client ({:.0} s):\n{output}",
        started.elapsed().as_secs_f64()
    ));
    match status {
        None => panic!(
            "the generated client's tests ran past {} s and were stopped",
            DEADLINE.as_secs()
        ),
        Some(status) => assert!(status.success(), "the generated client's tests failed ({status})"),
    }
}
