#pragma once
#include <memory>

#include "backend/backend.h"
#include "gpuembed/gpuembed.h"

namespace gpuembed {

// The float32 (or opt-in bf16-matmul) encoder on the CPU. threads > 0: every pass runs on that many threads
// (cpu::ScopedThreads); 0: as cpu::set_cpu_threads says (all cores by default, each pass on all or one).
std::unique_ptr<Backend> make_cpu_backend(const ModelSpec& spec, const ModelWeights& weights, Precision precision,
                                          int threads = 0);

}  // namespace gpuembed
