//! In-memory limits: request rates per caller or client address, and failed sign-ins per
//! account. They reset when the portal restarts, which is acceptable for limits that only
//! slow down guessing and runaway scripts.
//!
//! Every map here has a cap and is swept on the portal's timer ([`crate::app::start`]), so
//! an attacker who invents keys (tokens, addresses) cannot grow the portal's memory, and no
//! request pays for a scan of the map.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::RateLimit;

/// Token buckets per key, at most `cap` of them.
///
/// When the map is full, a key it does not hold shares one overflow bucket with every other
/// such key instead of getting its own. Refusing newcomers outright would let whoever fills
/// the map lock everyone else out; evicting someone's bucket would hand back the burst an
/// attacker just spent. Sharing keeps the known callers' limits intact and still answers
/// newcomers, at the one bucket's rate, until the sweep frees room.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    cap: usize,
    state: Mutex<Buckets>,
}

#[derive(Debug)]
struct Buckets {
    map: HashMap<String, Bucket>,
    overflow: Bucket,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(limit: RateLimit, now: Instant) -> Self {
        Bucket {
            tokens: f64::from(limit.burst.max(1)),
            last: now,
        }
    }

    /// Refills for the time elapsed and takes one token; `Err(seconds)` when there is none.
    fn take(&mut self, limit: RateLimit, now: Instant) -> Result<(), u64> {
        let burst = f64::from(limit.burst.max(1));
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * limit.per_second).min(burst);
        self.last = now.max(self.last);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait = if limit.per_second > 0.0 {
            ((1.0 - self.tokens) / limit.per_second).ceil()
        } else {
            3600.0
        };
        Err((wait.min(86_400.0) as u64).max(1))
    }

    /// A bucket that has refilled completely is the same as no bucket at all.
    fn is_idle(&self, limit: RateLimit, now: Instant) -> bool {
        let missing = f64::from(limit.burst.max(1)) - self.tokens;
        missing <= 0.0
            || (limit.per_second > 0.0
                && now.saturating_duration_since(self.last).as_secs_f64() * limit.per_second
                    >= missing)
    }
}

