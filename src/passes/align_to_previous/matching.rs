//! Which of the previous module's functions each new function is (see the pass's
//! opening comment for the order of the rules), and the numbers that follow.

use super::functions::{hash_of, Fingerprint, Functions};
use std::collections::HashMap;

/// Rounds of matching by calls resolved through the matches so far: each round's
/// matches resolve more calls for the next, from the leaves of the call graph up.
const RESOLVE_ROUNDS: usize = 16;

/// For each of `new`'s defined functions, the previous module's function it is, if
/// any; each previous function is taken at most once.
pub fn match_functions(old: &Functions, new: &Functions) -> Vec<Option<u32>> {
    let mut m = Matching { of_new: vec![None; new.fingerprints.len()], taken: vec![false; old.fingerprints.len()] };
    m.by_names(old, new);
    // Identical bodies that call nothing are interchangeable, so any pairing in
    // order does. Bodies that call are compared with their calls resolved: the same
    // bytes `call 7` in two modules may name different functions (pairing those by
    // their bytes made a module aligned to its own aligned copy come out different).
    let exact = |p: &Fingerprint| p.calls.is_empty().then_some(p.exact);
    m.pair_by(|o| exact(&old.fingerprints[o]), |f| exact(&new.fingerprints[f]), old, new, Groups::Unique);
    m.resolve(old, new);
    for _ in 0..RESOLVE_ROUNDS {
        let before = m.count();
        m.follow_calls(old, new);
        m.resolve(old, new);
        if m.count() == before {
            break;
        }
    }
    // Copies of one body that calls nothing differ only in who calls them: pairing
    // them in order crossed their callers, so an input aligned to its own aligned
    // copy did not come back byte for byte.
    let (old_keys, new_keys) = (caller_keys(old, |o| m.old_number_of_old(o)), caller_keys(new, |f| m.old_number_of_new(f)));
    m.pair_by(|o| exact(&old.fingerprints[o]).map(|e| hash_of((e, old_keys[o]))), |f| exact(&new.fingerprints[f]).map(|e| hash_of((e, new_keys[f]))), old, new, Groups::EqualCounts);
    m.pair_by(|o| exact(&old.fingerprints[o]), |f| exact(&new.fingerprints[f]), old, new, Groups::Any);
    m.resolve(old, new);
    m.pair_by(|o| Some(old.fingerprints[o].masked_calls), |f| Some(new.fingerprints[f].masked_calls), old, new, Groups::EqualCounts);
    m.pair_by(|o| Some(old.fingerprints[o].loose), |f| Some(new.fingerprints[f].loose), old, new, Groups::EqualCounts);
    match_gaps(old, new, &mut m.of_new, &mut m.taken);
    m.of_new
}

/// Which groups of functions sharing a key `Matching::pair_by` pairs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Groups {
    Any,
    EqualCounts,
    Unique,
}

struct Matching {
    /// New defined function → the previous module's defined function it is.
    of_new: Vec<Option<u32>>,
    /// Previous defined functions already matched.
    taken: Vec<bool>,
}

/// A call target as both sides can compare it: an import by number, a defined
/// function by the previous number of its match, else unknown.
const UNKNOWN_TARGET: u64 = u64::MAX;
/// A call of the function itself: known before the function is matched.
const SELF_TARGET: u64 = u64::MAX - 1;
const DEFINED_TARGET: u64 = 1 << 32;

impl Matching {
    fn take(&mut self, f: usize, o: usize) {
        self.of_new[f] = Some(o as u32);
        self.taken[o] = true;
    }

    /// Rounds of matching by resolved calls: fully resolved bodies first (the same
    /// bytes once renumbered, so look-alikes are interchangeable), and a body that
    /// calls functions not matched yet only when its key is unique on both sides
    /// (zipping look-alikes in order there crossed callers).
    fn resolve(&mut self, old: &Functions, new: &Functions) {
        for _ in 0..RESOLVE_ROUNDS {
            let before = self.count();
            for groups in [Groups::EqualCounts, Groups::Unique] {
                let old_keys = resolved_keys(old, |o| self.old_number_of_old(o));
                let new_keys = resolved_keys(new, |f| self.old_number_of_new(f));
                let resolved_only = groups == Groups::EqualCounts;
                let key = |k: (u64, bool)| (!resolved_only || k.1).then_some(k.0);
                self.pair_by(|o| key(old_keys[o]), |f| key(new_keys[f]), old, new, groups);
            }
            if self.count() == before {
                break;
            }
        }
    }

