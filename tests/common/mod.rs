//! Helpers shared by the integration tests, and by the crate's unit tests (`lib.rs`
//! includes this file as `test_support`), so it names nothing of the crate: modules
//! are read back with wasmparser, independently of the code under test.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use wasmparser::{Parser, Payload, Validator, WasmFeatures};

pub fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test fixture must be valid wat")
}

pub fn assert_valid(bytes: &[u8]) {
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .expect("output must validate");
}

/// One section as wasmparser splits a module: its id, a custom section's name, and
/// its whole bytes (id and size header included) at `offset`.
pub struct RawSection<'a> {
    pub id: u8,
    pub custom_name: Option<String>,
    pub raw: &'a [u8],
    pub offset: usize,
}

/// Every section of a valid module, in order. Sections lie end to end, so each
/// one's header starts where the previous content ends.
pub fn raw_sections(bytes: &[u8]) -> Vec<RawSection<'_>> {
    let mut out = Vec::new();
    let mut start = 8;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.expect("a valid module");
        let custom_name = match &payload {
            Payload::CustomSection(reader) => Some(reader.name().to_string()),
            _ => None,
        };
        if let Some((id, range)) = payload.as_section() {
            let end = range.end as usize;
            out.push(RawSection { id, custom_name, raw: &bytes[start..end], offset: start });
            start = end;
        }
    }
    out
}

/// The whole bytes of known section `id` (never a custom one), if the module has it.
pub fn known_section(bytes: &[u8], id: u8) -> Option<Vec<u8>> {
    raw_sections(bytes).into_iter().find(|s| s.custom_name.is_none() && s.id == id).map(|s| s.raw.to_vec())
}

/// The whole bytes of custom section `name`, if the module has one.
pub fn custom_section(bytes: &[u8], name: &str) -> Option<Vec<u8>> {
    raw_sections(bytes).into_iter().find(|s| s.custom_name.as_deref() == Some(name)).map(|s| s.raw.to_vec())
}

/// Names of the custom sections in a module, in order.
pub fn custom_section_names(bytes: &[u8]) -> Vec<String> {
    raw_sections(bytes).into_iter().filter_map(|s| s.custom_name).collect()
}

/// Raw bytes of every non-custom section, in order.
pub fn known_sections(bytes: &[u8]) -> Vec<Vec<u8>> {
    raw_sections(bytes).into_iter().filter(|s| s.custom_name.is_none()).map(|s| s.raw.to_vec()).collect()
}

/// A module from whole sections (each with its id and size header).
pub fn module_of<'a>(sections: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    sections.into_iter().for_each(|raw| out.extend_from_slice(raw));
    out
}

/// The bytes of every function body (locals and code), in order.
pub fn function_bodies(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::CodeSectionEntry(body) = payload.expect("a valid module") {
            let range = body.range();
            out.push(bytes[range.start as usize..range.end as usize].to_vec());
        }
    }
    out
}

/// A build id as tool-conventions `BuildId.md` examples print it: lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The build id wasm-squeeze derives for a module it ships (its README and
/// `build_id.rs` state the rule): the first 16 bytes of the SHA-256 of every
/// section but `build_id` and `external_debug_info`, computed here on its own.
pub fn derived_build_id(bytes: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for s in raw_sections(bytes) {
        if !matches!(s.custom_name.as_deref(), Some("build_id" | "external_debug_info")) {
            hasher.update(s.raw);
        }
    }
    hasher.finalize()[..16].to_vec()
}

