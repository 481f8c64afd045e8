#pragma once
// oneDNN engines (built when GPUEMBED_HAVE_DNNL is defined): the matmul primitive with weights reordered once
// into the layout the primitive prefers (format_tag::any), bias and GELU (eltwise_gelu_erf) fused as post-ops,
// primitives cached per (rows, GELU, threads); and, for comparison in the benchmark, plain dnnl_sgemm.
#include <cstddef>
#include <memory>
#include <string>

namespace gpuembed::cpu {

bool onednn_available();
// oneDNN's effective ISA, e.g. "avx512_core", "avx512_core_amx", "avx2" ("" without oneDNN).
std::string onednn_isa_name();
// Whether oneDNN runs bf16 matmuls with hardware bf16 instructions here (AVX512_BF16 or AMX).
bool onednn_native_bf16();

class OneDnnMatmul {
 public:
  // weight [n, k] row-major, bias [n] (nullptr: zeros). bf16: weights and activations in bf16, f32 accumulation
  // and output. The weight layout is chosen by the primitive for `layout_rows` rows and reused for every row count.
  OneDnnMatmul(const float* weight, const float* bias, size_t n, size_t k, bool bf16, size_t layout_rows = 4096);
  ~OneDnnMatmul();
  void forward(const float* x, size_t m, float* y, bool gelu) const;
  // Implementation oneDNN picked for m rows, e.g. "brg:avx512_core".
  std::string impl_name(size_t m, bool gelu) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// y = x·Wᵀ (+ bias, GELU done by hand) through dnnl_sgemm on the caller's row-major W; for the benchmark only.
void onednn_sgemm_linear(const float* x, size_t m, const float* weight, const float* bias, size_t n, size_t k,
                         float* y, bool gelu);

}  // namespace gpuembed::cpu
