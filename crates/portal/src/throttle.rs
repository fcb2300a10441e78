//! In-memory limits: the API request rate per caller and failed sign-ins per account.
//! Both reset when the portal restarts, which is acceptable for limits that only slow down
//! guessing and runaway scripts.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::RateLimit;

#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket; `Err(seconds)` says when to try again.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() > 100_000 {
            // Forget idle callers rather than grow without bound.
            let burst = f64::from(self.limit.burst);
            buckets.retain(|_, (tokens, _)| *tokens < burst);
        }
        let burst = f64::from(self.limit.burst.max(1));
        let (tokens, last) = buckets.entry(key.to_owned()).or_insert((burst, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * self.limit.per_second).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = if self.limit.per_second > 0.0 {
                ((1.0 - *tokens) / self.limit.per_second).ceil()
            } else {
                3600.0
            };
            Err((wait as u64).max(1))
        }
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

    pub fn record(&self, account: i64, now: Instant) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.entry(account).or_default().push_back(now);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refills() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 1.0,
            burst: 2,
        });
        let t0 = Instant::now();
        assert!(limiter.check("a", t0).is_ok());
        assert!(limiter.check("a", t0).is_ok());
        assert_eq!(limiter.check("a", t0), Err(1));
        assert!(limiter.check("b", t0).is_ok(), "callers are independent");
        assert!(limiter.check("a", t0 + Duration::from_secs(1)).is_ok());
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
    }
}
