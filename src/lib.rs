//! wasm-squeeze's core: validate, optimize and compress WebAssembly modules.
//!
//! Everything here is plain Rust with no Node types; the napi binding lives in
//! `binding` behind the default-on `napi` feature. The API is exactly what this
//! file re-exports below: `transform`, `inspect`, `compress`, `delta`/`undelta`,
//! `read_build_id` and the types they take and return. Every module is
//! `pub(crate)`: `module` (the ground floor), `analysis`, `policy` and `passes` are
//! internals, and their unit tests sit beside them (`#[cfg(test)] mod tests`, in the
//! file or in a `tests.rs` next to it). The integration tests in `tests/` and the
//! digest tool in `bench/output-digest` use only this API.

pub(crate) mod analysis;
pub(crate) mod build_id;
pub(crate) mod compress;
pub(crate) mod debug_companion;
pub(crate) mod delta;
pub(crate) mod error;
pub(crate) mod inspect;
pub(crate) mod module;
pub(crate) mod options;
pub(crate) mod parallel;
pub(crate) mod passes;
pub(crate) mod policy;
pub(crate) mod report;
pub(crate) mod transform;
pub(crate) mod wire;

// Unit tests of the core do not need the binding (napi registers it at load time).
#[cfg(all(feature = "napi", not(test)))]
mod binding;

/// The integration tests' helpers (`tests/common`), shared with the unit tests so
/// that both build fixtures and check outputs one way. It names nothing of the crate.
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
pub(crate) mod test_support;

pub use compress::{compress, CompressOptions, Compressed};
pub use delta::{delta, undelta, DeltaFormat};
pub use error::{Error, ErrorCode, Result};
pub use inspect::{inspect, DataSegmentInfo, ExportInfo, ImportInfo, MemoryInfo, ModuleInfo, SectionInfo};
pub use options::{Options, PassiveData};
pub use passes::passive_data::{MemoryRef, Placement, Sidecar, INIT_EXPORT};
pub use report::{Report, SectionSize, Step, StepStatus};
pub use transform::{transform, Transformed};

/// The build id a module carries (WebAssembly tool-conventions `BuildId.md`): the
/// payload of its `build_id` custom section, `None` when it has none. It is how an
/// error tracker finds a module's debug companion; `transform` keeps, replaces or
/// adds it (see `build_id`), and the Node API reports it as `buildId`.
pub fn read_build_id(module: &[u8]) -> Result<Option<Vec<u8>>> {
    build_id::read(module)
}
