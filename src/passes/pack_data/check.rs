//! pack-data's assumptions, checked in one read of the module (`read_packable`):
//! what the pass may rewrite, or why it must not (see the pass's header).

use crate::error::{Error, Result};
use crate::module::{self, SectionId};
use crate::options::Options;
use crate::policy;
use crate::report::StepStatus;
use wasmparser::{CodeSectionReader, DataKind, MemoryType, Operator};

/// One active segment with a constant offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    pub offset: u64,
    pub data: &'a [u8],
}

impl Segment<'_> {
    pub(super) fn end(&self) -> u64 {
        self.offset + self.data.len() as u64
    }
}

/// The non-empty segments of one memory, sorted by offset, not overlapping.
#[derive(Clone, Debug)]
pub struct MemoryData<'a> {
    pub memory: u32,
    pub memory64: bool,
    pub segments: Vec<Segment<'a>>,
}

/// The active segments, grouped by memory: what the pass may rewrite.
pub struct Packable<'a> {
    pub memories: Vec<MemoryData<'a>>,
    pub segment_count: usize,
    /// The whole input data section, header included.
    pub data_section: &'a [u8],
    /// The function bodies, when a DataCount section lets code name segments;
    /// checked by `code_names_data` only once a layout would be applied, as the
    /// one check that reads all the code.
    pub bodies: Vec<wasmparser::FunctionBody<'a>>,
}

type NotApplied = (StepStatus, String);

/// Reads what the pass needs in one walk, and checks every assumption in the header.
pub fn read_packable<'a>(
    bytes: &'a [u8],
    options: &Options,
) -> Result<Result<Packable<'a>, NotApplied>> {
    let skip = |why: String| Ok(Err((StepStatus::Skipped, why)));
    let malformed = |e: wasmparser::BinaryReaderError| Error::malformed(&e);
    let sections = module::sections(bytes)?;
    let facts = module::Facts::read(&sections)?;
    // Whichever comes first in the module is the reason given: an object file's
    // custom section, or the data section with a passive segment.
    let object_file = sections.iter().find(|s| s.custom_name.is_some_and(policy::is_object_file_section));
    let passive_at = facts
        .data_section
        .as_ref()
        .filter(|_| facts.data.iter().any(|d| matches!(d.kind, DataKind::Passive)))
        .map(|s| s.offset);
    match (object_file, passive_at) {
        (Some(s), at) if at.is_none_or(|at| s.offset < at) => {
            let name = s.custom_name.unwrap_or_default();
            return skip(format!("custom section `{name}`: an object file, not a linked module"));
        }
        (_, Some(_)) => return skip("passive data segments: their indices must stay".into()),
        _ => {}
    }
    let memories: Vec<(MemoryType, bool)> = facts.memories.iter().map(|m| (m.ty, m.import.is_some())).collect(); // (type, imported)
    let segments: Vec<(u32, Option<u64>, &[u8])> = facts // (memory, constant offset, bytes)
        .data
        .iter()
        .filter_map(|data| match &data.kind {
            DataKind::Active { memory_index, offset_expr } => Some((*memory_index, module::constant_offset(offset_expr), data.data)),
            DataKind::Passive => None,
        })
        .collect();
    let data_section = facts.data_section.as_ref().map_or(&[][..], |s| s.raw);
    let has_data_count = facts.has_data_count;
    // The code, most of a module, is not read at all unless a DataCount section
    // lets it name segments.
    let code = sections.iter().find(|s| s.is(SectionId::Code));
    let bodies = match code.filter(|_| has_data_count) {
        Some(code) => CodeSectionReader::new(code.content_reader())
            .map_err(malformed)?
            .into_iter()
            .collect::<wasmparser::Result<Vec<_>>>()
            .map_err(malformed)?,
        None => Vec::new(),
    };
    if segments.is_empty() {
        return Ok(Err((
            StepStatus::Unchanged,
            "no active data segments".into(),
        )));
    }
    let segment_count = segments.len();
    let mut by_memory: Vec<MemoryData> = Vec::new();
    for (index, (ty, imported)) in memories.iter().enumerate() {
        let index = index as u32;
        let mine: Vec<_> = segments.iter().filter(|s| s.0 == index).collect();
        if mine.is_empty() {
            continue;
        }
        if *imported && !options.zero_filled_memory {
            return skip(format!(
                "memory {index} is imported and not known to start zeroed (zero_filled_memory)"
            ));
        }
        if *imported && ty.shared {
            return skip(format!("memory {index} is an imported shared memory: each instance re-applies its segments"));
        }
        let mut constant = Vec::with_capacity(mine.len());
        for &&(_, offset, data) in &mine {
            let Some(offset) = offset else {
                return skip(format!(
                    "memory {index} has a segment whose offset is not a constant"
                ));
            };
            constant.push(Segment { offset, data });
        }
        let min_bytes = (ty.initial as u128) << ty.page_size_log2();
        if let Some(s) = constant.iter().find(|s| s.end() as u128 > min_bytes) {
            return skip(format!(
                "memory {index} has a segment at {}..{} past its initial {min_bytes} bytes: it may trap",
                s.offset,
                s.end()
            ));
        }
        constant.retain(|s| !s.data.is_empty());
        constant.sort_by_key(|s| s.offset);
        if let Some(pair) = constant
            .windows(2)
            .find(|pair| pair[1].offset < pair[0].end())
        {
            return skip(format!(
                "memory {index} has overlapping segments at {} and {}",
                pair[0].offset, pair[1].offset
            ));
        }
        by_memory.push(MemoryData {
            memory: index,
            memory64: ty.memory64,
            segments: constant,
        });
    }
    Ok(Ok(Packable {
        memories: by_memory,
        segment_count,
        data_section,
        bodies,
    }))
}

/// Whether any body names a data segment, the bodies read in parallel.
pub fn code_names_data(bodies: &[wasmparser::FunctionBody]) -> Result<bool> {
    let code_bytes = bodies.iter().map(|b| b.as_bytes().len()).sum();
    let threads = crate::parallel::threads_for(bodies.len(), code_bytes, crate::parallel::CODE_BYTES_PER_THREAD);
    let found = crate::parallel::map_init(bodies, threads, || (), |_, _, body| names_data_segment(body));
    for names in found {
        if names.map_err(|e| Error::malformed(&e))? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn names_data_segment(body: &wasmparser::FunctionBody) -> wasmparser::Result<bool> {
    for op in body.get_operators_reader()? {
        if matches!(
            op?,
            Operator::MemoryInit { .. }
                | Operator::DataDrop { .. }
                | Operator::ArrayNewData { .. }
                | Operator::ArrayInitData { .. }
        ) {
            return Ok(true);
        }
    }
    Ok(false)
}

