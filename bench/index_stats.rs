//! What renumbering by use could save on real modules, and how many function types
//! are duplicates: the numbers behind leaving `dedupe-types` and index reordering
//! out of the optimizer (README, "Left out on purpose"). Run by
//! `npm run bench:indices`, which adds the wire-size side (wasm-opt's
//! `--reorder-functions` against its plain round trip).
//!
//! `cargo run --release --no-default-features --example index_stats -- a.wasm b.wasm`
//! prints one JSON object per module. For functions, globals and types it counts
//! the bytes of every index that names one (in code, in the function, export,
//! element and start sections, and in `call_indirect` for types; block types,
//! rare in real code, are left out; imports keep their places) as encoded, and as they
//! would be if the defined ones were numbered most-mentioned first: an upper bound
//! on what reordering saves raw, before compression.

use std::collections::HashMap;
use wasmparser::{ElementItems, ExternalKind, Operator, Parser, Payload, TypeRef};

/// Mentions of each index of one index space, and the bytes they take now.
#[derive(Default)]
struct Space {
    imported: u32,
    defined: u32,
    mentions: Vec<u64>,
    encoded_bytes: u64,
}

impl Space {
    fn mention(&mut self, index: u32, encoded_bytes: usize) {
        let index = index as usize;
        if self.mentions.len() <= index {
            self.mentions.resize(index + 1, 0);
        }
        self.mentions[index] += 1;
        self.encoded_bytes += encoded_bytes as u64;
    }

    /// A mention outside code, where indices are written in their fewest bytes.
    fn mention_minimal(&mut self, index: u32) {
        self.mention(index, leb_len(index) as usize);
    }

    /// The mentions' LEB128 bytes with the defined indices renumbered by use,
    /// imports first and in place.
    fn bytes_by_use(&self) -> u64 {
        let count = |i: usize| self.mentions.get(i).copied().unwrap_or(0);
        let imported: u64 = (0..self.imported as usize).map(|i| count(i) * leb_len(i as u32)).sum();
        let mut defined: Vec<u64> = (self.imported..self.imported + self.defined).map(|i| count(i as usize)).collect();
        defined.sort_unstable_by(|a, b| b.cmp(a));
        let renumbered: u64 = defined.iter().zip(self.imported..).map(|(&n, i)| n * leb_len(i)).sum();
        imported + renumbered
    }

    fn json(&self) -> String {
        let mentions: u64 = self.mentions.iter().sum();
        format!(
            r#"{{"count":{},"imported":{},"mentions":{mentions},"bytesNow":{},"bytesByUse":{}}}"#,
            self.imported + self.defined,
            self.imported,
            self.encoded_bytes,
            self.bytes_by_use()
        )
    }
}

fn leb_len(value: u32) -> u64 {
    (32 - value.leading_zeros()).max(1).div_ceil(7) as u64
}

/// Bytes of the unsigned LEB128 that starts `bytes`.
fn encoded_len(bytes: &[u8]) -> usize {
    bytes.iter().position(|b| b & 0x80 == 0).map_or(bytes.len(), |i| i + 1)
}

struct Stats {
    funcs: Space,
    globals: Space,
    types: Space,
    /// Types alone in their (implicit) recursion group, and how many of those
    /// repeat one before them: what merging identical types could remove.
    singleton_types: u64,
    duplicate_types: u64,
}

