//! Interning of identifiers: every vertex id is stored once in one arena and named by a dense
//! `u32` everywhere else.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// A set of distinct strings, each numbered densely from 0 in insertion order.
///
/// The strings live back to back in one buffer, so a million ids cost their bytes plus eight
/// bytes of offset and table slot each, instead of a heap allocation per id.
#[derive(Default, Clone)]
pub struct Names {
    text: String,
    ends: Vec<u32>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// The last name inserted or found for each of [`RECENT`] hash buckets, with its hash:
    /// inventories name the same few ids over and over (a shared DNS service, a customer's
    /// consecutive services), and this answers them without a trip through the big table.
    recent: Option<Box<[(u64, u32); RECENT]>>,
}

/// Buckets of [`Names::recent`].
const RECENT: usize = 256;

impl Names {
    /// An empty set with room for `n` names.
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        Names {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(n),
            table: HashTable::with_capacity(n),
            hasher: DefaultHashBuilder::default(),
            recent: None,
        }
    }

    /// Makes room for `n` more names of `bytes` bytes in all.
    pub fn reserve(&mut self, n: usize, bytes: usize) {
        self.text.reserve(bytes);
        self.ends.reserve(n);
        let (text, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        self.table
            .reserve(n, |&i| hasher.hash_one(slice(text, ends, i)));
    }

    /// How many names there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The name numbered `i`.
    ///
    /// # Panics
    /// Never for an `i` this set handed out; an out-of-range `i` is a bug of the caller and
    /// yields an empty string rather than a panic.
    pub fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).copied().unwrap_or(0) as usize
        };
        self.text.get(start..end).unwrap_or("")
    }

    /// The number of `name`, if present.
    pub fn find(&self, name: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(name);
        self.table.find(hash, |&i| self.get(i) == name).copied()
    }

    /// Adds `name` and returns `(number, true)`, or the existing number and `false`.
    pub fn insert(&mut self, name: &str) -> (u32, bool) {
        let hash = self.hasher.hash_one(name);
        let slot = (hash as usize) % RECENT;
        let recent = self
            .recent
            .get_or_insert_with(|| Box::new([(0, u32::MAX); RECENT]));
        let (seen, id) = recent[slot];
        if seen == hash && id != u32::MAX && slice(&self.text, &self.ends, id) == name {
            return (id, false);
        }
        let Names {
            text,
            ends,
            table,
            hasher,
            recent,
        } = self;
        let recent = recent.get_or_insert_with(|| Box::new([(0, u32::MAX); RECENT]));
        if let Some(&i) = table.find(hash, |&i| slice(text, ends, i) == name) {
            recent[slot] = (hash, i);
            return (i, false);
        }
        let id = ends.len() as u32;
        text.push_str(name);
        ends.push(text.len() as u32);
        let (text, ends) = (&*text, &*ends);
        table.insert_unique(hash, id, |&i| hasher.hash_one(slice(text, ends, i)));
        recent[slot] = (hash, id);
        (id, true)
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.ends.capacity() * 4
            + self.table.capacity() * 5
            + self
                .recent
                .as_ref()
                .map_or(0, |r| std::mem::size_of_val(&**r))
    }

    /// All names in number order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.ends.len() as u32).map(|i| self.get(i))
    }
}

/// Name `i` of the arena `text` whose ends are `ends`.
fn slice<'t>(text: &'t str, ends: &[u32], i: u32) -> &'t str {
    let i = i as usize;
    let end = ends.get(i).copied().unwrap_or(0) as usize;
    let start = if i == 0 {
        0
    } else {
        ends.get(i - 1).copied().unwrap_or(0) as usize
    };
    text.get(start..end).unwrap_or("")
}

impl std::fmt::Debug for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_dense_and_stable() {
        let mut n = Names::default();
        assert_eq!(n.insert("sw-a"), (0, true));
        assert_eq!(n.insert("sw-b"), (1, true));
        assert_eq!(n.insert("sw-a"), (0, false));
        assert_eq!(n.find("sw-b"), Some(1));
        assert_eq!(n.find("sw-c"), None);
        assert_eq!(n.get(1), "sw-b");
        for i in 0..10_000 {
            n.insert(&format!("vm-{i}"));
        }
        assert_eq!(n.len(), 10_002);
        assert_eq!(n.find("vm-9999"), Some(10_001));
        assert_eq!(n.get(2), "vm-0");
    }
}

/// Strings stored back to back, numbered in insertion order; unlike [`Names`], repeats are
/// kept and nothing is looked up by text.
#[derive(Default, Clone, Debug)]
pub struct Texts {
    text: String,
    ends: Vec<u32>,
}

impl Texts {
    /// Appends `s` and returns its number.
    pub fn push(&mut self, s: &str) -> u32 {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
        self.ends.len() as u32 - 1
    }

    /// The string numbered `i` (empty for a number never handed out).
    pub fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        let start = match i.checked_sub(1) {
            Some(p) => self.ends.get(p).copied().unwrap_or(0) as usize,
            None => 0,
        };
        self.text.get(start..end).unwrap_or("")
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity() + 4 * self.ends.capacity()
    }

    /// Gives back spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}
