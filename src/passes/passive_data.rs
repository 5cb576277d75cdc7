//! passive-data: change how active data segments reach linear memory. Three modes
//! (`Options::passive_data`), none of which changes what the module computes:
//!
//! - `start`: every active segment becomes passive in place (data indices stay), and
//!   an injected function runs, for each in order, `memory.init` with the segment's
//!   own offset expression (copied byte for byte, so `global.get` and extended-const
//!   offsets, i64 offsets of memory64 and the memory index of multi-memory all carry
//!   over) and `data.drop`, then calls the original start function. It becomes the
//!   start function, so bounds failures still fail instantiation (as a trap, after
//!   the element segments, exactly where the active segment would have trapped).
//! - `deferred`: the same function, exported as `INIT_EXPORT` instead of started (the
//!   original start moves into it). The loader must call it once, right after
//!   instantiation; a mutable global makes later calls return at once.
//! - `sidecar`: active segments of at least `sidecar_min_bytes` with constant offsets
//!   leave the module; each is replaced by an empty passive segment (indices stay,
//!   and `memory.init`/`data.drop` on it behave as on a dropped active segment). The
//!   bytes and a placement table come back in `Sidecar`; the loader writes them into
//!   the memory after instantiation, then calls `INIT_EXPORT` when the module had a
//!   start function (which is moved into it, so it still sees the data). This pass
//!   does it even when the module grows; `transform` then keeps the module as it
//!   was (`unless_a_growing_sidecar`).
//!
//! Assumes: a valid module. The DataCount section is added when missing.
//!
//! Bails out (skipped, with the reason):
//! - custom sections that point at code by byte offset (DWARF, source maps, object
//!   file relocations): the new DataCount section and function would shift them;
//! - `start`/`deferred`: a segment targets an imported shared memory. Another
//!   instance may already be running on it; a first-instance-only guard needs a
//!   flag address no code uses, which cannot be proven from the module, and without
//!   a guard the initialisation would move from instantiation to a later point
//!   where other threads can observe it. (A shared memory the module defines is
//!   fresh per instance and is handled like any other.)
//! - `deferred`/`sidecar`: the module already exports `INIT_EXPORT`.
//! - `sidecar`, per segment (kept active, reason counted in the report): offset not
//!   constant, memory neither imported nor exported (the loader cannot reach it),
//!   shared memory, overlap with a later segment that stays in the module (the
//!   loader writes after instantiation, so the later one would be overwritten).
//!
//! Cost: one scan of the module; the data section is rewritten (segment bytes
//! copied once), a few entries are appended to other sections, and every other
//! section is copied raw. In V8 `start`/`deferred` make no steady-state difference
//! (the engine keeps the module bytes), see the README's passive-data section.

use crate::error::{Error, Result};
use crate::module::{self, append_entries, raw_section, Edits, Section, SectionId};
use crate::options::{Options, PassiveData};
use crate::policy::{self, CodePositions};
use crate::report::{Step, StepStatus};
use wasm_encoder::{Encode, Function};
use wasmparser::{CompositeInnerType, DataKind, TypeSectionReader};

pub const PASS: &str = "passive-data";
/// The export `deferred` and `sidecar` add; the loader calls it after instantiation.
pub const INIT_EXPORT: &str = "__wasm_squeeze_init_data";

/// Which memory a sidecar placement writes into, as the loader can reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemoryRef {
    Export(String),
    Import { module: String, name: String },
}

/// One segment moved out of the module: write `sidecar[sidecar_offset..+length]`
/// at `offset` in the memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub segment: u32,
    pub memory_index: u32,
    pub memory: MemoryRef,
    pub offset: u64,
    pub sidecar_offset: u64,
    pub length: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sidecar {
    pub bytes: Vec<u8>,
    /// In segment order: the loader writes them in this order.
    pub placements: Vec<Placement>,
    /// The export to call once the data is written, if the module needs one.
    pub init_export: Option<String>,
}

