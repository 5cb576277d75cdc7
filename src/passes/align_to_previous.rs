//! align-to-previous: number the defined functions as the previous deploy's module
//! does, so a dictionary delta against it (RFC 9842 dcb/dcz) finds whole functions.
//! A release that adds or drops functions shifts the index of every one after them,
//! and so changes every `call` to them: the delta then breaks at each call. With the
//! functions the two modules share kept at the previous numbers, their calls stay
//! byte for byte (sql.js 1.16.0 → 1.17.0: dcb 7,524 → 346 B at brotli 9).
//!
//! Assumes: a valid module, and the bytes of the module the browser already has
//! (any bytes: what does not parse as a module is a skip, never an error). Only
//! defined functions move; imports, and every other space, keep their numbers.
//! Function order has no meaning in WebAssembly beyond stack traces' indices, and
//! every reference (calls, `ref.func`, elements, exports, start, names) is rewritten.
//!
//! Matches a function to the previous module's by, in turn: its name when both have
//! a name section; its exact body; its body with each call naming the match of its
//! target (in rounds, as matches resolve more calls); its body with call targets
//! masked; also with constants and global numbers masked; and, between two matched
//! functions, its place among the unmatched ones there (as types line up). The matched
//! take the previous numbers, the rest the numbers left, in their order.
//!
//! Bails out (skipped) when a custom section the options keep points into the code
//! (DWARF, source maps: see `policy::code_positions`), or when the previous module
//! cannot be read. Such a section that strip drops, but that is still here because
//! never-worse kept the input, is dropped. Unchanged when the functions already have the previous numbers.
//!
//! Cost: one read of every body of both modules (in parallel), hash maps over them,
//! and the rewrite of `renumber` (bodies patched in place).

use super::renumber::{rewrite, IndexMaps};
use super::PassResult;
use crate::analysis::items::ModuleItems;
use crate::analysis::used::used_items;
use crate::error::Result;
use crate::module;
use crate::options::Options;
use super::strip;
use crate::policy;
use crate::report::Step;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use wasmparser::{FunctionBody, Operator};

pub const PASS: &str = "align-to-previous";

pub fn run(bytes: &[u8], previous: &[u8], options: &Options) -> Result<PassResult> {
    let skipped = |why: String| Ok(PassResult { bytes: None, step: Step::skipped(PASS, why) });
    let mut sections = module::sections(bytes)?;
    let has_code_positions = |s: &module::Section<'_>| s.custom_name.is_some_and(|n| policy::code_positions(n).is_some());
    if let Some(name) = sections.iter().filter(|s| has_code_positions(s)).filter_map(|s| s.custom_name).find(|n| !strip::drops(n, options)) {
        return skipped(format!("kept custom section `{name}` refers to code positions that reordering would shift"));
    }
    // Sections strip drops can still be here when never-worse kept the input (their
    // saving was under its floor). Reordering would break their positions, and the
    // module changes anyway: they go.
    let dropped: Vec<&str> = sections.iter().filter(|s| has_code_positions(s)).filter_map(|s| s.custom_name).collect();
    sections.retain(|s| !has_code_positions(s));
    let old = match Functions::read(previous) {
        Ok(old) => old,
        Err(e) => return skipped(format!("cannot read the previous module: {e}")),
    };
    let items = ModuleItems::read(bytes)?;
    let new = Functions::of(&items)?;
    let matching = match_functions(&old, &new);
    let slots = slots(&matching);
    let moved = slots.iter().enumerate().filter(|(f, &slot)| *f != slot as usize).count();
    let matched = matching.iter().filter(|m| m.is_some()).count();
    if moved == 0 {
        let why = format!("{matched} of {} functions matched the previous module's, all at its numbers already", slots.len());
        return Ok(PassResult { bytes: None, step: Step::unchanged(PASS, why) });
    }
    let used = match used_items(&items, false, None) {
        Ok(used) => used,
        Err(e) => return skipped(format!("cannot analyse the module: {e}")),
    };
    let maps = permuting_functions(&items, &slots);
    let output = match rewrite(&sections, &items, &used, &maps) {
        Ok(output) => output,
        Err(e) => return skipped(format!("cannot re-encode the module: {e}")),
    };
    let mut detail = format!("numbered as the previous module: {matched} of {} functions matched, {moved} moved", slots.len());
    if !dropped.is_empty() {
        detail += &format!("; dropped `{}`, whose code positions would break", dropped.join("`, `"));
    }
    let step = Step::applied(PASS, detail, bytes.len() as i64 - output.len() as i64);
    Ok(PassResult { bytes: Some(output), step })
}

