//! The Node binding: data conversion only. Every call does its work in one task on
//! the libuv pool (`compute`), and each async function has a `*Sync` twin that runs
//! the same `compute`/`resolve`. Core errors cross as `"<CODE>: <message>"`, which
//! `js/native.js` turns into `err.code`/`err.offset`; a panic becomes an
//! `ERR_INTERNAL` error instead of taking the Node process down.

use crate::{compress as core_compress, inspect as core_inspect, options, transform as core_transform};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::panic::{catch_unwind, AssertUnwindSafe};

// `delta`/`deltaSync`: RFC 9842 delta bodies (src/binding/delta.rs).
mod delta;

/// Set to make the next native call panic: proves the panic guard in tests.
const TEST_PANIC_ENV: &str = "WASM_SQUEEZE_TEST_PANIC";

fn to_js_error(err: crate::Error) -> Error {
    Error::new(Status::GenericFailure, format!("{}: {}", err.code.as_str(), err))
}

/// Runs native work so that neither an error nor a panic escapes as anything but a
/// JS error.
fn guarded<T>(work: impl FnOnce() -> crate::Result<T>) -> Result<T> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if std::env::var_os(TEST_PANIC_ENV).is_some() {
            panic!("{TEST_PANIC_ENV} is set");
        }
        work()
    }));
    match outcome {
        Ok(result) => result.map_err(to_js_error),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(to_js_error(crate::Error::internal(format!(
                "wasm-squeeze panicked ({what}); please report this with the input file"
            ))))
        }
    }
}

// ---- transform ----------------------------------------------------------------

/// Options for `transform`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct BindingTransformOptions {
    /// Keep the `name` section (function names in stack traces).
    /// @default false
    pub keep_names: Option<bool>,
    /// Custom sections to keep although the strip policy would drop them.
    /// @default []
    pub keep_sections: Option<Vec<String>>,
    /// Remove unused functions, globals, tables and types.
    /// @default true
    pub dce: Option<bool>,
    /// Merge and trim active data segments when that makes the module smaller.
    /// @default true
    pub pack_data: Option<bool>,
    /// How active data segments reach memory: `start` and `deferred` make them
    /// passive (deferred: the loader calls `__wasm_squeeze_init_data`), `sidecar`
    /// moves large ones out of the module into `result.sidecar`.
    /// @default 'off'
    #[napi(ts_type = "'off' | 'start' | 'deferred' | 'sidecar'")]
    pub passive_data: Option<String>,
    /// With `passiveData: 'sidecar'`: the smallest segment, in bytes, worth moving.
    /// @default 4096
    pub sidecar_min_bytes: Option<i64>,
    /// The module's imported memory is known to start zeroed.
    /// @default false
    pub zero_filled_memory: Option<bool>,
    /// Let data packing grow the raw module when it shrinks the compressed size.
    /// @default false
    pub allow_raw_growth: Option<bool>,
    /// Also return `debugCompanion`: a module with the DWARF and names strip drops,
    /// for debuggers and error trackers. With DWARF, unused code is not removed.
    /// @default false
    pub debug_companion: Option<bool>,
    /// With `debugCompanion`: the URL the shipped module's `external_debug_info`
    /// section names, for DevTools to fetch the companion from.
    pub debug_url: Option<String>,
    /// The module the browser already has (the previous deploy's): functions are
    /// numbered as there, so a dictionary delta against it stays small.
    pub previous: Option<Uint8Array>,
}

impl TryFrom<BindingTransformOptions> for options::Options {
    type Error = crate::Error;

    fn try_from(js: BindingTransformOptions) -> crate::Result<Self> {
        let defaults = options::Options::default();
        let passive_data = match js.passive_data.as_deref() {
            None => defaults.passive_data,
            Some(value) => options::PassiveData::parse(value).ok_or_else(|| {
                crate::Error::invalid_option(
                    "passiveData",
                    format!("expected 'off', 'start', 'deferred' or 'sidecar', got '{value}'"),
                )
            })?,
        };
        let sidecar_min_bytes = match js.sidecar_min_bytes {
            None => defaults.sidecar_min_bytes,
            Some(n) if n >= 0 => n as u64,
            Some(n) => {
                return Err(crate::Error::invalid_option("sidecarMinBytes", format!("expected a byte count ≥ 0, got {n}")))
            }
        };
        Ok(options::Options {
            keep_names: js.keep_names.unwrap_or(defaults.keep_names),
            keep_sections: js.keep_sections.unwrap_or(defaults.keep_sections),
            dce: js.dce.unwrap_or(defaults.dce),
            pack_data: js.pack_data.unwrap_or(defaults.pack_data),
            passive_data,
            zero_filled_memory: js.zero_filled_memory.unwrap_or(defaults.zero_filled_memory),
            allow_raw_growth: js.allow_raw_growth.unwrap_or(defaults.allow_raw_growth),
            sidecar_min_bytes,
            debug_companion: js.debug_companion.unwrap_or(defaults.debug_companion),
            debug_url: crate::debug_companion::check_url(js.debug_url, js.debug_companion.unwrap_or(false))?,
            previous: js.previous.map(|bytes| std::sync::Arc::from(&bytes[..])),
        })
    }
}

