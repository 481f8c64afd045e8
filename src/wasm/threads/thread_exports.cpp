// The thread exports of the threaded module (gpuembed-mt.mjs only; the single-threaded module has neither, and
// core.mjs reads their absence as "1 thread"). Each module instance is one JS embedder with its own memory, so the
// count set here is that embedder's: cpu::set_cpu_threads for the whole instance.
#include <emscripten.h>

#include <algorithm>

#include "backend/cpu/linear.h"

extern "C" {

// The workers this instance started with (Module.gpuembedWorkers, read once: the pool cannot grow later).
EMSCRIPTEN_KEEPALIVE int ge_thread_workers() {
  return EM_ASM_INT({ return Module['gpuembedWorkers'] | 0; });
}

// Sets the CPU path's thread count: the caller's thread plus at most every pool worker (a thread beyond the pool
// could not start while the caller blocks). Returns the count that will run.
EMSCRIPTEN_KEEPALIVE int ge_set_threads(int threads) {
  const int count = std::clamp(threads, 1, ge_thread_workers() + 1);
  gpuembed::cpu::set_cpu_threads(count);
  return gpuembed::cpu::cpu_threads();
}

EMSCRIPTEN_KEEPALIVE int ge_threads() { return gpuembed::cpu::cpu_threads(); }

}  // extern "C"