fn stats(bytes: &[u8]) -> wasmparser::Result<Stats> {
    let mut s = Stats { funcs: Space::default(), globals: Space::default(), types: Space::default(), singleton_types: 0, duplicate_types: 0 };
    let mut seen_types = HashMap::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    let group = group?;
                    s.types.defined += group.types().len() as u32;
                    if !group.is_explicit_rec_group() {
                        s.singleton_types += 1;
                        let ty = format!("{:?}", group.types().next());
                        *seen_types.entry(ty).or_insert(0u64) += 1;
                    }
                }
                s.duplicate_types = seen_types.values().map(|n| n - 1).sum();
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    match import?.ty {
                        TypeRef::Func(ty) => {
                            s.funcs.imported += 1;
                            s.types.mention_minimal(ty);
                        }
                        TypeRef::Global(_) => s.globals.imported += 1,
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    let ty = ty?;
                    s.funcs.defined += 1;
                    s.types.mention_minimal(ty);
                }
            }
            Payload::GlobalSection(reader) => s.globals.defined = reader.count(),
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    match export.kind {
                        ExternalKind::Func => s.funcs.mention_minimal(export.index),
                        ExternalKind::Global => s.globals.mention_minimal(export.index),
                        _ => {}
                    }
                }
            }
            Payload::StartSection { func, .. } => s.funcs.mention_minimal(func),
            Payload::ElementSection(reader) => {
                for element in reader {
                    if let ElementItems::Functions(funcs) = element?.items {
                        for func in funcs {
                            s.funcs.mention_minimal(func?);
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => count_body(&mut s, &body)?,
            _ => {}
        }
    }
    Ok(s)
}

/// Index mentions in one body, each with the bytes it is encoded in (a linker may
/// pad them to five).
fn count_body(s: &mut Stats, body: &wasmparser::FunctionBody<'_>) -> wasmparser::Result<()> {
    let mut reader = body.get_operators_reader()?;
    let code = body.as_bytes();
    let base = body.range().start as usize;
    while !reader.eof() {
        let start = reader.original_position() as usize;
        let op = reader.read()?;
        // The first immediate follows a one-byte opcode for every operator counted here.
        let immediate = &code[start - base + 1..];
        match op {
            Operator::Call { function_index } | Operator::ReturnCall { function_index } | Operator::RefFunc { function_index } => {
                s.funcs.mention(function_index, encoded_len(immediate))
            }
            Operator::GlobalGet { global_index } | Operator::GlobalSet { global_index } => s.globals.mention(global_index, encoded_len(immediate)),
            Operator::CallIndirect { type_index, .. } | Operator::ReturnCallIndirect { type_index, .. } => {
                s.types.mention(type_index, encoded_len(immediate))
            }
            _ => {}
        }
    }
    Ok(())
}

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let s = stats(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        println!(
            r#"{{"path":{path:?},"bytes":{},"functions":{},"globals":{},"types":{},"singletonTypes":{},"duplicateTypes":{}}}"#,
            bytes.len(),
            s.funcs.json(),
            s.globals.json(),
            s.types.json(),
            s.singleton_types,
            s.duplicate_types
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_index_bytes_now_and_by_use() {
        // 130 defined functions after one import: $last (index 130) takes two
        // bytes per call now, one if renumbered first; the export names $first.
        let funcs: String = (0..129).map(|i| format!("(func $f{i})")).collect();
        let wat = format!(
            r#"(module (import "m" "f" (func $imp)) (global $g (mut i32) (i32.const 0))
                 (func $first (export "first") call $last call $last call $imp global.get $g global.set $g) {funcs}
                 (func $last))"#
        );
        let s = stats(&wat::parse_str(wat).unwrap()).unwrap();
        assert_eq!((s.funcs.imported, s.funcs.defined), (1, 131));
        assert_eq!(s.funcs.mentions.iter().sum::<u64>(), 4, "two calls of $last, one of $imp, the export");
        assert_eq!(s.funcs.encoded_bytes, 2 + 2 + 1 + 1);
        assert_eq!(s.funcs.bytes_by_use(), 1 + 1 + 1 + 1, "$last and $first take indices 1 and 2");
        assert_eq!((s.globals.encoded_bytes, s.globals.bytes_by_use()), (2, 2));
        assert_eq!((s.types.defined, s.duplicate_types), (1, 0), "identical types are merged by wat");
    }

    #[test]
    fn counts_duplicate_types_outside_recursion_groups_only() {
        let wat = "(module (type (func)) (type (func)) (type (func (param i32))) (rec (type (func)) (type (func))))";
        let s = stats(&wat::parse_str(wat).unwrap()).unwrap();
        assert_eq!((s.types.defined, s.singleton_types, s.duplicate_types), (5, 3, 1));
    }

    #[test]
    fn measures_padded_indices_as_encoded() {
        assert_eq!(encoded_len(&[0x81, 0x80, 0x80, 0x80, 0x00]), 5);
        assert_eq!(encoded_len(&[0x05, 0xff]), 1);
        assert_eq!((leb_len(0), leb_len(127), leb_len(128), leb_len(16384)), (1, 1, 2, 3));
    }
}
