//! wasm-squeeze's core: validate, optimize and compress WebAssembly modules.
//!
//! Everything here is plain Rust with no Node types; the napi binding lives in
//! `binding` behind the default-on `napi` feature.

pub mod analysis;
pub mod compress;
pub mod error;
pub mod inspect;
pub mod module;
pub mod options;
pub mod parallel;
pub mod passes;
pub mod policy;
pub mod report;
pub mod transform;
pub mod wire;

// Unit tests of the core do not need the binding (napi registers it at load time).
#[cfg(all(feature = "napi", not(test)))]
mod binding;

pub use compress::{compress, CompressOptions, Compressed};
pub use error::{Error, ErrorCode, Result};
pub use inspect::{inspect, ModuleInfo};
pub use options::{Options, PassiveData};
pub use report::{Report, Step, StepStatus};
pub use transform::{transform, Transformed};
