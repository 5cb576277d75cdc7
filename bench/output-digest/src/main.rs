//! Prints one line per (module, mode): the sha256 of `transform`'s output wasm, of
//! its sidecar (bytes and placements) and of its whole report (or of the error), so
//! two builds of the library can be compared line by line (scripts/same-outputs.sh).
//!
//! `output-digest <corpus-wasm-dir> [<spec-dir>]`: every `.wasm` in the first
//! directory, and every module of every `.wast` script under the second (recursively).
//! Only the library's public API is used: the same source builds against old revisions.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use wasm_squeeze::{transform, Options, PassiveData};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute};

fn modes() -> Vec<(&'static str, Options)> {
    let with = |f: fn(&mut Options)| {
        let mut options = Options::default();
        f(&mut options);
        options
    };
    vec![
        ("default", Options::default()),
        ("allowRawGrowth", with(|o| o.allow_raw_growth = true)),
        ("passiveData=start", with(|o| o.passive_data = PassiveData::Start)),
        ("passiveData=deferred", with(|o| o.passive_data = PassiveData::Deferred)),
        ("passiveData=sidecar", with(|o| o.passive_data = PassiveData::Sidecar)),
        // The `name` section survives strip, so remove-unused and pack-data edit it.
        ("keepNames+allowRawGrowth", with(|o| {
            o.keep_names = true;
            o.allow_raw_growth = true;
        })),
    ]
}

fn hex(bytes: impl AsRef<[u8]>) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn digest_line(id: &str, mode: &str, options: &Options, wasm: &[u8]) -> String {
    let result = std::panic::catch_unwind(|| transform(wasm, options));
    match result {
        Err(_) => format!("{id}\t{mode}\tpanic\t-\t-"),
        Ok(Ok(out)) => {
            let sidecar = match &out.sidecar {
                Some(s) => hex(format!("{}:{:?}:{:?}", hex(&s.bytes), s.placements, s.init_export)),
                None => "-".to_string(),
            };
            format!("{id}\t{mode}\t{}\t{sidecar}\t{}", hex(&out.wasm), hex(format!("{:?}", out.report)))
        }
        Ok(Err(e)) => format!("{id}\t{mode}\terror\t-\t{}", hex(format!("{e:?}"))),
    }
}

fn files_with(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("read dir").path();
        if path.is_dir() {
            files_with(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The binary of every module a script defines or instantiates (assert_invalid and
/// assert_malformed modules included: the error they meet is behaviour too).
fn spec_modules(text: &str) -> Vec<Vec<u8>> {
    let Ok(mut lexer) = std::panic::catch_unwind(|| Lexer::new(text)) else { return Vec::new() };
    lexer.allow_confusing_unicode(true);
    let Ok(buffer) = ParseBuffer::new_with_lexer(lexer) else { return Vec::new() };
    let Ok(wast) = parser::parse::<Wast>(&buffer) else { return Vec::new() };
    let mut quotes: Vec<QuoteWat> = Vec::new();
    for directive in wast.directives {
        match directive {
            WastDirective::Module(q) | WastDirective::ModuleDefinition(q) => quotes.push(q),
            WastDirective::AssertMalformed { module, .. } | WastDirective::AssertInvalid { module, .. } => {
                quotes.push(module)
            }
            WastDirective::AssertUnlinkable { module, .. } => quotes.push(QuoteWat::Wat(module)),
            WastDirective::AssertTrap { exec: WastExecute::Wat(module), .. } => quotes.push(QuoteWat::Wat(module)),
            _ => {}
        }
    }
    quotes.into_iter().filter_map(|mut q| q.encode().ok()).filter(|b| b.starts_with(b"\0asm\x01\0\0\0")).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(!args.is_empty(), "usage: output-digest <corpus-wasm-dir> [<spec-dir>]");
    let modes = modes();
    let mut lines = 0usize;
    let mut emit = |id: &str, wasm: &[u8]| {
        for (mode, options) in &modes {
            println!("{}", digest_line(id, mode, options, wasm));
            lines += 1;
        }
    };
    let mut corpus = Vec::new();
    files_with(Path::new(&args[0]), "wasm", &mut corpus);
    corpus.sort();
    for path in &corpus {
        let wasm = std::fs::read(path).expect("read corpus module");
        emit(&path.file_name().unwrap().to_string_lossy(), &wasm);
    }
    let mut scripts = Vec::new();
    if let Some(dir) = args.get(1) {
        files_with(Path::new(dir), "wast", &mut scripts);
        scripts.sort();
    }
    let mut spec_count = 0;
    for path in &scripts {
        let text = std::fs::read_to_string(path).expect("read .wast");
        let name = path.strip_prefix(&args[1]).unwrap_or(path).display().to_string();
        for (i, wasm) in spec_modules(&text).iter().enumerate() {
            emit(&format!("{name}#{i}"), wasm);
            spec_count += 1;
        }
    }
    eprintln!("{lines} lines: {} corpus modules, {spec_count} spec modules from {} scripts, {} modes",
        corpus.len(), scripts.len(), modes.len());
}
