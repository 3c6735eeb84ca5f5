//! A client generated from openapi/openapi.json by a second, independent generator
//! (openapi-python-client) records a training and reads a practice's compliance against the
//! real `pcmh serve --demo`: tests/contract/test_generated_client.py (pytest).
//!
//! It needs a Python whose venv has tests/contract/requirements.txt installed, named by
//! `PCMH_CONTRACT_PYTHON`; `.ci/run` sets it up. Without it the test prints that it is skipped.
//! (The fuzzer of the same folder, tests/contract/fuzz.py, is run by `.ci/run` after the tests.)

mod common;

use std::time::Duration;

use common::python::{say, Suite};

const PYTHON_ENV: &str = "PCMH_CONTRACT_PYTHON";
/// Generating the client and the round trip take seconds; past this something hangs.
const DEADLINE: Duration = Duration::from_secs(10 * 60);

#[test]
fn generated_client_round_trip() {
    let Some(python) = std::env::var_os(PYTHON_ENV).filter(|p| !p.is_empty()) else {
        say(&format!(
            "SKIPPED generated_client_round_trip: set {PYTHON_ENV} (see .ci/run and tests/contract/README.md)"
        ));
        return;
    };
    let status = Suite {
        name: "generated client",
        python: &python,
        args: &["tests/contract", "-q"],
        env: &[],
        deadline: DEADLINE,
    }
    .run();
    match status {
        None => panic!(
            "the generated client's tests ran past {} s and were stopped",
            DEADLINE.as_secs()
        ),
        Some(status) => assert!(status.success(), "the generated client's tests failed ({status})"),
    }
}