    /// Two matched functions with the same body but for call targets call the same
    /// functions, call by call: pairs their unmatched callees that look alike too
    /// (generic instances that only their callers tell apart, matched from the top
    /// down). Callees that merely share a type were often other functions.
    fn follow_calls(&mut self, old: &Functions, new: &Functions) {
        for f in 0..self.of_new.len() {
            let Some(o) = self.of_new[f] else { continue };
            let (np, op) = (&new.fingerprints[f], &old.fingerprints[o as usize]);
            if np.masked_calls != op.masked_calls || np.calls.len() != op.calls.len() {
                continue;
            }
            for (&nt, &ot) in np.calls.iter().zip(&op.calls) {
                let (Some(nf), Some(of)) = (nt.checked_sub(new.imported), ot.checked_sub(old.imported)) else { continue };
                let (nf, of) = (nf as usize, of as usize);
                let (nc, oc) = (&new.fingerprints[nf], &old.fingerprints[of]);
                if self.of_new[nf].is_none() && !self.taken[of] && nc.ty == oc.ty && nc.masked_calls == oc.masked_calls {
                    self.take(nf, of);
                }
            }
        }
    }

    /// A previous function's own number, once it is matched (before that, nothing
    /// on the new side can be said to call it).
    fn old_number_of_old(&self, o: usize) -> Option<u32> {
        self.taken[o].then_some(o as u32)
    }

    /// The previous number of a new function's match.
    fn old_number_of_new(&self, f: usize) -> Option<u32> {
        self.of_new[f]
    }

    fn count(&self) -> usize {
        self.of_new.iter().filter(|m| m.is_some()).count()
    }

    /// Names unique on both sides, where the types agree.
    fn by_names(&mut self, old: &Functions, new: &Functions) {
        let mut by_name: HashMap<&str, Vec<u32>> = HashMap::new();
        for (&o, name) in &old.names {
            by_name.entry(name).or_default().push(o);
        }
        for (&f, name) in &new.names {
            let Some(&[o]) = by_name.get(name.as_str()).map(Vec::as_slice) else { continue };
            let (f, o) = (f as usize, o as usize);
            let same_type = old.fingerprints.get(o).map(|p| p.ty) == new.fingerprints.get(f).map(|p| p.ty);
            if same_type && !self.taken[o] && self.of_new[f].is_none() {
                self.take(f, o);
            }
        }
    }

    /// Pairs unmatched functions whose type and key agree, in order, in the groups
    /// `groups` takes. Where more functions on one side share a key it is ambiguous
    /// (a new `i32.const 1 call $a` looks like an old `i32.const 1 call $b`).
    fn pair_by(&mut self, old_key: impl Fn(usize) -> Option<u64>, new_key: impl Fn(usize) -> Option<u64>, old: &Functions, new: &Functions, groups: Groups) {
        let mut by_key: HashMap<(u32, u64), (Vec<usize>, Vec<usize>)> = HashMap::new();
        for o in (0..old.fingerprints.len()).filter(|&o| !self.taken[o]) {
            if let Some(key) = old_key(o) {
                by_key.entry((old.fingerprints[o].ty, key)).or_default().0.push(o);
            }
        }
        for f in (0..new.fingerprints.len()).filter(|&f| self.of_new[f].is_none()) {
            if let Some((_, news)) = new_key(f).and_then(|key| by_key.get_mut(&(new.fingerprints[f].ty, key))) {
                news.push(f);
            }
        }
        for (olds, news) in by_key.into_values() {
            let take = match groups {
                Groups::Any => true,
                Groups::EqualCounts => olds.len() == news.len(),
                Groups::Unique => olds.len() == 1 && news.len() == 1,
            };
            if take {
                olds.into_iter().zip(news).for_each(|(o, f)| self.take(f, o));
            }
        }
    }
}

/// Per function of one side, its body's hash with each call naming its target as
/// both sides can compare it (an import by number, itself, a defined function by
/// `old_number`, else unknown), and whether every target is known.
fn resolved_keys(functions: &Functions, old_number: impl Fn(usize) -> Option<u32>) -> Vec<(u64, bool)> {
    let target = |me: usize, t: u32| match t.checked_sub(functions.imported) {
        None => t as u64,
        Some(d) if d as usize == me => SELF_TARGET,
        Some(d) => old_number(d as usize).map_or(UNKNOWN_TARGET, |o| DEFINED_TARGET | o as u64),
    };
    let key = |(me, print): (usize, &Fingerprint)| {
        let targets: Vec<u64> = print.calls.iter().map(|&t| target(me, t)).collect();
        let resolved = !targets.contains(&UNKNOWN_TARGET);
        (hash_of((print.masked_calls, targets)), resolved)
    };
    functions.fingerprints.iter().enumerate().map(key).collect()
}

