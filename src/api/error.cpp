#include "gpuembed/error.h"
#include "model/model_invalid.h"

namespace gpuembed {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kModelNotFound: return "MODEL_NOT_FOUND";
    case ErrorCode::kModelInvalid: return "MODEL_INVALID";
    case ErrorCode::kInvalidInput: return "INVALID_INPUT";
    case ErrorCode::kBackendUnavailable: return "BACKEND_UNAVAILABLE";
    case ErrorCode::kDeviceLost: return "DEVICE_LOST";
    case ErrorCode::kInternal: return "INTERNAL";
    case ErrorCode::kOutOfMemory: return "OUT_OF_MEMORY";
  }
  return "UNKNOWN";
}

void invalid(const std::string& origin, const std::string& what) {
  throw Error(ErrorCode::kModelInvalid, origin + ": " + what);
}

}  // namespace gpuembed
