//! A wall clock the running system can trust: time handed out is the last trusted wall reading
//! plus the monotonic time elapsed since, so it never goes back and never leaps when the
//! machine's wall clock jumps (an NTP server answering 1752, a ship's script moving the clock
//! an hour with every time zone). Jumps are detected, logged once, counted and kept for
//! `/metrics` and the console. The clock itself reads nothing: its [`Sources`] are injected,
//! the real ones by the binary's edge, fakes by the tests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use crate::Clock;

/// A wall reading differing from the projected time by more than this is a jump. NTP steps
/// (chrony's `makestep`, ntpd's 128 ms) stay under it and are followed; slewing moves the
/// wall and the monotonic clock alike and never shows here.
pub const TOLERANCE_MS: i64 = 2_000;

/// How many jumps are kept for the console.
pub const KEPT: usize = 8;

/// What the clock reads: the machine's wall clock and a monotonic clock.
pub trait Sources: Send + Sync + 'static {
    /// The wall clock: milliseconds since the Unix epoch, UTC; may jump either way.
    fn wall_ms(&self) -> i64;
    /// Milliseconds since some fixed origin, never decreasing (`std::time::Instant`).
    fn monotonic_ms(&self) -> u64;
}

/// One jump of the wall clock, as detected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockJump {
    /// Our time when the jump was seen.
    pub detected_ms: i64,
    /// Where the wall clock was expected to read (the projection plus the wall's offset from
    /// it before the jump).
    pub from_ms: i64,
    /// What the wall clock read.
    pub wall_ms: i64,
    /// The projected time: the last trusted wall reading plus the monotonic time since.
    pub projected_ms: i64,
}

impl ClockJump {
    /// The jump's size: positive forwards, negative backwards.
    pub fn size_ms(&self) -> i64 {
        self.wall_ms - self.from_ms
    }

    /// How far the wall clock is from our time after the jump (0 once it agrees again).
    pub fn offset_ms(&self) -> i64 {
        self.wall_ms - self.projected_ms
    }
}

/// The jumps a clock saw: how many since the start, and the latest few, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClockJumps {
    /// Jumps since the process started.
    pub total: u64,
    /// The latest [`KEPT`] jumps, newest first.
    pub recent: Vec<ClockJump>,
}

/// Where a clock keeps its jumps; shared with `/metrics` through [`publish`].
#[derive(Debug, Default)]
pub struct JumpRecord {
    inner: Mutex<(u64, VecDeque<ClockJump>)>,
}

impl JumpRecord {
    fn push(&self, jump: ClockJump) {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (total, recent) = &mut *guard;
        *total += 1;
        if recent.len() == KEPT {
            recent.pop_back();
        }
        recent.push_front(jump);
    }

    /// What was recorded so far.
    pub fn read(&self) -> ClockJumps {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        ClockJumps {
            total: guard.0,
            recent: guard.1.iter().cloned().collect(),
        }
    }
}

/// The record `/metrics` renders: the machine has one wall clock, so a process has one record
/// of its jumps, published by the clock the binary runs the server on.
static PUBLISHED: OnceLock<Arc<JumpRecord>> = OnceLock::new();

/// Makes `record` the one `/metrics` renders; a second call changes nothing and says false.
pub fn publish(record: Arc<JumpRecord>) -> bool {
    PUBLISHED.set(record).is_ok()
}

/// The jumps of the published record (none when no clock published one).
pub fn published() -> ClockJumps {
    PUBLISHED.get().map(|r| r.read()).unwrap_or_default()
}

struct State {
    /// The last trusted wall reading and the monotonic reading taken with it.
    anchor_wall_ms: i64,
    anchor_mono_ms: u64,
    /// The wall clock minus the projection at the last reading: 0 while they agree.
    offset_ms: i64,
    /// The last time handed out.
    last_ms: i64,
}

