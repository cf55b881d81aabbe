//! Login attempts limited so that passwords are guessed slowly and an owner is never shut
//! out. Failures are counted in fixed windows per login and address together, per address,
//! and per login. A pair or an address that used up its failures is locked until its window
//! ends, and a locked attempt computes no hash. A login's failures from everywhere only slow
//! its attempts down, by a bounded delay: locking the login itself would let anybody keep its
//! owner out by guessing wrong on purpose.
//!
//! IPv6 clients are counted per /64, the block one subscriber usually holds, so that walking
//! through one's own addresses does not reset the count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};

/// Failed attempts allowed per login from one address in one window.
pub const PER_PAIR: u32 = 5;
/// Failed attempts allowed per client address in one window, whatever the logins.
pub const PER_ADDRESS: u32 = 20;
/// Failures of a login, from all addresses, after which its attempts are slowed down.
pub const SLOW_AFTER: u32 = 5;
/// The first delay; each further failure doubles it, up to [`MAX_DELAY_MS`].
pub const FIRST_DELAY_MS: u64 = 250;
/// The longest delay: an owner waits at most this long before their attempt is looked at.
pub const MAX_DELAY_MS: u64 = 4_000;
/// The window.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Windows kept at most; expired ones go first when full, then the oldest.
const MAX_KEYS: usize = 100_000;

/// Why an attempt is refused before its password is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// How long until the lock's window ends.
    pub retry_after_ms: i64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started_ms: i64,
    failures: u32,
}

/// What a counter is kept under: a digest, so that a key's size does not depend on the
/// login a stranger typed.
type Key = [u8; 32];

/// Failure counters, in memory (a restart forgets them; the window is short anyway).
#[derive(Debug)]
pub struct LoginLimiter {
    windows: Mutex<HashMap<Key, Window>>,
    max_keys: usize,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::bounded(MAX_KEYS)
    }
}

impl LoginLimiter {
    /// Keeps at most `max_keys` counters.
    fn bounded(max_keys: usize) -> Self {
        LoginLimiter {
            windows: Mutex::new(HashMap::new()),
            max_keys: max_keys.max(3),
        }
    }

    /// How long to wait before looking at the password of an attempt of `login` from
    /// `address` (zero mostly), or `Locked` when that pair or that address has used up its
    /// failures in the current window.
    pub fn check(&self, login: &str, address: IpAddr, now_ms: i64) -> Result<Duration, Locked> {
        let Ok(windows) = self.windows.lock() else {
            return Ok(Duration::ZERO);
        };
        let failures = |key: &Key| {
            windows
                .get(key)
                .filter(|w| now_ms < w.started_ms + WINDOW_MS)
        };
        let mut wait = 0;
        for (key, limit) in [
            (pair_key(login, address), PER_PAIR),
            (address_key(address), PER_ADDRESS),
        ] {
            if let Some(w) = failures(&key).filter(|w| w.failures >= limit) {
                wait = wait.max(w.started_ms + WINDOW_MS - now_ms);
            }
        }
        if wait > 0 {
            return Err(Locked {
                retry_after_ms: wait,
            });
        }
        let login_failures = failures(&login_key(login)).map_or(0, |w| w.failures);
        Ok(delay(login_failures))
    }

    /// Counts a failed attempt.
    pub fn failed(&self, login: &str, address: IpAddr, now_ms: i64) {
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        let keys = [
            pair_key(login, address),
            address_key(address),
            login_key(login),
        ];
        let new = keys.iter().filter(|k| !windows.contains_key(*k)).count();
        if windows.len() + new > self.max_keys {
            make_room(&mut windows, now_ms, self.max_keys - new);
        }
        for k in keys {
            let w = windows.entry(k).or_insert(Window {
                started_ms: now_ms,
                failures: 0,
            });
            if now_ms >= w.started_ms + WINDOW_MS {
                *w = Window {
                    started_ms: now_ms,
                    failures: 0,
                };
            }
            w.failures = w.failures.saturating_add(1);
        }
    }

