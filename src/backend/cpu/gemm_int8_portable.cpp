// The int8 matmul without oneDNN: see gemm_int8_portable.h. Layout and why:
//  - Weights: quantized int8 (the oneDNN path's values) widened once to int16 and packed in panels of 4 output
//    columns, [panel][k/8][column][8]: the kernel then loads one 8-lane vector per column and k step, contiguous.
//    int16 weights cost twice the int8 bytes but save a widening per load in the innermost loop.
//  - Activations: quantize_rows (u8 + per-row scale and zero point, exactly the oneDNN path's values), widened to
//    int16 rows padded to a multiple of 8 in k (zeros; the padded weights are zero too) and of kMr in m.
//  - Kernel: kMr (2) rows x 4 columns of int32 accumulators; i32x4.dot_i16x8_s multiplies 8 int16 pairs and adds
//    neighbours into 4 int32 lanes (u8 x s8 products are at most 255·127, a pair sum fits easily), the 4 lanes are
//    summed horizontally once per tile. Accumulators stay exact for k < 2^31 / (255·127) ≈ 66,000.
//  - Epilogue in int32 first: acc - z[r]·Σ_c wq[j, c] is exact (the oneDNN path subtracts it in float32 after
//    scaling; the same value, without the cancellation error), then · sx[r] · sw[j] + bias in float32.
#include "backend/cpu/gemm_int8_portable.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "backend/cpu/gemm_int8.h"
#include "backend/cpu/gemm_packed.h"
#include "backend/cpu/parallel.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/isa_targets.h"
#if defined(GPUEMBED_X86_VARIANTS)
#include <immintrin.h>
#endif

// The single-threaded WASM module has a download budget: what runs once per load or per matmul over m·k values
// (packing, outlier scan, quantization, the outlier epilogue) is compiled for size; the kernel and its epilogue (the
// lambda in forward(), m·n·k work) keep -O3.
#if defined(__EMSCRIPTEN__)
#define GE_SMALL __attribute__((minsize))
#else
#define GE_SMALL
#endif

