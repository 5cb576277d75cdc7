//! Writing sections: `encode` (the one section encoder), and `Edits`, the one way a
//! pass inserts, replaces or drops sections while everything else is copied byte for
//! byte. `append_entries` adds a few entries to a vector section so that every
//! existing entry keeps its bytes and its index.

use super::{assemble, order_rank, Section, SectionId};
use std::borrow::Cow;
use wasm_encoder::Encode;

/// A whole section as the binary holds it: id, size, content.
pub fn encode(section: &impl wasm_encoder::Section) -> Vec<u8> {
    let mut out = Vec::new();
    section.append_to(&mut out);
    out
}

/// A whole section from its content (what follows its id and size).
pub fn raw_section(id: SectionId, content: &[u8]) -> Vec<u8> {
    encode(&wasm_encoder::RawSection { id: id.into(), data: content })
}

/// A whole custom section `name` whose payload is `bytes` as a byte vector (its
/// LEB128 length, then the bytes): the shape of `build_id` and `external_debug_info`.
pub fn custom_byte_vector(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(bytes.len() + 5);
    bytes.encode(&mut data);
    encode(&wasm_encoder::CustomSection { name: name.into(), data: data.into() })
}

/// A vector section (count, then entries) with `added` more entries, already
/// encoded in `entries`, after the existing ones. `existing` is `None` when the
/// module has no such section yet.
pub fn append_entries(id: SectionId, existing: Option<&Section<'_>>, added: u32, entries: &[u8]) -> Vec<u8> {
    let (count, items) = match existing {
        Some(s) => {
            let mut reader = wasmparser::BinaryReader::new(s.content(), 0);
            let count = reader.read_var_u32().expect("a vector section of a validated module");
            (count, &s.content()[reader.current_position()..])
        }
        None => (0, &[][..]),
    };
    let mut body = Vec::with_capacity(items.len() + entries.len() + 5);
    (count + added).encode(&mut body);
    body.extend_from_slice(items);
    body.extend_from_slice(entries);
    raw_section(id, &body)
}

/// What becomes of the module's sections: each one kept raw unless an edit names it.
/// New sections are owned or borrowed (pack-data's new data section is built
/// before it is known to be applied).
#[derive(Default)]
pub struct Edits<'a> {
    /// Known section → the new whole section, or `None` to drop it.
    known: Vec<(SectionId, Option<Cow<'a, [u8]>>)>,
    /// A section by its offset in the input (custom sections, which may repeat) →
    /// its new whole bytes.
    at_offset: Vec<(u64, Cow<'a, [u8]>)>,
}

impl<'a> Edits<'a> {
    /// Replaces the known section `id` with `raw` (a whole section), inserting it
    /// where the binary order puts it if the module has none.
    pub fn set(&mut self, id: SectionId, raw: impl Into<Cow<'a, [u8]>>) {
        self.known.retain(|(i, _)| *i != id);
        self.known.push((id, Some(raw.into())));
    }

    pub fn remove(&mut self, id: SectionId) {
        self.known.retain(|(i, _)| *i != id);
        self.known.push((id, None));
    }

    /// Replaces one section of the input, found by `sections`, with `raw`.
    pub fn replace(&mut self, section: &Section<'_>, raw: impl Into<Cow<'a, [u8]>>) {
        self.at_offset.retain(|(at, _)| *at != section.offset);
        self.at_offset.push((section.offset, raw.into()));
    }

    /// The module with the edits applied. Custom sections stay where they were;
    /// a new section goes right before the first known section ordered after it.
    pub fn apply(&self, sections: &[Section<'_>]) -> Vec<u8> {
        let present = |id: SectionId| sections.iter().any(|s| s.is(id));
        let mut inserted: Vec<(usize, &[u8])> = self
            .known
            .iter()
            .filter(|(id, _)| !present(*id))
            .filter_map(|(id, raw)| raw.as_deref().map(|raw| (order_rank(*id), raw)))
            .collect();
        inserted.sort_by_key(|(rank, _)| *rank);
        let mut pending = inserted.into_iter().peekable();
        let mut out: Vec<&[u8]> = Vec::with_capacity(sections.len() + 4);
        for s in sections {
            if let Some((_, new)) = self.at_offset.iter().find(|(at, _)| *at == s.offset) {
                out.push(new.as_ref());
                continue;
            }
            if s.custom_name.is_none() {
                let rank = order_rank(s.id);
                while let Some((_, raw)) = pending.next_if(|(r, _)| *r < rank) {
                    out.push(raw);
                }
                if let Some((_, new)) = self.known.iter().find(|(id, _)| *id == s.id) {
                    if let Some(new) = new {
                        out.push(new.as_ref());
                    }
                    continue;
                }
            }
            out.push(s.raw);
        }
        out.extend(pending.map(|(_, raw)| raw));
        assemble(out)
    }
}
