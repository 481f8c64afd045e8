#include "backend/cpu/gemm_packed.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/erf_coefficients.h"
#include "backend/cpu/isa_targets.h"
#include "backend/cpu/parallel.h"
#include "model/half.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace gpuembed::cpu {

// The approximation: erf_coefficients.h. Each Horner step is a multiply then an add, as in the SIMD128 erf below,
// so that the WebAssembly GELU epilogue and this one agree bit for bit.
float erf_approx(float x) {
  x = std::min(kErfClamp, std::max(-kErfClamp, x));
  const float x2 = x * x;
  float p = kErfP[0];
#pragma GCC unroll 8
  for (int i = 1; i < kErfPTerms; ++i) p = p * x2 + kErfP[i];
  p *= x;
  float q = kErfQ[0];
#pragma GCC unroll 8
  for (int i = 1; i < kErfQTerms; ++i) q = q * x2 + kErfQ[i];
  return p / q;
}

float gelu_erf(float x) { return 0.5f * x * (1.0f + erf_approx(x * kInvSqrt2)); }

// ---------------------------------------------------------------------------------------------------------------
// Portable micro-kernel: MR rows × (NV·4) columns with 4-float vectors.
namespace {

#if defined(__GNUC__) || defined(__clang__)
typedef float v4f __attribute__((vector_size(16)));
inline v4f load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void store4(float* p, v4f v) { std::memcpy(p, &v, sizeof(v)); }
inline v4f splat4(float s) { return v4f{s, s, s, s}; }
#define GPUEMBED_UNROLL _Pragma("GCC unroll 16")
#else
#error "the portable GEMM kernel needs GCC or Clang vector extensions"
#endif

// A micro-kernel's MR × (NV·4) accumulators (vectors of 4 floats) out to C, plus the bias (or what C holds, when
// accumulating a later k-block), with GELU on the last one. Full tiles go vector by vector through the kernel's
// `finish(sum, c, bias)` (its own vector code); partial tiles (matrix edges) through a scalar epilogue.
template <size_t MR, size_t NV, class V, class Finish>
__attribute__((always_inline)) inline void store_tile(const V (&acc)[MR][NV], float* c, size_t ldc, size_t mr,
                                                      size_t nr, const float* bias, bool accumulate, bool gelu,
                                                      Finish finish) {
  constexpr size_t NR = NV * 4;
  if (mr == MR && nr == NR) {
    GPUEMBED_UNROLL
    for (size_t i = 0; i < MR; ++i) {
      float* row = c + i * ldc;
      GPUEMBED_UNROLL
      for (size_t j = 0; j < NV; ++j) finish(acc[i][j], row + j * 4, bias + j * 4);
    }
    return;
  }
  static_assert(sizeof(V) == 4 * sizeof(float));
  float tile[MR][NR];
  GPUEMBED_UNROLL
  for (size_t i = 0; i < MR; ++i) {
    GPUEMBED_UNROLL
    for (size_t j = 0; j < NV; ++j) std::memcpy(&tile[i][j * 4], &acc[i][j], sizeof(V));
  }
  for (size_t i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    for (size_t j = 0; j < nr; ++j) {
      const float v = tile[i][j] + (accumulate ? row[j] : bias[j]);
      row[j] = gelu ? gelu_erf(v) : v;
    }
  }
}

template <size_t MR, size_t NV>
void portable_kernel(size_t kc, const float* a, const float* b, float* c, size_t ldc, size_t mr, size_t nr,
                     const float* bias, bool accumulate, bool gelu) {
  constexpr size_t NR = NV * 4;
  v4f acc[MR][NV] = {};
  for (size_t k = 0; k < kc; ++k) {
    v4f bv[NV];
    GPUEMBED_UNROLL
    for (size_t j = 0; j < NV; ++j) bv[j] = load4(b + j * 4);
    GPUEMBED_UNROLL
    for (size_t i = 0; i < MR; ++i) {
      const v4f av = splat4(a[i]);
      GPUEMBED_UNROLL
      for (size_t j = 0; j < NV; ++j) acc[i][j] += av * bv[j];
    }
    a += MR;
    b += NR;
  }
  store_tile(acc, c, ldc, mr, nr, bias, accumulate, gelu, [=](v4f sum, float* out, const float* bias4) {
    v4f v = sum + (accumulate ? load4(out) : load4(bias4));
    if (gelu) {
      float t[4];
      store4(t, v);
      for (float& e : t) e = gelu_erf(e);
      v = load4(t);
    }
    store4(out, v);
  });
}

#if defined(__wasm_simd128__)
// WebAssembly SIMD128 micro-kernel with explicit intrinsics: MR rows × (NV·4) columns of f32x4 accumulators,
// A splatted straight from memory (v128.load32_splat), B panels loaded as f32x4, mul + add (the sums are rounded
// exactly as in the scalar / generic-vector code) or, in the relaxed-SIMD module, madd_f32x4's fused multiply-add.
// Without FMA the kernel is bound by mul + add sharing the SIMD ports (bench/wasm/cpu_kernels_bench.cpp).
// GELU in the epilogue is vectorised with the same erf formula and operation order as gelu_erf(), so results
// are bit-identical to the scalar epilogue.
inline v128_t erf_f32x4(v128_t x) {
  // std::min(4, std::max(-4, x)) == pmin(4, pmax(-4, x)), NaN included.
  x = wasm_f32x4_pmin(wasm_f32x4_splat(kErfClamp), wasm_f32x4_pmax(wasm_f32x4_splat(-kErfClamp), x));
  const v128_t x2 = wasm_f32x4_mul(x, x);
  v128_t p = wasm_f32x4_splat(kErfP[0]);
#pragma GCC unroll 8
  for (int i = 1; i < kErfPTerms; ++i) p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(kErfP[i]));
  p = wasm_f32x4_mul(p, x);
  v128_t q = wasm_f32x4_splat(kErfQ[0]);
#pragma GCC unroll 8
  for (int i = 1; i < kErfQTerms; ++i) q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(kErfQ[i]));
  return wasm_f32x4_div(p, q);
}

