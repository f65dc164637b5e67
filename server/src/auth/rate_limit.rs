//! A per-address token bucket for `POST auth/login`: [`DEFAULT_PER_MINUTE`] attempts a minute (configurable),
//! in memory, bounded. The default leaves room for an account's lockout (10 failures by default) to be
//! reached from one address, so both rules are observable; the limit stops spraying many accounts.
//!
//! Addresses are counted per IPv4 address and per IPv6 /64 (one host usually has a whole /64, so
//! rotating through it does not buy more attempts). The map never grows past [`MAX_ADDRESSES`]: when full,
//! buckets that have refilled (nothing to remember) are dropped, and if that is not enough, all are.
//!
//! Instances sharing a PostgreSQL database share the buckets too ([`LoginLimiter::shared`]): each attempt
//! takes its token from the address's row (`login_buckets`) in a short transaction, so the limit is the
//! same however a load balancer spreads the attempts.

use std::{collections::HashMap, net::IpAddr, sync::Mutex};

use jiff::Timestamp;

/// Attempts in a burst, and per minute, unless configured.
pub const DEFAULT_PER_MINUTE: u32 = 20;
/// The most addresses remembered at once.
pub const MAX_ADDRESSES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub tokens: f64,
    pub at_ms: i64,
    /// A refusal of this bucket was already audited (reset when an attempt is allowed again).
    pub reported: bool,
}

impl Bucket {
    /// A full bucket of `burst` tokens at `now_ms`.
    pub fn full(burst: f64, now_ms: i64) -> Self {
        Bucket {
            tokens: burst,
            at_ms: now_ms,
            reported: false,
        }
    }

    /// Takes one attempt at `now_ms` from a bucket of `burst` tokens a minute.
    pub fn take(&mut self, burst: f64, now_ms: i64) -> Verdict {
        let per_ms = burst / 60_000.0;
        let elapsed = (now_ms - self.at_ms).max(0) as f64;
        self.tokens = (self.tokens + elapsed * per_ms).min(burst);
        self.at_ms = now_ms.max(self.at_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.reported = false;
            Verdict::Allowed
        } else {
            let wait_ms = ((1.0 - self.tokens) / per_ms).ceil() as u64;
            let first = !self.reported;
            self.reported = true;
            Verdict::Limited {
                retry_after: wait_ms.div_ceil(1000).max(1),
                first,
            }
        }
    }
}

/// What the limiter says about one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refused; `retry_after` in whole seconds; `first` for the first refusal in a row (audit it).
    Limited {
        retry_after: u64,
        first: bool,
    },
}

pub struct LoginLimiter {
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    /// The database whose `login_buckets` every instance shares; `None`: this process's map.
    shared: Option<std::sync::Arc<dyn crate::store::Store>>,
}

fn key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        v4 => v4,
    }
}

impl LoginLimiter {
    /// `per_minute` attempts in a burst and per minute (at least 1).
    pub fn new(per_minute: u32) -> Self {
        Self {
            burst: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Like [`LoginLimiter::new`], the buckets kept in `store`'s database for every instance on it.
    pub fn shared(per_minute: u32, store: std::sync::Arc<dyn crate::store::Store>) -> Self {
        Self {
            shared: Some(store),
            ..Self::new(per_minute)
        }
    }

    /// Takes one attempt for `ip` at `now`, in the shared buckets when there are.
    pub async fn attempt(&self, ip: IpAddr, now: Timestamp) -> crate::store::StoreResult<Verdict> {
        let Some(store) = &self.shared else {
            return Ok(self.check(ip, now));
        };
        let mut tx = store.begin().await?;
        let verdict = tx
            .login_attempt(&key(ip).to_string(), self.burst, now.as_millisecond())
            .await?;
        tx.commit().await?;
        Ok(verdict)
    }

    fn refill_per_ms(&self) -> f64 {
        self.burst / 60_000.0
    }

    fn refilled(&self, b: &Bucket, now_ms: i64) -> f64 {
        let elapsed = (now_ms - b.at_ms).max(0) as f64;
        (b.tokens + elapsed * self.refill_per_ms()).min(self.burst)
    }

    /// Takes one attempt for `ip` at `now`.
    pub fn check(&self, ip: IpAddr, now: Timestamp) -> Verdict {
        let now_ms = now.as_millisecond();
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let k = key(ip);
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&k) {
            map.retain(|_, b| self.refilled(b, now_ms) < self.burst);
            if map.len() >= MAX_ADDRESSES {
                map.clear();
            }
        }
        map.entry(k)
            .or_insert(Bucket::full(self.burst, now_ms))
            .take(self.burst, now_ms)
    }

    /// Addresses remembered now.
    pub fn len(&self) -> usize {
        self.buckets.lock().map_or(0, |m| m.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_790_000_000_000 + ms).unwrap()
    }

    #[test]
    fn ten_a_minute_per_address_then_refused_with_retry_after() {
        let l = LoginLimiter::new(10);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..10 {
            assert_eq!(l.check(a, t(0)), Verdict::Allowed);
        }
        assert_eq!(
            l.check(a, t(0)),
            Verdict::Limited {
                retry_after: 6,
                first: true
            }
        );
        assert_eq!(
            l.check(a, t(10)),
            Verdict::Limited {
                retry_after: 6,
                first: false
            }
        );
        // Another address is not limited.
        assert_eq!(l.check("192.0.2.2".parse().unwrap(), t(0)), Verdict::Allowed);
        // One attempt comes back every 6 s.
        assert_eq!(l.check(a, t(6_000)), Verdict::Allowed);
        assert!(matches!(l.check(a, t(6_000)), Verdict::Limited { .. }));
    }

    #[test]
    fn rotating_inside_an_ipv6_64_shares_one_bucket() {
        let l = LoginLimiter::new(10);
        for i in 0..10 {
            let ip: IpAddr = format!("2001:db8::{i:x}").parse().unwrap();
            assert_eq!(l.check(ip, t(0)), Verdict::Allowed);
        }
        assert!(matches!(
            l.check("2001:db8::ffff".parse().unwrap(), t(0)),
            Verdict::Limited { .. }
        ));
    }

    #[test]
    fn memory_stays_bounded() {
        let l = LoginLimiter::new(10);
        for i in 0..(MAX_ADDRESSES as u32 + 10) {
            l.check(IpAddr::V4(i.into()), t(0));
        }
        assert!(l.len() <= MAX_ADDRESSES);
    }
}
