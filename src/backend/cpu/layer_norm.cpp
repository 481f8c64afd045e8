#include "backend/cpu/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/isa_targets.h"
#include "backend/cpu/parallel.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

// LayerNorm and the embedding lookup that ends in one (split from ops.cpp): hot loops compiled per ISA
// (isa_targets.h) and chosen at run time by CPU features (cpu::simd_level()).

namespace gpuembed::cpu {
namespace {

GPUEMBED_HOT_BODY
void layer_norm_row_body(float* x, size_t h, const float* gamma, const float* beta, float eps) {
  float mean = 0.0f;
  for (size_t i = 0; i < h; ++i) mean += x[i];
  mean /= static_cast<float>(h);
  float var = 0.0f;
  for (size_t i = 0; i < h; ++i) {
    const float d = x[i] - mean;
    var += d * d;
  }
  var /= static_cast<float>(h);
  const float inv = 1.0f / std::sqrt(var + eps);
  for (size_t i = 0; i < h; ++i) x[i] = (x[i] - mean) * inv * gamma[i] + beta[i];
}

// R rows of layer_norm_row_body() at once, each summed exactly as alone (in order from element 0). One row's sum is
// a chain of dependent adds, bound by the adder's latency (most of LayerNorm's time, which a 12-token sentence
// notices); R independent chains overlap, and the result stays bit-identical.
template <size_t R>
GPUEMBED_HOT_BODY void layer_norm_rows_body(float* x, size_t h, const float* gamma, const float* beta, float eps) {
  float mean[R] = {}, var[R] = {}, inv[R];
  for (size_t i = 0; i < h; ++i)
    for (size_t r = 0; r < R; ++r) mean[r] += x[r * h + i];
  for (size_t r = 0; r < R; ++r) mean[r] /= static_cast<float>(h);
  for (size_t i = 0; i < h; ++i)
    for (size_t r = 0; r < R; ++r) {
      const float d = x[r * h + i] - mean[r];
      var[r] += d * d;
    }
  for (size_t r = 0; r < R; ++r) {
    var[r] /= static_cast<float>(h);
    inv[r] = 1.0f / std::sqrt(var[r] + eps);
  }
  for (size_t r = 0; r < R; ++r) {
    float* row = x + r * h;
    for (size_t i = 0; i < h; ++i) row[i] = (row[i] - mean[r]) * inv[r] * gamma[i] + beta[i];
  }
}

GPUEMBED_HOT_BODY
void layer_norm_block_body(float* x, size_t n, size_t h, const float* gamma, const float* beta, float eps) {
  size_t r = 0;
  for (; r + 8 <= n; r += 8) layer_norm_rows_body<8>(x + r * h, h, gamma, beta, eps);
  if (r + 4 <= n) layer_norm_rows_body<4>(x + r * h, h, gamma, beta, eps), r += 4;
  for (; r < n; ++r) layer_norm_row_body(x + r * h, h, gamma, beta, eps);
}

#define GPUEMBED_LN_ARGS float *x, size_t h, const float *gamma, const float *beta, float eps
#define GPUEMBED_LNB_ARGS float *x, size_t n, size_t h, const float *gamma, const float *beta, float eps
#define GPUEMBED_LNB_CALL x, n, h, gamma, beta, eps
#if defined(GPUEMBED_X86_VARIANTS)
GPUEMBED_TARGET_AVX512 void layer_norm_row_avx512(GPUEMBED_LN_ARGS) { layer_norm_row_body(x, h, gamma, beta, eps); }
GPUEMBED_TARGET_AVX2 void layer_norm_row_avx2(GPUEMBED_LN_ARGS) { layer_norm_row_body(x, h, gamma, beta, eps); }
GPUEMBED_TARGET_AVX512 void layer_norm_block_avx512(GPUEMBED_LNB_ARGS) { layer_norm_block_body(GPUEMBED_LNB_CALL); }
GPUEMBED_TARGET_AVX2 void layer_norm_block_avx2(GPUEMBED_LNB_ARGS) { layer_norm_block_body(GPUEMBED_LNB_CALL); }
#endif
void layer_norm_row_base(GPUEMBED_LN_ARGS) { layer_norm_row_body(x, h, gamma, beta, eps); }
void layer_norm_block_base(GPUEMBED_LNB_ARGS) { layer_norm_block_body(GPUEMBED_LNB_CALL); }

void layer_norm_row(GPUEMBED_LN_ARGS) {
#if defined(GPUEMBED_X86_VARIANTS)
  switch (active_simd_level()) {
    case SimdLevel::kAvx512: return layer_norm_row_avx512(x, h, gamma, beta, eps);
    case SimdLevel::kAvx2: return layer_norm_row_avx2(x, h, gamma, beta, eps);
    case SimdLevel::kBaseline: break;
  }
#endif
  layer_norm_row_base(x, h, gamma, beta, eps);
}

// n consecutive rows of width h (layer_norm_block_body()).
[[maybe_unused]] void layer_norm_block(GPUEMBED_LNB_ARGS) {  // not in the WebAssembly build
#if defined(GPUEMBED_X86_VARIANTS)
  switch (active_simd_level()) {
    case SimdLevel::kAvx512: return layer_norm_block_avx512(GPUEMBED_LNB_CALL);
    case SimdLevel::kAvx2: return layer_norm_block_avx2(GPUEMBED_LNB_CALL);
    case SimdLevel::kBaseline: break;
  }
#endif
  layer_norm_block_base(GPUEMBED_LNB_CALL);
}

#if defined(__wasm_simd128__)
inline float hsum_f32x4(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

// layer_norm_row() with 4-lane sums (the mean and variance are summed in 4 lanes, then across them).
void layer_norm_row_wasm(float* x, size_t h, const float* gamma, const float* beta, float eps) {
  if (h % 4 != 0) {
    layer_norm_row(x, h, gamma, beta, eps);
    return;
  }
  v128_t acc = wasm_f32x4_splat(0.0f);
  for (size_t i = 0; i < h; i += 4) acc = wasm_f32x4_add(acc, wasm_v128_load(x + i));
  const float mean = hsum_f32x4(acc) / static_cast<float>(h);
  const v128_t vmean = wasm_f32x4_splat(mean);
  acc = wasm_f32x4_splat(0.0f);
  for (size_t i = 0; i < h; i += 4) {
    const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + i), vmean);
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(d, d));
  }
  const float var = hsum_f32x4(acc) / static_cast<float>(h);
  const v128_t vinv = wasm_f32x4_splat(1.0f / std::sqrt(var + eps));
  for (size_t i = 0; i < h; i += 4) {
    const v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + i), vmean), vinv),
                                    wasm_v128_load(gamma + i));
    wasm_v128_store(x + i, wasm_f32x4_add(y, wasm_v128_load(beta + i)));
  }
}
#define GPUEMBED_LAYER_NORM_ROW layer_norm_row_wasm
#else
#define GPUEMBED_LAYER_NORM_ROW layer_norm_row
#endif  // __wasm_simd128__

}  // namespace