inline v128_t gelu_f32x4(v128_t x) {
  const v128_t e = erf_f32x4(wasm_f32x4_mul(x, wasm_f32x4_splat(kInvSqrt2)));
  return wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_splat(0.5f), x), wasm_f32x4_add(wasm_f32x4_splat(1.0f), e));
}

// acc + a·b for the GEMM's inner loop. With GPUEMBED_WASM_FMA (the relaxed-SIMD build of the module) one fused
// multiply-add: clang 14 only knows the draft builtin, whose pre-standard opcode scripts/wasm_relaxed_madd.mjs
// rewrites to the standard f32x4.relaxed_madd (a·b + c) after the link. relaxed_madd may round once (FMA) or twice
// depending on the engine, so that module is checked against the fp32 golden with its tolerance, not bit for bit.
__attribute__((always_inline)) inline v128_t madd_f32x4(v128_t a, v128_t b, v128_t acc) {
#if defined(GPUEMBED_WASM_FMA)
  return __builtin_wasm_fma_f32x4(a, b, acc);
#else
  return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b));
#endif
}

template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void wasm_step(const float* a, const float* b, v128_t (&acc)[MR][NV]) {
  v128_t bv[NV];
  GPUEMBED_UNROLL
  for (size_t j = 0; j < NV; ++j) bv[j] = wasm_v128_load(b + j * 4);
  GPUEMBED_UNROLL
  for (size_t i = 0; i < MR; ++i) {
    const v128_t av = wasm_v128_load32_splat(a + i);
    GPUEMBED_UNROLL
    for (size_t j = 0; j < NV; ++j) acc[i][j] = madd_f32x4(av, bv[j], acc[i][j]);
  }
}

template <size_t MR, size_t NV>
void wasm_kernel(size_t kc, const float* a, const float* b, float* c, size_t ldc, size_t mr, size_t nr,
                 const float* bias, bool accumulate, bool gelu) {
  constexpr size_t NR = NV * 4;
  v128_t acc[MR][NV] = {};
  // One k per iteration: unrolling (by hand or by clang) measured slower (spills); the tile: see kPortableMR below.
  _Pragma("clang loop unroll(disable)") for (size_t k = 0; k < kc; ++k) {
    wasm_step<MR, NV>(a, b, acc);
    a += MR;
    b += NR;
  }
  store_tile(acc, c, ldc, mr, nr, bias, accumulate, gelu, [=](v128_t sum, float* out, const float* bias4) {
    v128_t v = wasm_f32x4_add(sum, wasm_v128_load(accumulate ? out : bias4));
    if (gelu) v = gelu_f32x4(v);
    wasm_v128_store(out, v);
  });
}
#endif  // __wasm_simd128__