    /// Forgets the failures of a login that just succeeded, from everywhere and from this
    /// address; the address keeps its count of guesses at other logins.
    pub fn succeeded(&self, login: &str, address: IpAddr) {
        if let Ok(mut windows) = self.windows.lock() {
            windows.remove(&login_key(login));
            windows.remove(&pair_key(login, address));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.windows.lock().map_or(0, |w| w.len())
    }
}

/// The delay after `failures` of one login: none up to [`SLOW_AFTER`], then doubling from
/// [`FIRST_DELAY_MS`] up to [`MAX_DELAY_MS`].
fn delay(failures: u32) -> Duration {
    let Some(over) = failures.checked_sub(SLOW_AFTER) else {
        return Duration::ZERO;
    };
    let ms = FIRST_DELAY_MS.saturating_mul(1 << over.min(16));
    Duration::from_millis(ms.min(MAX_DELAY_MS))
}

/// Drops expired windows, then, if that is not enough, the oldest ones, until at most `keep`
/// are left. Dropping a tenth more than needed keeps this rare when under pressure.
fn make_room(windows: &mut HashMap<Key, Window>, now_ms: i64, keep: usize) {
    windows.retain(|_, w| now_ms < w.started_ms + WINDOW_MS);
    if windows.len() <= keep {
        return;
    }
    let target = keep - keep / 10;
    let mut starts: Vec<i64> = windows.values().map(|w| w.started_ms).collect();
    let drop = starts.len() - target;
    let (_, cutoff, _) = starts.select_nth_unstable(drop - 1);
    let cutoff = *cutoff;
    windows.retain(|_, w| w.started_ms > cutoff);
}

/// The block a client is counted as: its IPv4 address, or the /64 of its IPv6 address.
fn network(address: IpAddr) -> IpAddr {
    match address {
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

fn digest(kind: &[u8], parts: &[&[u8]]) -> Key {
    let mut h = Sha256::new();
    h.update(kind);
    for p in parts {
        // Lengths first, so that no two different tuples hash the same bytes.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

fn login_key(login: &str) -> Key {
    digest(b"login", &[login.to_lowercase().as_bytes()])
}

fn address_key(address: IpAddr) -> Key {
    digest(b"address", &[network(address).to_string().as_bytes()])
}

fn pair_key(login: &str, address: IpAddr) -> Key {
    digest(
        b"pair",
        &[
            login.to_lowercase().as_bytes(),
            network(address).to_string().as_bytes(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_login_is_locked_from_the_guessing_address_only() {
        let l = LoginLimiter::default();
        let (stranger, owner) = (ip("198.51.100.66"), ip("203.0.113.5"));
        for i in 0..PER_PAIR {
            assert!(l.check("eve@x", stranger, i64::from(i)).is_ok());
            l.failed("eve@x", stranger, i64::from(i));
        }
        let locked = l.check("EVE@x", stranger, 100).unwrap_err();
        assert_eq!(
            locked.retry_after_ms,
            WINDOW_MS - 100,
            "counted from the first"
        );
        assert!(
            l.check("eve@x", owner, 100).is_ok(),
            "the owner, elsewhere, is never locked out"
        );
        assert!(
            l.check("bob@x", stranger, 100).is_ok(),
            "the address may still try other logins"
        );
        assert!(
            l.check("eve@x", stranger, WINDOW_MS).is_ok(),
            "a new window"
        );
    }

    #[test]
    fn a_login_guessed_at_from_everywhere_is_slowed_within_a_bound_never_locked() {
        let l = LoginLimiter::default();
        let owner = ip("203.0.113.5");
        let mut last = Duration::ZERO;
        for i in 0..1000u32 {
            // A botnet: every attempt from its own address, so no pair is ever locked.
            let from = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            l.failed("admin", from, 0);
            let wait = l.check("admin", owner, 1).unwrap();
            assert!(wait >= last, "the delay never shrinks while failures grow");
            assert!(wait <= Duration::from_millis(MAX_DELAY_MS));
            last = wait;
        }
        assert_eq!(last, Duration::from_millis(MAX_DELAY_MS));
        assert_eq!(delay(SLOW_AFTER - 1), Duration::ZERO);
        assert_eq!(delay(SLOW_AFTER), Duration::from_millis(FIRST_DELAY_MS));
        assert_eq!(
            delay(SLOW_AFTER + 1),
            Duration::from_millis(2 * FIRST_DELAY_MS)
        );
        assert_eq!(delay(u32::MAX), Duration::from_millis(MAX_DELAY_MS));
        assert_eq!(
            l.check("admin", owner, WINDOW_MS),
            Ok(Duration::ZERO),
            "a new window"
        );
    }

    #[test]
    fn an_address_is_locked_across_logins() {
        let l = LoginLimiter::default();
        for i in 0..PER_ADDRESS {
            l.failed(&format!("user{i}"), ip("10.0.0.9"), 0);
        }
        assert!(l.check("fresh", ip("10.0.0.9"), 1).is_err());
        assert!(l.check("fresh", ip("10.0.0.8"), 1).is_ok());
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        let l = LoginLimiter::default();
        for i in 0..PER_PAIR {
            l.failed("eve", ip(&format!("2001:db8:1:2::{i:x}")), 0);
        }
        assert!(l.check("eve", ip("2001:db8:1:2:ffff::1"), 1).is_err());
        assert!(l.check("eve", ip("2001:db8:1:3::1"), 1).is_ok());
        // An IPv4 client seen through an IPv6 socket is the same client.
        for _ in 0..PER_PAIR {
            l.failed("eve", ip("192.0.2.7"), 0);
        }
        assert!(l.check("eve", ip("::ffff:192.0.2.7"), 1).is_err());
    }

    #[test]
    fn success_clears_the_login_and_its_pair_but_not_the_address() {
        let l = LoginLimiter::default();
        let a = ip("10.0.0.1");
        for _ in 0..PER_PAIR {
            l.failed("eve", a, 0);
        }
        for i in 0..PER_ADDRESS - PER_PAIR - 1 {
            l.failed(&format!("other{i}"), a, 0);
        }
        l.succeeded("eve", a);
        assert_eq!(l.check("eve", a, 1), Ok(Duration::ZERO));
        l.failed("eve", a, 1);
        assert!(l.check("eve", a, 2).is_err(), "the address's count stays");
    }

    #[test]
    fn the_counters_stay_bounded_and_keep_the_newest() {
        let l = LoginLimiter::bounded(300);
        for i in 0..5_000i64 {
            let from = IpAddr::from([10, 1, (i >> 8) as u8, i as u8]);
            l.failed(&format!("user{i}"), from, i);
            assert!(l.len() <= 300, "{} counters", l.len());
        }
        // The latest guesser is still counted after the table filled up many times.
        let last = IpAddr::from([10, 1, 0x13, 0x87]);
        for _ in 1..PER_PAIR {
            l.failed("user4999", last, 5_000);
        }
        assert!(l.check("user4999", last, 5_001).is_err());
    }
}