/// Per function of one side, a hash of the previous numbers of its callers
/// (`old_number`, unknown where unmatched), in sorted order.
fn caller_keys(functions: &Functions, old_number: impl Fn(usize) -> Option<u32>) -> Vec<u64> {
    let key = |callers: &Vec<u32>| {
        let mut numbers: Vec<u64> = callers.iter().map(|&c| old_number(c as usize).map_or(UNKNOWN_TARGET, u64::from)).collect();
        numbers.sort_unstable();
        hash_of(numbers)
    };
    functions.callers.iter().map(key).collect()
}

/// Between two matched functions, the unmatched ones pair up with the unmatched
/// ones between their matches, in order, as the longest common run of types does:
/// releases mostly edit functions in place. Runs whose pairing table would be
/// larger than `MAX_GAP_CELLS` are left unmatched.
fn match_gaps(old: &Functions, new: &Functions, matching: &mut [Option<u32>], taken: &mut [bool]) {
    let mut f = 0;
    while f < matching.len() {
        if matching[f].is_some() {
            f += 1;
            continue;
        }
        let start = f;
        while f < matching.len() && matching[f].is_none() {
            f += 1;
        }
        let lo = if start == 0 { Some(0) } else { matching[start - 1].map(|o| o as usize + 1) };
        let hi = if f == matching.len() { Some(old.fingerprints.len()) } else { matching[f].map(|o| o as usize) };
        let (Some(lo), Some(hi)) = (lo, hi) else { continue };
        if hi < lo {
            continue;
        }
        let olds: Vec<usize> = (lo..hi).filter(|&o| !taken[o]).collect();
        let type_of_old = |i: usize| old.fingerprints[olds[i]].ty;
        let type_of_new = |i: usize| new.fingerprints[start + i].ty;
        for (i, j) in common_run(olds.len(), f - start, |i, j| type_of_old(i) == type_of_new(j)) {
            matching[start + j] = Some(olds[i] as u32);
            taken[olds[i]] = true;
        }
    }
}

const MAX_GAP_CELLS: usize = 1 << 16;

/// The pairs (i, j) of a longest common subsequence of two sequences of lengths
/// `m` and `n`, where `same(i, j)` says whether their items agree; none when the
/// table would exceed `MAX_GAP_CELLS`.
fn common_run(m: usize, n: usize, same: impl Fn(usize, usize) -> bool) -> Vec<(usize, usize)> {
    if m == 0 || n == 0 || (m + 1) * (n + 1) > MAX_GAP_CELLS {
        return Vec::new();
    }
    // lengths[i][j]: the longest common subsequence of the suffixes from i and j.
    let width = n + 1;
    let mut lengths = vec![0u16; (m + 1) * width];
    for i in (0..m).rev() {
        for j in (0..n).rev() {
            lengths[i * width + j] = if same(i, j) {
                lengths[(i + 1) * width + j + 1] + 1
            } else {
                lengths[(i + 1) * width + j].max(lengths[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j, mut pairs) = (0, 0, Vec::new());
    while i < m && j < n {
        if same(i, j) && lengths[i * width + j] == lengths[(i + 1) * width + j + 1] + 1 {
            pairs.push((i, j));
            (i, j) = (i + 1, j + 1);
        } else if lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}

/// The new number of each defined function: its match's, when that is a number
/// the module has and no earlier function took it. The rest go to the free number
/// nearest after the previous function's (else the last free one before it), so
/// new code stays beside the code it was compiled with.
pub fn slots(matching: &[Option<u32>]) -> Vec<u32> {
    let n = matching.len();
    let mut slots = vec![u32::MAX; n];
    let mut used = vec![false; n];
    for (f, m) in matching.iter().enumerate() {
        if let Some(o) = m.filter(|&o| (o as usize) < n && !used[o as usize]) {
            slots[f] = o;
            used[o as usize] = true;
        }
    }
    let mut free: std::collections::BTreeSet<u32> = (0..n as u32).filter(|&s| !used[s as usize]).collect();
    for f in 0..n {
        if slots[f] != u32::MAX {
            continue;
        }
        let after = if f == 0 { 0 } else { slots[f - 1].saturating_add(1) };
        let slot = free.range(after..).next().or_else(|| free.range(..after).next_back()).copied();
        let slot = slot.expect("as many numbers as functions");
        free.remove(&slot);
        slots[f] = slot;
    }
    slots
}
