// The AVX-512 micro-kernel of the packed GEMM (14 rows × 32 columns, 28 zmm accumulators), with bias and GELU
// fused into the tile store. Compiled with a function-level target so the rest of the binary stays baseline
// x86-64; avx512_gemm_kernel() hands it out only when cpuid reports AVX-512F/BW/VL/DQ. Only raw pointers and
// intrinsics are used under the AVX-512 target (no std templates, whose shared instantiations could otherwise
// carry AVX-512 code into callers on other CPUs).
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/erf_coefficients.h"
#include "backend/cpu/gemm_packed.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

// GCC 12 warns about _mm512_undefined_ps() inside _mm512_min_ps/_mm512_max_ps (a false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define GPUEMBED_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))

namespace gpuembed::cpu {
namespace {

constexpr size_t kMR = 14, kNR = 32;  // 28 accumulators + 2 weight vectors + 1 broadcast = 31 zmm

GPUEMBED_AVX512 inline __m512 erf16(__m512 x) {
  x = _mm512_min_ps(_mm512_set1_ps(kErfClamp), _mm512_max_ps(_mm512_set1_ps(-kErfClamp), x));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(kErfP[0]);
#pragma GCC unroll 8
  for (int i = 1; i < kErfPTerms; ++i) p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(kErfP[i]));
  p = _mm512_mul_ps(p, x);
  __m512 q = _mm512_set1_ps(kErfQ[0]);
#pragma GCC unroll 8
  for (int i = 1; i < kErfQTerms; ++i) q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(kErfQ[i]));
  return _mm512_div_ps(p, q);
}

GPUEMBED_AVX512 inline __m512 gelu16(__m512 v) {
  const __m512 e = erf16(_mm512_mul_ps(v, _mm512_set1_ps(kInvSqrt2)));
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

GPUEMBED_AVX512 void kernel_14x32(size_t kc, const float* a, const float* b, float* c, size_t ldc, size_t mr,
                                  size_t nr, const float* bias, bool accumulate, bool gelu) {
  __m512 acc[kMR][2];
#pragma GCC unroll 14
  for (size_t i = 0; i < kMR; ++i) {
    acc[i][0] = _mm512_setzero_ps();
    acc[i][1] = _mm512_setzero_ps();
  }
  for (size_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * kNR), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * kNR + 16), _MM_HINT_T0);
#pragma GCC unroll 14
    for (size_t i = 0; i < kMR; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
    a += kMR;
    b += kNR;
  }
  const __mmask16 m0 = nr >= 16 ? 0xffff : static_cast<__mmask16>((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? 0xffff : nr <= 16 ? 0 : static_cast<__mmask16>((1u << (nr - 16)) - 1);
  const __m512 bias0 = accumulate ? _mm512_setzero_ps() : _mm512_load_ps(bias);
  const __m512 bias1 = accumulate ? _mm512_setzero_ps() : _mm512_load_ps(bias + 16);
#pragma GCC unroll 14
  for (size_t i = 0; i < kMR; ++i) {
    if (i < mr) {
      float* row = c + i * ldc;
      __m512 v0 = acc[i][0], v1 = acc[i][1];
      if (accumulate) {
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, row));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, row + 16));
      } else {
        v0 = _mm512_add_ps(v0, bias0);
        v1 = _mm512_add_ps(v1, bias1);
      }
      if (gelu) {
        v0 = gelu16(v0);
        v1 = gelu16(v1);
      }
      _mm512_mask_storeu_ps(row, m0, v0);
      _mm512_mask_storeu_ps(row + 16, m1, v1);
    }
  }
}

}  // namespace

const GemmKernel* avx512_gemm_kernel() {
  static const GemmKernel kernel{"avx512", kMR, kNR, 6, &kernel_14x32};
  return cpu_features().avx512_core() ? &kernel : nullptr;
}

}  // namespace gpuembed::cpu

#else

namespace gpuembed::cpu {
const GemmKernel* avx512_gemm_kernel() { return nullptr; }
}  // namespace gpuembed::cpu

#endif
