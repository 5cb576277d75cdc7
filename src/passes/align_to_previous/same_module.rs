//! Whether the previous module is this one with its functions renumbered (an
//! unchanged input that the previous deploy shipped aligned), and the numbers that
//! make it so. Colour refinement over the call graph: a function's first colour is
//! its type and body with call targets masked; each round adds its callees' colours,
//! call by call, and its callers'; until the colours stop splitting. Look-alikes
//! that no colour tells apart are then paired, the first of each class at a time,
//! and the colours refined again. The caller checks the result byte for byte.
//!
//! Cost: nothing unless both modules have as many functions, the same imports and
//! the same first colours; then a few passes over the calls per round.

use super::functions::{hash_of, Functions};
use std::collections::{BTreeMap, HashSet};

/// Rounds of refinement before the colours are taken as they are.
const MAX_ROUNDS: usize = 64;
/// Rounds of pairing the look-alikes left, each followed by refinement.
const MAX_PAIRINGS: usize = 16;

/// The new number of each function (as `matching::slots` gives them), if the two
/// modules have the same colours; `None` when they cannot be the same module.
pub fn renumbering(old: &Functions, new: &Functions) -> Option<Vec<u32>> {
    let n = new.fingerprints.len();
    if n == 0 || n != old.fingerprints.len() || old.imported != new.imported {
        return None;
    }
    let mut colors = Colors { old: first_colors(old), new: first_colors(new) };
    if !colors.same_multiset() {
        return None;
    }
    let graphs = Graphs { old, new };
    for _ in 0..MAX_PAIRINGS {
        colors = graphs.refine(colors)?;
        let classes = colors.classes()?;
        if classes.values().all(|(olds, _)| olds.len() == 1) {
            let mut slots = vec![0; n];
            classes.values().for_each(|(olds, news)| slots[news[0]] = olds[0] as u32);
            return Some(slots);
        }
        // One pair out of every class of look-alikes: any pair of the first class
        // is right when they are truly alike; a wrong pairing across classes shows
        // as colours that no longer agree, or as bytes that differ.
        for (color, (olds, news)) in classes.iter().filter(|(_, (olds, _))| olds.len() > 1) {
            let picked = hash_of((color, "paired"));
            colors.old[olds[0]] = picked;
            colors.new[news[0]] = picked;
        }
    }
    None
}

fn first_colors(functions: &Functions) -> Vec<u64> {
    let imported = functions.imported;
    let target = |t: u32| if t < imported { t as u64 } else { u64::MAX };
    functions.fingerprints.iter().map(|p| hash_of((p.ty, p.masked_calls, p.calls.iter().map(|&t| target(t)).collect::<Vec<_>>()))).collect()
}

struct Colors {
    old: Vec<u64>,
    new: Vec<u64>,
}

impl Colors {
    fn same_multiset(&self) -> bool {
        let (mut old, mut new) = (self.old.clone(), self.new.clone());
        old.sort_unstable();
        new.sort_unstable();
        old == new
    }

    /// Colour → (previous functions, new functions) having it, in order; `None`
    /// when a colour has more functions on one side.
    fn classes(&self) -> Option<BTreeMap<u64, (Vec<usize>, Vec<usize>)>> {
        let mut classes: BTreeMap<u64, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
        self.old.iter().enumerate().for_each(|(o, &c)| classes.entry(c).or_default().0.push(o));
        self.new.iter().enumerate().for_each(|(f, &c)| classes.entry(c).or_default().1.push(f));
        classes.values().all(|(olds, news)| olds.len() == news.len()).then_some(classes)
    }
}

struct Graphs<'a> {
    old: &'a Functions,
    new: &'a Functions,
}

impl Graphs<'_> {
    /// Refines until the colours stop splitting; `None` once they disagree.
    fn refine(&self, mut colors: Colors) -> Option<Colors> {
        let distinct = |c: &[u64]| c.iter().collect::<HashSet<_>>().len();
        let mut count = distinct(&colors.new);
        for _ in 0..MAX_ROUNDS {
            colors = Colors { old: step(&colors.old, self.old), new: step(&colors.new, self.new) };
            if !colors.same_multiset() {
                return None;
            }
            let now = distinct(&colors.new);
            if now == count {
                break;
            }
            count = now;
        }
        Some(colors)
    }
}

fn step(colors: &[u64], functions: &Functions) -> Vec<u64> {
    let imported = functions.imported;
    (0..colors.len())
        .map(|f| {
            let callees: Vec<u64> = functions.fingerprints[f].calls.iter().filter_map(|t| t.checked_sub(imported)).map(|d| colors[d as usize]).collect();
            let mut by: Vec<u64> = functions.callers[f].iter().map(|&c| colors[c as usize]).collect();
            by.sort_unstable();
            hash_of((colors[f], callees, by))
        })
        .collect()
}