pub struct Output {
    pub bytes: Option<Vec<u8>>,
    pub sidecar: Option<Sidecar>,
    pub step: Step,
}

struct Segment<'a> {
    /// `None` for passive segments.
    active: Option<Active<'a>>,
    data: &'a [u8],
    /// The whole entry as it stands in the input.
    raw: &'a [u8],
}

struct Active<'a> {
    memory: u32,
    /// The offset expression's instructions without the final `end`.
    offset_code: &'a [u8],
    constant: Option<u64>,
}

/// `module::Facts`, plus the segments as this pass rewrites them and what adding
/// a `(func)` type needs.
#[derive(Default)]
struct Facts<'a> {
    memories: Vec<module::Memory<'a>>,
    segments: Vec<Segment<'a>>,
    funcs: u32,
    globals: u32,
    types: u32,
    /// A plain `(func)` type, if the module has one.
    empty_func_type: Option<u32>,
    start: Option<u32>,
    export_names: Vec<&'a str>,
    has_datacount: bool,
}

/// How the injected function is run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Init {
    Start,
    Exported,
}

/// `out` for an input of `input_len` bytes, unless it is a sidecar that grows the
/// module: moving a few bytes out can cost more than they weigh (a start function
/// moved into the initialiser export), and the module must not grow for it. `start`
/// and `deferred` may grow: their initialiser is what was asked for.
pub fn unless_a_growing_sidecar(out: Output, input_len: usize) -> Output {
    match &out.bytes {
        Some(bytes) if out.sidecar.is_some() && bytes.len() >= input_len => Output {
            bytes: None,
            sidecar: None,
            step: Step::unchanged(PASS, format!(
                    "kept the segments in the module: moving them out would grow it ({input_len} → {} B), the initialiser outweighing the data",
                    bytes.len()
                )),
        },
        _ => out,
    }
}

pub fn run(bytes: &[u8], options: &Options) -> Result<Output> {
    let unchanged = |status: StepStatus, detail: String| {
        Ok(Output {
            bytes: None,
            sidecar: None,
            step: Step::not_applied(PASS, status, detail),
        })
    };
    let mode = options.passive_data;
    if mode == PassiveData::Off {
        return unchanged(
            StepStatus::Skipped,
            "turned off (passiveData: 'off')".into(),
        );
    }
    let sections = module::sections(bytes)?;
    if let Some(name) = sections
        .iter()
        .filter_map(|s| s.custom_name)
        .find(|n| points_at_code(n))
    {
        return unchanged(
            StepStatus::Skipped,
            format!("custom section `{name}` points at byte offsets the new sections would shift"),
        );
    }
    let facts = Facts::read(bytes, &sections)?;
    let active: Vec<u32> = (0..facts.segments.len() as u32)
        .filter(|&i| facts.segments[i as usize].active.is_some())
        .collect();
    if active.is_empty() {
        return unchanged(StepStatus::Unchanged, "no active data segment".into());
    }
    let needs_init_export = mode != PassiveData::Start;
    if needs_init_export && facts.export_names.iter().any(|&n| n == INIT_EXPORT) {
        return unchanged(
            StepStatus::Skipped,
            format!("the module already exports `{INIT_EXPORT}`"),
        );
    }
    let (plan, detail) = match mode {
        PassiveData::Sidecar => match plan_sidecar(&facts, &active, options.sidecar_min_bytes) {
            Ok(plan) => plan,
            Err(why) => return unchanged(StepStatus::Unchanged, why),
        },
        _ => {
            if let Some(m) = active
                .iter()
                .map(|&i| facts.segments[i as usize].active.as_ref().unwrap().memory)
                .find(|&m| {
                    let memory = &facts.memories[m as usize];
                    memory.ty.shared && memory.import.is_some()
                })
            {
                return unchanged(
                    StepStatus::Skipped,
                    format!("memory {m} is an imported shared memory: a first-instance-only guard needs a flag address no code uses, which the module cannot prove"),
                );
            }
            let init = if mode == PassiveData::Start {
                Init::Start
            } else {
                Init::Exported
            };
            let total: usize = active
                .iter()
                .map(|&i| facts.segments[i as usize].data.len())
                .sum();
            let how = match init {
                Init::Start => "an injected start function runs memory.init + data.drop, then the original start",
                Init::Exported => "the exported `__wasm_squeeze_init_data` runs memory.init + data.drop, then the original start; the loader must call it after instantiation (this lowers the load peak only)",
            };
            let detail = format!(
                "made {} active segment(s) ({total} B) passive; {how}",
                active.len()
            );
            (
                Plan {
                    passive: active.clone(),
                    moved: Vec::new(),
                    init: Some(init),
                },
                detail,
            )
        }
    };
    let (output, sidecar) = rewrite(&sections, &facts, &plan);
    let step = Step::applied(PASS, detail, bytes.len() as i64 - output.len() as i64);
    Ok(Output {
        bytes: Some(output),
        sidecar,
        step,
    })
}

