// The AVX2 + FMA micro-kernel of the packed GEMM (6 rows × 16 columns: 12 ymm accumulators + 2 weight vectors + 1
// broadcast of the 16 ymm registers), with bias and GELU fused into the tile store. It is the fp32 engine of x86
// CPUs without AVX-512 (AMD Zen 1-3, Intel client cores): oneDNN's AVX2 sgemm splits k between threads and picks
// its kernels by the number of rows, so a text's embedding there changed with the batch it was in and with the
// thread count; here every output is summed over k in one order whatever the rows, tile or threads.
// Compiled with a function-level target (the rest of the binary stays baseline x86-64); avx2_gemm_kernel() hands it
// out only when cpuid reports AVX2 and FMA. Only raw pointers and intrinsics under the target (see gemm_avx512.cpp).
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/erf_coefficients.h"
#include "backend/cpu/gemm_packed.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define GPUEMBED_AVX2 __attribute__((target("avx2,fma")))

namespace gpuembed::cpu {
namespace {

constexpr size_t kMR = 6, kNR = 16;

// The same rational erf as erf_approx() and the AVX-512 kernel.
GPUEMBED_AVX2 inline __m256 erf8(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(kErfClamp), _mm256_max_ps(_mm256_set1_ps(-kErfClamp), x));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(kErfP[0]);
#pragma GCC unroll 8
  for (int i = 1; i < kErfPTerms; ++i) p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(kErfP[i]));
  p = _mm256_mul_ps(p, x);
  __m256 q = _mm256_set1_ps(kErfQ[0]);
#pragma GCC unroll 8
  for (int i = 1; i < kErfQTerms; ++i) q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(kErfQ[i]));
  return _mm256_div_ps(p, q);
}

GPUEMBED_AVX2 inline __m256 gelu8(__m256 v) {
  const __m256 e = erf8(_mm256_mul_ps(v, _mm256_set1_ps(kInvSqrt2)));
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

// Lanes below `count` set (count 0..8), for the masked loads and stores of a partial tile's columns.
GPUEMBED_AVX2 inline __m256i lane_mask(size_t count) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), lanes);
}

GPUEMBED_AVX2 void kernel_6x16(size_t kc, const float* a, const float* b, float* c, size_t ldc, size_t mr, size_t nr,
                               const float* bias, bool accumulate, bool gelu) {
  __m256 acc[kMR][2];
#pragma GCC unroll 6
  for (size_t i = 0; i < kMR; ++i) {
    acc[i][0] = _mm256_setzero_ps();
    acc[i][1] = _mm256_setzero_ps();
  }
  for (size_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * kNR), _MM_HINT_T0);
#pragma GCC unroll 6
    for (size_t i = 0; i < kMR; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
    }
    a += kMR;
    b += kNR;
  }
  const __m256i m0 = lane_mask(nr >= 8 ? 8 : nr), m1 = lane_mask(nr >= 16 ? 8 : nr <= 8 ? 0 : nr - 8);
  const __m256 bias0 = accumulate ? _mm256_setzero_ps() : _mm256_load_ps(bias);
  const __m256 bias1 = accumulate ? _mm256_setzero_ps() : _mm256_load_ps(bias + 8);
#pragma GCC unroll 6
  for (size_t i = 0; i < kMR; ++i) {
    if (i < mr) {
      float* row = c + i * ldc;
      __m256 v0 = acc[i][0], v1 = acc[i][1];
      if (accumulate) {
        v0 = _mm256_add_ps(v0, _mm256_maskload_ps(row, m0));
        v1 = _mm256_add_ps(v1, _mm256_maskload_ps(row + 8, m1));
      } else {
        v0 = _mm256_add_ps(v0, bias0);
        v1 = _mm256_add_ps(v1, bias1);
      }
      if (gelu) {
        v0 = gelu8(v0);
        v1 = gelu8(v1);
      }
      _mm256_maskstore_ps(row, m0, v0);
      _mm256_maskstore_ps(row + 8, m1, v1);
    }
  }
}

}  // namespace

GPUEMBED_AVX2 void gelu_inplace_avx2(float* x, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, gelu8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = lane_mask(n - i);
    _mm256_maskstore_ps(x + i, m, gelu8(_mm256_maskload_ps(x + i, m)));
  }
}

const GemmKernel* avx2_gemm_kernel() {
  static const GemmKernel kernel{"avx2", kMR, kNR, 16, &kernel_6x16};
  const CpuFeatures& f = cpu_features();
  return f.avx2 && f.fma ? &kernel : nullptr;
}

}  // namespace gpuembed::cpu

#else

namespace gpuembed::cpu {
const GemmKernel* avx2_gemm_kernel() { return nullptr; }
}  // namespace gpuembed::cpu

#endif
