#pragma once
// int8 matmul (natively, with oneDNN): weights quantized once per output channel (symmetric, s8), activations per
// row at run time (symmetric, s8), s32 accumulation on VNNI / AMX-INT8 where the CPU has them, then
// y = acc · sx[row] · sw[col] + bias (+ GELU) in float32. This is ONNX Runtime's dynamic quantization with finer
// (per-row) activation scales.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gpuembed::cpu {

// Per-output-channel symmetric quantization of W [n, k]: q[n*k] in [-127, 127], scale[n] (0 rows get scale 1).
struct QuantizedWeights {
  std::vector<int8_t> q;
  std::vector<float> scale;
};
QuantizedWeights quantize_per_channel(const float* w, size_t n, size_t k);
// Per-row symmetric quantization of x [m, k] into q (m*k) and scale (m).
void quantize_rows(const float* x, size_t m, size_t k, int8_t* q, float* scale);

// Whether this build and CPU run int8 matmuls (oneDNN linked); the ISA oneDNN uses for them.
bool int8_matmul_available();

class Int8Matmul {
 public:
  // Either float weights (quantized here) or already-quantized ones (a `gpuembed quantize` file).
  Int8Matmul(const float* weight, const float* bias, size_t n, size_t k);
  Int8Matmul(const int8_t* q, const float* scale, const float* bias, size_t n, size_t k);
  ~Int8Matmul();
  void forward(const float* x, size_t m, float* y, bool gelu) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpuembed::cpu
