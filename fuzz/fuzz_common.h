#pragma once
// Shared helpers of the libFuzzer targets. Every target feeds its bytes to one gpuembed parser and accepts exactly two
// outcomes: success (then invariants are checked) or a gpuembed::Error. Any other exception escapes, so libFuzzer
// reports it (std::terminate -> abort) like a crash: the public API promises that every failure is a gpuembed::Error.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "gpuembed/error.h"

#define FUZZ_CHECK(cond)                                                             \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)

namespace fuzz {

// Splits the input at NUL bytes into at most `max_parts` parts (the last part keeps any further NULs).
inline std::vector<std::string> split_parts(const uint8_t* data, size_t size, size_t max_parts) {
  std::vector<std::string> parts;
  std::string_view s(reinterpret_cast<const char*>(data), size);
  while (parts.size() + 1 < max_parts) {
    const size_t z = s.find('\0');
    if (z == std::string_view::npos) break;
    parts.emplace_back(s.substr(0, z));
    s.remove_prefix(z + 1);
  }
  parts.emplace_back(s);
  while (parts.size() < max_parts) parts.emplace_back();
  return parts;
}

}  // namespace fuzz
