//! Login attempts limited so that passwords are guessed slowly and an owner is never shut
//! out. Failures are counted in fixed windows per login and address together, per address,
//! and per login. A pair or an address that used up its failures is locked until its window
//! ends, and a locked attempt computes no hash. A login's failures from everywhere only slow
//! its attempts down, by a bounded delay: locking the login itself would let anybody keep its
//! owner out by guessing wrong on purpose.
//!
//! IPv6 clients are counted per /64, the block one subscriber usually holds, so that walking
//! through one's own addresses does not reset the count.
//!
//! The counters live in the database, so that every instance on it counts every failure.

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tocsin_store::{AnyStore, LimitStore};

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

/// Why an attempt is refused before its password is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// How long until the lock's window ends.
    pub retry_after_ms: i64,
}

/// What a counter is kept under: a digest, so that a key's size does not depend on the
/// login a stranger typed, and the database never holds the logins strangers tried.
type Key = [u8; 32];

/// The policy over the failure counters, which live in the database so that every instance
/// counts every failure (a restart keeps them; windows that ended are purged hourly).
#[derive(Debug)]
pub struct LoginLimiter;

impl LoginLimiter {
    /// How long to wait before looking at the password of an attempt of `login` from
    /// `address` (zero mostly), or `Locked` when that pair or that address has used up its
    /// failures in the current window.
    pub async fn check(
        &self,
        store: &AnyStore,
        login: &str,
        address: IpAddr,
        now_ms: i64,
    ) -> Result<Duration, Locked> {
        let (pair, by_address, by_login) = (
            pair_key(login, address),
            address_key(address),
            login_key(login),
        );
        // Failing open: when the counters cannot be read, the attempt goes on unslowed. Failing
        // closed would refuse every owner with a false "wait" whenever the database hiccups,
        // and would protect little: the password check reads the same database, so a guess
        // let through here is only looked at while the database answers again, and is then
        // counted like any other.
        let windows = match store
            .login_failures(&[pair, by_address, by_login], now_ms)
            .await
        {
            Ok(windows) => windows,
            Err(e) => {
                tracing::warn!(error = %e, "login limit: failures not read, attempt not limited");
                return Ok(Duration::ZERO);
            }
        };
        let failures = |key: &Key| windows.iter().find(|w| w.key == *key);
        let mut wait = 0;
        for (key, limit) in [(pair, PER_PAIR), (by_address, PER_ADDRESS)] {
            if let Some(w) = failures(&key).filter(|w| w.failures >= limit) {
                wait = wait.max(w.ends_ms - now_ms);
            }
        }
        if wait > 0 {
            return Err(Locked {
                retry_after_ms: wait,
            });
        }
        let login_failures = failures(&by_login).map_or(0, |w| w.failures);
        Ok(delay(login_failures))
    }

    /// Counts a failed attempt.
    pub async fn failed(&self, store: &AnyStore, login: &str, address: IpAddr, now_ms: i64) {
        let keys = [
            pair_key(login, address),
            address_key(address),
            login_key(login),
        ];
        if let Err(e) = store.count_login_failure(&keys, now_ms, WINDOW_MS).await {
            tracing::warn!(error = %e, "login limit: failure not counted");
        }
    }

