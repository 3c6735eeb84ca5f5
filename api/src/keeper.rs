//! The background worker that keeps evaluations current: every few seconds it evaluates the
//! practices whose records changed (or whose day turned) for the days the PO views read by
//! default, so that users' requests find them kept.

use std::sync::Arc;
use std::time::Duration;

use pcmh_core::actions::kept;
use pcmh_core::catalog::CatalogSet;
use pcmh_core::store::Store;

/// Practices evaluated in one pass at most (a pass that leaves some runs again at once).
const PER_PASS: usize = 200;

/// Starts the worker on its own thread; it runs until the process ends.
pub fn start(store: Store, catalogs: Arc<CatalogSet>, every: Duration) {
    let spawned = std::thread::Builder::new()
        .name("keep-evaluations".into())
        .spawn(move || loop {
            let pause = match kept::refresh(&store, &catalogs, chrono::Utc::now(), PER_PASS) {
                Ok(done) => {
                    if done.practices + done.organizations + done.forgotten > 0 {
                        tracing::debug!(
                            practices = done.practices,
                            organizations = done.organizations,
                            forgotten = done.forgotten,
                            "kept evaluations refreshed"
                        );
                    }
                    if done.more {
                        Duration::ZERO
                    } else {
                        every
                    }
                }
                Err(e) => {
                    tracing::warn!("kept evaluations could not be refreshed: {e}");
                    every.max(Duration::from_secs(5))
                }
            };
            std::thread::sleep(pause);
        });
    if let Err(e) = spawned {
        tracing::warn!(
            "the worker keeping evaluations current did not start: {e}; views compute what is missing when asked"
        );
    }
}
