//! `delta(newBytes, dictionary, { format, level })`: one RFC 9842 body, verified
//! against its dictionary in the core before it crosses back.

use super::guarded;
use crate::delta::{self as core_delta, DeltaFormat};
use napi::bindgen_prelude::*;
use napi_derive::napi;

#[napi(object, object_to_js = false)]
pub struct BindingDeltaOptions {
    /// `dcb` (brotli with the dictionary) or `dcz` (zstd with the dictionary).
    #[napi(ts_type = "'dcb' | 'dcz'")]
    pub format: String,
    /// Brotli quality 0–11 for dcb, zstd level 1–22 for dcz.
    /// @default 11 for dcb, 19 for dcz
    pub level: Option<i32>,
}

pub struct DeltaTask {
    input: Uint8Array,
    dictionary: Uint8Array,
    options: BindingDeltaOptions,
}

impl Task for DeltaTask {
    type Output = Option<Vec<u8>>;
    type JsValue = Option<Buffer>;

    fn compute(&mut self) -> Result<Self::Output> {
        let input: &[u8] = &self.input;
        let dictionary: &[u8] = &self.dictionary;
        let (format, level) = (self.options.format.clone(), self.options.level);
        guarded(|| {
            let format = DeltaFormat::parse(&format)
                .ok_or_else(|| crate::Error::invalid_option("format", format!("expected 'dcb' or 'dcz', got '{format}'")))?;
            core_delta::delta(input, dictionary, format, level)
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output.map(Into::into))
    }
}

/// The `format` body of `input` against `dictionary` (magic, sha-256 of the
/// dictionary, stream), decoded and checked before it is returned; `null` when dcz
/// cannot reach the dictionary within the windows browsers accept.
#[napi(ts_return_type = "Promise<Buffer | null>")]
pub fn delta(input: Uint8Array, dictionary: Uint8Array, options: BindingDeltaOptions) -> AsyncTask<DeltaTask> {
    AsyncTask::new(DeltaTask { input, dictionary, options })
}

/// `delta` on the calling thread.
#[napi]
pub fn delta_sync(env: Env, input: Uint8Array, dictionary: Uint8Array, options: BindingDeltaOptions) -> Result<Option<Buffer>> {
    let mut task = DeltaTask { input, dictionary, options };
    let output = task.compute()?;
    task.resolve(env, output)
}