namespace gpuembed::cpu {
namespace {

size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

// n zeroed elements of a (thread_local) scratch vector: resize + memset, where vector::assign(n, 0) instantiates a
// vectorised fill per element type (about 2 KB of WASM each).
template <class T>
T* zeroed(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  std::memset(v.data(), 0, n * sizeof(T));
  return v.data();
}

}  // namespace

GE_SMALL void int8_outlier_columns(const float* x, size_t m, size_t k, std::vector<size_t>& out) {
#if defined(__EMSCRIPTEN__)
  constexpr float threshold = 6.0f;  // no environment in a browser; and strtof would cost module bytes
#else
  static const float threshold = [] {
    const char* e = std::getenv("GPUEMBED_INT8_OUTLIER");
    return e ? std::strtof(e, nullptr) : 6.0f;
  }();
#endif
  // Column maxima row by row (contiguous reads), then the columns above the threshold.
  thread_local std::vector<float> mx;
  float* mxp = zeroed(mx, k);
  for (size_t r = 0; r < m; ++r)
    for (size_t c = 0; c < k; ++c) mxp[c] = std::max(mxp[c], std::fabs(x[r * k + c]));
  out.clear();
  for (size_t c = 0; c < k; ++c)
    if (mxp[c] > threshold) out.push_back(c);
}

namespace {

// Rows per register tile: 2 rows x 4 columns = 8 accumulators + 2 activation vectors + 1 weight vector stay in V8's
// 16 x86 vector registers. Measured at 4096 rows (bench/wasm/int8_kernels_bench.cpp, same run): QKV 795 ms with 2
// rows, 1,060 with 3, 1,419 with 4 (4 x 4 = 16 accumulators spill); -DGPUEMBED_INT8_MR=N for such experiments.
#ifndef GPUEMBED_INT8_MR
#if defined(GPUEMBED_X86_VARIANTS)
#define GPUEMBED_INT8_MR 4  // the AVX2 tile: 4 rows x 4 columns in 8 ymm accumulators
#else
#define GPUEMBED_INT8_MR 2
#endif
#endif
constexpr size_t kMr = GPUEMBED_INT8_MR;
constexpr size_t kNr = 4;
// Weight panels per column block: ~96 KB of packed weights stay in L2 while every row tile passes over them.
constexpr size_t kBlockBytes = 96 * 1024;

// acc[i][j] = Σ_c a[i·lda + c] · b[panel layout], over kp (a multiple of 8).
#if defined(__wasm_simd128__)
inline void tile(const int16_t* a, size_t lda, const int16_t* b, size_t kp, v128_t out[kMr]) {
  v128_t acc[kMr][kNr];
  for (size_t i = 0; i < kMr; ++i)
    for (size_t j = 0; j < kNr; ++j) acc[i][j] = wasm_i32x4_splat(0);
  for (size_t c = 0; c < kp; c += 8, b += 8 * kNr) {
    v128_t x[kMr];
    for (size_t i = 0; i < kMr; ++i) x[i] = wasm_v128_load(a + i * lda + c);
    for (size_t j = 0; j < kNr; ++j) {
      const v128_t w = wasm_v128_load(b + 8 * j);
      for (size_t i = 0; i < kMr; ++i) acc[i][j] = wasm_i32x4_add(acc[i][j], wasm_i32x4_dot_i16x8(x[i], w));
    }
  }
  // Horizontal sums: per row, the 4 lanes of each column's accumulator into one lane of out[i].
  for (size_t i = 0; i < kMr; ++i) {
    const v128_t s01 = wasm_i32x4_add(wasm_i32x4_shuffle(acc[i][0], acc[i][1], 0, 4, 1, 5),
                                      wasm_i32x4_shuffle(acc[i][0], acc[i][1], 2, 6, 3, 7));
    const v128_t s23 = wasm_i32x4_add(wasm_i32x4_shuffle(acc[i][2], acc[i][3], 0, 4, 1, 5),
                                      wasm_i32x4_shuffle(acc[i][2], acc[i][3], 2, 6, 3, 7));
    out[i] = wasm_i32x4_add(wasm_i32x4_shuffle(s01, s23, 0, 1, 4, 5), wasm_i32x4_shuffle(s01, s23, 2, 3, 6, 7));
  }
}
#else
#if defined(GPUEMBED_X86_VARIANTS)
// The x86 CPUs without VNNI (where oneDNN's u8 x s8 saturates, gemm_int8.cpp) run this engine natively: vpmaddwd
// multiplies 16 int16 pairs and adds neighbours into 8 int32 lanes, exact like i32x4.dot_i16x8_s. A row's 8 values
// of a k step go to both 128-bit halves, against columns j and j + 1 (contiguous in the panel layout); the lanes of
// each column are summed at the end (integer sums: any order gives the same result as the scalar loop).
GPUEMBED_TARGET_AVX2 __attribute__((noinline)) void tile_avx2(const int16_t* a, size_t lda, const int16_t* b,
                                                               size_t kp, int32_t out[kMr][kNr]) {
  static_assert(kNr == 4);
  __m256i acc[kMr][2];
  for (size_t i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  for (size_t c = 0; c < kp; c += 8, b += 8 * kNr) {
    const __m256i w01 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i w23 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 16));
#pragma GCC unroll 4
    for (size_t i = 0; i < kMr; ++i) {
      const __m256i x = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i * lda + c)));
      acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(x, w01));
      acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(x, w23));
    }
  }
  for (size_t i = 0; i < kMr; ++i) {
    // low half: column 0 (acc 0) and 2 (acc 1); high half: columns 1 and 3
    const __m256i h = _mm256_hadd_epi32(acc[i][0], acc[i][1]);
    const __m256i h2 = _mm256_hadd_epi32(h, h);
    alignas(32) int32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), h2);
    out[i][0] = lanes[0], out[i][2] = lanes[1], out[i][1] = lanes[4], out[i][3] = lanes[5];
  }
}
#endif

inline void tile(const int16_t* a, size_t lda, const int16_t* b, size_t kp, int32_t out[kMr][kNr]) {
#if defined(GPUEMBED_X86_VARIANTS)
  if (active_simd_level() != SimdLevel::kBaseline) return tile_avx2(a, lda, b, kp, out);
#endif
  int32_t acc[kMr][kNr] = {};
  for (size_t c = 0; c < kp; c += 8, b += 8 * kNr)
    for (size_t i = 0; i < kMr; ++i)
      for (size_t j = 0; j < kNr; ++j)
        for (size_t l = 0; l < 8; ++l) acc[i][j] += int32_t(a[i * lda + c + l]) * int32_t(b[8 * j + l]);
  std::memcpy(out, acc, sizeof(acc));
}
#endif


}  // namespace

GE_SMALL PortableInt8Matmul::PortableInt8Matmul(const int8_t* q, const float* scale, const float* bias, size_t n, size_t k)
    : n_(n), k_(k), kp_(round_up(k, 8)), panels_(round_up(n, kNr) / kNr) {
  zeroed(packed_, panels_ * kp_ * kNr);
  zeroed(colsum_, panels_ * kNr);
  zeroed(scale_, panels_ * kNr);
  zeroed(bias_, panels_ * kNr);
  for (size_t j = 0; j < n; ++j) {
    int16_t* panel = packed_.data() + (j / kNr) * kp_ * kNr + (j % kNr) * 8;
    for (size_t c = 0; c < k; ++c) {
      panel[(c / 8) * 8 * kNr + c % 8] = q[j * k + c];
      colsum_[j] += q[j * k + c];
    }
    scale_[j] = scale[j];
    if (bias != nullptr) bias_[j] = bias[j];
  }
}

const char* PortableInt8Matmul::name() {
#if defined(__wasm_simd128__)
  return "portable-int8-simd128";
#elif defined(GPUEMBED_X86_VARIANTS)
  return active_simd_level() != SimdLevel::kBaseline ? "portable-int8-avx2" : "portable-int8";
#else
  return "portable-int8";
#endif
}

