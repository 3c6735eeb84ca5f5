//! `pcmh packet verify` (being written).

use super::{Outcome, PacketCommand};

/// Runs a packet command.
pub fn run(command: &PacketCommand) -> Outcome {
    match command {
        PacketCommand::Verify { .. } => Err("pcmh packet verify: not available yet".into()),
    }
}
