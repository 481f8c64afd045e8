#pragma once
#include <memory>

#include "backend/backend.h"
#include "gpuembed/gpuembed.h"

namespace gpuembed {

// The float32 (or opt-in bf16-matmul) encoder on the CPU; threads come from cpu::set_cpu_threads.
std::unique_ptr<Backend> make_cpu_backend(const ModelSpec& spec, const BertWeights& weights, Precision precision);

}  // namespace gpuembed