/// The server's clock: the last trusted wall reading plus the monotonic time elapsed since.
///
/// A wall reading within [`TOLERANCE_MS`] of the projection is trusted and becomes the new
/// anchor (small NTP steps are followed; one step back within the tolerance holds the time
/// handed out still rather than moving it back). A reading whose offset from the projection
/// changed by more than the tolerance since the last reading is a jump: logged once at warn,
/// counted, kept. Its return to agreement is a jump too (the ship's clock moving back an hour
/// after moving it forward is two jumps).
///
/// **A wall clock that stays away is never followed**, however long it stays: the time handed
/// out keeps running on the monotonic clock from the last trusted reading until the wall
/// clock agrees again or the server restarts (and anchors anew). Reasons: the times handed
/// out measure outages, and SLA credits are paid on those durations — adopting a forward
/// correction adds its size to every outage open at that moment, time that never passed;
/// adopting a backward one breaks the order of everything recorded. And a wall clock that is
/// stable at a new value is no evidence that the new value is right: the ship's clock stays
/// an hour off for the hours it spends in a time zone, the NTP server that gave 1752 kept
/// giving it. The cost is a server started before its clock was set (start it after
/// `time-sync.target`): the console shows the jump until an operator restarts it.
pub struct SteadyClock<S> {
    sources: S,
    tolerance_ms: i64,
    state: Mutex<State>,
    record: Arc<JumpRecord>,
}

impl<S: Sources> SteadyClock<S> {
    /// A clock anchored at the wall clock now, with the default tolerance.
    pub fn new(sources: S) -> Self {
        Self::with_tolerance(sources, TOLERANCE_MS)
    }

    /// A clock anchored at the wall clock now; wall readings off by more than `tolerance_ms`
    /// are jumps.
    pub fn with_tolerance(sources: S, tolerance_ms: i64) -> Self {
        let wall = sources.wall_ms();
        let mono = sources.monotonic_ms();
        Self {
            sources,
            tolerance_ms: tolerance_ms.max(0),
            state: Mutex::new(State {
                anchor_wall_ms: wall,
                anchor_mono_ms: mono,
                offset_ms: 0,
                last_ms: wall,
            }),
            record: Arc::new(JumpRecord::default()),
        }
    }

    /// Where this clock keeps its jumps (to [`publish`] it).
    pub fn record(&self) -> Arc<JumpRecord> {
        Arc::clone(&self.record)
    }

    /// Reads both sources, detects a jump, and hands out the time.
    fn read(&self) -> i64 {
        let (now, jump) = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            // Both read under the lock, so that concurrent readers see them in order.
            let wall = self.sources.wall_ms();
            let mono = self.sources.monotonic_ms();
            let elapsed = mono.saturating_sub(s.anchor_mono_ms);
            let mut projected = s
                .anchor_wall_ms
                .saturating_add(i64::try_from(elapsed).unwrap_or(i64::MAX));
            let offset = wall.saturating_sub(projected);
            let jump =
                (offset.saturating_sub(s.offset_ms).abs() > self.tolerance_ms).then(|| ClockJump {
                    detected_ms: projected.max(s.last_ms),
                    from_ms: projected.saturating_add(s.offset_ms),
                    wall_ms: wall,
                    projected_ms: projected,
                });
            s.offset_ms = offset;
            if offset.abs() <= self.tolerance_ms {
                s.anchor_wall_ms = wall;
                s.anchor_mono_ms = mono;
                projected = wall;
            }
            s.last_ms = s.last_ms.max(projected);
            (s.last_ms, jump)
        };
        if let Some(j) = jump {
            tracing::warn!(
                clock.from_ms = j.from_ms,
                clock.to_ms = j.wall_ms,
                clock.jump_ms = j.size_ms(),
                clock.projected_ms = j.projected_ms,
                "the wall clock jumped by {} ms; time keeps running from the last trusted reading",
                j.size_ms()
            );
            self.record.push(j);
        }
        now
    }
}

impl<S: Sources> Clock for SteadyClock<S> {
    fn now_ms(&self) -> i64 {
        self.read()
    }

