#include "backend/cpu/small_m_rule.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace gpuembed::cpu {

int small_m_threads(size_t m, int all, size_t rows_per_thread) {
  if (all <= 1) return 1;
  if (rows_per_thread == 0) return all;
  const size_t by_rows = (m + rows_per_thread - 1) / rows_per_thread;
  const size_t floor = static_cast<size_t>(std::min(all, kSmallMMinThreads));
  return static_cast<int>(std::clamp(by_rows, floor, static_cast<size_t>(all)));
}

size_t small_m_rows_per_thread() {
  static const size_t rows = [] {
    const char* env = std::getenv("GPUEMBED_SMALL_M_ROWS");
    if (env == nullptr || *env == '\0') return kSmallMRowsPerThread;
    char* end = nullptr;
    const unsigned long v = std::strtoul(env, &end, 10);
    return end != nullptr && *end == '\0' ? static_cast<size_t>(v) : kSmallMRowsPerThread;
  }();
  return rows;
}

}  // namespace gpuembed::cpu
