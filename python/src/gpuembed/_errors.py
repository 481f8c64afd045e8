"""gpuembed's exceptions: one class per C++ gpuembed::ErrorCode, all subclasses of gpuembed.Error.

Every instance has `.code`, a gpuembed.ErrorCode with the same value as the C++ enum.
"""
from ._core import ErrorCode


class Error(Exception):
    """A failure reported by gpuembed; `code` says which kind, the message names the file or input."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code if code is not None else self.default_code

    default_code = ErrorCode.INTERNAL


class ModelNotFoundError(Error, FileNotFoundError):
    """The model folder or a required file in it is missing."""
    default_code = ErrorCode.MODEL_NOT_FOUND


class ModelInvalidError(Error):
    """A model file exists but is malformed (JSON, safetensors, shapes, dtypes)."""
    default_code = ErrorCode.MODEL_INVALID


class InvalidInputError(Error, ValueError):
    """A bad text or argument."""
    default_code = ErrorCode.INVALID_INPUT


class BackendUnavailableError(Error):
    default_code = ErrorCode.BACKEND_UNAVAILABLE


class DeviceLostError(Error):
    default_code = ErrorCode.DEVICE_LOST


class InternalError(Error):
    default_code = ErrorCode.INTERNAL


class OutOfMemoryError(Error, MemoryError):
    """A device or the host could not allocate the buffers of a forward pass of one text."""
    default_code = ErrorCode.OUT_OF_MEMORY


_BY_CODE = {cls.default_code: cls for cls in (ModelNotFoundError, ModelInvalidError, InvalidInputError,
                                               BackendUnavailableError, DeviceLostError, InternalError,
                                               OutOfMemoryError)}


def error_class(code):
    """The exception class for a C++ ErrorCode (called by the native module when it translates an error)."""
    return _BY_CODE.get(code, Error)