    fn jumps(&self) -> ClockJumps {
        self.record.read()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

    use super::*;

    /// A wall clock and a monotonic clock the test sets.
    #[derive(Clone, Default)]
    struct Fake {
        wall: Arc<AtomicI64>,
        mono: Arc<AtomicU64>,
    }

    impl Fake {
        fn at(wall: i64) -> Self {
            let f = Self::default();
            f.wall.store(wall, Ordering::SeqCst);
            f
        }

        /// Real time passes: both clocks move by `ms`.
        fn pass(&self, ms: i64) {
            self.nudge(ms);
            self.mono.fetch_add(ms as u64, Ordering::SeqCst);
        }

        /// Someone sets the wall clock.
        fn set_wall(&self, ms: i64) {
            self.wall.store(ms, Ordering::SeqCst);
        }

        /// The wall clock moves by `ms` (NTP's small steps), the monotonic clock does not.
        fn nudge(&self, ms: i64) {
            self.wall.fetch_add(ms, Ordering::SeqCst);
        }

        fn wall(&self) -> i64 {
            self.wall.load(Ordering::SeqCst)
        }
    }

    impl Sources for Fake {
        fn wall_ms(&self) -> i64 {
            self.wall.load(Ordering::SeqCst)
        }
        fn monotonic_ms(&self) -> u64 {
            self.mono.load(Ordering::SeqCst)
        }
    }

    /// 2026-12-02T12:00:00Z.
    const T0: i64 = 1_796_212_800_000;
    /// 1752-09-02T12:00:00Z (a Julian-calendar NTP answer, seed 002).
    const Y1752: i64 = -6_879_124_800_000;
    const HOUR: i64 = 3_600_000;

    #[test]
    fn follows_an_agreeing_wall_clock() {
        let f = Fake::at(T0);
        let c = SteadyClock::new(f.clone());
        assert_eq!(c.now_ms(), T0);
        f.pass(1_234);
        assert_eq!(c.now_ms(), T0 + 1_234);
        assert_eq!(c.jumps(), ClockJumps::default());
    }

    #[test]
    fn a_jump_back_an_hour_is_counted_once_and_not_followed() {
        let f = Fake::at(T0);
        let c = SteadyClock::new(f.clone());
        f.pass(10_000);
        f.set_wall(f.wall() - HOUR);
        assert_eq!(c.now_ms(), T0 + 10_000);
        f.pass(5_000);
        assert_eq!(c.now_ms(), T0 + 15_000);
        f.pass(5_000);
        assert_eq!(c.now_ms(), T0 + 20_000);
        let j = c.jumps();
        assert_eq!(j.total, 1, "{j:?}");
        let jump = &j.recent[0];
        assert_eq!(jump.size_ms(), -HOUR);
        assert_eq!(jump.from_ms, T0 + 10_000);
        assert_eq!(jump.wall_ms, T0 + 10_000 - HOUR);
        assert_eq!(jump.projected_ms, T0 + 10_000);
        assert_eq!(jump.detected_ms, T0 + 10_000);
    }

    #[test]
    fn the_ship_back_and_forth_is_two_jumps_and_agreement_again() {
        let f = Fake::at(T0);
        let c = SteadyClock::new(f.clone());
        f.pass(1_000);
        f.set_wall(f.wall() - HOUR);
        assert_eq!(c.now_ms(), T0 + 1_000);
        f.pass(60_000);
        assert_eq!(c.now_ms(), T0 + 61_000);
        f.set_wall(f.wall() + HOUR);
        f.pass(1_000);
        assert_eq!(c.now_ms(), T0 + 62_000);
        let j = c.jumps();
        assert_eq!(j.total, 2);
        assert_eq!(j.recent[0].size_ms(), HOUR);
        assert_eq!(j.recent[0].offset_ms(), 0);
        assert_eq!(j.recent[1].size_ms(), -HOUR);
        // Trusted again: a small step of the wall clock is followed.
        f.nudge(500);
        assert_eq!(c.now_ms(), T0 + 62_500);
    }

    #[test]
    fn a_jump_to_1752_is_not_followed() {
        let f = Fake::at(T0);
        let c = SteadyClock::new(f.clone());
        f.pass(3_000);
        f.set_wall(Y1752);
        assert_eq!(c.now_ms(), T0 + 3_000);
        f.pass(7_000);
        assert_eq!(c.now_ms(), T0 + 10_000);
        let j = c.jumps();
        assert_eq!(j.total, 1);
        assert_eq!(j.recent[0].wall_ms, Y1752);
        assert_eq!(j.recent[0].size_ms(), Y1752 - (T0 + 3_000));
    }

    #[test]
    fn a_jump_forward_is_not_followed_however_long_it_stays() {
        let f = Fake::at(T0);
        let c = SteadyClock::new(f.clone());
        f.set_wall(T0 + 5 * HOUR);
        f.pass(100);
        assert_eq!(c.now_ms(), T0 + 100);
        f.pass(24 * HOUR);
        assert_eq!(c.now_ms(), T0 + 100 + 24 * HOUR);
        assert_eq!(c.jumps().total, 1);
        assert_eq!(c.jumps().recent[0].size_ms(), 5 * HOUR);
    }

    #[test]
    fn a_slow_slew_under_the_tolerance_is_followed_not_a_jump() {
        let f = Fake::at(T0);
        let c = SteadyClock::new(f.clone());
        let mut last = c.now_ms();
        // The wall clock gains 1.5 s against the monotonic clock every minute, for an hour:
        // 90 s in all, never 2 s at once.
        for _ in 0..60 {
            f.pass(60_000);
            f.nudge(1_500);
            let now = c.now_ms();
            assert_eq!(now, f.wall());
            assert!(now > last);
            last = now;
        }
        assert_eq!(c.jumps().total, 0);
    }

    #[test]
    fn a_step_back_within_the_tolerance_holds_time_still() {
        let f = Fake::at(T0);
        let c = SteadyClock::new(f.clone());
        f.pass(5_000);
        assert_eq!(c.now_ms(), T0 + 5_000);
        f.nudge(-1_500);
        assert_eq!(c.now_ms(), T0 + 5_000);
        f.pass(1_000);
        assert_eq!(c.now_ms(), T0 + 5_000);
        f.pass(1_000);
        assert_eq!(c.now_ms(), T0 + 5_500);
        assert_eq!(c.jumps().total, 0);
    }

    #[test]
    fn times_handed_out_never_decrease_whatever_the_wall_clock_does() {
        let f = Fake::at(T0);
        let c = SteadyClock::new(f.clone());
        let mut last = c.now_ms();
        // A deterministic walk: real time passes by 0..997 ms, the wall clock is set now and
        // then anywhere from 1752 to hours ahead, or nudged by less than the tolerance.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let step = (x % 997) as i64;
            f.pass(step);
            match x % 11 {
                0 => f.set_wall(Y1752 + (x % 1_000) as i64),
                1 => f.set_wall(f.wall() - HOUR),
                2 => f.set_wall(f.wall() + 3 * HOUR),
                3 => f.nudge((x % 3_999) as i64 - 1_999),
                _ => {}
            };
            let now = c.now_ms();
            assert!(now >= last, "{now} after {last}");
            last = now;
        }
        assert!(c.jumps().total > 0);
        assert!(c.jumps().recent.len() <= KEPT);
    }

    #[test]
    fn keeps_the_latest_jumps_newest_first_and_counts_all() {
        let f = Fake::at(T0);
        let c = SteadyClock::new(f.clone());
        for i in 0..(KEPT as i64 + 3) {
            f.pass(1_000);
            // Alternately an hour back and agreeing again.
            let target = if i % 2 == 0 {
                f.wall() - HOUR
            } else {
                f.wall() + HOUR
            };
            f.set_wall(target);
            c.now_ms();
        }
        let j = c.jumps();
        assert_eq!(j.total, KEPT as u64 + 3);
        assert_eq!(j.recent.len(), KEPT);
        assert!(j
            .recent
            .windows(2)
            .all(|w| w[0].detected_ms > w[1].detected_ms));
    }
}
