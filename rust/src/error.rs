use std::ffi::CStr;
use std::fmt;

use crate::ffi;

// The codes come from include/gpuembed/gpuembed_c.h (rust/build.rs writes the invocation): `Name = status`, where
// status = the C++ ErrorCode + 1.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $name:ident = $status:literal,)*) => {
        /// The kind of a failure: the C++ `gpuembed::ErrorCode`, with the same values (as Python's
        /// `gpuembed.ErrorCode`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum ErrorCode {
            $($(#[$doc])* $name = $status - 1,)*
        }

        /// Every failure gpuembed reports: one variant per [`ErrorCode`], holding the message (it names the file or
        /// input and what is wrong with it).
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Error {
            $($(#[$doc])* $name(String),)*
        }

        impl Error {
            pub fn code(&self) -> ErrorCode {
                match self {
                    $(Error::$name(_) => ErrorCode::$name,)*
                }
            }

            pub fn message(&self) -> &str {
                match self {
                    $(Error::$name(m))|* => m,
                }
            }

            pub(crate) fn new(code: ErrorCode, message: String) -> Self {
                match code {
                    $(ErrorCode::$name => Error::$name(message),)*
                }
            }

            // A status the header does not list (a newer C++ code) is Internal.
            fn code_of_status(status: ffi::gpuembed_status) -> ErrorCode {
                match status {
                    $($status => ErrorCode::$name,)*
                    _ => ErrorCode::Internal,
                }
            }
        }
    };
}
include!(concat!(env!("OUT_DIR"), "/error_codes.rs"));

impl Error {
    /// The error a C API status stands for (status = C++ ErrorCode + 1), with this thread's last message.
    pub(crate) fn from_status(status: ffi::gpuembed_status) -> Self {
        // SAFETY: the C API returns a NUL-terminated thread-local string that lives until this thread's next failure.
        let message = unsafe { CStr::from_ptr(ffi::gpuembed_last_error_message()) }.to_string_lossy().into_owned();
        Error::new(Error::code_of_status(status), message)
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
