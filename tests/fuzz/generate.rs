//! Deterministic inputs for the fuzz loops: a seeded RNG, wasm-smith configurations
//! with every feature the optimizer handles, option combinations, and byte mutations.

use arbitrary::Unstructured;
use wasm_smith::{Config, Module};
use wasm_squeeze::{Options, PassiveData};

/// SplitMix64: tiny, fast, and the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    /// One independent stream per (seed, case), so any case can be rerun alone.
    pub fn for_case(seed: u64, case: u64) -> Self {
        let mut rng = Rng(seed ^ case.wrapping_mul(0xA076_1D64_78BD_642F));
        rng.next();
        rng
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// What kind of module a case asks wasm-smith for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Every feature, imports allowed: checks validity, size and the interface.
    AnyFeature,
    /// No imports and canonical NaNs, so original and optimized can be run and
    /// compared bit for bit in an interpreter.
    Runnable,
}

pub fn config(shape: Shape, rng: &mut Rng) -> Config {
    let mut config = Config::default();
    // Every proposal wasmparser validates and the optimizer claims to handle.
    config.simd_enabled = true;
    config.relaxed_simd_enabled = true;
    config.threads_enabled = true;
    config.bulk_memory_enabled = true;
    config.reference_types_enabled = true;
    config.multi_value_enabled = true;
    config.tail_call_enabled = true;
    config.exceptions_enabled = true;
    config.memory64_enabled = true;
    config.extended_const_enabled = true;
    config.gc_enabled = true;
    config.wide_arithmetic_enabled = true;
    config.custom_page_sizes_enabled = rng.chance(20);
    config.saturating_float_to_int_enabled = true;
    config.sign_extension_ops_enabled = true;
    config.generate_custom_sections = rng.chance(50);
    config.max_memories = 1 + rng.below(3) as usize;
    config.max_tables = 1 + rng.below(3) as usize;
    // Small memories and tables keep the interpreter fast; data still lands anywhere
    // in them, which is what pack-data cares about.
    config.max_memory32_bytes = 1 << 20;
    config.max_memory64_bytes = 1 << 20;
    config.max_table_elements = 1_000;
    config.max_data_segments = [4, 20, 200][rng.below(3) as usize];
    config.max_funcs = 60;
    config.max_instructions = 200;
    config.export_everything = rng.chance(25);
    config.canonicalize_nans = shape == Shape::Runnable;
    if shape == Shape::Runnable {
        config.max_imports = 0;
        config.min_funcs = 1;
        config.min_exports = 1;
        // More exported functions and fewer traps give the interpreter more to compare.
        config.export_everything = rng.chance(40);
        config.disallow_traps = rng.chance(50);
        // wasmi runs neither GC, exceptions nor threads; leave them out here so the
        // interpreter can actually run most of these modules.
        config.gc_enabled = false;
        config.exceptions_enabled = false;
        config.threads_enabled = false;
        config.relaxed_simd_enabled = false;
    }
    config
}

/// A wasm-smith module from `len` random bytes; `None` when wasm-smith runs out of
/// entropy in a way it reports as an error (rare, skipped).
pub fn module(shape: Shape, rng: &mut Rng) -> Option<Vec<u8>> {
    let config = config(shape, rng);
    let len = 64 + rng.below(16 * 1024) as usize;
    let entropy = rng.bytes(len);
    let mut u = Unstructured::new(&entropy);
    let module = Module::new(config, &mut u).ok()?;
    let mut bytes = module.to_bytes();
    if rng.chance(30) {
        add_debug_sections(&mut bytes, rng);
    }
    Some(bytes)
}

/// Custom sections strip drops, and one it must keep, so the strip policy is fuzzed too.
fn add_debug_sections(bytes: &mut Vec<u8>, rng: &mut Rng) {
    let names: &[&str] = &["producers", ".debug_info", "name", "target_features", "keep.me"];
    let name = names[rng.below(names.len() as u64) as usize];
    let payload_len = rng.below(300) as usize;
    let payload = rng.bytes(payload_len);
    let mut content = Vec::new();
    leb128(&mut content, name.len() as u64);
    content.extend_from_slice(name.as_bytes());
    content.extend_from_slice(&payload);
    bytes.push(0);
    leb128(bytes, content.len() as u64);
    bytes.extend_from_slice(&content);
}

pub fn leb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Every combination of the transform's switches, one picked per case.
pub fn options(rng: &mut Rng) -> Options {
    let modes = [PassiveData::Off, PassiveData::Start, PassiveData::Deferred, PassiveData::Sidecar];
    let mut options = Options {
        keep_names: rng.chance(50),
        keep_sections: if rng.chance(20) { vec!["producers".into()] } else { Vec::new() },
        dce: rng.chance(80),
        pack_data: rng.chance(80),
        passive_data: modes[rng.below(modes.len() as u64) as usize],
        zero_filled_memory: rng.chance(50),
        allow_raw_growth: rng.chance(30),
        sidecar_min_bytes: [1, 16, 4096][rng.below(3) as usize],
        debug_companion: rng.chance(30),
        debug_url: rng.chance(50).then(|| "app.[build-id].debug.wasm".into()),
        previous: None,
    };
    // A URL names the companion, so transform refuses one without it (drawn
    // anyway, so the cases after this one stay the ones they were).
    if !options.debug_companion {
        options.debug_url = None;
    }
    options
}

/// A damaged copy of a module: flipped bytes, a cut, an insertion or a deletion.
pub fn mutate(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() as u64 + 1) as usize;
        match rng.below(5) {
            0 if at < out.len() => out[at] ^= 1 << rng.below(8),
            1 if at < out.len() => out[at] = rng.next() as u8,
            2 => out.truncate(at),
            3 => {
                let len = 1 + rng.below(16) as usize;
                let junk = rng.bytes(len);
                out.splice(at..at, junk);
            }
            4 if at < out.len() => {
                let end = (at + 1 + rng.below(16) as usize).min(out.len());
                out.drain(at..end);
            }
            // A huge LEB128 where a length or count is likely to be read.
            _ if at < out.len() => {
                out.splice(at..at, [0xff, 0xff, 0xff, 0xff, 0x0f]);
            }
            _ => {}
        }
    }
    out
}
