//! A module's interface as text: every import and export with its kind and its full
//! type, type indices resolved to the types they name (indices may be renumbered by
//! the optimizer; what they mean may not change).

use wasmparser::{
    CompositeInnerType, ExternalKind, HeapType, Parser, Payload, RefType, StorageType, SubType,
    TypeRef, UnpackedIndex, ValType,
};

/// How deep type references are followed; deeper ones print as `…` (recursive types).
const DEPTH: u32 = 3;

pub fn describe(bytes: &[u8]) -> Vec<String> {
    let mut types: Vec<SubType> = Vec::new();
    let mut funcs: Vec<u32> = Vec::new();
    let mut tables = Vec::new();
    let mut memories = Vec::new();
    let mut globals = Vec::new();
    let mut tags: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("a validated module parses") {
            Payload::TypeSection(reader) => {
                for group in reader {
                    types.extend(group.unwrap().into_types());
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.unwrap();
                    let what = match import.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                            funcs.push(t);
                            format!("func {}", ty(&types, t, DEPTH))
                        }
                        TypeRef::Table(t) => {
                            tables.push(t);
                            format!("table {:?} {}", limits(t.initial, t.maximum), rf(&types, t.element_type, DEPTH))
                        }
                        TypeRef::Memory(m) => {
                            memories.push(m);
                            format!("memory {m:?}")
                        }
                        TypeRef::Global(g) => {
                            globals.push(g);
                            format!("global mut={} {}", g.mutable, val(&types, g.content_type, DEPTH))
                        }
                        TypeRef::Tag(t) => {
                            tags.push(t.func_type_idx);
                            format!("tag {}", ty(&types, t.func_type_idx, DEPTH))
                        }
                    };
                    out.push(format!("import {:?} {:?}: {what}", import.module, import.name));
                }
            }
            Payload::FunctionSection(reader) => funcs.extend(reader.into_iter().map(Result::unwrap)),
            Payload::TableSection(reader) => tables.extend(reader.into_iter().map(|t| t.unwrap().ty)),
            Payload::MemorySection(reader) => memories.extend(reader.into_iter().map(Result::unwrap)),
            Payload::GlobalSection(reader) => globals.extend(reader.into_iter().map(|g| g.unwrap().ty)),
            Payload::TagSection(reader) => tags.extend(reader.into_iter().map(|t| t.unwrap().func_type_idx)),
            Payload::ExportSection(reader) => exports.extend(reader.into_iter().map(Result::unwrap)),
            _ => {}
        }
    }
    for export in exports {
        let i = export.index as usize;
        let what = match export.kind {
            ExternalKind::Func | ExternalKind::FuncExact => format!("func {}", ty(&types, funcs[i], DEPTH)),
            ExternalKind::Table => {
                let t = tables[i];
                format!("table {:?} {}", limits(t.initial, t.maximum), rf(&types, t.element_type, DEPTH))
            }
            ExternalKind::Memory => format!("memory {:?}", memories[i]),
            ExternalKind::Global => {
                let g = globals[i];
                format!("global mut={} {}", g.mutable, val(&types, g.content_type, DEPTH))
            }
            ExternalKind::Tag => format!("tag {}", ty(&types, tags[i], DEPTH)),
        };
        out.push(format!("export {:?}: {what}", export.name));
    }
    out
}

fn limits(initial: u64, maximum: Option<u64>) -> (u64, Option<u64>) {
    (initial, maximum)
}

fn ty(types: &[SubType], index: u32, depth: u32) -> String {
    if depth == 0 {
        return "…".into();
    }
    let sub = &types[index as usize];
    let inner = match &sub.composite_type.inner {
        CompositeInnerType::Func(f) => {
            let list = |tys: &[ValType]| tys.iter().map(|&t| val(types, t, depth - 1)).collect::<Vec<_>>().join(" ");
            format!("(func (param {}) (result {}))", list(f.params()), list(f.results()))
        }
        CompositeInnerType::Array(a) => format!("(array mut={} {})", a.0.mutable, storage(types, a.0.element_type, depth - 1)),
        CompositeInnerType::Struct(s) => {
            let fields: Vec<String> = s.fields.iter().map(|f| format!("mut={} {}", f.mutable, storage(types, f.element_type, depth - 1))).collect();
            format!("(struct {})", fields.join(", "))
        }
        CompositeInnerType::Cont(_) => "(cont …)".into(),
    };
    format!("final={} shared={} {inner}", sub.is_final, sub.composite_type.shared)
}

fn storage(types: &[SubType], t: StorageType, depth: u32) -> String {
    match t {
        StorageType::Val(v) => val(types, v, depth),
        other => format!("{other:?}"),
    }
}

fn val(types: &[SubType], t: ValType, depth: u32) -> String {
    match t {
        ValType::Ref(r) => rf(types, r, depth),
        other => format!("{other:?}"),
    }
}

fn rf(types: &[SubType], r: RefType, depth: u32) -> String {
    match r.heap_type() {
        HeapType::Concrete(UnpackedIndex::Module(i)) | HeapType::Exact(UnpackedIndex::Module(i)) => {
            format!("(ref null={} {})", r.is_nullable(), ty(types, i, depth))
        }
        other => format!("(ref null={} {other:?})", r.is_nullable()),
    }
}
