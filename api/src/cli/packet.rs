//! `pcmh packet verify`: checks an auditor packet offline.

use std::fs::File;
use std::io::BufReader;

use super::{Outcome, PacketCommand};

/// Runs a packet command.
pub fn run(command: &PacketCommand) -> Outcome {
    match command {
        PacketCommand::Verify { packet, public_key } => {
            let key = match public_key {
                Some(path) => Some(read_key(path)?),
                None => None,
            };
            let file =
                File::open(packet).map_err(|e| format!("pcmh packet verify: cannot read {}: {e}", packet.display()))?;
            let verified = pcmh_core::packet::verify(BufReader::new(file), key.as_deref())
                .map_err(|why| format!("pcmh packet verify: {}: {why}", packet.display()))?;
            let prefix = &verified.public_key[..16];
            let whose = if verified.key_given {
                "the public key given"
            } else {
                "the packet's own key; pass --public-key to check it is the server's"
            };
            Ok(format!(
                "packet verified: {} files, signed by {prefix} ({whose})",
                verified.files
            ))
        }
    }
}

/// The public key in `path`: 64 hex digits, alone or as the `public_key` of `GET /api/v1/signing-key`.
fn read_key(path: &std::path::Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("pcmh packet verify: cannot read {}: {e}", path.display()))?;
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        if let Some(key) = value.get("public_key").and_then(|k| k.as_str()) {
            return Ok(key.to_owned());
        }
    }
    Ok(text.trim().to_owned())
}
