//! The link's parallel transfer lanes: each lane holds one VM at a time, so `streams` lanes
//! never carry more than `streams` VMs at any instant. Busy time is kept as merged blocks,
//! because VMs packed back to back make one block, and a full night is one block to skip.

use super::Interval;

/// Busy blocks per lane, each list sorted and disjoint, touching blocks merged.
#[derive(Debug, Clone)]
pub(crate) struct Lanes {
    busy: Vec<Vec<Interval>>,
}

/// Free time of each lane inside one interval, to pack into before committing.
#[derive(Debug, Clone)]
pub(crate) struct Gaps {
    free: Vec<Vec<Interval>>,
}

/// Where one VM goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) lane: usize,
    pub(crate) start: i64,
}

impl Lanes {
    pub(crate) fn new(streams: u32) -> Lanes {
        Lanes {
            busy: vec![Vec::new(); streams.max(1) as usize],
        }
    }

    /// The free time of every lane inside `within`.
    pub(crate) fn gaps(&self, within: Interval) -> Gaps {
        let free = self
            .busy
            .iter()
            .map(|blocks| {
                let mut gaps = Vec::new();
                let mut at = within.start;
                let first = blocks.partition_point(|b| b.end <= within.start);
                for b in &blocks[first..] {
                    if b.start >= within.end {
                        break;
                    }
                    if b.start > at {
                        gaps.push(Interval {
                            start: at,
                            end: b.start,
                        });
                    }
                    at = at.max(b.end);
                }
                if within.end > at {
                    gaps.push(Interval {
                        start: at,
                        end: within.end,
                    });
                }
                gaps
            })
            .collect();
        Gaps { free }
    }

    /// Marks `[slot.start, slot.start + length)` busy on the slot's lane; it must be free.
    pub(crate) fn occupy(&mut self, slot: Slot, length: i64) {
        let Some(blocks) = self.busy.get_mut(slot.lane) else {
            return;
        };
        let new = Interval {
            start: slot.start,
            end: slot.start + length,
        };
        let at = blocks.partition_point(|b| b.end < new.start);
        let joins_before = at < blocks.len() && blocks[at].end == new.start;
        let next = if joins_before { at + 1 } else { at };
        let joins_after = next < blocks.len() && blocks[next].start == new.end;
        match (joins_before, joins_after) {
            (true, true) => {
                blocks[at].end = blocks[next].end;
                blocks.remove(next);
            }
            (true, false) => blocks[at].end = new.end,
            (false, true) => blocks[next].start = new.start,
            (false, false) => blocks.insert(at, new),
        }
    }

    /// Every lane's busy blocks, for checks.
    #[cfg(test)]
    pub(crate) fn blocks(&self) -> &[Vec<Interval>] {
        &self.busy
    }
}

impl Gaps {
    /// The most free time any lane has in one piece.
    pub(crate) fn longest(&self) -> i64 {
        self.free
            .iter()
            .flatten()
            .map(|g| g.end - g.start)
            .max()
            .unwrap_or(0)
    }

    /// All free time, summed over the lanes.
    pub(crate) fn total(&self) -> i64 {
        self.free.iter().flatten().map(|g| g.end - g.start).sum()
    }

    /// Takes the earliest start of `length` on any lane (the lowest lane on a tie), or `None`.
    pub(crate) fn take(&mut self, length: i64) -> Option<Slot> {
        let mut best: Option<(i64, usize, usize)> = None;
        for (lane, gaps) in self.free.iter().enumerate() {
            if let Some(g) = gaps.iter().position(|g| g.end - g.start >= length) {
                let start = gaps[g].start;
                if best.is_none_or(|(s, _, _)| start < s) {
                    best = Some((start, lane, g));
                }
            }
        }
        let (start, lane, g) = best?;
        let gap = &mut self.free[lane][g];
        gap.start += length;
        if gap.start == gap.end {
            self.free[lane].remove(g);
        }
        Some(Slot { lane, start })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(start: i64, end: i64) -> Interval {
        Interval { start, end }
    }

    #[test]
    fn packing_fills_the_earliest_free_time_and_merges_blocks() {
        let mut lanes = Lanes::new(2);
        let mut gaps = lanes.gaps(iv(0, 100));
        let a = gaps.take(60).unwrap();
        let b = gaps.take(60).unwrap();
        let c = gaps.take(40).unwrap();
        assert_eq!((a.lane, a.start), (0, 0));
        assert_eq!((b.lane, b.start), (1, 0));
        assert_eq!((c.lane, c.start), (0, 60));
        assert_eq!(gaps.take(1), Some(Slot { lane: 1, start: 60 }));
        for (s, l) in [(a, 60), (b, 60), (c, 40)] {
            lanes.occupy(s, l);
        }
        assert_eq!(lanes.blocks()[0], vec![iv(0, 100)]);
        let gaps = lanes.gaps(iv(0, 100));
        assert_eq!(gaps.longest(), 40);
        assert_eq!(gaps.total(), 40);
    }

    #[test]
    fn gaps_are_cut_to_the_interval_and_blocks_merge_on_both_sides() {
        let mut lanes = Lanes::new(1);
        lanes.occupy(Slot { lane: 0, start: 10 }, 10);
        lanes.occupy(Slot { lane: 0, start: 30 }, 10);
        let gaps = lanes.gaps(iv(15, 35));
        assert_eq!(gaps.free[0], vec![iv(20, 30)]);
        lanes.occupy(Slot { lane: 0, start: 20 }, 10);
        assert_eq!(lanes.blocks()[0], vec![iv(10, 40)]);
        lanes.occupy(Slot { lane: 0, start: 0 }, 5);
        assert_eq!(lanes.blocks()[0], vec![iv(0, 5), iv(10, 40)]);
    }
}