/// How many buckets a limiter keeps by default: some 100 bytes each.
pub const DEFAULT_BUCKETS: usize = 100_000;

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self::with_cap(limit, DEFAULT_BUCKETS)
    }

    pub fn with_cap(limit: RateLimit, cap: usize) -> Self {
        let now = Instant::now();
        RateLimiter {
            limit,
            cap: cap.max(1),
            state: Mutex::new(Buckets {
                map: HashMap::new(),
                overflow: Bucket::full(limit, now),
            }),
        }
    }

    /// Takes one request from `key`'s bucket; `Err(seconds)` says when to try again.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut state) = self.state.lock() else {
            return Ok(());
        };
        let limit = self.limit;
        if let Some(bucket) = state.map.get_mut(key) {
            return bucket.take(limit, now);
        }
        if state.map.len() >= self.cap {
            return state.overflow.take(limit, now);
        }
        let mut bucket = Bucket::full(limit, now);
        let outcome = bucket.take(limit, now);
        state.map.insert(key.to_owned(), bucket);
        outcome
    }

    /// Forgets the buckets that have refilled: they hold nothing a new bucket would not.
    pub fn sweep(&self, now: Instant) {
        if let Ok(mut state) = self.state.lock() {
            let limit = self.limit;
            state.map.retain(|_, bucket| !bucket.is_idle(limit, now));
        }
    }

    /// How many callers have a bucket of their own.
    pub fn len(&self) -> usize {
        self.state.lock().map(|s| s.map.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Failed sign-ins per account over the last hour.
#[derive(Debug)]
pub struct FailureCounter {
    per_hour: u32,
    failures: Mutex<HashMap<i64, VecDeque<Instant>>>,
}

const HOUR: Duration = Duration::from_secs(3600);

impl FailureCounter {
    pub fn new(per_hour: u32) -> Self {
        FailureCounter {
            per_hour,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers a failure. Only accounts that exist are counted, so the map is bounded by
    /// the accounts; each list keeps no more failures than the limit needs.
    pub fn record(&self, account: i64, now: Instant) {
        if let Ok(mut failures) = self.failures.lock() {
            let list = failures.entry(account).or_default();
            list.push_back(now);
            while list.len() > self.per_hour.max(1) as usize {
                list.pop_front();
            }
        }
    }

    /// `Err(seconds)` while the account has reached its limit: when the oldest failure of
    /// the window expires.
    pub fn check(&self, account: i64, now: Instant) -> Result<(), u64> {
        let Ok(mut failures) = self.failures.lock() else {
            return Ok(());
        };
        let Some(list) = failures.get_mut(&account) else {
            return Ok(());
        };
        while list
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= HOUR)
        {
            list.pop_front();
        }
        if list.len() >= self.per_hour as usize {
            let oldest = list.front().copied().unwrap_or(now);
            let wait = HOUR.saturating_sub(now.saturating_duration_since(oldest));
            Err(wait.as_secs().max(1))
        } else {
            Ok(())
        }
    }

    /// Forgets failures older than the window, and accounts left with none.
    pub fn sweep(&self, now: Instant) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.retain(|_, list| {
                while list
                    .front()
                    .is_some_and(|&t| now.saturating_duration_since(t) >= HOUR)
                {
                    list.pop_front();
                }
                !list.is_empty()
            });
        }
    }

    /// How many accounts have recent failures.
    pub fn len(&self) -> usize {
        self.failures.lock().map(|f| f.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_PER_SECOND: RateLimit = RateLimit {
        per_second: 1.0,
        burst: 2,
    };

    #[test]
    fn bucket_allows_burst_then_refills() {
        let limiter = RateLimiter::new(ONE_PER_SECOND);
        let t0 = Instant::now();
        assert!(limiter.check("a", t0).is_ok());
        assert!(limiter.check("a", t0).is_ok());
        assert_eq!(limiter.check("a", t0), Err(1));
        assert!(limiter.check("b", t0).is_ok(), "callers are independent");
        assert!(limiter.check("a", t0 + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn a_full_limiter_grows_no_further_and_newcomers_share_one_bucket() {
        let limiter = RateLimiter::with_cap(ONE_PER_SECOND, 3);
        let t0 = Instant::now();
        for key in ["a", "b", "c"] {
            assert!(limiter.check(key, t0).is_ok());
        }
        assert_eq!(limiter.len(), 3);
        // Two newcomers spend the overflow bucket's burst between them.
        assert!(limiter.check("d", t0).is_ok());
        assert!(limiter.check("e", t0).is_ok());
        assert_eq!(limiter.check("f", t0), Err(1));
        assert_eq!(limiter.len(), 3, "the map stays at its cap");
        // The callers it holds keep their own allowance.
        assert!(limiter.check("a", t0).is_ok());
    }

    #[test]
    fn the_sweep_forgets_refilled_buckets_only() {
        let limiter = RateLimiter::with_cap(ONE_PER_SECOND, 10);
        let t0 = Instant::now();
        limiter.check("idle", t0).ok();
        limiter.check("busy", t0).ok();
        limiter.check("busy", t0 + Duration::from_secs(2)).ok();
        limiter.check("busy", t0 + Duration::from_secs(2)).ok();
        limiter.sweep(t0 + Duration::from_secs(2));
        assert_eq!(limiter.len(), 1, "the idle caller's bucket has refilled");
        // The busy caller's spent bucket survived the sweep: no fresh burst.
        assert_eq!(limiter.check("busy", t0 + Duration::from_secs(2)), Err(1));
        limiter.sweep(t0 + Duration::from_secs(10));
        assert!(limiter.is_empty());
    }

    #[test]
    fn failures_expire_after_an_hour() {
        let counter = FailureCounter::new(2);
        let t0 = Instant::now();
        counter.record(1, t0);
        assert!(counter.check(1, t0).is_ok());
        counter.record(1, t0);
        assert!(counter.check(1, t0).is_err());
        assert!(counter.check(2, t0).is_ok());
        assert!(counter.check(1, t0 + HOUR).is_ok());
        counter.sweep(t0 + HOUR);
        assert!(counter.is_empty());
    }
}
