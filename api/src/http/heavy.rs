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

/// A client's connection, kept with the request so that a long computation can ask whether the
/// client is still there: actix does not stop a handler when its client goes away.
#[derive(Debug, Clone)]
pub struct ClientConnection(Arc<std::net::TcpStream>);

impl ClientConnection {
    /// A second handle on the connection's socket (none if the system refuses one).
    fn of(stream: &tokio::net::TcpStream) -> Option<Self> {
        use std::os::fd::AsFd;
        let fd = stream.as_fd().try_clone_to_owned().ok()?;
        Some(ClientConnection(Arc::new(std::net::TcpStream::from(fd))))
    }

    /// Records the connection of a plain or TLS stream (actix's `on_connect`).
    pub fn on_connect(connection: &dyn std::any::Any, data: &mut actix_web::dev::Extensions) {
        let stream = connection.downcast_ref::<tokio::net::TcpStream>().or_else(|| {
            connection
                .downcast_ref::<actix_tls::accept::rustls_0_23::TlsStream<tokio::net::TcpStream>>()
                .map(|tls| tls.get_ref().0)
        });
        if let Some(client) = stream.and_then(ClientConnection::of) {
            data.insert(client);
        }
    }

    /// Whether the client closed the connection (or it broke). Bytes waiting (a next request)
    /// and nothing to read yet both mean it is still there.
    pub fn closed(&self) -> bool {
        let mut byte = [0u8; 1];
        match self.0.peek(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock && e.kind() != std::io::ErrorKind::Interrupted,
        }
    }
}

/// Gives up the computation of a request whose client went away: the computation checks, between
/// its steps, whether the client's connection is closed (and the flag is set when the request's
/// future is dropped, if actix ever does).
#[derive(Debug, Default)]
pub struct Watch(pcmh_core::actions::Abandoned);

impl Watch {
    /// A watch on the connection `req` came on.
    pub fn of(req: &actix_web::HttpRequest) -> Self {
        match req.conn_data::<ClientConnection>().cloned() {
            Some(client) => Watch(pcmh_core::actions::Abandoned::when(move || client.closed())),
            None => Watch::default(),
        }
    }

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
