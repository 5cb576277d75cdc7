//! wasm-squeeze's core: validate, optimize and compress WebAssembly modules.
//!
//! Everything here is plain Rust with no Node types; the napi binding lives in
//! `binding` behind the default-on `napi` feature. The API is what this file
//! re-exports; `module`, `analysis`, `passes` and `policy` are still `pub` for the
//! integration tests that reach into them (see the README's layout section).

pub mod analysis;
pub mod build_id;
pub mod compress;
pub mod debug_companion;
pub mod delta;
pub mod error;
pub mod inspect;
pub mod module;
pub mod options;
pub(crate) mod parallel;
pub mod passes;
pub mod policy;
pub mod report;
pub mod transform;
pub(crate) mod wire;

// Unit tests of the core do not need the binding (napi registers it at load time).
#[cfg(all(feature = "napi", not(test)))]
mod binding;

pub use compress::{compress, CompressOptions, Compressed};
pub use delta::{delta, undelta, DeltaFormat};
pub use error::{Error, ErrorCode, Result};
pub use inspect::{inspect, ModuleInfo};
pub use options::{Options, PassiveData};
pub use passes::passive_data::{MemoryRef, Placement, Sidecar, INIT_EXPORT};
pub use report::{Report, Step, StepStatus};
pub use transform::{transform, Transformed};
