//! The rate limit: a token bucket per client (its key's name, or its address when the API
//! has no keys), one token per request, kept by `governor` (GCRA). Over it, the request is
//! answered 429 with `Retry-After` and the `RateLimit-Policy` and `RateLimit` fields of the
//! IETF draft (draft-ietf-httpapi-ratelimit-headers).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::config::access::RateLimit;

/// Who a token bucket belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Client {
    /// A key, by its name.
    Key(Arc<str>),
    /// An address (the API has no keys).
    Address(IpAddr),
    /// A request whose address is unknown (served in-process, as tests do).
    Unknown,
}

/// A refused request: how long until a token is back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// Whole seconds to wait (at least 1): `Retry-After` and the `t` of `RateLimit`.
    pub retry_after_secs: u64,
}

/// The buckets of every client.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    buckets: DefaultKeyedRateLimiter<Client, StateInformationMiddleware>,
    clock: DefaultClock,
}

impl Limiter {
    /// Buckets for `limit`.
    pub fn new(limit: RateLimit) -> Limiter {
        let quota = Quota::per_second(limit.per_second).allow_burst(limit.burst);
        Limiter {
            limit,
            buckets: DefaultKeyedRateLimiter::keyed(quota).with_middleware(),
            clock: DefaultClock::default(),
        }
    }

    /// Takes a token from `client`'s bucket.
    pub fn check(&self, client: &Client) -> Result<(), Refused> {
        match self.buckets.check_key(client) {
            Ok(_) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(Refused {
                    retry_after_secs: whole_seconds(wait),
                })
            }
        }
    }

    /// `RateLimit-Policy`: the bucket as a quota per one-second window.
    pub fn policy_header(&self) -> String {
        format!(
            "\"bucket\";q={};w=1;burst={}",
            self.limit.per_second, self.limit.burst
        )
    }

    /// Forgets buckets that are full again (clients idle long enough), so memory follows the
    /// clients of the last moments, not every address ever seen.
    pub fn forget_idle(&self) {
        self.buckets.retain_recent();
        self.buckets.shrink_to_fit();
    }
}

/// `RateLimit` of a refused request: nothing left, back in `t` seconds.
pub fn remaining_header(refused: Refused) -> String {
    format!("\"bucket\";r=0;t={}", refused.retry_after_secs)
}

fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    fn limit(per_second: u32, burst: u32) -> RateLimit {
        RateLimit {
            per_second: NonZeroU32::new(per_second).unwrap(),
            burst: NonZeroU32::new(burst).unwrap(),
        }
    }

    #[test]
    fn each_client_has_its_own_bucket_of_burst_tokens() {
        let limiter = Limiter::new(limit(1, 3));
        let a = Client::Key("a".into());
        let b = Client::Address("127.0.0.1".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(limiter.check(&a), Ok(()));
        }
        let refused = limiter.check(&a).unwrap_err();
        assert_eq!(refused.retry_after_secs, 1, "one token a second");
        assert_eq!(limiter.check(&b), Ok(()), "b's bucket is its own");
        assert_eq!(remaining_header(refused), "\"bucket\";r=0;t=1");
        assert_eq!(limiter.policy_header(), "\"bucket\";q=1;w=1;burst=3");
        limiter.forget_idle();
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
    }
}
