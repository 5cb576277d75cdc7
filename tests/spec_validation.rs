//! Our validation (`module::validate`, and `analysis::used::validate_and_scan`, which reads
//! each function body once for both validation and the dead-code scan with a
//! visitor of our own) must give wasmparser's own verdict, `Validator::validate_all`
//! with the same features, on every module of the spec scripts: the valid ones,
//! and the `assert_invalid`/`assert_malformed` ones, which probe every rule.
//! A rejected module must be rejected at the same offset.

use std::path::PathBuf;
use wasm_squeeze::module;
use wasmparser::{Validator, WasmFeatures};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, Wat};

const SUITE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/spec-testsuite");

fn wast_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(SUITE)
        .unwrap_or_else(|e| panic!("{SUITE}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wast"))
        .collect();
    files.sort();
    files
}

/// Every core module in the script that `wast` can encode, valid or not.
fn modules(text: &str) -> Vec<Vec<u8>> {
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let Ok(buffer) = ParseBuffer::new_with_lexer(lexer) else { return Vec::new() };
    let Ok(script) = parser::parse::<Wast>(&buffer) else { return Vec::new() };
    let mut out = Vec::new();
    for directive in script.directives {
        let quote = match directive {
            WastDirective::Module(quote) | WastDirective::ModuleDefinition(quote) => quote,
            WastDirective::AssertInvalid { module, .. } | WastDirective::AssertMalformed { module, .. } => module,
            _ => continue,
        };
        let mut quote = match quote {
            QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_)) => continue,
            core => core,
        };
        if let Ok(bytes) = quote.encode() {
            out.push(bytes);
        }
    }
    out
}

fn reference(bytes: &[u8]) -> Result<(), u64> {
    Validator::new_with_features(WasmFeatures::all()).validate_all(bytes).map(drop).map_err(|e| e.offset() as u64)
}

#[test]
fn validation_agrees_with_wasmparser_on_every_spec_module() {
    let (mut valid, mut invalid, mut mismatches) = (0, 0, Vec::new());
    for path in wast_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for bytes in modules(&text) {
            let expected = reference(&bytes);
            let ours = module::validate(&bytes).map_err(|e| e.offset);
            let scanned = wasm_squeeze::analysis::used::validate_and_scan(&bytes).map(drop).map_err(|e| e.offset);
            if expected.is_ok() { valid += 1 } else { invalid += 1 }
            // Component binaries and non-wasm bytes get our own plainer message; only
            // the verdict must agree for those.
            let agree = |got: &Result<(), Option<u64>>| match (&expected, got) {
                (Ok(()), Ok(())) => true,
                (Err(at), Err(Some(ours))) => at == ours,
                (Err(_), Err(None)) => true,
                _ => false,
            };
            if !agree(&ours) || !agree(&scanned) {
                mismatches.push(format!("{}: wasmparser {expected:?}, validate {ours:?}, validate_and_scan {scanned:?}", path.display()));
            }
        }
    }
    eprintln!("spec modules: {valid} valid, {invalid} rejected, {} disagreements", mismatches.len());
    assert!(valid > 2000 && invalid > 1000, "too few modules read: {valid} valid, {invalid} rejected");
    assert!(mismatches.is_empty(), "{} disagreements, first: {:#?}", mismatches.len(), &mismatches[..mismatches.len().min(10)]);
}
