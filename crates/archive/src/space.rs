//! Which bytes of each volume are live, and which whole blocks around a dead record can be
//! given back to the file system.
//!
//! Records are packed back to back, so a dead record alone rarely covers a whole block; the
//! punchable range is the block-aligned inside of the whole dead gap between its live
//! neighbours, which grows as neighbours die.

use std::collections::BTreeMap;

use crate::format::{BLOCK, VOLUME_HEADER_LEN};

/// Live extents `[start, end)` of every volume.
#[derive(Debug, Default)]
pub struct Space {
    live: BTreeMap<u32, BTreeMap<u64, u64>>,
}

impl Space {
    /// Marks `[start, end)` of `volume` live.
    pub fn add(&mut self, volume: u32, start: u64, end: u64) {
        self.live.entry(volume).or_default().insert(start, end);
    }

    /// Marks the extent starting at `start` dead, returning its end.
    pub fn remove(&mut self, volume: u32, start: u64) -> Option<u64> {
        self.live.get_mut(&volume)?.remove(&start)
    }

    /// Forgets a volume (it was rewritten or removed).
    pub fn drop_volume(&mut self, volume: u32) {
        self.live.remove(&volume);
    }

    /// End of the last live extent in `volume` (0 when none).
    pub fn end_of(&self, volume: u32) -> u64 {
        self.live
            .get(&volume)
            .and_then(|m| m.values().next_back())
            .copied()
            .unwrap_or(0)
    }

    /// Sum of live extent lengths in `volume`.
    pub fn live_bytes(&self, volume: u32) -> u64 {
        self.live
            .get(&volume)
            .map_or(0, |m| m.iter().map(|(s, e)| e - s).sum())
    }

    /// The whole blocks inside the dead gap around `[start, end)` of `volume`, whose log ends
    /// at `limit`; `None` when the gap holds no whole block.
    pub fn dead_blocks(&self, volume: u32, start: u64, end: u64, limit: u64) -> Option<(u64, u64)> {
        let empty = BTreeMap::new();
        let m = self.live.get(&volume).unwrap_or(&empty);
        let lo = m
            .range(..start)
            .next_back()
            .map_or(VOLUME_HEADER_LEN, |(_, e)| *e)
            .max(VOLUME_HEADER_LEN);
        let hi = m.range(end..).next().map_or(limit, |(s, _)| *s);
        let lo = lo.div_ceil(BLOCK) * BLOCK;
        let hi = hi / BLOCK * BLOCK;
        (lo < hi).then_some((lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_grows_as_neighbours_die() {
        let mut s = Space::default();
        // Three records of 4170 bytes back to back from the header on.
        let r = |i: u64| (64 + i * 4170, 64 + (i + 1) * 4170);
        for i in 0..3 {
            let (a, b) = r(i);
            s.add(1, a, b);
        }
        let limit = r(2).1;
        let (a, b) = r(1);
        s.remove(1, a);
        // Alone, record 1 covers [4234, 8404): block [4096, 8192) is not inside it.
        assert_eq!(s.dead_blocks(1, a, b, limit), None);
        let (a0, b0) = r(0);
        s.remove(1, a0);
        // With record 0 dead too the gap is [64, 8404): block [4096, 8192) goes.
        assert_eq!(s.dead_blocks(1, a0, b0, limit), Some((4096, 8192)));
        assert_eq!(s.live_bytes(1), 4170);
    }
}