/// Maps that move defined function `f` (counted from the first defined one) to
/// `slots[f]` and keep every other number.
fn permuting_functions(items: &ModuleItems<'_>, slots: &[u32]) -> IndexMaps {
    let identity = |n: usize| (0..n as u32).collect::<Vec<u32>>();
    let imported = items.imported_funcs;
    let funcs = (0..imported).chain(slots.iter().map(|slot| imported + slot)).collect();
    let globals = identity(items.globals.len());
    IndexMaps::new(funcs, identity(items.tables.len()), globals, identity(items.tags.len()), identity(items.elements.len()), identity(items.type_count() as usize))
}

/// What matching needs of a module's defined functions.
struct Functions {
    imported: u32,
    fingerprints: Vec<Fingerprint>,
    /// Defined function → its name, when the module has a name section.
    names: HashMap<u32, String>,
}

/// A body's hashes (see `fingerprint`) and the functions it calls.
struct Fingerprint {
    ty: u32,
    exact: u64,
    /// With the function index of `call`, `return_call` and `ref.func` masked.
    masked_calls: u64,
    /// Also with constants and global numbers masked, which move when a release's
    /// data or globals move.
    loose: u64,
    /// The function indices masked in `masked_calls`, in order.
    calls: Vec<u32>,
}

impl Functions {
    fn read(bytes: &[u8]) -> Result<Self> {
        let items = ModuleItems::read(bytes)?;
        Self::of(&items)
    }

    fn of(items: &ModuleItems<'_>) -> Result<Self> {
        let threads = crate::parallel::threads_for(items.bodies.len(), items.bodies.iter().map(|b| b.as_bytes().len()).sum(), crate::parallel::CODE_BYTES_PER_THREAD);
        let imported = items.imported_funcs as usize;
        let fingerprints = crate::parallel::map_init(&items.bodies, threads, || (), |_, f, body| fingerprint(items.funcs[imported + f], body));
        let malformed = |e: wasmparser::BinaryReaderError| crate::error::Error::malformed(&e);
        let fingerprints = fingerprints.into_iter().collect::<wasmparser::Result<Vec<_>>>().map_err(malformed)?;
        Ok(Functions { imported: items.imported_funcs, fingerprints, names: defined_names(items).map_err(malformed)? })
    }
}

fn fingerprint(ty: u32, body: &FunctionBody<'_>) -> wasmparser::Result<Fingerprint> {
    const MASKED: usize = 2; // masked_calls, loose
    let raw = body.as_bytes();
    let base = body.get_binary_reader().original_position();
    let mut hashers: [DefaultHasher; MASKED] = Default::default();
    let mut calls = Vec::new();
    let mut reader = body.get_operators_reader()?;
    // Per masked hash, where the bytes not yet hashed start.
    let mut from = [(reader.original_position() - base) as usize; MASKED];
    while !reader.eof() {
        let start = (reader.original_position() - base) as usize;
        let masked_from = match reader.read()? {
            Operator::Call { function_index } | Operator::ReturnCall { function_index } | Operator::RefFunc { function_index } => {
                calls.push(function_index);
                0
            }
            Operator::I32Const { .. } | Operator::I64Const { .. } | Operator::GlobalGet { .. } | Operator::GlobalSet { .. } => 1,
            _ => continue,
        };
        let end = (reader.original_position() - base) as usize;
        for level in masked_from..MASKED {
            let hasher = &mut hashers[level];
            raw[from[level]..start].hash(hasher);
            raw[start].hash(hasher); // the opcode stays: a call is not a ref.func
            from[level] = end;
        }
    }
    for level in 0..MASKED {
        raw[from[level]..].hash(&mut hashers[level]);
    }
    let [masked_calls, loose] = hashers.map(|h| h.finish());
    Ok(Fingerprint { ty, exact: hash_of(raw), masked_calls, loose, calls })
}

