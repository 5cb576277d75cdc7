//! Helpers shared by the integration tests.
#![allow(dead_code)]

use wasmparser::{Validator, WasmFeatures};

pub fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test fixture must be valid wat")
}

pub fn assert_valid(bytes: &[u8]) {
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .expect("output must validate");
}

/// Names of the custom sections in a module, in order.
pub fn custom_section_names(bytes: &[u8]) -> Vec<String> {
    wasm_squeeze::module::sections(bytes)
        .unwrap()
        .iter()
        .filter_map(|s| s.custom_name.map(str::to_string))
        .collect()
}

/// Raw bytes of every non-custom section, in order.
pub fn known_sections(bytes: &[u8]) -> Vec<Vec<u8>> {
    wasm_squeeze::module::sections(bytes)
        .unwrap()
        .iter()
        .filter(|s| s.custom_name.is_none())
        .map(|s| s.raw.to_vec())
        .collect()
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

/// How many functions, globals, imports, element segments and types a module has.
pub fn counts(bytes: &[u8]) -> (u32, usize, usize, usize, u32) {
    let items = wasm_squeeze::analysis::items::ModuleItems::read(bytes).unwrap();
    (items.funcs.len() as u32, items.globals.len(), items.imports.len(), items.elements.len(), items.type_count())
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
