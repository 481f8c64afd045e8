#pragma once
// y[m, out] = x[m, in] · Wᵀ + b (PyTorch Linear layout W[out, in]), optionally followed by GELU (erf).
// The weights are packed once at load into whatever layout the chosen engine runs fastest.
#include <cstddef>
#include <memory>
#include <string>

#include "gpuembed/gpuembed.h"
#include "model/weights.h"

namespace gpuembed::cpu {

enum class Epilogue { kNone, kGelu };

class Linear {
 public:
  Linear(const TensorView& weight, const TensorView& bias, Precision precision);
  ~Linear();
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;
  // x: [m, in] row-major, y: [m, out] row-major. Thread-safe for concurrent calls.
  void forward(const float* x, size_t m, float* y, Epilogue epilogue = Epilogue::kNone) const;
  size_t in_features() const;
  size_t out_features() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Name of the engine and ISA that runs, e.g. "onednn-avx512_core" (for ModelInfo::backend).
std::string matmul_engine_name(Precision precision);
// Sets the worker threads used by the CPU path (0: all cores).
void set_cpu_threads(int threads);
int cpu_threads();

}  // namespace gpuembed::cpu
