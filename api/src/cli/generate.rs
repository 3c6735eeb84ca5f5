//! `pcmh demo generate` (being written).

use super::{DemoCommand, Outcome};

/// Runs a demo command.
pub fn run(command: &DemoCommand) -> Outcome {
    match command {
        DemoCommand::Generate { .. } => Err("pcmh demo generate: not available yet".into()),
    }
}
