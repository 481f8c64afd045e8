#pragma once
// The int8 matmul without oneDNN (the WebAssembly build, and native builds without oneDNN): the same quantization
// as the oneDNN path of gemm_int8.cpp (quantize_per_channel, quantize_rows, the outlier rule, the float epilogue),
// with its own integer kernel: WebAssembly SIMD128 (i32x4.dot_i16x8_s) where compiled with -msimd128, a plain C++
// loop elsewhere.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gpuembed::cpu {

// Input channels of x [m, k] whose largest |value| over the rows exceeds the outlier threshold (6, or
// GPUEMBED_INT8_OUTLIER): done in float32 next to the int8 product (LLM.int8()); shared by both int8 engines.
void int8_outlier_columns(const float* x, size_t m, size_t k, std::vector<size_t>& out);

class PortableInt8Matmul {
 public:
  // q [n, k] symmetric int8 weights (quantize_per_channel), scale [n], bias [n] or nullptr.
  PortableInt8Matmul(const int8_t* q, const float* scale, const float* bias, size_t n, size_t k);
  // x [m, k] -> y [m, n] = (Σ_c (xq - z[r]) · wq) · sx[r] · sw[j] + bias (+ outlier channels in float32) (+ GELU).
  void forward(const float* x, size_t m, float* y, bool gelu) const;
  // What runs: "portable-int8-simd128" or "portable-int8".
  static const char* name();

 private:
  size_t n_, k_, kp_, panels_;
  std::vector<int16_t> packed_;  // [panel][kp/8][4 columns][8]: int8 widened once, zero-padded in k and n
  std::vector<int32_t> colsum_;  // Σ_c wq[j, c], padded to panels*4: what a row's zero point adds, per column
  std::vector<float> scale_, bias_;  // padded to panels*4
};

}  // namespace gpuembed::cpu
