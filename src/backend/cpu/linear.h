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

// Which matmul engine a Linear runs. kAuto (the default) picks by CPU and precision, see matmul_engine_name();
// the others exist for tests and benchmarks and fall back to kAuto where not available in this build/CPU.
enum class MatmulEngine {
  kAuto,
  kOneDnn,    // oneDNN matmul primitive, blocked weights, fused bias/GELU (natively, when linked)
  kAvx512,    // hand-written AVX-512 packed GEMM (x86-64 CPUs with AVX-512F/BW/VL/DQ)
  kAvx2,      // hand-written AVX2 + FMA packed GEMM (x86-64 CPUs with AVX2 and FMA)
  kPortable,  // portable packed GEMM (GCC/Clang vector extensions; WebAssembly SIMD128 under Emscripten)
};

class Linear {
 public:
  // bias may be empty (data == nullptr): zeros.
  Linear(const TensorView& weight, const TensorView& bias, Precision precision);
  Linear(const TensorView& weight, const TensorView& bias, Precision precision, MatmulEngine engine);
  ~Linear();
  Linear(Linear&&) noexcept;
  Linear& operator=(Linear&&) noexcept;
  // x: [m, in] row-major, y: [m, out] row-major. Thread-safe for concurrent calls.
  void forward(const float* x, size_t m, float* y, Epilogue epilogue = Epilogue::kNone) const;
  size_t in_features() const;
  size_t out_features() const;
  // Whether it runs bf16 or int8 kernels (the small-M rule applies to its passes: small_m_rule.h).
  bool low_precision() const;
  // What this instance runs, in the words of matmul_engine_name().
  std::string engine_name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Name of the engine and ISA that kAuto runs for this precision (for ModelInfo::backend), e.g. "onednn-avx512_core"
// (fp32, and bf16 too on a CPU without bf16 hardware: bf16 then runs in fp32), "onednn-bf16-avx512_core_amx",
// "packed-avx512" (no oneDNN in the build), "packed-portable-simd128" / "packed-portable-relaxed-simd" (WebAssembly).
std::string matmul_engine_name(Precision precision);
// Sets the worker threads used by the CPU path (0: all cores): parallel_for (backend/cpu/parallel.h) and oneDNN.
void set_cpu_threads(int threads);
// The thread count in effect (>= 1; the resolved core count when set to 0).
int cpu_threads();

}  // namespace gpuembed::cpu