#[napi(object, object_from_js = false)]
pub struct BindingSectionSize {
    pub name: String,
    pub bytes: i64,
}

#[napi(object, object_from_js = false)]
pub struct BindingStep {
    /// Pass id: `strip`, …
    pub pass: String,
    #[napi(ts_type = "'applied' | 'unchanged' | 'skipped'")]
    pub status: String,
    pub detail: String,
    pub bytes_saved: i64,
}

#[napi(object, object_from_js = false)]
pub struct BindingReport {
    pub input_bytes: i64,
    pub output_bytes: i64,
    pub sections_before: Vec<BindingSectionSize>,
    pub sections_after: Vec<BindingSectionSize>,
    pub steps: Vec<BindingStep>,
    /// The passes did not make the module smaller, so the input came back unchanged.
    pub kept_original: bool,
}

/// One segment moved to the sidecar: the loader writes
/// `data[sidecarOffset .. sidecarOffset + length]` at `offset` in the memory.
#[napi(object, object_from_js = false)]
pub struct BindingPlacement {
    pub segment: u32,
    pub memory_index: u32,
    /// The memory's export name, when it is exported.
    pub memory_export: Option<String>,
    /// The memory's import `[module, name]`, when it is imported and not exported.
    pub memory_import: Option<Vec<String>>,
    pub offset: f64,
    pub sidecar_offset: f64,
    pub length: f64,
}

/// Data moved out of the module by `passiveData: 'sidecar'`.
#[napi(object, object_from_js = false)]
pub struct BindingSidecar {
    pub data: Buffer,
    pub placements: Vec<BindingPlacement>,
    /// The export the loader calls after writing the data, if any.
    pub init_export: Option<String>,
}

#[napi(object, object_from_js = false)]
pub struct BindingTransformResult {
    pub wasm: Buffer,
    pub report: BindingReport,
    pub sidecar: Option<BindingSidecar>,
    /// The returned module's imports, as `inspect` lists them (glue needs no second call).
    pub imports: Vec<BindingImport>,
    /// The returned module's exports, as `inspect` lists them.
    pub exports: Vec<BindingExport>,
    /// With `debugCompanion`, when the module had DWARF or names: the companion,
    /// carrying the same `build_id` as `wasm`.
    pub debug_companion: Option<Buffer>,
    /// The `build_id` of `wasm` (and its companion) in hex, when it has one.
    pub build_id: Option<String>,
}

impl From<crate::passes::passive_data::Sidecar> for BindingSidecar {
    fn from(sidecar: crate::passes::passive_data::Sidecar) -> Self {
        use crate::passes::passive_data::MemoryRef;
        let placements = sidecar
            .placements
            .into_iter()
            .map(|p| {
                let (memory_export, memory_import) = match p.memory {
                    MemoryRef::Export(name) => (Some(name), None),
                    MemoryRef::Import { module, name } => (None, Some(vec![module, name])),
                };
                BindingPlacement {
                    segment: p.segment,
                    memory_index: p.memory_index,
                    memory_export,
                    memory_import,
                    offset: p.offset as f64,
                    sidecar_offset: p.sidecar_offset as f64,
                    length: p.length as f64,
                }
            })
            .collect();
        BindingSidecar { data: sidecar.bytes.into(), placements, init_export: sidecar.init_export }
    }
}

fn section_sizes(sizes: Vec<crate::report::SectionSize>) -> Vec<BindingSectionSize> {
    sizes.into_iter().map(|s| BindingSectionSize { name: s.name, bytes: s.bytes as i64 }).collect()
}

/// A transform's result and the interface of the module it returns.
pub struct TransformOutput {
    transformed: core_transform::Transformed,
    interface: core_inspect::ModuleInfo,
}

