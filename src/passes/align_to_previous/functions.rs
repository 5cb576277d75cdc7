//! What matching needs of a module's defined functions: their hashes at several
//! levels of exactness, their calls, names and callers, read once per module.

use crate::analysis::items::ModuleItems;
use crate::error::Result;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use wasmparser::{FunctionBody, Operator};

/// What matching needs of a module's defined functions.
pub struct Functions {
    pub imported: u32,
    pub fingerprints: Vec<Fingerprint>,
    /// Defined function → its name, when the module has a name section.
    pub names: HashMap<u32, String>,
    /// Per defined function, the defined functions that call it (each once, in order).
    pub callers: Vec<Vec<u32>>,
}

/// A body's hashes (see `fingerprint`) and the functions it calls.
pub struct Fingerprint {
    pub ty: u32,
    pub exact: u64,
    /// With the function index of `call`, `return_call` and `ref.func` masked.
    pub masked_calls: u64,
    /// Also with constants and global numbers masked, which move when a release's
    /// data or globals move.
    pub loose: u64,
    /// The function indices masked in `masked_calls`, in order.
    pub calls: Vec<u32>,
}

impl Functions {
    pub fn read(bytes: &[u8]) -> Result<Self> {
        let items = ModuleItems::read(bytes)?;
        Self::of(&items)
    }

    pub fn of(items: &ModuleItems<'_>) -> Result<Self> {
        let threads = crate::parallel::threads_for(items.bodies.len(), items.bodies.iter().map(|b| b.as_bytes().len()).sum(), crate::parallel::CODE_BYTES_PER_THREAD);
        let imported = items.imported_funcs as usize;
        // Types by their structure, not their number: a release that adds a type
        // renumbers the ones after it.
        let types: Vec<u32> = items.rec_groups.iter().flat_map(|group| group.types()).map(|ty| hash_of(format!("{ty:?}")) as u32).collect();
        let type_of = |f: usize| types.get(items.funcs[imported + f] as usize).copied().unwrap_or(u32::MAX);
        let fingerprints = crate::parallel::map_init(&items.bodies, threads, || (), |_, f, body| fingerprint(type_of(f), body));
        let malformed = |e: wasmparser::BinaryReaderError| crate::error::Error::malformed(&e);
        let fingerprints = fingerprints.into_iter().collect::<wasmparser::Result<Vec<_>>>().map_err(malformed)?;
        let callers = callers(items.imported_funcs, &fingerprints);
        Ok(Functions { imported: items.imported_funcs, fingerprints, names: defined_names(items).map_err(malformed)?, callers })
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

pub fn hash_of(value: impl Hash) -> u64 {
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

fn callers(imported: u32, fingerprints: &[Fingerprint]) -> Vec<Vec<u32>> {
    let mut callers = vec![Vec::new(); fingerprints.len()];
    for (c, print) in fingerprints.iter().enumerate() {
        for callee in print.calls.iter().filter_map(|t| t.checked_sub(imported)) {
            let list: &mut Vec<u32> = &mut callers[callee as usize];
            if list.last() != Some(&(c as u32)) {
                list.push(c as u32);
            }
        }
    }
    callers
}
