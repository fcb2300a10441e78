//! Finding addresses that appear twice in a file, compared ignoring case as the portal
//! compares them.
//!
//! Each address is hashed while the reader has just touched it, and only half the hash
//! and the row's index are kept, packed in one integer; sorting those afterwards brings
//! repeats together. A hash table
//! looked up row by row did the same work several times slower on a 100,000-row file,
//! because its random accesses missed the processor's caches while the sort streams. The
//! hash is seeded per run (foldhash), so a crafted file cannot make addresses collide on
//! purpose, and rows that share a hash are still compared in full.

use std::hash::{BuildHasher, Hash, Hasher};

use super::reader::CsvRow;

pub(crate) struct DuplicateFinder {
    hasher: foldhash::fast::RandomState,
    /// For every row with a valid address: the high half of the address's hash, then the
    /// row index in the low half. Sorting these plain integers groups equal hashes with
    /// their rows in file order.
    keys: Vec<u64>,
}

const INDEX_BITS: u64 = 0xFFFF_FFFF;

impl DuplicateFinder {
    /// Rows beyond this index cannot be recorded; `read` never keeps that many.
    pub(crate) const MAX_ROWS: usize = u32::MAX as usize;

    pub(crate) fn new() -> Self {
        DuplicateFinder {
            hasher: foldhash::fast::RandomState::default(),
            keys: Vec::new(),
        }
    }

    pub(crate) fn reserve(&mut self, additional: usize) {
        self.keys.reserve(additional);
    }

    /// Notes that row `index` holds the valid address `email`.
    pub(crate) fn add(&mut self, index: usize, email: &str) {
        if let Ok(index) = u32::try_from(index) {
            let hash = self.hasher.hash_one(Caseless(email));
            self.keys.push((hash & !INDEX_BITS) | u64::from(index));
        }
    }

    /// Every row whose address appeared on an earlier row, with that earlier row's line.
    pub(crate) fn repeats(mut self, rows: &[CsvRow<'_>]) -> Vec<(usize, u64)> {
        self.keys.sort_unstable();
        let row_of = |key: u64| {
            usize::try_from(key & INDEX_BITS)
                .ok()
                .and_then(|i| rows.get(i))
        };
        let mut repeats = Vec::new();
        let same_hash = |a: &u64, b: &u64| a & !INDEX_BITS == b & !INDEX_BITS;
        for group in self.keys.chunk_by(same_hash) {
            if group.len() < 2 {
                continue;
            }
            for (position, &key) in group.iter().enumerate() {
                let Some(row) = row_of(key) else {
                    continue;
                };
                // Earlier keys in the group are earlier rows: the first match is the first
                // occurrence. Rows sharing only the hash are told apart here.
                let earlier = group.get(..position).unwrap_or_default();
                let first = earlier
                    .iter()
                    .filter_map(|&earlier_key| row_of(earlier_key))
                    .find(|first| first.email.eq_ignore_ascii_case(&row.email));
                if let (Some(first), Ok(index)) = (first, usize::try_from(key & INDEX_BITS)) {
                    repeats.push((index, first.line));
                }
            }
        }
        repeats
    }
}

/// An address hashed so that addresses equal ignoring ASCII case hash alike, without a
/// lower-cased copy: every byte has its 0x20 bit set, eight bytes at a time. That also
/// merges a few non-letters (`@` with `` ` ``, `[` with `{`), which only means such
/// addresses share a hash and are then compared in full.
struct Caseless<'a>(&'a str);

impl Hash for Caseless<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        const CASE_BITS: u64 = 0x2020_2020_2020_2020;
        let bytes = self.0.as_bytes();
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut buffer = [0u8; 8];
            buffer.copy_from_slice(word);
            state.write_u64(u64::from_le_bytes(buffer) | CASE_BITS);
        }
        let mut tail = [0u8; 8];
        for (slot, byte) in tail.iter_mut().zip(words.remainder()) {
            *slot = *byte;
        }
        state.write_u64(u64::from_le_bytes(tail) | CASE_BITS);
        state.write_usize(bytes.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, email: &str) -> CsvRow<'_> {
        CsvRow {
            line,
            email: email.into(),
            email_is_valid: true,
            first_name: "".into(),
            last_name: "".into(),
            role: None,
            language: None,
            licence: None,
            action: Default::default(),
            issues: Vec::new(),
        }
    }

    fn repeats_in(emails: &[&'static str]) -> Vec<(usize, u64)> {
        let rows: Vec<CsvRow<'_>> = emails
            .iter()
            .enumerate()
            .map(|(index, email)| row(index as u64 + 2, email))
            .collect();
        let mut finder = DuplicateFinder::new();
        for (index, row) in rows.iter().enumerate() {
            finder.add(index, &row.email);
        }
        let mut repeats = finder.repeats(&rows);
        repeats.sort_unstable();
        repeats
    }

    #[test]
    fn finds_repeats_ignoring_case() {
        assert_eq!(
            repeats_in(&["a@x.com", "b@x.com", "A@x.com", "b@x.com", "a@X.COM"]),
            [(2, 2), (3, 3), (4, 2)]
        );
        assert_eq!(repeats_in(&["a@x.com", "b@x.com"]), []);
    }

    #[test]
    fn addresses_sharing_a_hash_are_told_apart() {
        // "a@x.com" and "a`x.com" share every byte but the 0x20 bit, so they hash alike.
        let state = foldhash::fast::RandomState::default();
        assert_eq!(
            state.hash_one(Caseless("a@x.com")),
            state.hash_one(Caseless("a`x.com"))
        );
        assert_eq!(
            repeats_in(&["a@x.com", "a`x.com", "A@x.com", "a`X.com"]),
            [(2, 2), (3, 3)]
        );
    }

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