impl From<TransformOutput> for BindingTransformResult {
    fn from(TransformOutput { transformed: out, interface }: TransformOutput) -> Self {
        let BindingModuleInfo { imports, exports, .. } = interface.into();
        let build_id = crate::build_id::read(&out.wasm).ok().flatten().map(|id| crate::build_id::hex(&id));
        let report = out.report;
        BindingTransformResult {
            imports,
            exports,
            wasm: out.wasm.into(),
            report: BindingReport {
                input_bytes: report.input_bytes as i64,
                output_bytes: report.output_bytes as i64,
                sections_before: section_sizes(report.sections_before),
                sections_after: section_sizes(report.sections_after),
                steps: report
                    .steps
                    .into_iter()
                    .map(|s| BindingStep {
                        pass: s.pass.to_string(),
                        status: s.status.as_str().to_string(),
                        detail: s.detail,
                        bytes_saved: s.bytes_saved,
                    })
                    .collect(),
                kept_original: report.kept_original,
            },
            sidecar: out.sidecar.map(Into::into),
            build_id,
            debug_companion: out.debug_companion.map(Into::into),
        }
    }
}

pub struct TransformTask {
    input: Uint8Array,
    options: Option<BindingTransformOptions>,
}

impl Task for TransformTask {
    type Output = TransformOutput;
    type JsValue = BindingTransformResult;

    fn compute(&mut self) -> Result<Self::Output> {
        let options = self.options.take().unwrap_or_default();
        let input: &[u8] = &self.input;
        guarded(|| {
            let transformed = core_transform::transform(input, &options.try_into()?)?;
            // Read here, in the same task, so the plugin's glue needs no second call.
            let interface = core_inspect::inspect_validated(&transformed.wasm)?;
            Ok(TransformOutput { transformed, interface })
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output.into())
    }
}

/// Validates, optimizes and re-validates a module on the libuv thread pool.
#[napi(ts_return_type = "Promise<BindingTransformResult>")]
pub fn transform(
    input: Uint8Array,
    options: Option<BindingTransformOptions>,
) -> AsyncTask<TransformTask> {
    AsyncTask::new(TransformTask { input, options })
}

/// `transform` on the calling thread.
#[napi]
pub fn transform_sync(
    env: Env,
    input: Uint8Array,
    options: Option<BindingTransformOptions>,
) -> Result<BindingTransformResult> {
    let mut task = TransformTask { input, options };
    let output = task.compute()?;
    task.resolve(env, output)
}

// ---- compress -----------------------------------------------------------------

/// Exactly the formats to produce, at these levels. The defaults (brotli and gzip
/// on, zstd opt-in) are applied once, on the JS side (`js/options.js`), before
/// the call: here an absent format is not produced.
#[napi(object, object_to_js = false)]
pub struct BindingCompressOptions {
    /// Brotli quality 0–11.
    pub brotli: Option<u32>,
    /// Zstd level 1–22; the window stays ≤ 8 MiB.
    pub zstd: Option<i32>,
    /// Gzip level 0–9.
    pub gzip: Option<u32>,
}

#[napi(object, object_from_js = false)]
pub struct BindingCompressed {
    pub br: Option<Buffer>,
    pub zst: Option<Buffer>,
    pub gz: Option<Buffer>,
}

pub struct CompressTask {
    input: Uint8Array,
    options: core_compress::CompressOptions,
}

impl CompressTask {
    fn new(input: Uint8Array, js: BindingCompressOptions) -> Self {
        let options = core_compress::CompressOptions { brotli: js.brotli, zstd: js.zstd, gzip: js.gzip };
        CompressTask { input, options }
    }
}

impl Task for CompressTask {
    type Output = core_compress::Compressed;
    type JsValue = BindingCompressed;

    fn compute(&mut self) -> Result<Self::Output> {
        let input: &[u8] = &self.input;
        guarded(|| core_compress::compress(input, &self.options))
    }

    fn resolve(&mut self, _env: Env, out: Self::Output) -> Result<Self::JsValue> {
        Ok(BindingCompressed {
            br: out.br.map(Into::into),
            zst: out.zst.map(Into::into),
            gz: out.gz.map(Into::into),
        })
    }
}

/// Compresses bytes into each requested format, in parallel, off the main thread.
#[napi(ts_return_type = "Promise<BindingCompressed>")]
pub fn compress(input: Uint8Array, options: BindingCompressOptions) -> AsyncTask<CompressTask> {
    AsyncTask::new(CompressTask::new(input, options))
}

/// `compress` on the calling thread.
#[napi]
pub fn compress_sync(
    env: Env,
    input: Uint8Array,
    options: BindingCompressOptions,
) -> Result<BindingCompressed> {
    let mut task = CompressTask::new(input, options);
    let output = task.compute()?;
    task.resolve(env, output)
}

pub struct BrotliSplitTask {
    input: Uint8Array,
    quality: u32,
    parts: u32,
}

impl Task for BrotliSplitTask {
    type Output = Vec<u8>;
    type JsValue = Buffer;

