//! Finding addresses that appear twice in a file, compared ignoring case as the portal
//! compares them.
//!
//! Each address is hashed while the reader has just touched it, not in a second pass over
//! rows whose text has long left the processor's cache; on a 100,000-row file that second
//! pass cost as much as reading the file. The hash is seeded per run (foldhash), so a
//! crafted file cannot make addresses collide on purpose, and a collision between two
//! different addresses, however unlikely, is still told apart by comparing them.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

use super::reader::CsvRow;

pub(crate) struct DuplicateFinder {
    hasher: foldhash::fast::RandomState,
    /// Hash of each address seen → index of the first row holding it.
    first_by_hash: HashMap<u64, usize, BuildHasherDefault<AlreadyHashed>>,
    /// Addresses whose hash was already taken by a different address (lower-cased).
    collided: HashMap<String, usize>,
}

impl DuplicateFinder {
    pub(crate) fn new() -> Self {
        DuplicateFinder {
            hasher: foldhash::fast::RandomState::default(),
            first_by_hash: HashMap::default(),
            collided: HashMap::new(),
        }
    }

    pub(crate) fn reserve(&mut self, additional: usize) {
        self.first_by_hash.reserve(additional);
    }

    /// Records that `rows[index]` will hold the valid address `email`; returns the line of
    /// an earlier row with the same address, if any. `rows` holds the rows before `index`.
    pub(crate) fn first_line(
        &mut self,
        rows: &[CsvRow<'_>],
        index: usize,
        email: &str,
    ) -> Option<u64> {
        let hash = self.hasher.hash_one(Caseless(email));
        match self.first_by_hash.entry(hash) {
            Entry::Vacant(slot) => {
                slot.insert(index);
                None
            }
            Entry::Occupied(first) => {
                let first = rows.get(*first.get())?;
                if first.email.eq_ignore_ascii_case(email) {
                    return Some(first.line);
                }
                match self.collided.entry(email.to_ascii_lowercase()) {
                    Entry::Vacant(slot) => {
                        slot.insert(index);
                        None
                    }
                    Entry::Occupied(first) => rows.get(*first.get()).map(|row| row.line),
                }
            }
        }
    }
}

/// An address hashed as its ASCII lower-case form, without making a lower-case copy.
/// Valid addresses are ASCII, so this is the portal's case-insensitive comparison.
struct Caseless<'a>(&'a str);

impl Hash for Caseless<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut buffer = [0u8; 64];
        for chunk in self.0.as_bytes().chunks(buffer.len()) {
            let mut used = 0;
            for (slot, byte) in buffer.iter_mut().zip(chunk) {
                *slot = byte.to_ascii_lowercase();
                used += 1;
            }
            state.write(buffer.get(..used).unwrap_or_default());
        }
        state.write_u8(0xFF);
    }
}

/// The keys of `first_by_hash` are already seeded hashes; hashing them again would only
/// cost time.
#[derive(Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_does_not_change_the_hash() {
        let state = foldhash::fast::RandomState::default();
        let long = format!("{}@example.com", "Ab".repeat(40));
        assert_eq!(
            state.hash_one(Caseless(&long)),
            state.hash_one(Caseless(&long.to_ascii_lowercase()))
        );
        assert_ne!(
            state.hash_one(Caseless("a@example.com")),
            state.hash_one(Caseless("b@example.com"))
        );
    }
}
