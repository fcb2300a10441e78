//! Sign-in limits per e-mail address and per client address. They are what makes a six-digit
//! code safe: whatever an attacker does, one address accepts only so many wrong codes a
//! day, so the chance of guessing its code stays small. They are deliberately not per
//! account, so one person's mistyped (or attacked) address never locks out the account's
//! other users.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// The longest month, for the monthly bound on guesses.
pub const DAYS_PER_MONTH: u32 = 31;

/// How many codes and wrong codes the sign-in pages accept. The defaults keep the chance of
/// guessing one address's code within a month under 0.1% (see [`SignInLimits::monthly_guess_chance`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignInLimits {
    /// Codes e-mailed to one address per hour, so the portal cannot be used to flood a
    /// mailbox and each address gets few codes to guess.
    pub codes_per_address_per_hour: u32,
    /// Wrong codes (one-time or second factor) for one address over 24 hours: the bound
    /// that makes guessing hopeless.
    pub failures_per_address_per_day: u32,
    /// Codes one client address may have e-mailed per hour, to any addresses.
    pub codes_per_client_per_hour: u32,
    /// Wrong codes from one client address per hour, for any addresses.
    pub failures_per_client_per_hour: u32,
    /// Entries each counter keeps at most; when full of live entries, sign-in is refused
    /// rather than forgetting a count an attacker would like forgotten.
    pub max_tracked: usize,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            codes_per_address_per_hour: 3,
            failures_per_address_per_day: 20,
            codes_per_client_per_hour: 30,
            failures_per_client_per_hour: 30,
            max_tracked: 100_000,
        }
    }
}

impl SignInLimits {
    /// Codes an attacker can try for one address in a month: no more than the wrong codes
    /// the address accepts a day, nor than the codes it is sent times the tries each allows.
    pub fn monthly_tries(&self, tries_per_code: u32) -> u64 {
        let by_codes = u64::from(self.codes_per_address_per_hour) * 24 * u64::from(tries_per_code);
        let per_day = by_codes.min(u64::from(self.failures_per_address_per_day));
        per_day * u64::from(DAYS_PER_MONTH)
    }

    /// An upper bound of the chance that guessing finds one address's six-digit code within
    /// a month: each try is right with a chance of at most one in the codes not yet tried
    /// (10^6 less the tries a code already had).
    pub fn monthly_guess_chance(&self, tries_per_code: u32) -> f64 {
        let codes = 1_000_000.0 - f64::from(tries_per_code.saturating_sub(1));
        self.monthly_tries(tries_per_code) as f64 / codes
    }
}

/// Events per key within a sliding window (codes sent to an address in the last hour,
/// wrong codes from a client address…).
#[derive(Debug)]
struct Window {
    span: Duration,
    events: Mutex<Events>,
}

#[derive(Debug, Default)]
struct Events {
    by_key: HashMap<String, VecDeque<Instant>>,
    last_sweep: Option<Instant>,
}

impl Window {
    fn new(span: Duration) -> Self {
        Window {
            span,
            events: Mutex::new(Events::default()),
        }
    }

