//! Running a Python test suite (pytest) from a Rust test: in its own process group, its output
//! kept in a log and printed past the harness's capture, and ended together with everything it
//! started (browsers, servers) when it runs past its deadline.

use std::ffi::OsStr;
use std::fs::File;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Prints past the test harness's capture, so the result shows in every `cargo test` log.
pub fn say(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", text.trim_end());
}

/// A run of a suite.
pub struct Suite<'a> {
    /// What the log calls it ("browser tests on sqlite").
    pub name: &'a str,
    /// The Python of the venv with the suite's pinned packages.
    pub python: &'a OsStr,
    /// pytest's arguments (the folder first).
    pub args: &'a [&'a str],
    /// Environment variables for the suite, beside `PCMH_BIN` (the `pcmh` under test).
    pub env: &'a [(&'a str, &'a OsStr)],
    /// How long it may run before it is ended.
    pub deadline: Duration,
}

impl Suite<'_> {
    /// Runs the suite from the repository's root and prints its output; the exit status, or
    /// `None` when it ran past the deadline and was ended.
    pub fn run(&self) -> Option<ExitStatus> {
        let root = super::repo_root();
        let log_path = std::env::temp_dir().join(format!(
            "pcmh-pytest-{}-{}.log",
            self.name.replace(' ', "-"),
            std::process::id()
        ));
        let log = File::create(&log_path).expect("a log file for pytest");
        let mut command = Command::new(self.python);
        command
            .args(["-m", "pytest"])
            .args(self.args)
            .current_dir(&root)
            .env("PCMH_BIN", env!("CARGO_BIN_EXE_pcmh"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .envs(self.env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log);
        // Its own process group, so a run past the deadline is ended with what it started.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{:?} did not start: {e}", self.python));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("pytest's status") {
                break Some(status);
            }
            if started.elapsed() > self.deadline {
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
            "{} ({:.0} s):\n{output}",
            self.name,
            started.elapsed().as_secs_f64()
        ));
        status
    }
}