// Tile shape (overridable for tuning: -DGPUEMBED_PORTABLE_MR=4 -DGPUEMBED_PORTABLE_NV=3). WebAssembly uses 4 x 8:
// V8 kept 4 of the 6 x 8 tile's 12 accumulators on the stack across iterations (--print-wasm-code), and those
// store/reload round trips on the accumulator chains set the pace (of the FMA kernel most); 8 accumulators stay in
// registers and are still enough independent chains for two FMA ports (bench/RESULTS.md, relaxed SIMD). The tile does
// not change the results: every output is summed over k in the same order whatever the tile.
#if defined(__wasm_simd128__)
#define GPUEMBED_TILE_DEFAULT_MR 4
#else
#define GPUEMBED_TILE_DEFAULT_MR 6
#endif
#ifndef GPUEMBED_PORTABLE_MR
#define GPUEMBED_PORTABLE_MR GPUEMBED_TILE_DEFAULT_MR
#endif
#ifndef GPUEMBED_PORTABLE_NV
#define GPUEMBED_PORTABLE_NV 2
#endif
constexpr size_t kPortableMR = GPUEMBED_PORTABLE_MR, kPortableNV = GPUEMBED_PORTABLE_NV;

}  // namespace

void gelu_inplace(float* x, size_t n) {
#if defined(GPUEMBED_X86_VARIANTS)
  if (active_simd_level() != SimdLevel::kBaseline) return gelu_inplace_avx2(x, n);
#endif
  size_t i = 0;
#if defined(__wasm_simd128__)
  for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, gelu_f32x4(wasm_v128_load(x + i)));
#endif
  for (; i < n; ++i) x[i] = gelu_erf(x[i]);
}

const GemmKernel& portable_gemm_kernel() {
#if defined(__wasm_simd128__)
#if defined(GPUEMBED_WASM_FMA)
  static const GemmKernel kernel{"portable-relaxed-simd", kPortableMR, kPortableNV * 4, 16,
                                 &wasm_kernel<kPortableMR, kPortableNV>};
#else
  static const GemmKernel kernel{"portable-simd128", kPortableMR, kPortableNV * 4, 16,
                                 &wasm_kernel<kPortableMR, kPortableNV>};
#endif
#else
  static const GemmKernel kernel{"portable", kPortableMR, kPortableNV * 4, 16,
                                 &portable_kernel<kPortableMR, kPortableNV>};
#endif
  return kernel;
}

// ---------------------------------------------------------------------------------------------------------------
// Packing and the blocked driver.
namespace {

constexpr size_t kMaxKBlock = 384;

size_t k_block(size_t k) {
  if (k <= kMaxKBlock + kMaxKBlock / 3) return k;
  const size_t blocks = (k + kMaxKBlock - 1) / kMaxKBlock;
  return (k + blocks - 1) / blocks;
}

template <class T>
T* align64(T* p) {
  auto addr = reinterpret_cast<uintptr_t>(p);
  return p + ((64 - addr % 64) % 64) / sizeof(T);
}

struct PackBuffer {
  std::vector<float> data;
  float* get(size_t n) {
    if (data.size() < n + 16) data.resize(n + 16);
    return align64(data.data());
  }
};

}  // namespace

PackedLinear::PackedLinear(const GemmKernel& kernel, const float* weight, const float* bias, size_t n, size_t k,
                           bool bf16_weights)
    : kernel_(kernel), n_(n), k_(k), bf16_(bf16_weights) {
  const size_t nr = kernel_.nr;
  panels_ = (n + nr - 1) / nr;
  const size_t packed_size = panels_ * k * nr, bias_size = panels_ * nr;
  storage_.assign((bf16_ ? 0 : packed_size) + bias_size + 16, 0.0f);
  float* base = align64(storage_.data());
  float* packed = nullptr;
  uint16_t* packed16 = nullptr;
  if (bf16_) {
    storage_bf16_.assign(packed_size + 32, 0);
    packed16 = align64(storage_bf16_.data());
  } else {
    packed = base;
  }
  for (size_t p = 0; p < panels_; ++p) {
    const size_t cols = std::min(nr, n - p * nr);
    for (size_t j = 0; j < cols; ++j) {
      const float* src = weight + (p * nr + j) * k;
      const size_t offset = p * k * nr + j;
      if (bf16_) {
        for (size_t kk = 0; kk < k; ++kk) packed16[offset + kk * nr] = float_to_bf16(src[kk]);
      } else {
        for (size_t kk = 0; kk < k; ++kk) packed[offset + kk * nr] = src[kk];
      }
    }
  }
  float* packed_bias = base + (bf16_ ? 0 : packed_size);
  if (bias != nullptr) std::copy(bias, bias + n, packed_bias);
  packed_ = packed;
  packed_bf16_ = packed16;
  bias_ = packed_bias;
}