    fn compute(&mut self) -> Result<Self::Output> {
        let input: &[u8] = &self.input;
        let (quality, parts) = (self.quality, self.parts as usize);
        guarded(|| core_compress::brotli_split(input, quality, core_compress::BROTLI_ZLIB_LGWIN, parts))
    }

    fn resolve(&mut self, _env: Env, out: Self::Output) -> Result<Self::JsValue> {
        Ok(out.into())
    }
}

/// Brotli at zlib's window in `parts` pieces compressed at once, stitched into one
/// standard stream. For bench:brotli-split and its tests only: the stream is 0.8–16%
/// bigger than `compress`'s (bench/results/brotli-split.md), so nothing ships it.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn brotli_split(input: Uint8Array, quality: u32, parts: u32) -> AsyncTask<BrotliSplitTask> {
    AsyncTask::new(BrotliSplitTask { input, quality, parts })
}

// ---- inspect ------------------------------------------------------------------

#[napi(object, object_from_js = false)]
pub struct BindingSectionInfo {
    pub name: String,
    pub offset: i64,
    pub bytes: i64,
}

#[napi(object, object_from_js = false)]
pub struct BindingImport {
    pub module: String,
    pub name: String,
    #[napi(ts_type = "'func' | 'table' | 'memory' | 'global' | 'tag'")]
    pub kind: String,
}

#[napi(object, object_from_js = false)]
pub struct BindingExport {
    pub name: String,
    #[napi(ts_type = "'func' | 'table' | 'memory' | 'global' | 'tag'")]
    pub kind: String,
    pub index: u32,
}

#[napi(object, object_from_js = false)]
pub struct BindingMemory {
    pub imported: bool,
    pub initial_pages: i64,
    pub maximum_pages: Option<i64>,
    pub memory64: bool,
    pub shared: bool,
}

#[napi(object, object_from_js = false)]
pub struct BindingDataSegment {
    #[napi(ts_type = "'active' | 'passive'")]
    pub mode: String,
    pub memory: u32,
    /// Constant destination offset; absent for passive or computed offsets.
    pub offset: Option<i64>,
    pub size: i64,
}

#[napi(object, object_from_js = false)]
pub struct BindingModuleInfo {
    pub sections: Vec<BindingSectionInfo>,
    pub imports: Vec<BindingImport>,
    pub exports: Vec<BindingExport>,
    pub memories: Vec<BindingMemory>,
    pub data_segments: Vec<BindingDataSegment>,
    pub function_count: u32,
}

impl From<core_inspect::ModuleInfo> for BindingModuleInfo {
    fn from(info: core_inspect::ModuleInfo) -> Self {
        BindingModuleInfo {
            sections: info
                .sections
                .into_iter()
                .map(|s| BindingSectionInfo { name: s.name, offset: s.offset as i64, bytes: s.bytes as i64 })
                .collect(),
            imports: info
                .imports
                .into_iter()
                .map(|i| BindingImport { module: i.module, name: i.name, kind: i.kind.into() })
                .collect(),
            exports: info
                .exports
                .into_iter()
                .map(|e| BindingExport { name: e.name, kind: e.kind.into(), index: e.index })
                .collect(),
            memories: info
                .memories
                .into_iter()
                .map(|m| BindingMemory {
                    imported: m.imported,
                    initial_pages: m.initial_pages as i64,
                    maximum_pages: m.maximum_pages.map(|p| p as i64),
                    memory64: m.memory64,
                    shared: m.shared,
                })
                .collect(),
            data_segments: info
                .data_segments
                .into_iter()
                .map(|d| BindingDataSegment {
                    mode: d.mode.into(),
                    memory: d.memory,
                    offset: d.offset.map(|o| o as i64),
                    size: d.size as i64,
                })
                .collect(),
            function_count: info.function_count,
        }
    }
}

pub struct InspectTask {
    input: Uint8Array,
}

impl Task for InspectTask {
    type Output = core_inspect::ModuleInfo;
    type JsValue = BindingModuleInfo;

    fn compute(&mut self) -> Result<Self::Output> {
        let input: &[u8] = &self.input;
        guarded(|| core_inspect::inspect(input))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output.into())
    }
}

/// Lists a module's sections, imports, exports, memories and data segments.
#[napi(ts_return_type = "Promise<BindingModuleInfo>")]
pub fn inspect(input: Uint8Array) -> AsyncTask<InspectTask> {
    AsyncTask::new(InspectTask { input })
}

/// `inspect` on the calling thread.
#[napi]
pub fn inspect_sync(env: Env, input: Uint8Array) -> Result<BindingModuleInfo> {
    let mut task = InspectTask { input };
    let output = task.compute()?;
    task.resolve(env, output)
}
