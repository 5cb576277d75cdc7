//! pack-data's assumptions, checked in one read of the module (`read_packable`):
//! what the pass may rewrite, or why it must not (see the pass's header).

use crate::error::{Error, Result};
use crate::module::{self, SectionId};
use crate::options::Options;
use crate::policy;
use crate::report::StepStatus;
use wasmparser::{
    CodeSectionReader, DataKind, DataSectionReader, ImportSectionReader, MemorySectionReader, MemoryType,
    Operator, TypeRef,
};

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
    let mut memories: Vec<(MemoryType, bool)> = Vec::new(); // (type, imported)
    let mut segments: Vec<(u32, Option<u64>, &[u8])> = Vec::new(); // (memory, constant offset, bytes)
    let mut data_section: &[u8] = &[];
    let mut has_data_count = false;
    let mut code = None;
    // Section by section: the code, most of a module, is not read at all unless
    // a DataCount section lets it name segments.
    for section in module::sections(bytes)? {
        match (section.id, section.custom_name) {
            (SectionId::Import, None) => {
                for import in ImportSectionReader::new(section.content_reader()?).map_err(malformed)?.into_imports() {
                    if let TypeRef::Memory(ty) = import.map_err(malformed)?.ty {
                        memories.push((ty, true));
                    }
                }
            }
            (SectionId::Memory, None) => {
                for ty in MemorySectionReader::new(section.content_reader()?).map_err(malformed)? {
                    memories.push((ty.map_err(malformed)?, false));
                }
            }
            (SectionId::DataCount, None) => has_data_count = true,
            (SectionId::Code, None) => code = Some(section.clone()),
            (_, Some(name)) if policy::is_object_file_section(name) => {
                return skip(format!("custom section `{name}`: an object file, not a linked module"));
            }
            (SectionId::Data, None) => {
                data_section = section.raw;
                for data in DataSectionReader::new(section.content_reader()?).map_err(malformed)? {
                    let data = data.map_err(malformed)?;
                    match data.kind {
                        DataKind::Passive => {
                            return skip("passive data segments: their indices must stay".into())
                        }
                        DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => {
                            segments.push((memory_index, module::constant_offset(&offset_expr), data.data));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let bodies = match code.filter(|_| has_data_count) {
        Some(code) => CodeSectionReader::new(code.content_reader()?)
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