void embed_tokens(const EmbeddingTables& w, const int32_t* ids, const PackedRows& rows, size_t h, float eps,
                  float* x) {
  const float* type0 = w.token_type;
  parallel_for(rows.texts(), [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      for (size_t t = 0; t < rows.length(b); ++t) {
        const size_t r = rows.offsets[b] + t;
        const float* word = w.word + static_cast<size_t>(ids[r]) * h;
        float* out = x + r * h;
        if (!w.gamma) {  // a decoder's plain gather
          if (w.scale == 1.0f) {
            std::copy_n(word, h, out);
          } else {
            for (size_t i = 0; i < h; ++i) out[i] = word[i] * w.scale;
          }
          continue;
        }
        if (!w.position && !type0) {  // rotary positions come later, in attention
          for (size_t i = 0; i < h; ++i) out[i] = word[i];
        } else if (!w.position) {
          for (size_t i = 0; i < h; ++i) out[i] = word[i] + type0[i];
        } else if (type0) {
          const float* pos = w.position + (t + w.position_offset) * h;
          for (size_t i = 0; i < h; ++i) out[i] = word[i] + pos[i] + type0[i];
        } else {
          const float* pos = w.position + (t + w.position_offset) * h;
          for (size_t i = 0; i < h; ++i) out[i] = word[i] + pos[i];
        }
        GPUEMBED_LAYER_NORM_ROW(out, h, w.gamma, w.beta, eps);
      }
    }
  });
}

void add_layer_norm(float* x, const float* delta, size_t n, size_t h, const float* gamma, const float* beta,
                    float eps) {
  parallel_for(n, [&](size_t r0, size_t r1) {
#if defined(__wasm_simd128__)
    for (size_t r = r0; r < r1; ++r) {
      float* row = x + r * h;
      const float* d = delta + r * h;
      for (size_t i = 0; i < h; ++i) row[i] = d[i] + row[i];
      GPUEMBED_LAYER_NORM_ROW(row, h, gamma, beta, eps);
    }
#else
    // In blocks of 8 rows that stay in L1 between the add and the norm.
    for (size_t b = r0; b < r1; b += 8) {
      const size_t nb = std::min<size_t>(8, r1 - b);
      float* rows = x + b * h;
      const float* d = delta + b * h;
      for (size_t i = 0; i < nb * h; ++i) rows[i] = d[i] + rows[i];
      layer_norm_block(rows, nb, h, gamma, beta, eps);
    }
#endif
  });
}

void layer_norm(float* x, size_t n, size_t h, const float* gamma, const float* beta, float eps) {
  parallel_for(n, [&](size_t r0, size_t r1) {
#if defined(__wasm_simd128__)
    for (size_t r = r0; r < r1; ++r) GPUEMBED_LAYER_NORM_ROW(x + r * h, h, gamma, beta, eps);
#else
    layer_norm_block(x + r0 * h, r1 - r0, h, gamma, beta, eps);
#endif
  });
}

}  // namespace gpuembed::cpu
