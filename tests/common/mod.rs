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
