//! Rate limiting per client with the `governor` crate (GCRA, keyed state in a `DashMap`).
//!
//! A client is the verified subject of its bearer token, or its peer address when it sends no
//! token. A request whose token is invalid, forged or malformed is an authentication failure:
//! it is counted per peer address against a much stricter quota as well, so guessing tokens
//! is slow. Answers carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
//! (draft-ietf-httpapi-ratelimit-headers); a refusal is 429 problem+json with `Retry-After`.
//! Health checks and `/metrics` are exempt. The peer address is the TCP peer: behind a
//! reverse proxy all anonymous clients share the proxy's address.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use domain::access::Principal;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{NotUntil, Quota, RateLimiter};

use crate::auth::TokenService;
use crate::config::RateLimitSettings;
use crate::edge::problems::problem;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// Whom a request is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Client {
    Subject(String),
    Address(IpAddr),
}

/// The principal of a valid bearer token, verified once here; handlers' extractors may read it
/// from the request extensions instead of verifying the token again.
#[derive(Debug, Clone)]
pub struct VerifiedPrincipal(pub Principal);

/// How often idle keys are dropped, so that the state does not grow with every address seen.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

pub struct RateLimits {
    clients: Option<(Keyed<Client>, Quota)>,
    auth_failures: Option<(Keyed<IpAddr>, Quota)>,
    started: Instant,
    last_sweep: AtomicU64,
}

impl RateLimits {
    pub fn new(settings: &RateLimitSettings) -> Self {
        let quota = |per: Option<Quota>, burst: u32| per.map(|q| q.allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN)));
        let clients = quota(NonZeroU32::new(settings.per_second).map(Quota::per_second), settings.burst);
        let auth_failures = quota(NonZeroU32::new(settings.auth_failures_per_minute).map(Quota::per_minute), settings.auth_failure_burst);
        Self {
            clients: clients.map(|q| (RateLimiter::keyed(q).with_middleware::<StateInformationMiddleware>(), q)),
            auth_failures: auth_failures.map(|q| (RateLimiter::keyed(q).with_middleware::<StateInformationMiddleware>(), q)),
            started: Instant::now(),
            last_sweep: AtomicU64::new(0),
        }
    }

    /// Forgets keys whose state is back to "full burst available" (at most once a minute, by
    /// whichever request comes first).
    fn sweep(&self) {
        let now = self.started.elapsed().as_secs();
        let last = self.last_sweep.load(Ordering::Relaxed);
        if now.saturating_sub(last) < SWEEP_EVERY.as_secs() || self.last_sweep.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err() {
            return;
        }
        if let Some((limiter, _)) = &self.clients {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some((limiter, _)) = &self.auth_failures {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn exempt(path: &str) -> bool {
    path.starts_with("/health/") || path == "/metrics"
}

/// `Some(Ok(token))` for `Bearer <token>`, `Some(Err(()))` for any other Authorization.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
            .map(|(_, token)| token.trim())
            .ok_or(()),
    )
}

fn seconds_ceil(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn number(n: u64) -> HeaderValue {
    HeaderValue::from(n)
}

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// 429 with `Retry-After` and the RateLimit headers.
fn refuse(req: ServiceRequest, quota: Quota, not_until: &NotUntil<<DefaultClock as Clock>::Instant>, what: &str) -> ServiceResponse<BoxBody> {
    let wait = seconds_ceil(not_until.wait_time_from(DefaultClock::default().now())).max(1);
    let mut res = problem(StatusCode::TOO_MANY_REQUESTS, "too-many-requests", format!("{what}; retry in {wait} s"));
    let headers = res.headers_mut();
    headers.insert(header::RETRY_AFTER, number(wait));
    headers.insert(LIMIT, number(u64::from(quota.burst_size().get())));
    headers.insert(REMAINING, number(0));
    headers.insert(RESET, number(wait));
    req.into_response(res)
}

pub async fn limit_rate(
    limits: web::Data<RateLimits>,
    tokens: web::Data<TokenService>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if exempt(req.path()) || (limits.clients.is_none() && limits.auth_failures.is_none()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    limits.sweep();
    let address = client_network(req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip()));
    let verified = match bearer(req.headers()) {
        None => None,
        Some(Ok(token)) => Some(tokens.verify(token).map_err(|_| ())),
        Some(Err(())) => Some(Err(())),
    };
    let client = match verified {
        Some(Ok(principal)) => {
            let client = Client::Subject(principal.subject.clone());
            req.extensions_mut().insert(VerifiedPrincipal(principal));
            client
        }
        Some(Err(())) => {
            if let Some((limiter, quota)) = &limits.auth_failures
                && let Err(not_until) = limiter.check_key(&address)
            {
                return Ok(refuse(req, *quota, &not_until, "too many requests with an invalid token from this address"));
            }
            Client::Address(address)
        }
        None => Client::Address(address),
    };
    let Some((limiter, quota)) = &limits.clients else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    match limiter.check_key(&client) {
        Err(not_until) => Ok(refuse(req, *quota, &not_until, "too many requests from this client")),
        Ok(snapshot) => {
            let burst = quota.burst_size().get();
            let remaining = snapshot.remaining_burst_capacity();
            // Until the whole burst is available again.
            let reset = seconds_ceil(quota.replenish_interval() * (burst - remaining.min(burst)));
            let mut res = next.call(req).await?.map_into_boxed_body();
            let headers = res.headers_mut();
            headers.insert(LIMIT, number(u64::from(burst)));
            headers.insert(REMAINING, number(u64::from(remaining)));
            headers.insert(RESET, number(reset));
            Ok(res)
        }
    }
}

/// The unit an anonymous client is limited by: its IPv4 address, or the /64 network of an IPv6
/// address (one subscriber usually holds a whole /64 and could rotate through it).
fn client_network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod network_tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_limited_per_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_network(a), client_network(b));
        assert_ne!(client_network(a), client_network(c));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(client_network(v4), v4);
        assert_eq!(client_network("::ffff:192.0.2.7".parse().unwrap()), v4);
    }
}
