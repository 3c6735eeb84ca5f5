//! PO-wide views computed from records rather than read from kept evaluations (the matrix as
//! known on a past day, the PO's OSCAL) load every record of every practice of the PO: with a
//! thousand practices that is hundreds of megabytes for each one computed. At most so many are computed at once; the others wait their turn for a few
//! seconds and are then answered 503 with `Retry-After`, so that analysts pressing refresh
//! together cannot take the server's memory.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;

/// Seconds a client is told to wait before asking again for a PO-wide view.
const RETRY_AFTER: u64 = 5;

/// The turns of the PO-wide views of one server.
#[derive(Debug)]
pub struct HeavyViews {
    turns: Arc<Semaphore>,
    wait: Duration,
}

/// A turn to compute a PO-wide view: hold it until the computation is over, on the thread
/// that does it (a client that goes away does not end the computation, so its turn is not
/// handed on early).
#[derive(Debug)]
pub struct Turn(#[allow(dead_code, reason = "held, not read")] OwnedSemaphorePermit);

impl HeavyViews {
    /// `at_once` views computed at the same time (at least one); a request waits up to `wait`
    /// for its turn.
    pub fn new(at_once: usize, wait: Duration) -> Self {
        HeavyViews {
            turns: Arc::new(Semaphore::new(at_once.max(1))),
            wait,
        }
    }

    /// A turn when `needed` (a view computed from every record), else none.
    pub async fn turn_if(&self, needed: bool) -> Result<Option<Turn>, ApiError> {
        Ok(if needed { Some(self.turn().await?) } else { None })
    }

    /// Waits for a turn; `ApiError::Busy` when none comes within the wait.
    pub async fn turn(&self) -> Result<Turn, ApiError> {
        let busy = || ApiError::Busy {
            retry_after: RETRY_AFTER,
        };
        if let Ok(permit) = self.turns.clone().try_acquire_owned() {
            return Ok(Turn(permit));
        }
        match tokio::time::timeout(self.wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Turn(permit)),
            _ => Err(busy()),
        }
    }
}

/// Gives up the computation of a request whose client went away: actix drops the request's
/// future when its connection closes, and with it this watch, which sets the flag the
/// computation checks between its steps.
#[derive(Debug, Default)]
pub struct Watch(pcmh_core::actions::Abandoned);

impl Watch {
    /// The flag to hand to the computation.
    pub fn flag(&self) -> pcmh_core::actions::Abandoned {
        self.0.clone()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

impl Default for HeavyViews {
    /// Two at once, waiting up to 10 seconds.
    fn default() -> Self {
        HeavyViews::new(2, Duration::from_secs(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_turn_is_given_back_when_dropped_and_the_next_waits_for_it() {
        let views = HeavyViews::new(1, Duration::from_millis(50));
        let first = views.turn().await.expect("a first turn");
        assert!(matches!(views.turn().await, Err(ApiError::Busy { retry_after: 5 })));
        drop(first);
        assert!(views.turn().await.is_ok(), "the turn came back");
    }

    #[test]
    fn a_dropped_watch_gives_up_its_computation() {
        let watch = Watch::default();
        let flag = watch.flag();
        assert!(flag.check().is_ok());
        drop(watch);
        assert!(matches!(flag.check(), Err(pcmh_core::store::StoreError::Abandoned)));
    }
}
