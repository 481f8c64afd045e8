#pragma once
// Every failure gpuembed reports is a gpuembed::Error: a code a program can branch on and a message
// a person can act on (it names the file or input and what is wrong with it).
#include <stdexcept>
#include <string>

namespace gpuembed {

enum class ErrorCode {
  kModelNotFound,   // folder or required file missing
  kModelInvalid,    // a model file exists but is malformed (JSON, safetensors, shapes, dtypes)
  kInvalidInput,    // bad text or argument (e.g. invalid UTF-8 in strict mode, batch too large)
  kBackendUnavailable,
  kDeviceLost,
  kInternal,
  kOutOfMemory,     // a device could not allocate the buffers of a forward pass of one text
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace gpuembed
