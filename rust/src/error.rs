use std::ffi::CStr;
use std::fmt;

use crate::ffi;

/// The kind of a failure: the C++ `gpuembed::ErrorCode`, with the same values (as Python's `gpuembed.ErrorCode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ErrorCode {
    /// The model folder or a required file in it is missing.
    ModelNotFound = 0,
    /// A model file exists but is malformed (JSON, safetensors, shapes, dtypes).
    ModelInvalid = 1,
    /// A bad text or argument.
    InvalidInput = 2,
    BackendUnavailable = 3,
    DeviceLost = 4,
    Internal = 5,
}

/// Every failure gpuembed reports: one variant per [`ErrorCode`], holding the message (it names the file or input
/// and what is wrong with it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    ModelNotFound(String),
    ModelInvalid(String),
    InvalidInput(String),
    BackendUnavailable(String),
    DeviceLost(String),
    Internal(String),
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::ModelNotFound(_) => ErrorCode::ModelNotFound,
            Error::ModelInvalid(_) => ErrorCode::ModelInvalid,
            Error::InvalidInput(_) => ErrorCode::InvalidInput,
            Error::BackendUnavailable(_) => ErrorCode::BackendUnavailable,
            Error::DeviceLost(_) => ErrorCode::DeviceLost,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Error::ModelNotFound(m)
            | Error::ModelInvalid(m)
            | Error::InvalidInput(m)
            | Error::BackendUnavailable(m)
            | Error::DeviceLost(m)
            | Error::Internal(m) => m,
        }
    }

    pub(crate) fn new(code: ErrorCode, message: String) -> Self {
        match code {
            ErrorCode::ModelNotFound => Error::ModelNotFound(message),
            ErrorCode::ModelInvalid => Error::ModelInvalid(message),
            ErrorCode::InvalidInput => Error::InvalidInput(message),
            ErrorCode::BackendUnavailable => Error::BackendUnavailable(message),
            ErrorCode::DeviceLost => Error::DeviceLost(message),
            ErrorCode::Internal => Error::Internal(message),
        }
    }

    /// The error a C API status stands for (status = C++ ErrorCode + 1), with this thread's last message.
    pub(crate) fn from_status(status: ffi::gpuembed_status) -> Self {
        // SAFETY: the C API returns a NUL-terminated thread-local string that lives until this thread's next failure.
        let message = unsafe { CStr::from_ptr(ffi::gpuembed_last_error_message()) }.to_string_lossy().into_owned();
        let code = match status {
            1 => ErrorCode::ModelNotFound,
            2 => ErrorCode::ModelInvalid,
            3 => ErrorCode::InvalidInput,
            4 => ErrorCode::BackendUnavailable,
            5 => ErrorCode::DeviceLost,
            _ => ErrorCode::Internal,
        };
        Error::new(code, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code(), self.message())
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn check(status: ffi::gpuembed_status) -> Result<()> {
    if status == ffi::GPUEMBED_OK {
        Ok(())
    } else {
        Err(Error::from_status(status))
    }
}