fn hash_of(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

fn defined_names(items: &ModuleItems<'_>) -> wasmparser::Result<HashMap<u32, String>> {
    let mut names = HashMap::new();
    let Some((payload, offset)) = items.name_section else { return Ok(names) };
    let reader = wasmparser::NameSectionReader::new(wasmparser::BinaryReader::new(payload, offset));
    for subsection in reader {
        if let wasmparser::Name::Function(map) = subsection? {
            for naming in map {
                let naming = naming?;
                if let Some(defined) = naming.index.checked_sub(items.imported_funcs) {
                    names.insert(defined, naming.name.to_string());
                }
            }
        }
    }
    Ok(names)
}

/// Rounds of matching by calls resolved through the matches so far: each round's
/// matches resolve more calls for the next (three were enough on the bench pairs).
const RESOLVE_ROUNDS: usize = 4;

/// For each of `new`'s defined functions, the previous module's function it is, if
/// any; each previous function is taken at most once.
fn match_functions(old: &Functions, new: &Functions) -> Vec<Option<u32>> {
    let mut m = Matching { of_new: vec![None; new.fingerprints.len()], taken: vec![false; old.fingerprints.len()] };
    m.by_names(old, new);
    // Identical bodies are interchangeable, so any pairing in order does.
    m.pair_by(|o| hash_of(old.fingerprints[o].exact), |f| hash_of(new.fingerprints[f].exact), old, new, true);
    for _ in 0..RESOLVE_ROUNDS {
        let before = m.count();
        let (old_keys, new_keys) = (m.resolved_keys_of_old(old), m.resolved_keys_of_new(new));
        m.pair_by(|o| old_keys[o], |f| new_keys[f], old, new, false);
        if m.count() == before {
            break;
        }
    }
    m.pair_by(|o| old.fingerprints[o].masked_calls, |f| new.fingerprints[f].masked_calls, old, new, false);
    m.pair_by(|o| old.fingerprints[o].loose, |f| new.fingerprints[f].loose, old, new, false);
    match_gaps(old, new, &mut m.of_new, &mut m.taken);
    m.of_new
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
const DEFINED_TARGET: u64 = 1 << 32;

impl Matching {
    fn take(&mut self, f: usize, o: usize) {
        self.of_new[f] = Some(o as u32);
        self.taken[o] = true;
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

    /// Pairs unmatched functions whose type and key agree. Where more functions on
    /// one side share a key it is ambiguous (a new `i32.const 1 call $a` looks like
    /// an old `i32.const 1 call $b`), and is left alone unless `any_counts`.
    fn pair_by(&mut self, old_key: impl Fn(usize) -> u64, new_key: impl Fn(usize) -> u64, old: &Functions, new: &Functions, any_counts: bool) {
        let mut by_key: HashMap<(u32, u64), (Vec<usize>, Vec<usize>)> = HashMap::new();
        for o in (0..old.fingerprints.len()).filter(|&o| !self.taken[o]) {
            by_key.entry((old.fingerprints[o].ty, old_key(o))).or_default().0.push(o);
        }
        for f in (0..new.fingerprints.len()).filter(|&f| self.of_new[f].is_none()) {
            if let Some((_, news)) = by_key.get_mut(&(new.fingerprints[f].ty, new_key(f))) {
                news.push(f);
            }
        }
        for (olds, news) in by_key.into_values() {
            if any_counts || olds.len() == news.len() {
                olds.into_iter().zip(news).for_each(|(o, f)| self.take(f, o));
            }
        }
    }

    fn resolved_keys_of_old(&self, old: &Functions) -> Vec<u64> {
        let target = |t: u32| match t.checked_sub(old.imported) {
            None => t as u64,
            Some(o) if self.taken[o as usize] => DEFINED_TARGET | o as u64,
            Some(_) => UNKNOWN_TARGET,
        };
        old.fingerprints.iter().map(|p| hash_of((p.masked_calls, p.calls.iter().map(|&t| target(t)).collect::<Vec<_>>()))).collect()
    }

    fn resolved_keys_of_new(&self, new: &Functions) -> Vec<u64> {
        let target = |t: u32| match t.checked_sub(new.imported) {
            None => t as u64,
            Some(f) => self.of_new[f as usize].map_or(UNKNOWN_TARGET, |o| DEFINED_TARGET | o as u64),
        };
        new.fingerprints.iter().map(|p| hash_of((p.masked_calls, p.calls.iter().map(|&t| target(t)).collect::<Vec<_>>()))).collect()
    }
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
/// new code stays beside the code it was compiled with: filling the lowest free
/// numbers in order scattered it, and cost duckdb-wasm 0.4% on its first visit.
fn slots(matching: &[Option<u32>]) -> Vec<u32> {
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
