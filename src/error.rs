//! One error type for the whole core. Every error about the input says where it is
//! (`at offset 0x…`, like wasmparser), and carries a stable `code` that the Node
//! binding exposes as `err.code`.

use std::fmt;

/// What kind of failure this is; stable strings, documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The input is not a valid WebAssembly module (truncated, malformed, invalid).
    Malformed,
    /// The input is valid WebAssembly that we do not handle (a component, say).
    Unsupported,
    /// An option has a value we cannot use.
    InvalidOption,
    /// Our bug: an output failed validation, or native code panicked.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "ERR_WASM_MALFORMED",
            ErrorCode::Unsupported => "ERR_WASM_UNSUPPORTED",
            ErrorCode::InvalidOption => "ERR_INVALID_OPTION",
            ErrorCode::Internal => "ERR_INTERNAL",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// Byte offset in the input the error is about, when there is one.
    pub offset: Option<u64>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), offset: None }
    }

    pub fn at(code: ErrorCode, message: impl Into<String>, offset: u64) -> Self {
        Error { code, message: message.into(), offset: Some(offset) }
    }

    /// An input that wasmparser rejected.
    pub fn malformed(err: &wasmparser::BinaryReaderError) -> Self {
        Error::at(ErrorCode::Malformed, err.message(), err.offset() as u64)
    }

    pub fn invalid_option(name: &str, why: impl fmt::Display) -> Self {
        Error::new(ErrorCode::InvalidOption, format!("option `{name}`: {why}"))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Internal, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(offset) = self.offset {
            write!(f, " (at offset 0x{offset:x})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