/// Custom sections whose code positions the new sections and function would
/// shift: section-relative ones. Body-relative ones (branch hints) stay right, as
/// every existing body and function index does.
fn points_at_code(name: &str) -> bool {
    policy::code_positions(name) == Some(CodePositions::SectionRelative)
}

struct Plan {
    /// Segments made passive and initialised by the injected function.
    passive: Vec<u32>,
    /// Segments whose bytes move to the sidecar.
    moved: Vec<u32>,
    init: Option<Init>,
}

/// Largest offset the JS loader can address exactly (2^53 - 1).
const MAX_JS_OFFSET: u64 = (1 << 53) - 1;

fn plan_sidecar(
    facts: &Facts<'_>,
    active: &[u32],
    min_bytes: u64,
) -> std::result::Result<(Plan, String), String> {
    let mut moved = Vec::new();
    let mut kept_because: Vec<(String, usize)> = Vec::new();
    let mut keep = |why: &str| match kept_because.iter_mut().find(|(w, _)| w == why) {
        Some((_, n)) => *n += 1,
        None => kept_because.push((why.to_string(), 1)),
    };
    // From the last segment back, so each decision knows which later segments stay:
    // those are written at instantiation, before the loader writes a moved one, so
    // a moved segment must not overlap any of them.
    let mut staying: Vec<(u32, Option<(u64, u64)>)> = Vec::new();
    for &i in active.iter().rev() {
        let segment = &facts.segments[i as usize];
        let a = segment.active.as_ref().unwrap();
        let len = segment.data.len() as u64;
        let range = a.constant.map(|o| (o, o.saturating_add(len)));
        match movable(facts, a, len, min_bytes, &staying) {
            Ok(()) => moved.push(i),
            Err(why) => {
                if let Some(why) = why {
                    keep(why);
                }
                staying.push((a.memory, range));
            }
        }
    }
    moved.reverse();
    let kept: String = kept_because
        .iter()
        .map(|(why, n)| format!("; kept {n}: {why}"))
        .collect();
    if moved.is_empty() {
        return Err(format!(
            "no active segment of at least {min_bytes} B can move to the sidecar{kept}"
        ));
    }
    let total: usize = moved
        .iter()
        .map(|&i| facts.segments[i as usize].data.len())
        .sum();
    let init = facts.start.map(|_| Init::Exported);
    let start_note = if init.is_some() {
        "; the start function moved into `__wasm_squeeze_init_data`, called after the data is written"
    } else {
        ""
    };
    let detail = format!(
        "moved {} segment(s) ({total} B) to the sidecar{start_note}{kept}",
        moved.len()
    );
    Ok((
        Plan {
            passive: Vec::new(),
            moved,
            init,
        },
        detail,
    ))
}

