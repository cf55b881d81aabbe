//! Login attempts limited per login and per client address: a fixed window of failures, so a
//! password can be guessed at most a handful of times per window whatever the attacker does,
//! and a hash is never computed for a refused attempt.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failed attempts allowed per login in one window.
pub const PER_LOGIN: u32 = 5;
/// Failed attempts allowed per client address in one window.
pub const PER_ADDRESS: u32 = 20;
/// The window.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Keys kept at most; older windows are dropped first when full.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    started_ms: i64,
    failures: u32,
}

/// Failure counters, in memory (a restart forgets them; the window is short anyway).
#[derive(Debug, Default)]
pub struct LoginLimiter {
    windows: Mutex<HashMap<String, Window>>,
}

impl LoginLimiter {
    /// `Err(ms)` with the wait before the next attempt when `login` or `address` has used up
    /// its failures in the current window.
    pub fn check(&self, login: &str, address: &str, now_ms: i64) -> Result<(), i64> {
        let Ok(windows) = self.windows.lock() else {
            return Ok(());
        };
        let mut wait = 0;
        for (key, limit) in [
            (key("l", login), PER_LOGIN),
            (key("a", address), PER_ADDRESS),
        ] {
            if let Some(w) = windows.get(&key) {
                let ends = w.started_ms + WINDOW_MS;
                if now_ms < ends && w.failures >= limit {
                    wait = wait.max(ends - now_ms);
                }
            }
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// Counts a failed attempt.
    pub fn failed(&self, login: &str, address: &str, now_ms: i64) {
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        if windows.len() >= MAX_KEYS {
            windows.retain(|_, w| now_ms < w.started_ms + WINDOW_MS);
        }
        for k in [key("l", login), key("a", address)] {
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
            w.failures += 1;
        }
    }

    /// Forgets the failures of a login that just succeeded.
    pub fn succeeded(&self, login: &str) {
        if let Ok(mut windows) = self.windows.lock() {
            windows.remove(&key("l", login));
        }
    }
}

fn key(kind: &str, value: &str) -> String {
    format!("{kind}:{}", value.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_locked_after_its_failures_until_the_window_ends() {
        let l = LoginLimiter::default();
        for i in 0..PER_LOGIN {
            assert!(l.check("eve@x", "10.0.0.1", i as i64).is_ok());
            l.failed("eve@x", "10.0.0.1", i as i64);
        }
        let wait = l.check("EVE@x", "10.0.0.2", 100).unwrap_err();
        assert_eq!(wait, WINDOW_MS - 100);
        assert!(
            l.check("bob@x", "10.0.0.2", 100).is_ok(),
            "others are not locked"
        );
        assert!(
            l.check("eve@x", "10.0.0.1", WINDOW_MS).is_ok(),
            "a new window"
        );
    }

    #[test]
    fn an_address_is_locked_across_logins() {
        let l = LoginLimiter::default();
        for i in 0..PER_ADDRESS {
            l.failed(&format!("user{i}"), "10.0.0.9", 0);
        }
        assert!(l.check("fresh", "10.0.0.9", 1).is_err());
        assert!(l.check("fresh", "10.0.0.8", 1).is_ok());
    }

    #[test]
    fn success_clears_the_login() {
        let l = LoginLimiter::default();
        for _ in 0..PER_LOGIN {
            l.failed("eve", "a", 0);
        }
        l.succeeded("eve");
        assert!(l.check("eve", "b", 1).is_ok());
    }
}