    /// Counts one event for `key` if fewer than `limit` happened within the window, in one
    /// step under the lock so concurrent requests cannot all pass. `Err(seconds)`: when the
    /// oldest event leaves the window.
    fn take(&self, key: &str, limit: u32, max_tracked: usize, now: Instant) -> Result<(), u64> {
        let span = self.span;
        let Ok(mut events) = self.events.lock() else {
            return Err(span.as_secs());
        };
        if events.by_key.len() >= max_tracked && !events.by_key.contains_key(key) {
            // Sweep at most once a minute, so a full map does not cost a scan per request.
            let due = events
                .last_sweep
                .is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(60));
            if due {
                events.by_key.retain(|_, list| {
                    list.back()
                        .is_some_and(|&t| now.saturating_duration_since(t) < span)
                });
                events.last_sweep = Some(now);
            }
            if events.by_key.len() >= max_tracked {
                return Err(60);
            }
        }
        let list = events.by_key.entry(key.to_owned()).or_default();
        while list
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= span)
        {
            list.pop_front();
        }
        if list.len() >= limit as usize {
            let oldest = list.front().copied().unwrap_or(now);
            let wait = span.saturating_sub(now.saturating_duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        list.push_back(now);
        Ok(())
    }

    /// Whether `take` would count an event now, without counting one.
    fn peek(&self, key: &str, limit: u32, now: Instant) -> Result<(), u64> {
        let span = self.span;
        let Ok(events) = self.events.lock() else {
            return Err(span.as_secs());
        };
        let Some(list) = events.by_key.get(key) else {
            return Ok(());
        };
        let live: Vec<Instant> = list
            .iter()
            .copied()
            .filter(|&t| now.saturating_duration_since(t) < span)
            .collect();
        if live.len() >= limit as usize {
            let oldest = live.first().copied().unwrap_or(now);
            let wait = span.saturating_sub(now.saturating_duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }

    /// Forgets keys whose events have all left the window (the portal's timer).
    fn sweep(&self, now: Instant) {
        if let Ok(mut events) = self.events.lock() {
            let span = self.span;
            events.by_key.retain(|_, list| {
                list.back()
                    .is_some_and(|&t| now.saturating_duration_since(t) < span)
            });
        }
    }

    /// Takes back the newest event of `key`: a try that turned out right is no failure.
    fn give_back(&self, key: &str) {
        if let Ok(mut events) = self.events.lock() {
            if let Some(list) = events.by_key.get_mut(key) {
                list.pop_back();
            }
        }
    }
}

/// Why a sign-in step is refused for now, and for how many seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Throttled {
    Address(u64),
    Client(u64),
}

/// The counters of [`SignInLimits`].
#[derive(Debug)]
pub(super) struct SignInCounters {
    codes_by_address: Window,
    codes_by_client: Window,
    failures_by_address: Window,
    failures_by_client: Window,
}

impl Default for SignInCounters {
    fn default() -> Self {
        SignInCounters {
            codes_by_address: Window::new(HOUR),
            codes_by_client: Window::new(HOUR),
            failures_by_address: Window::new(DAY),
            failures_by_client: Window::new(HOUR),
        }
    }
}

/// Counts one against the client address's window and the e-mail address's window, or
/// against neither: a refusal by the second gives the first its count back.
fn take_both(
    (by_client, client_limit): (&Window, u32),
    (by_address, address_limit): (&Window, u32),
    cap: usize,
    address: &str,
    client: &ClientAddr,
) -> Result<(), Throttled> {
    let now = Instant::now();
    by_client
        .take(&client.0, client_limit, cap, now)
        .map_err(Throttled::Client)?;
    if let Err(seconds) = by_address.take(address, address_limit, cap, now) {
        by_client.give_back(&client.0);
        return Err(Throttled::Address(seconds));
    }
    Ok(())
}

impl SignInCounters {
    /// Counts a code sent to `address` at the request of `client`, if both have room.
    pub(super) fn take_code(
        &self,
        limits: &SignInLimits,
        address: &str,
        client: &ClientAddr,
    ) -> Result<(), Throttled> {
        take_both(
            (&self.codes_by_client, limits.codes_per_client_per_hour),
            (&self.codes_by_address, limits.codes_per_address_per_hour),
            limits.max_tracked,
            address,
            client,
        )
    }

    /// Whether `address` and `client` may still try codes: no code is sent that could not
    /// be entered.
    pub(super) fn may_try(
        &self,
        limits: &SignInLimits,
        address: &str,
        client: &ClientAddr,
    ) -> Result<(), Throttled> {
        let now = Instant::now();
        self.failures_by_client
            .peek(&client.0, limits.failures_per_client_per_hour, now)
            .map_err(Throttled::Client)?;
        self.failures_by_address
            .peek(address, limits.failures_per_address_per_day, now)
            .map_err(Throttled::Address)
    }

    /// Counts one try of a code for `address` from `client` as a failure before the code
    /// is compared; [`Self::right`] takes it back if the code was right. So there is never
    /// a moment when a try has been made but not yet counted.
    pub(super) fn take_try(
        &self,
        limits: &SignInLimits,
        address: &str,
        client: &ClientAddr,
    ) -> Result<(), Throttled> {
        take_both(
            (
                &self.failures_by_client,
                limits.failures_per_client_per_hour,
            ),
            (
                &self.failures_by_address,
                limits.failures_per_address_per_day,
            ),
            limits.max_tracked,
            address,
            client,
        )
    }

    /// Forgets what has left every window.
    pub(super) fn sweep(&self, now: Instant) {
        self.codes_by_address.sweep(now);
        self.codes_by_client.sweep(now);
        self.failures_by_address.sweep(now);
        self.failures_by_client.sweep(now);
    }

    /// The try counted by [`Self::take_try`] was right.
    pub(super) fn right(&self, address: &str, client: &ClientAddr) {
        self.failures_by_address.give_back(address);
        self.failures_by_client.give_back(&client.0);
    }
}

/// Who sends a request, as the sign-in limits count it: the peer's IP address, or its /64
/// network for IPv6, since one IPv6 host commonly holds a whole /64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ClientAddr(pub(super) String);

impl ClientAddr {
    pub(super) fn of(addr: Option<SocketAddr>) -> Self {
        ClientAddr(match addr.map(|a| a.ip()) {
            Some(IpAddr::V4(ip)) => ip.to_string(),
            Some(IpAddr::V6(ip)) => match ip.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = ip.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
            None => "unknown".to_owned(),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // The address the portal settled on (the trusted proxy's, when configured).
        if let Some(address) = parts
            .extensions
            .get::<crate::request_guard::ClientAddress>()
        {
            return Ok(ClientAddr(address.limit_key()));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr);
        Ok(ClientAddr::of(peer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_refuses_past_its_limit_and_forgets_after_its_span() {
        let window = Window::new(HOUR);
        let t0 = Instant::now();
        assert!(window.take("a", 2, 10, t0).is_ok());
        assert!(window.take("a", 2, 10, t0).is_ok());
        assert_eq!(window.take("a", 2, 10, t0), Err(3600));
        assert!(window.take("b", 2, 10, t0).is_ok(), "keys are independent");
        window.give_back("a");
        assert!(
            window.take("a", 2, 10, t0).is_ok(),
            "a given-back try is free"
        );
        assert!(window.take("a", 2, 10, t0 + HOUR).is_ok());
    }

    #[test]
    fn a_full_window_refuses_new_keys_instead_of_forgetting_counts() {
        let window = Window::new(HOUR);
        let t0 = Instant::now();
        assert!(window.take("a", 5, 2, t0).is_ok());
        assert!(window.take("b", 5, 2, t0).is_ok());
        assert!(window.take("c", 5, 2, t0).is_err());
        assert!(window.take("a", 5, 2, t0).is_ok(), "known keys still count");
        assert!(
            window.take("c", 5, 2, t0 + HOUR).is_ok(),
            "expired keys are swept"
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_bit_network() {
        let a: SocketAddr = "[2001:db8:1:2:3:4:5:6]:1".parse().unwrap();
        let b: SocketAddr = "[2001:db8:1:2:ffff::1]:2".parse().unwrap();
        assert_eq!(ClientAddr::of(Some(a)), ClientAddr::of(Some(b)));
        let v4: SocketAddr = "192.0.2.1:80".parse().unwrap();
        assert_eq!(ClientAddr::of(Some(v4)).0, "192.0.2.1");
    }
}