/// Runs an export of a module in wasmi and returns its i32 results, or the trap /
/// instantiation error as text. Host imports available: `env.log (i32)`,
/// `env.unused ()`, and the i32 global `env.base` = 16.
pub fn call_i32(bytes: &[u8], export: &str, args: &[i32]) -> Result<Vec<i32>, String> {
    use wasmi::{Engine, Global, Linker, Module, Mutability, Store, Val};
    let engine = Engine::default();
    let module = Module::new(&engine, bytes).map_err(|e| format!("compile: {e}"))?;
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("env", "log", |_: i32| {}).unwrap();
    linker.func_wrap("env", "unused", || {}).unwrap();
    let base = Global::new(&mut store, Val::I32(16), Mutability::Const);
    linker.define("env", "base", base).unwrap();
    let instance = linker.instantiate_and_start(&mut store, &module).map_err(|e| format!("instantiate: {e}"))?;
    let func = instance.get_func(&store, export).ok_or_else(|| format!("no export {export}"))?;
    let params: Vec<Val> = args.iter().map(|&a| Val::I32(a)).collect();
    let mut results = vec![Val::I32(0); func.ty(&store).results().len()];
    func.call(&mut store, &params, &mut results).map_err(|e| format!("trap: {e}"))?;
    Ok(results.iter().map(|v| v.i32().expect("i32 result")).collect())
}

/// How many functions, globals, imports, element segments and types a module has
/// (functions and globals count the imported ones too).
pub fn counts(bytes: &[u8]) -> (u32, usize, usize, usize, u32) {
    use wasmparser::TypeRef;
    let (mut funcs, mut globals, mut imports, mut elements, mut types) = (0, 0, 0, 0, 0);
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("a valid module") {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.unwrap();
                    imports += 1;
                    match import.ty {
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => funcs += 1,
                        TypeRef::Global(_) => globals += 1,
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => funcs += reader.count(),
            Payload::GlobalSection(reader) => globals += reader.count() as usize,
            Payload::ElementSection(reader) => elements += reader.count() as usize,
            Payload::TypeSection(reader) => {
                for group in reader {
                    types += group.unwrap().types().len() as u32;
                }
            }
            _ => {}
        }
    }
    (funcs, globals, imports, elements, types)
}

/// `len` pseudo-random (incompressible) bytes from `seed`.
pub fn noise_bytes(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (state >> 16) as u8
        })
        .collect()
}

/// A module of `funcs` functions `() -> i32` (only the first exported, as "live"),
/// a memory with `data` at address 0, and a custom section "x" holding `custom`.
pub fn module_with(funcs: u32, data: &[u8], custom: &[u8]) -> Vec<u8> {
    use wasm_encoder::*;
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    module.section(&types);
    let mut functions = FunctionSection::new();
    (0..funcs).for_each(|_| { functions.function(0); });
    module.section(&functions);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType { minimum: (data.len() as u64).div_ceil(65536).max(1), maximum: None, memory64: false, shared: false, page_size_log2: None });
    module.section(&memories);
    let mut exports = ExportSection::new();
    exports.export("live", ExportKind::Func, 0);
    module.section(&exports);
    let mut code = CodeSection::new();
    for i in 0..funcs {
        let mut f = Function::new([]);
        f.instructions().i32_const(i as i32).end();
        code.function(&f);
    }
    module.section(&code);
    let mut section = DataSection::new();
    section.active(0, &ConstExpr::i32_const(0), data.iter().copied());
    module.section(&section);
    if !custom.is_empty() {
        module.section(&CustomSection { name: "x".into(), data: custom.into() });
    }
    module.finish()
}

/// Compressible but not trivial: a repeated pseudo-random block with some noise.
pub fn sample(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_u32;
    let block: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 64) as u8
        })
        .collect();
    (0..len).map(|i| block[i % block.len()] ^ ((i / 65536) as u8)).collect()
}

/// Decodes with an independent decoder (the Rust `brotli` crate; ours is the C one).
pub fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096).read_to_end(&mut out).unwrap();
    out
}

pub fn ungzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// Decodes the way a browser does: refusing windows over 8 MiB.
pub fn unzstd_like_a_browser(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut decoder = zstd::stream::read::Decoder::new(bytes).unwrap();
    decoder.window_log_max(23).unwrap();
    let mut out = Vec::new();
    decoder.read_to_end(&mut out).unwrap();
    out
}