void PackedLinear::forward(const float* x, size_t m, float* y, bool gelu) const {
  if (m == 0 || n_ == 0) return;
  const size_t mr = kernel_.mr, nr = kernel_.nr;
  if (k_ == 0) {
    for (size_t i = 0; i < m; ++i)
      for (size_t j = 0; j < n_; ++j) y[i * n_ + j] = gelu ? gelu_erf(bias_[j]) : bias_[j];
    return;
  }
  const size_t kc_max = k_block(k_);
  const size_t m_tiles = (m + mr - 1) / mr;
  const size_t threads = static_cast<size_t>(parallel_threads());
  // Row blocks of at most row_block_tiles tiles, as many as a multiple of the threads and all within one tile of
  // each other: parallel_for hands each thread a contiguous run of items, and with 43 blocks over 2 threads one of
  // them waited for the other (OpenMP's spin-wait in perf on a 2-core AMD EPYC).
  size_t m_blocks = (m_tiles + kernel_.row_block_tiles - 1) / kernel_.row_block_tiles;
  if (threads > 1 && m_blocks > threads) m_blocks = std::min(m_tiles, (m_blocks + threads - 1) / threads * threads);
  // Enough work items for every thread (4 per thread when rows are few; then panels are split between them).
  size_t n_blocks = 1;
  if (threads > 1 && m_blocks < 4 * threads)
    n_blocks = std::min(panels_, (4 * threads + m_blocks - 1) / m_blocks);
  const size_t panels_per_block = (panels_ + n_blocks - 1) / n_blocks;
  n_blocks = (panels_ + panels_per_block - 1) / panels_per_block;
  const size_t items = m_blocks * n_blocks;

  parallel_for(items, [&](size_t item_begin, size_t item_end) {
    thread_local PackBuffer buffer, weight_buffer;
    for (size_t item = item_begin; item < item_end; ++item) {
      const size_t mb = item / n_blocks, nb = item % n_blocks;
      const size_t tile0 = mb * m_tiles / m_blocks, tile1 = (mb + 1) * m_tiles / m_blocks;
      const size_t p0 = nb * panels_per_block, p1 = std::min(panels_, p0 + panels_per_block);
      for (size_t k0 = 0; k0 < k_; k0 += kc_max) {
        const size_t kc = std::min(kc_max, k_ - k0);
        const bool last = k0 + kc == k_;
        float* a = buffer.get((tile1 - tile0) * kc * mr);
        // Pack the rows of this block: tile t, [kc][mr], rows past m are zero.
        for (size_t t = tile0; t < tile1; ++t) {
          float* dst = a + (t - tile0) * kc * mr;
          const size_t rows = std::min(mr, m - t * mr);
          for (size_t i = 0; i < rows; ++i) {
            const float* src = x + (t * mr + i) * k_ + k0;
            for (size_t kk = 0; kk < kc; ++kk) dst[kk * mr + i] = src[kk];
          }
          for (size_t i = rows; i < mr; ++i)
            for (size_t kk = 0; kk < kc; ++kk) dst[kk * mr + i] = 0.0f;
        }
        float* widened = bf16_ ? weight_buffer.get(kc * nr) : nullptr;
        for (size_t p = p0; p < p1; ++p) {
          const float* b;
          if (bf16_) {
            const uint16_t* src = packed_bf16_ + (p * k_ + k0) * nr;
            for (size_t e = 0; e < kc * nr; ++e) widened[e] = bf16_to_float(src[e]);
            b = widened;
          } else {
            b = packed_ + (p * k_ + k0) * nr;
          }
          const size_t cols = std::min(nr, n_ - p * nr);
          for (size_t t = tile0; t < tile1; ++t) {
            const size_t rows = std::min(mr, m - t * mr);
            kernel_.fn(kc, a + (t - tile0) * kc * mr, b, y + t * mr * n_ + p * nr, n_, rows, cols, bias_ + p * nr,
                       k0 > 0, gelu && last);
          }
        }
      }
    }
  });
}

}  // namespace gpuembed::cpu
