#pragma once
// A malformed model file (config, tokenizer, weights, modules): ErrorCode::kModelInvalid, the file (origin) named first.
#include <string>

namespace gpuembed {

[[noreturn]] void invalid(const std::string& origin, const std::string& what);

}  // namespace gpuembed
