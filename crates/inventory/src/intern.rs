//! The interning of ids while files are read: each distinct id numbered densely in the order
//! first named, as [`Names`] numbers them, in a table laid out for a loader that looks up a
//! million ids in random order. A slot holds the number and part of the hash in eight bytes,
//! so a lookup costs one cache line of table instead of hashbrown's two (control bytes and
//! slots), and the loader can touch the slot of an id a few entries before it needs it.
//! [`Ids::into_names`] hands the same numbering over to the model at the end.

use std::hash::BuildHasher;

use hashbrown::DefaultHashBuilder;
use tocsin_model::names::Names;

/// Distinct ids numbered from 0 in insertion order.
#[derive(Clone, Default)]
pub(crate) struct Ids {
    text: String,
    ends: Vec<u32>,
    /// Open addressing with linear probing: `tag << 32 | (number + 1)`, where `tag` is the
    /// hash's high half; 0 is an empty slot. Its length is a power of two, or zero.
    slots: Vec<u64>,
    hasher: DefaultHashBuilder,
}

/// Slots are added when more than this share of them (in eighths) is taken.
const LOAD_EIGHTHS: usize = 6;

impl Ids {
    /// How many ids there are.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The hash `insert_hashed` and `prefetch` take for `name`.
    pub(crate) fn hash(&self, name: &str) -> u64 {
        self.hasher.hash_one(name)
    }

    /// Makes room for `n` more ids of `bytes` bytes in all.
    pub(crate) fn reserve(&mut self, n: usize, bytes: usize) {
        self.text.reserve(bytes);
        self.ends.reserve(n);
        self.grow_for(self.ends.len() + n);
    }

    /// The id numbered `i`, or "" for a number never handed out.
    pub(crate) fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        let start = match i.checked_sub(1) {
            Some(p) => self.ends.get(p).copied().unwrap_or(0) as usize,
            None => 0,
        };
        self.text.get(start..end).unwrap_or("")
    }

    /// Adds `name` and returns `(number, true)`, or the existing number and `false`.
    pub(crate) fn insert(&mut self, name: &str) -> (u32, bool) {
        let hash = self.hash(name);
        self.insert_hashed(name, hash)
    }

    /// As [`Ids::insert`], with `hash` from [`Ids::hash`] of `name`.
    pub(crate) fn insert_hashed(&mut self, name: &str, hash: u64) -> (u32, bool) {
        if (self.ends.len() + 1) * 8 > self.slots.len() * LOAD_EIGHTHS {
            self.grow_for(self.ends.len() + 1);
        }
        let mask = self.slots.len() - 1;
        let tag = hash >> 32;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                let n = self.ends.len() as u32;
                self.text.push_str(name);
                self.ends.push(self.text.len() as u32);
                self.slots[i] = tag << 32 | (u64::from(n) + 1);
                return (n, true);
            }
            if slot >> 32 == tag {
                let n = (slot as u32).wrapping_sub(1);
                if self.get(n) == name {
                    return (n, false);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Asks the processor to bring in the slot where `hash` starts its probe, so that the
    /// cache holds it when the insert comes: a few entries ahead, several misses overlap.
    pub(crate) fn prefetch(&self, hash: u64) {
        let Some(mask) = self.slots.len().checked_sub(1) else {
            return;
        };
        let slot: *const u64 = &self.slots[hash as usize & mask];
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch only hints the cache and never faults; the intrinsic needs
        // `unsafe` before Rust 1.87, which made it safe where SSE is on (always on x86_64).
        #[allow(unused_unsafe)]
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(slot.cast::<i8>());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }

    /// Doubles the slots until `n` ids fit under the load limit, placing the ids again.
    fn grow_for(&mut self, n: usize) {
        let mut len = self.slots.len().max(16);
        while n * 8 > len * LOAD_EIGHTHS {
            len *= 2;
        }
        if len == self.slots.len() {
            return;
        }
        let mut slots = vec![0u64; len];
        let mask = len - 1;
        for n in 0..self.ends.len() as u32 {
            let hash = self.hasher.hash_one(self.get(n));
            let mut i = hash as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = (hash >> 32) << 32 | (u64::from(n) + 1);
        }
        self.slots = slots;
    }

    /// The same ids with the same numbers, as the model holds them.
    pub(crate) fn into_names(self) -> Names {
        let mut names = Names::with_capacity(self.ends.len(), self.text.len());
        // The table is freed first: the two are not needed at once.
        drop(self.slots);
        let mut start = 0;
        for &end in &self.ends {
            let name = self.text.get(start..end as usize).unwrap_or("");
            names.insert(name);
            start = end as usize;
        }
        names
    }
}

impl std::fmt::Debug for Ids {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries((0..self.len() as u32).map(|i| self.get(i)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_dense_stable_and_those_of_names() {
        let mut ids = Ids::default();
        assert_eq!(ids.insert("sw-a"), (0, true));
        assert_eq!(ids.insert("sw-b"), (1, true));
        assert_eq!(ids.insert("sw-a"), (0, false));
        assert_eq!(ids.get(1), "sw-b");
        assert_eq!(ids.get(7), "");
        for i in 0..50_000 {
            ids.insert(&format!("vm-{i}"));
        }
        ids.reserve(100_000, 1_000_000);
        for i in (0..50_000).rev() {
            assert_eq!(ids.insert(&format!("vm-{i}")), (i + 2, false));
        }
        let h = ids.hash("new");
        ids.prefetch(h);
        assert_eq!(ids.insert_hashed("new", h), (50_002, true));
        assert_eq!(ids.len(), 50_003);
        let names = ids.clone().into_names();
        assert_eq!(names.len(), ids.len());
        for i in 0..ids.len() as u32 {
            assert_eq!(names.get(i), ids.get(i));
        }
        assert_eq!(names.find("vm-49999"), Some(50_001));
    }

    #[test]
    fn an_empty_table_answers_without_slots() {
        let ids = Ids::default();
        ids.prefetch(12345);
        assert!(ids.is_empty());
        assert_eq!(ids.into_names().len(), 0);
    }
}
