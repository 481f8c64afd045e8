#pragma once
// int8 matmul (with oneDNN natively, else gemm_int8_portable.h): weights quantized once per output channel (symmetric, s8), activations per
// row at run time (asymmetric, u8 with a zero point, as ONNX Runtime's dynamic quantization; input channels holding
// outliers above a threshold are done in float32, as LLM.int8()), s32 accumulation on VNNI / AMX-INT8 where the CPU has them, then
// y = (acc - zx[row] · Σ wq[col]) · sx[row] · sw[col] + bias (+ GELU) in float32.
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
// Per-row asymmetric quantization of x [m, k]: x[r, c] ~ (q[r, c] - zero[r]) * scale[r], q in [0, 255].
void quantize_rows(const float* x, size_t m, size_t k, uint8_t* q, float* scale, int32_t* zero);

// Whether this build runs int8 matmuls: always now (oneDNN where linked, else the portable engine of
// gemm_int8_portable.h: the WebAssembly build); what runs them, e.g. "onednn-int8-avx512_core_vnni",
// "portable-int8-simd128".
bool int8_matmul_available();
std::string int8_matmul_name();
// Whether oneDNN's int8 kernels run the matmuls (a CPU where they are exact: VNNI or AMX), rather than the portable
// engine; false in builds without oneDNN.
bool int8_uses_onednn();

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