GE_SMALL void PortableInt8Matmul::forward(const float* x, size_t m, float* y, bool gelu) const {
  if (m == 0) return;
  const size_t k = k_, kp = kp_, n = n_, mp = round_up(m, kMr);
  // Outlier channels are zeroed before quantization and added in float32 after the integer product (as the oneDNN
  // path does); with none (the common case) x is quantized as it is.
  thread_local std::vector<size_t> outliers;
  int8_outlier_columns(x, m, k, outliers);
  thread_local std::vector<float> xc;
  const float* xin = x;
  if (!outliers.empty()) {
    xc.assign(x, x + m * k);
    for (size_t r = 0; r < m; ++r)
      for (size_t c : outliers) xc[r * k + c] = 0.0f;
    xin = xc.data();
  }
  thread_local std::vector<uint8_t> xq;
  thread_local std::vector<float> xs;
  thread_local std::vector<int32_t> xz;
  thread_local std::vector<int16_t> xw;
  // The buffers are thread_local: the workers below use the caller's, through these pointers.
  uint8_t* q8 = zeroed(xq, m * k);
  float* row_scale = zeroed(xs, mp);
  int32_t* row_zero = zeroed(xz, mp);
  quantize_rows(xin, m, k, q8, row_scale, row_zero);
  int16_t* act = zeroed(xw, mp * kp);  // padding rows and columns: zeros (the weights' padding is zero, rows dropped)
  for (size_t r = 0; r < m; ++r)
    for (size_t c = 0; c < k; ++c) act[r * kp + c] = q8[r * k + c];

  const bool fuse_gelu = gelu && outliers.empty();
  const size_t block_panels = std::max<size_t>(1, kBlockBytes / (kp * kNr * sizeof(int16_t)));
  parallel_for(mp / kMr, 1, [&](size_t t0, size_t t1) {
    for (size_t p0 = 0; p0 < panels_; p0 += block_panels) {
      const size_t p1 = std::min(panels_, p0 + block_panels);
      for (size_t t = t0; t < t1; ++t) {
        const size_t r0 = t * kMr, rows = std::min(kMr, m - r0);
        for (size_t p = p0; p < p1; ++p) {
          const size_t j0 = p * kNr, cols = std::min(kNr, n - j0);
          const int16_t* b = packed_.data() + p * kp * kNr;
          float out[kMr][kNr];
#if defined(__wasm_simd128__)
          v128_t acc[kMr];
          tile(act + r0 * kp, kp, b, kp, acc);
          const v128_t cs = wasm_v128_load(colsum_.data() + j0), sw = wasm_v128_load(scale_.data() + j0),
                       bv = wasm_v128_load(bias_.data() + j0);
          for (size_t i = 0; i < kMr; ++i) {
            const v128_t exact = wasm_i32x4_sub(acc[i], wasm_i32x4_mul(wasm_i32x4_splat(row_zero[r0 + i]), cs));
            const v128_t v = wasm_f32x4_add(
                wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(exact), sw), wasm_f32x4_splat(row_scale[r0 + i])),
                bv);
            wasm_v128_store(out[i], v);
          }
#else
          int32_t acc[kMr][kNr];
          tile(act + r0 * kp, kp, b, kp, acc);
          for (size_t i = 0; i < kMr; ++i)
            for (size_t j = 0; j < kNr; ++j)
              out[i][j] = float(acc[i][j] - row_zero[r0 + i] * colsum_[j0 + j]) * scale_[j0 + j] * row_scale[r0 + i] +
                          bias_[j0 + j];
#endif
          for (size_t i = 0; i < rows; ++i)
            for (size_t j = 0; j < cols; ++j) y[(r0 + i) * n + j0 + j] = out[i][j];
        }
        // GELU over the block's columns of each row at once, in vectors of 8 or 4, while they are in cache.
        if (fuse_gelu) {
          const size_t c0 = p0 * kNr, c1 = std::min(n, p1 * kNr);
          for (size_t i = 0; i < rows; ++i) gelu_inplace(y + (r0 + i) * n + c0, c1 - c0);
        }
      }
    }
  });
  if (outliers.empty()) return;
  // Outlier channels in float32: column c of the dequantized weights, wq[j, c] · sw[j], times x[r, c].
  thread_local std::vector<float> wcol;
  wcol.resize(n);
  for (size_t c : outliers) {
    const int16_t* panel_c = packed_.data() + (c / 8) * 8 * kNr + c % 8;
    for (size_t j = 0; j < n; ++j) wcol[j] = float(panel_c[(j / kNr) * kp * kNr + (j % kNr) * 8]) * scale_[j];
    for (size_t r = 0; r < m; ++r) {
      const float xv = x[r * k + c];
      float* dst = y + r * n;
      for (size_t j = 0; j < n; ++j) dst[j] += xv * wcol[j];
    }
  }
  if (gelu) gelu_inplace(y, m * n);
}

}  // namespace gpuembed::cpu
