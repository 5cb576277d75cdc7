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
