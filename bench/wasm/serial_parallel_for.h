#pragma once
// The CPU backend's thread pool (backend/cpu/parallel.h) replaced by a serial one for the benchmark programs of this
// folder: they profile one thread, and link the kernels' sources without parallel.cpp. Include it in one source
// file of a program only (it defines the functions).
#include <cstddef>
#include <functional>

#include "backend/cpu/parallel.h"

namespace gpuembed::cpu {
int parallel_threads() { return 1; }
void parallel_for(size_t n, size_t, const std::function<void(size_t, size_t)>& fn) {
  if (n) fn(0, n);
}
void sync_openmp_threads() {}
}  // namespace gpuembed::cpu
