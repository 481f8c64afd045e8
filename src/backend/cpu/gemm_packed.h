#pragma once
// The hand-written matmul engines: y[m, n] = x[m, k] · Wᵀ + b (W [n, k] as in PyTorch Linear), optionally + GELU.
// W is packed once into panels of NR columns ([panel][k][NR], zero-padded), x is packed per call into
// row tiles of MR rows ([k][MR]); a register-tiled micro-kernel computes one MR×NR tile of y per call.
// Cache blocking: K in blocks of at most ~384, rows in blocks of a few tiles; work items (row block × panel group)
// are spread over parallel_for's threads.
//
// Two micro-kernels exist:
//  - "portable": plain C++ with GCC/Clang vector extensions (4 floats), which becomes SSE natively and
//    WebAssembly SIMD128 under Emscripten -msimd128 (or scalar code elsewhere); always compiled.
//  - "avx512": AVX-512F intrinsics (x86-64 only; compiled with a function-level target, dispatched by cpuid).
//  - "avx2": AVX2 + FMA intrinsics, likewise (x86-64 CPUs without AVX-512).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gpuembed::cpu {

// Computes one MR×NR tile: c[i, j] = (accumulate ? c[i, j] : bias[j]) + Σ_k a[k·MR + i]·b[k·NR + j],
// then GELU when gelu; only the first mr rows and nr columns of c are written (row stride ldc).
using MicroKernelFn = void (*)(size_t kc, const float* a, const float* b, float* c, size_t ldc, size_t mr,
                               size_t nr, const float* bias, bool accumulate, bool gelu);

struct GemmKernel {
  const char* name;
  size_t mr, nr;
  size_t row_block_tiles;  // row tiles per cache block
  MicroKernelFn fn;
};

const GemmKernel& portable_gemm_kernel();
// nullptr where the AVX-512 kernel was not compiled (not x86-64) or this CPU lacks AVX-512F/BW/VL/DQ.
const GemmKernel* avx512_gemm_kernel();
// nullptr where the AVX2 kernel was not compiled (not x86-64) or this CPU lacks AVX2 or FMA.
const GemmKernel* avx2_gemm_kernel();

class PackedLinear {
 public:
  // weight [n, k] row-major; bias [n] or nullptr (zeros). bf16_weights: the packed weights are stored as bfloat16
  // (rounded to nearest even; half the memory traffic) and widened to float per panel before the micro-kernel,
  // so activations, products and sums stay float32.
  PackedLinear(const GemmKernel& kernel, const float* weight, const float* bias, size_t n, size_t k,
               bool bf16_weights = false);
  // x [m, k], y [m, n]; thread-safe; runs on parallel_for's threads.
  void forward(const float* x, size_t m, float* y, bool gelu) const;
  const GemmKernel& kernel() const { return kernel_; }
  bool bf16_weights() const { return bf16_; }
  size_t n() const { return n_; }
  size_t k() const { return k_; }

 private:
  GemmKernel kernel_;
  size_t n_, k_, panels_;
  bool bf16_ = false;
  std::vector<float> storage_;  // fp32: packed W then padded bias, 64-byte aligned inside; bf16: padded bias only
  std::vector<uint16_t> storage_bf16_;  // bf16: packed W, 64-byte aligned inside
  const float* packed_ = nullptr;
  const uint16_t* packed_bf16_ = nullptr;
  const float* bias_ = nullptr;
};

// GELU with an erf accurate to a few float ulps (rational approximation; same formula in every kernel).
float gelu_erf(float x);
float erf_approx(float x);
// gelu_erf over x[0, n) in place, in vectors: AVX2's (with FMA, so the last bits may differ from gelu_erf) where
// active_simd_level() is above baseline, SIMD128's in WebAssembly (bit-identical to gelu_erf), else gelu_erf. A
// value's result does not depend on its position or on n.
void gelu_inplace(float* x, size_t n);
// gelu_inplace's AVX2 form (gemm_avx2.cpp); only where avx2_gemm_kernel() is not null.
void gelu_inplace_avx2(float* x, size_t n);

}  // namespace gpuembed::cpu