/// Whether one segment can move; `Err(None)` when it is just too small.
fn movable(
    facts: &Facts<'_>,
    a: &Active<'_>,
    len: u64,
    min_bytes: u64,
    staying: &[(u32, Option<(u64, u64)>)],
) -> std::result::Result<(), Option<&'static str>> {
    let memory = &facts.memories[a.memory as usize];
    if len < min_bytes.max(1) {
        return Err(None);
    }
    let Some(offset) = a.constant else {
        return Err(Some("offset is not a constant"));
    };
    if memory.import.is_none() && memory.export.is_none() {
        return Err(Some("memory is neither imported nor exported"));
    }
    if memory.ty.shared {
        return Err(Some("memory is shared"));
    }
    if offset.saturating_add(len) > MAX_JS_OFFSET {
        return Err(Some("offset beyond 2^53"));
    }
    let end = offset + len;
    let overlaps = staying
        .iter()
        .any(|&(m, range)| m == a.memory && range.is_none_or(|(s, e)| s < end && offset < e));
    if overlaps {
        return Err(Some("overlaps a later segment that stays in the module"));
    }
    Ok(())
}

fn rewrite(sections: &[Section<'_>], facts: &Facts<'_>, plan: &Plan) -> (Vec<u8>, Option<Sidecar>) {
    let find = |id: SectionId| sections.iter().find(|s| s.is(id));
    let mut edits = Edits::default();
    let mut sidecar = None;
    let mut data = Vec::new();
    (facts.segments.len() as u32).encode(&mut data);
    let mut sidecar_bytes = Vec::new();
    let mut placements = Vec::new();
    // Per segment: made passive, moved out, or copied as it is (sets, not scans:
    // Go modules have ~100k segments).
    let (mut passive, mut moved) = (
        vec![false; facts.segments.len()],
        vec![false; facts.segments.len()],
    );
    plan.passive
        .iter()
        .for_each(|&i| passive[i as usize] = true);
    plan.moved.iter().for_each(|&i| moved[i as usize] = true);
    for (i, segment) in facts.segments.iter().enumerate() {
        let (is_passive, is_moved) = (passive[i], moved[i]);
        let i = i as u32;
        if is_passive {
            data.push(0x01);
            segment.data.encode(&mut data);
        } else if is_moved {
            data.extend_from_slice(&[0x01, 0x00]);
            let a = segment.active.as_ref().unwrap();
            let memory = &facts.memories[a.memory as usize];
            let memory_ref = match (&memory.export, &memory.import) {
                (Some(name), _) => MemoryRef::Export(name.to_string()),
                (None, Some((module, name))) => MemoryRef::Import { module: module.to_string(), name: name.to_string() },
                (None, None) => unreachable!("plan_sidecar keeps segments of unreachable memories"),
            };
            placements.push(Placement {
                segment: i,
                memory_index: a.memory,
                memory: memory_ref,
                offset: a.constant.unwrap(),
                sidecar_offset: sidecar_bytes.len() as u64,
                length: segment.data.len() as u64,
            });
            sidecar_bytes.extend_from_slice(segment.data);
        } else {
            data.extend_from_slice(segment.raw);
        }
    }
    edits.set(SectionId::Data, raw_section(SectionId::Data, &data));
    if !plan.moved.is_empty() {
        let init_export = plan.init.map(|_| INIT_EXPORT.to_string());
        sidecar = Some(Sidecar {
            bytes: sidecar_bytes,
            placements,
            init_export,
        });
    }
    if !plan.passive.is_empty() && !facts.has_datacount {
        let mut count = Vec::new();
        (facts.segments.len() as u32).encode(&mut count);
        edits.set(SectionId::DataCount, raw_section(SectionId::DataCount, &count));
    }
    if let Some(init) = plan.init {
        let func = facts.funcs;
        let ty = facts.empty_func_type.unwrap_or_else(|| {
            edits.set(SectionId::Type, append_entries(SectionId::Type, find(SectionId::Type), 1, &[0x60, 0x00, 0x00]));
            facts.types
        });
        let mut entry = Vec::new();
        ty.encode(&mut entry);
        edits.set(SectionId::Function, append_entries(SectionId::Function, find(SectionId::Function), 1, &entry));
        let guard = (init == Init::Exported).then_some(facts.globals);
        let mut body = Vec::new();
        init_function(facts, plan, guard).encode(&mut body);
        edits.set(SectionId::Code, append_entries(SectionId::Code, find(SectionId::Code), 1, &body));
        match init {
            Init::Start => {
                let mut start = Vec::new();
                func.encode(&mut start);
                edits.set(SectionId::Start, raw_section(SectionId::Start, &start));
            }
            Init::Exported => {
                // i32, mutable, initialised by `i32.const 0`.
                edits.set(SectionId::Global, append_entries(SectionId::Global, find(SectionId::Global), 1, &[0x7f, 0x01, 0x41, 0x00, 0x0b]));
                let mut export = Vec::new();
                INIT_EXPORT.encode(&mut export);
                export.push(0x00);
                func.encode(&mut export);
                edits.set(SectionId::Export, append_entries(SectionId::Export, find(SectionId::Export), 1, &export));
                edits.remove(SectionId::Start);
            }
        }
    }
    (edits.apply(sections), sidecar)
}

/// `memory.init` + `data.drop` for each segment made passive, then the original
/// start. With a `guard` global, a second call returns at once.
fn init_function(facts: &Facts<'_>, plan: &Plan, guard: Option<u32>) -> Function {
    let mut f = Function::new([]);
    if let Some(g) = guard {
        f.instructions()
            .global_get(g)
            .if_(wasm_encoder::BlockType::Empty)
            .return_()
            .end();
        f.instructions().i32_const(1).global_set(g);
    }
    for &i in &plan.passive {
        let segment = &facts.segments[i as usize];
        let a = segment.active.as_ref().unwrap();
        f.raw(a.offset_code.iter().copied());
        f.instructions()
            .i32_const(0)
            .i32_const(segment.data.len() as u32 as i32)
            .memory_init(a.memory, i)
            .data_drop(i);
    }
    if let Some(start) = facts.start {
        f.instructions().call(start);
    }
    f.instructions().end();
    f
}

impl<'a> Facts<'a> {
    fn read(bytes: &'a [u8], sections: &[Section<'a>]) -> Result<Self> {
        let malformed = |e: wasmparser::BinaryReaderError| Error::malformed(&e);
        let module = module::Facts::read(sections)?;
        let mut facts = Facts {
            funcs: module.funcs,
            globals: module.globals,
            start: module.start,
            has_datacount: module.has_data_count,
            export_names: module.exports.iter().map(|e| e.name).collect(),
            ..Facts::default()
        };
        if let Some(types) = sections.iter().find(|s| s.is(SectionId::Type)) {
            for group in TypeSectionReader::new(types.content_reader()).map_err(malformed)? {
                let group = group.map_err(malformed)?;
                let size = group.types().len() as u32;
                let plain_empty = !group.is_explicit_rec_group()
                    && group.types().all(|t| {
                        t.is_final
                            && t.supertype_idxs.is_empty()
                            && !t.composite_type.shared
                            && matches!(&t.composite_type.inner, CompositeInnerType::Func(f) if f.params().is_empty() && f.results().is_empty())
                    });
                if plain_empty && facts.empty_func_type.is_none() {
                    facts.empty_func_type = Some(facts.types);
                }
                facts.types += size;
            }
        }
        for data in &module.data {
            let active = match &data.kind {
                DataKind::Passive => None,
                DataKind::Active { memory_index, offset_expr } => {
                    let mut reader = offset_expr.get_binary_reader();
                    let code = reader.read_bytes(reader.bytes_remaining()).map_err(malformed)?;
                    Some(Active {
                        memory: *memory_index,
                        offset_code: &code[..code.len() - 1],
                        constant: module::constant_offset(offset_expr),
                    })
                }
            };
            facts.segments.push(Segment { active, data: data.data, raw: &bytes[data.range.start as usize..data.range.end as usize] });
        }
        facts.memories = module.memories;
        Ok(facts)
    }
}

#[cfg(test)]
mod tests;