    /// Forgets the failures of a login that just succeeded, from everywhere and from this
    /// address; the address keeps its count of guesses at other logins.
    pub async fn succeeded(&self, store: &AnyStore, login: &str, address: IpAddr) {
        let keys = [login_key(login), pair_key(login, address)];
        if let Err(e) = store.clear_login_failures(&keys).await {
            tracing::warn!(error = %e, "login limit: failures of a good login not cleared");
        }
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

    use tocsin_store::Store;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// A fresh in-memory database: sqlx shares one per pool across its connections.
    async fn store() -> AnyStore {
        let store = AnyStore::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        store
    }

    #[tokio::test]
    async fn a_login_is_locked_from_the_guessing_address_only() {
        let (l, s) = (LoginLimiter, store().await);
        let (stranger, owner) = (ip("198.51.100.66"), ip("203.0.113.5"));
        for i in 0..PER_PAIR {
            assert!(l.check(&s, "eve@x", stranger, i64::from(i)).await.is_ok());
            l.failed(&s, "eve@x", stranger, i64::from(i)).await;
        }
        let locked = l.check(&s, "EVE@x", stranger, 100).await.unwrap_err();
        assert_eq!(
            locked.retry_after_ms,
            WINDOW_MS - 100,
            "counted from the first"
        );
        assert!(
            l.check(&s, "eve@x", owner, 100).await.is_ok(),
            "the owner, elsewhere, is never locked out"
        );
        assert!(
            l.check(&s, "bob@x", stranger, 100).await.is_ok(),
            "the address may still try other logins"
        );
        assert!(
            l.check(&s, "eve@x", stranger, WINDOW_MS).await.is_ok(),
            "a new window"
        );
    }

    #[tokio::test]
    async fn a_login_guessed_at_from_everywhere_is_slowed_within_a_bound_never_locked() {
        let (l, s) = (LoginLimiter, store().await);
        let owner = ip("203.0.113.5");
        let mut last = Duration::ZERO;
        for i in 0..1000u32 {
            // A botnet: every attempt from its own address, so no pair is ever locked.
            let from = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            l.failed(&s, "admin", from, 0).await;
            let wait = l.check(&s, "admin", owner, 1).await.unwrap();
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
            l.check(&s, "admin", owner, WINDOW_MS).await,
            Ok(Duration::ZERO),
            "a new window"
        );
    }

    #[tokio::test]
    async fn an_address_is_locked_across_logins() {
        let (l, s) = (LoginLimiter, store().await);
        for i in 0..PER_ADDRESS {
            l.failed(&s, &format!("user{i}"), ip("10.0.0.9"), 0).await;
        }
        assert!(l.check(&s, "fresh", ip("10.0.0.9"), 1).await.is_err());
        assert!(l.check(&s, "fresh", ip("10.0.0.8"), 1).await.is_ok());
    }

    #[tokio::test]
    async fn an_ipv6_client_is_counted_by_its_64() {
        let (l, s) = (LoginLimiter, store().await);
        for i in 0..PER_PAIR {
            l.failed(&s, "eve", ip(&format!("2001:db8:1:2::{i:x}")), 0)
                .await;
        }
        assert!(l
            .check(&s, "eve", ip("2001:db8:1:2:ffff::1"), 1)
            .await
            .is_err());
        assert!(l.check(&s, "eve", ip("2001:db8:1:3::1"), 1).await.is_ok());
        // An IPv4 client seen through an IPv6 socket is the same client.
        for _ in 0..PER_PAIR {
            l.failed(&s, "eve", ip("192.0.2.7"), 0).await;
        }
        assert!(l.check(&s, "eve", ip("::ffff:192.0.2.7"), 1).await.is_err());
    }

    #[tokio::test]
    async fn success_clears_the_login_and_its_pair_but_not_the_address() {
        let (l, s) = (LoginLimiter, store().await);
        let a = ip("10.0.0.1");
        for _ in 0..PER_PAIR {
            l.failed(&s, "eve", a, 0).await;
        }
        for i in 0..PER_ADDRESS - PER_PAIR - 1 {
            l.failed(&s, &format!("other{i}"), a, 0).await;
        }
        l.succeeded(&s, "eve", a).await;
        assert_eq!(l.check(&s, "eve", a, 1).await, Ok(Duration::ZERO));
        l.failed(&s, "eve", a, 1).await;
        assert!(
            l.check(&s, "eve", a, 2).await.is_err(),
            "the address's count stays"
        );
    }

    #[tokio::test]
    async fn purging_forgets_ended_windows_and_keeps_the_live_ones() {
        let (l, s) = (LoginLimiter, store().await);
        for i in 0..300i64 {
            let from = IpAddr::from([10, 1, (i >> 8) as u8, i as u8]);
            l.failed(&s, &format!("user{i}"), from, i).await;
        }
        // The latest guesser is still counted once the windows before it are purged.
        let last = IpAddr::from([10, 1, 0x01, 0x2b]);
        for _ in 1..PER_PAIR {
            l.failed(&s, "user299", last, 300).await;
        }
        let now = WINDOW_MS + 298;
        let purged = s.purge_login_failures(now).await.unwrap();
        assert_eq!(
            purged,
            3 * 299,
            "three counters a guess; all but the last's ended"
        );
        assert!(l.check(&s, "user299", last, now).await.is_err());
        assert_eq!(s.purge_login_failures(now).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_failing_database_lets_attempts_through() {
        // Never migrated: every statement on the counters fails.
        let (l, s) = (
            LoginLimiter,
            AnyStore::connect("sqlite::memory:").await.unwrap(),
        );
        for _ in 0..PER_PAIR {
            l.failed(&s, "eve", ip("10.0.0.1"), 0).await;
        }
        assert_eq!(
            l.check(&s, "eve", ip("10.0.0.1"), 1).await,
            Ok(Duration::ZERO)
        );
        l.failed(&s, "eve", ip("10.0.0.1"), 1).await;
        l.succeeded(&s, "eve", ip("10.0.0.1")).await;
    }
}
