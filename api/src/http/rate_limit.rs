//! Rate limits of the API: each bearer token, and each client address that sends none, may make
//! so many requests a minute; past that the API answers 429 with `Retry-After`. Each address also
//! has a (larger) allowance for all its requests, tokens or not, so that a client cannot get
//! around its limit by sending made-up tokens.
//!
//! A token is counted under a keyed hash of its text, made when the request arrives and never
//! kept with the token; the address is the connection's own peer (a reverse proxy in front makes
//! every request without a token come from the proxy's address).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};

use super::error::ApiError;

/// Who a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    /// The keyed hash of a bearer token.
    Token(u64),
    /// A client address that sent no token.
    Address(IpAddr),
}

/// The limits of one server: every worker shares them.
pub struct RateLimits {
    limiter: Option<DefaultKeyedRateLimiter<Client>>,
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    hasher: RandomState,
    checks: AtomicU32,
}

impl RateLimits {
    /// `per_minute` requests a minute for each token and each address that sends none, up to
    /// `per_minute` at once, and `per_address` a minute from each address in all; 0 is no limit.
    pub fn per_minute(per_minute: u32, per_address: u32) -> RateLimits {
        RateLimits {
            limiter: keyed(per_minute),
            per_address: keyed(per_address),
            hasher: RandomState::new(),
            checks: AtomicU32::new(0),
        }
    }

    /// Counts a request; `Err` with the whole seconds to wait when it is one too many.
    fn check(&self, req: &ServiceRequest) -> Result<(), u64> {
        let address = req.peer_addr().map(|a| a.ip());
        let client = match req.headers().get(header::AUTHORIZATION) {
            Some(value) => Some(Client::Token(self.hasher.hash_one(value.as_bytes()))),
            None => address.map(Client::Address),
        };
        // Forget clients whose allowance is full again, now and then, so the maps stay small.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.iter().for_each(DefaultKeyedRateLimiter::retain_recent);
            self.per_address.iter().for_each(DefaultKeyedRateLimiter::retain_recent);
        }
        if let (Some(limiter), Some(address)) = (&self.per_address, address) {
            limiter
                .check_key(&address)
                .map_err(|not_until| seconds(not_until.wait_time_from(limiter.clock().now())))?;
        }
        if let (Some(limiter), Some(client)) = (&self.limiter, client) {
            limiter
                .check_key(&client)
                .map_err(|not_until| seconds(not_until.wait_time_from(limiter.clock().now())))?;
        }
        Ok(())
    }
}

/// A limiter of `per_minute` requests a minute for each key, in bursts of as many; none for 0.
fn keyed<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute).map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)))
}

/// A wait in whole seconds, rounded up.
fn seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// Answers 429 to a request past its client's limit; hands the others on.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(limits) = req.app_data::<web::Data<RateLimits>>() {
        if let Err(seconds) = limits.check(&req) {
            return Err(ApiError::TooManyRequests {
                retry_after: seconds.max(1),
            }
            .into());
        }
    }
    next.call(req).await
}
