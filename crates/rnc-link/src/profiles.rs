//! Linkage profiles: records whose encodings are identical, linked as one.
//!
//! A person's records from every year and source often carry the same
//! pseudonyms and name filters. Blocking puts them in the same blocks, so
//! comparing records one by one costs pairs that grow with the square of
//! a person's records. Two records with one profile agree on every field
//! that blocking, comparison and the chain guard read, so they meet the
//! same records in the same blocks with the same levels. The linker
//! therefore blocks, compares and clusters profiles, and counts each
//! profile pair as the record pairs it represents: s(p)·s(q) for two
//! profiles and s(p)(s(p)−1)/2 within one, where s is the number of
//! records of a profile.

use std::hash::{BuildHasher, Hash, Hasher};

use rayon::prelude::*;

use crate::compare::{Encoded, EncodedNames};
use crate::dice::BloomArena;

/// Records grouped into profiles.
pub(crate) struct Profiles {
    /// Profile of each record, by canonical record index.
    pub of_record: Vec<u32>,
    /// Encoding of each profile: that of its first record.
    pub encoded: Vec<Encoded>,
    /// Records of each profile.
    pub sizes: Vec<u32>,
    /// Canonical index of each profile's first record.
    pub first: Vec<u32>,
    /// Canonical index of each profile's second record, `u32::MAX` for a
    /// profile of one record. It names the pair within a profile.
    pub second: Vec<u32>,
}

impl Profiles {
    /// Number of record pairs that the profile pair (`p`, `q`) represents;
    /// `p == q` is the pair within a profile.
    pub(crate) fn record_pairs(&self, p: u32, q: u32) -> u64 {
        let (a, b) = (
            u64::from(self.sizes[p as usize]),
            u64::from(self.sizes[q as usize]),
        );
        if p == q {
            a * a.saturating_sub(1) / 2
        } else {
            a * b
        }
    }
}

/// Groups records (in canonical order) into profiles, numbered in the
/// order of their first record. Records with `apart` set each get a
/// profile of their own: a record named in a reviewer's decision is kept
/// apart because the decision holds for that record only.
pub(crate) fn group_profiles(
    records: Vec<Encoded>,
    blooms: &BloomArena,
    apart: &[bool],
) -> Profiles {
    let mut keyed: Vec<(u64, u32)> = records
        .par_iter()
        .enumerate()
        .map(|(c, record)| {
            // Records of equal hash are compared field by field below, so
            // a fast unkeyed hash is enough. SipHash took 4 % of the link
            // stage on four years of a tenth of France.
            let mut hasher =
                foldhash::fast::FixedState::default().build_hasher();
            hash_profile(record, blooms, &mut hasher);
            if apart[c] {
                c.hash(&mut hasher);
            }
            (hasher.finish(), c as u32)
        })
        .collect();
    keyed.par_sort_unstable();

    // first_of[c] is the first record of c's profile. Records of one hash
    // are in canonical order, so the first equal one found is the first.
    let mut first_of: Vec<u32> = (0..records.len() as u32).collect();
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        let mut leaders: Vec<u32> = Vec::new();
        for &(_, c) in run {
            let same = |&&leader: &&u32| {
                let (l, i) = (leader as usize, c as usize);
                !apart[l]
                    && !apart[i]
                    && same_profile(&records[l], &records[i], blooms)
            };
            match leaders.iter().find(same) {
                Some(&leader) => first_of[c as usize] = leader,
                None => leaders.push(c),
            }
        }
    }

    let mut of_record = vec![0u32; records.len()];
    let mut sizes = Vec::new();
    let mut first = Vec::new();
    let mut second = Vec::new();
    let mut encoded = Vec::new();
    for (c, record) in records.into_iter().enumerate() {
        let leader = first_of[c] as usize;
        if leader == c {
            of_record[c] = sizes.len() as u32;
            sizes.push(1);
            first.push(c as u32);
            second.push(u32::MAX);
            encoded.push(record);
        } else {
            let p = of_record[leader] as usize;
            of_record[c] = p as u32;
            if sizes[p] == 1 {
                second[p] = c as u32;
            }
            sizes[p] += 1;
        }
    }
    Profiles {
        of_record,
        encoded,
        sizes,
        first,
        second,
    }
}

/// Copies the encoding without its filter indices. Equal filters need not
/// have one index: an arena filled by hand stores each filter apart.
fn without_filters(record: &Encoded) -> Encoded {
    let names = record.names.map(|names| EncodedNames {
        birth_bloom: None,
        usage_bloom: None,
        first_bloom: None,
        ..names
    });
    Encoded {
        names,
        ..record.clone()
    }
}

/// Lists the filter indices of a record in a fixed order.
fn filters(record: &Encoded) -> impl Iterator<Item = Option<u32>> + '_ {
    record.names.iter().flat_map(|names| {
        [names.birth_bloom, names.usage_bloom, names.first_bloom]
    })
}

fn hash_profile(
    record: &Encoded,
    blooms: &BloomArena,
    hasher: &mut impl Hasher,
) {
    without_filters(record).hash(hasher);
    for filter in filters(record) {
        filter.map(|f| blooms.filter(f)).hash(hasher);
    }
}

/// Tests whether two records have equal pseudonym ids and equal filter
/// contents.
fn same_profile(a: &Encoded, b: &Encoded, blooms: &BloomArena) -> bool {
    without_filters(a) == without_filters(b)
        && filters(a).zip(filters(b)).all(|(x, y)| match (x, y) {
            (None, None) => true,
            (Some(x), Some(y)) => blooms.filter(x) == blooms.filter(y),
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(first_bloom: Option<u32>) -> Encoded {
        let mut record = Encoded {
            nir: Some(1),
            date: Some(2),
            ..Encoded::default()
        };
        record.names[0].first_bloom = first_bloom;
        record
    }

    #[test]
    fn equal_filters_share_a_profile() {
        let mut blooms = BloomArena::new(2);
        let a = blooms.push(&[0xf0, 0x01]);
        let b = blooms.push(&[0xf0, 0x01]);
        let c = blooms.push(&[0x0f, 0x01]);
        let records = vec![named(Some(a)), named(Some(c)), named(Some(b))];
        let profiles = group_profiles(records, &blooms, &[false, false, false]);
        assert_eq!(profiles.of_record, vec![0, 1, 0]);
        assert_eq!(profiles.sizes, vec![2, 1]);
        assert_eq!(profiles.first, vec![0, 1]);
        assert_eq!(profiles.second, vec![2, u32::MAX]);
        assert_eq!(profiles.record_pairs(0, 0), 1);
        assert_eq!(profiles.record_pairs(0, 1), 2);
    }

    #[test]
    fn apart_records_keep_own_profiles() {
        let blooms = BloomArena::new(0);
        let records = vec![named(None); 4];
        let apart = [false, true, false, true];
        let profiles = group_profiles(records, &blooms, &apart);
        assert_eq!(profiles.of_record, vec![0, 1, 0, 2]);
        assert_eq!(profiles.sizes, vec![2, 1, 1]);
        assert_eq!(profiles.second, vec![2, u32::MAX, u32::MAX]);
    }
}
