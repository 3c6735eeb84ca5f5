//! The server's log: `tracing` events on standard error, as text lines for people or as one
//! JSON object per line for log collectors.
//!
//! What may be logged is narrow: ids (of requests, tokens, accounts, records), route templates,
//! statuses, durations and failures' causes. Never a request body, a query string, a password, a
//! token, a session id, a staff member's name or a patient reference.

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// A line of text per event, for people.
    Text,
    /// A JSON object per line, for log collectors.
    Json,
}

/// Starts logging to standard error. `level` is a `RUST_LOG`-style filter (`info`,
/// `warn,pcmh=debug`); without one, `RUST_LOG` decides, else `info`.
pub fn init(format: LogFormat, level: Option<&str>) -> Result<(), String> {
    let filter = match level.map(str::to_owned).or_else(|| std::env::var("RUST_LOG").ok()) {
        Some(text) if !text.trim().is_empty() => {
            EnvFilter::try_new(&text).map_err(|e| format!("pcmh serve: the log level {text:?} is not valid: {e}"))?
        }
        _ => EnvFilter::new("info"),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let done = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    done.map_err(|e| format!("pcmh serve: the log could not be started: {e}"))
}
