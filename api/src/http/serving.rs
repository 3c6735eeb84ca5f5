//! How the server meets the network: HTTPS, the time a client gets to send its request, and
//! stopping on a signal without cutting requests short.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::rt::time::{sleep_until, Instant, Sleep};
use actix_web::web::{self, Bytes};
use actix_web::HttpMessage;
use futures_util::Stream;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How the server serves, beyond what it serves.
#[derive(Clone)]
pub struct Serving {
    /// HTTPS with this certificate and key; plain HTTP when `None`.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Requests a minute for each token and each client address without one; 0 is no limit.
    pub rate_limit_per_minute: u32,
    /// Requests a minute from each client address in all, tokens or not; 0 is no limit.
    pub rate_limit_per_address_per_minute: u32,
    /// The time a client has to send a request's line and headers.
    pub header_timeout: Duration,
    /// The time a client has to send each 64 KiB of a request's body.
    pub body_timeout: Duration,
    /// How long an idle connection is kept open for the client's next request.
    pub keep_alive: Duration,
    /// Seconds the requests in flight have to finish once the server is told to stop.
    pub shutdown_timeout: u64,
}

impl Default for Serving {
    fn default() -> Self {
        Serving {
            tls: None,
            rate_limit_per_minute: 0,
            rate_limit_per_address_per_minute: 0,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            keep_alive: Duration::from_secs(5),
            shutdown_timeout: 30,
        }
    }
}

/// The TLS settings for a certificate chain and its private key, both PEM files; the error names
/// the file at fault and what is wrong with it.
pub fn tls_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, String> {
    let read = |path: &Path, what: &str| {
        std::fs::read(path).map_err(|e| format!("cannot read the TLS {what} {}: {e}", path.display()))
    };
    let cert_pem = read(cert, "certificate")?;
    let key_pem = read(key, "key")?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the TLS certificate {} is not a PEM file: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "the TLS certificate {} holds no certificate (-----BEGIN CERTIFICATE-----)",
            cert.display()
        ));
    }
    let private_key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        format!(
            "the TLS key {} holds no private key in PEM (PKCS#8, PKCS#1 or SEC1): {e}",
            key.display()
        )
    })?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|e| {
            format!(
                "the TLS key {} does not fit the certificate {}, or one of them is not usable: {e}",
                key.display(),
                cert.display()
            )
        })
}

/// A future that resolves when the process is told to stop: SIGTERM (what service managers and
/// container runtimes send) or Ctrl-C / SIGINT. The handlers are in place when this returns, so
/// a signal sent once the server says it listens is never the default (abrupt) one.
#[cfg(unix)]
pub fn stop_requested() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        futures_util::future::select(Box::pin(term.recv()), Box::pin(int.recv())).await;
    })
}

/// A future that resolves on Ctrl-C.
#[cfg(not(unix))]
pub fn stop_requested() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = actix_web::rt::signal::ctrl_c().await;
    })
}

/// How much of a body must arrive within each `body_timeout`.
const BODY_STEP: usize = 64 * 1024;

/// Bounds the time a request's body may take: each 64 KiB must arrive within the server's
/// body timeout, so a client trickling a body cannot keep its connection forever, while a large
/// upload over a slow link goes through.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(timeout) = req.app_data::<web::Data<BodyTimeout>>().map(|t| t.0) {
        let inner = req.take_payload();
        let timed = TimedBody {
            inner,
            timeout,
            received: 0,
            deadline: Box::pin(sleep_until(Instant::now() + timeout)),
            expired: false,
        };
        let boxed: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(timed);
        req.set_payload(Payload::from(boxed));
    }
    next.call(req).await
}

/// The body timeout, as application data for [`body_deadline`].
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// A request body that fails once its next 64 KiB do not arrive in time.
struct TimedBody {
    inner: Payload,
    timeout: Duration,
    received: usize,
    deadline: Pin<Box<Sleep>>,
    expired: bool,
}

impl Stream for TimedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len();
                if this.received >= BODY_STEP {
                    this.received %= BODY_STEP;
                    this.deadline.as_mut().reset(Instant::now() + this.timeout);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.expired = true;
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "the body arrived too slowly (each 64 KiB must arrive within {} s)",
                            this.timeout.as_secs()
                        ),
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}
