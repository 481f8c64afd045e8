#pragma once
// The conventions of every C export of the module (documented in src/wasm/README.md): functions return >= 0 (or a
// handle > 0) on success and -1 (or 0) on failure, and the failure is then in the channel's code (ErrorCode + 1;
// the names come from ge_error_code_name, so JS never restates the table) and message. No C++ exception crosses
// into JS.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpuembed/error.h"

namespace gpuembed::wasm {

class ErrorChannel {
 public:
  int code() const { return code_; }
  const std::string& message() const { return message_; }
  void set(ErrorCode code, const std::string& message) {
    code_ = static_cast<int>(code) + 1;
    message_ = message;
  }
  void clear() {
    code_ = 0;
    message_.clear();
  }
  bool is(ErrorCode code) const { return code_ == static_cast<int>(code) + 1; }

  // Runs f; a thrown error is recorded here and on_error returned instead.
  template <class F>
  auto guarded(F&& f, decltype(f()) on_error) -> decltype(f()) {
    try {
      clear();
      return f();
    } catch (...) {
      record_current_exception();
    }
    return on_error;
  }
  // Out of line, so each export carries one catch-all landing pad instead of one per exception type.
  void record_current_exception();

 private:
  int code_ = 0;
  std::string message_;
};

// The channel of the model exports (ge_last_error_code / ge_last_error_message).
ErrorChannel& model_errors();

inline std::string str(const char* p) { return p ? std::string(p) : std::string(); }
inline std::string_view view(const char* p, size_t len) { return p ? std::string_view(p, len) : std::string_view(); }

// n texts as one UTF-8 blob + n+1 byte offsets (core.mjs's texts()).
std::vector<std::string_view> split_texts(const char* blob, const uint32_t* offsets, int n);

}  // namespace gpuembed::wasm
