//! Our validation, as `inspect` (plain validation) and `transform` (whose validation
//! reads each function body once for both validation and the dead-code scan, with
//! a visitor of our own) run it, must give wasmparser's own verdict, `Validator::validate_all`
//! with the same features, on every module of the spec scripts (`spec_suite/scripts.rs`):
//! the valid ones, and the `assert_invalid`/`assert_malformed` ones, which probe every
//! rule. A rejected module must be rejected at the same offset.
//!
//! `SPEC_FILTER=substring` reads only the scripts whose `suite/file` name contains it.

#[path = "spec_suite/scripts.rs"]
mod scripts;

use std::collections::BTreeMap;
use wasm_squeeze::{inspect, transform, Options};
use wasmparser::{Validator, WasmFeatures};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, Wat};

/// What the script says of a module.
#[derive(Clone, Copy, PartialEq)]
enum Expect {
    Valid,
    Rejected,
}

#[derive(Default)]
struct Counts {
    scripts: usize,
    valid: usize,
    rejected: usize,
    /// Compared modules on which wasmparser, the reference, differs from the script:
    /// rules of a proposal it lacks, or that later spec versions relaxed.
    reference_differs: usize,
    /// `assert_malformed` text that `wast` refuses to encode, as the script expects.
    malformed_text: usize,
    disagreements: usize,
}

/// Every core module of the directives (nested `thread` ones too), with what the script
/// expects of it; `Err` for a module `wast` cannot encode.
fn modules(directives: Vec<WastDirective<'_>>, out: &mut Vec<(Expect, Result<Vec<u8>, ()>)>) {
    for directive in directives {
        let (expect, quote) = match directive {
            WastDirective::Module(quote) | WastDirective::ModuleDefinition(quote) => (Expect::Valid, quote),
            // Custom sections and annotations may be malformed; the module is still valid wasm.
            WastDirective::AssertMalformedCustom { module, .. }
            | WastDirective::AssertInvalidCustom { module, .. } => (Expect::Valid, module),
            WastDirective::AssertUnlinkable { module, .. }
            | WastDirective::AssertTrap { exec: WastExecute::Wat(module), .. }
            | WastDirective::AssertReturn { exec: WastExecute::Wat(module), .. } => (Expect::Valid, QuoteWat::Wat(module)),
            WastDirective::AssertInvalid { module, .. } | WastDirective::AssertMalformed { module, .. } => (Expect::Rejected, module),
            WastDirective::Thread(thread) => {
                modules(thread.directives, out);
                continue;
            }
            _ => continue,
        };
        let mut quote = match quote {
            QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_)) => continue,
            core => core,
        };
        out.push((expect, quote.encode().map_err(drop)));
    }
}

fn reference(bytes: &[u8]) -> Result<(), u64> {
    Validator::new_with_features(WasmFeatures::all()).validate_all(bytes).map(drop).map_err(|e| e.offset() as u64)
}

#[test]
fn validation_agrees_with_wasmparser_on_every_spec_module() {
    let mut suites: BTreeMap<String, Counts> = BTreeMap::new();
    let (mut unparsed, mut unencodable, mut mismatches) = (Vec::new(), Vec::new(), Vec::new());
    for script in scripts::scripts() {
        let counts = suites.entry(script.suite.clone()).or_default();
        counts.scripts += 1;
        let mut lexer = Lexer::new(script.text);
        lexer.allow_confusing_unicode(true);
        let parsed = ParseBuffer::new_with_lexer(lexer).and_then(|buffer| {
            let mut found = Vec::new();
            modules(parser::parse::<Wast>(&buffer)?.directives, &mut found);
            Ok(found)
        });
        let found = match parsed {
            Ok(found) => found,
            Err(e) => {
                unparsed.push(format!("{}: {}", script.name(), e.message()));
                continue;
            }
        };
        for (expect, bytes) in found {
            let bytes = match (bytes, expect) {
                (Ok(bytes), _) => bytes,
                (Err(()), Expect::Rejected) => {
                    counts.malformed_text += 1;
                    continue;
                }
                (Err(()), Expect::Valid) => {
                    unencodable.push(script.name());
                    continue;
                }
            };
            let expected = reference(&bytes);
            let ours = inspect(&bytes).map(drop).map_err(|e| e.offset);
            let scanned = transform(&bytes, &Options::default()).map(drop).map_err(|e| e.offset);
            match expect {
                Expect::Valid => counts.valid += 1,
                Expect::Rejected => counts.rejected += 1,
            }
            counts.reference_differs += usize::from(expected.is_ok() != (expect == Expect::Valid));
            // Component binaries and non-wasm bytes get our own plainer message; only
            // the verdict must agree for those.
            let agree = |got: &Result<(), Option<u64>>| match (&expected, got) {
                (Ok(()), Ok(())) => true,
                (Err(at), Err(Some(ours))) => at == ours,
                (Err(_), Err(None)) => true,
                _ => false,
            };
            if !agree(&ours) || !agree(&scanned) {
                counts.disagreements += 1;
                mismatches.push(format!("{}: wasmparser {expected:?}, inspect {ours:?}, transform {scanned:?}", script.name()));
            }
        }
    }
    let mut total = Counts::default();
    let mut table = format!(
        "\n== spec modules: our validator vs wasmparser ==\n  {:<38} {:>7} {:>6} {:>8} {:>18} {:>14} {:>13}\n",
        "suite", "scripts", "valid", "rejected", "wasmparser differs", "malformed text", "disagreements"
    );
    for (suite, c) in &suites {
        table += &format!(
            "  {suite:<38} {:>7} {:>6} {:>8} {:>18} {:>14} {:>13}\n",
            c.scripts, c.valid, c.rejected, c.reference_differs, c.malformed_text, c.disagreements
        );
        total.scripts += c.scripts;
        total.valid += c.valid;
        total.rejected += c.rejected;
    }
    table += &format!(
        "  valid/rejected: what the script expects; both are compared. wasmparser differs: it is the\n  \
         reference, and differs from the script (a proposal rule it lacks, or one the spec relaxed later).\n  \
         malformed text: `assert_malformed` text `wast` refuses to encode, as the script expects.\n  \
         modules compared: {} ({} valid, {} rejected) from {} scripts; {} unparsed scripts; \
         {} valid modules `wast` cannot encode; {} disagreements\n",
        total.valid + total.rejected,
        total.valid,
        total.rejected,
        total.scripts,
        unparsed.len(),
        unencodable.len(),
        mismatches.len(),
    );
    for file in &unparsed {
        table += &format!("    unparsed: {file}\n");
    }
    for file in &unencodable {
        table += &format!("    valid module `wast` cannot encode: {file}\n");
    }
    // Straight to stderr so the table shows without `--nocapture`.
    std::io::Write::write_all(&mut std::io::stderr(), table.as_bytes()).unwrap();
    assert!(unparsed.is_empty(), "{} script(s) `wast` cannot parse: {unparsed:#?}", unparsed.len());
    assert!(unencodable.is_empty(), "valid modules `wast` cannot encode, so not compared: {unencodable:#?}");
    if scripts::filter().is_empty() {
        assert!(total.valid > 3000 && total.rejected > 2000, "too few modules read: {} valid, {} rejected", total.valid, total.rejected);
    }
    assert!(mismatches.is_empty(), "{} disagreements, first: {:#?}", mismatches.len(), &mismatches[..mismatches.len().min(10)]);
}
