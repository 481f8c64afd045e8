#include "backend/cpu/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cpu/attention_wasm.h"
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/isa_targets.h"
#include "backend/cpu/parallel.h"

#if defined(GPUEMBED_X86_VARIANTS)
#include <immintrin.h>
#endif


namespace gpuembed::cpu {
namespace {

// exp(x) for x <= 0 (softmax after subtracting the max), written with plain arithmetic so that the
// loops around it vectorise. Cody–Waite range reduction and a degree-6 polynomial: ≤ 2 ulp.
// Rounding uses the 1.5·2^23 trick rather than std::nearbyint, which is a libm call that stops the loop
// from vectorising (perf showed it, uninlined, at a third of the whole batch's time); the result is the same
// round-to-nearest-even for |x·log2 e| < 2^22.
__attribute__((always_inline)) inline float exp_nonpositive(float x) {
  x = std::max(x, -87.0f);
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
  const float n = (x * 1.44269504088896341f + kRound) - kRound;
  float r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187045e-06f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return p * scale;
}

// scores[r][j] += rel[j - (i0 + r)] for the block's query rows (rel points at the bias of distance 0).
GPUEMBED_HOT_BODY
void add_relative_bias(float* scores, size_t len, size_t i0, size_t nb, const float* rel) {
  for (size_t r = 0; r < nb; ++r) {
    const float* row_bias = rel - static_cast<ptrdiff_t>(i0 + r);
    for (size_t j = 0; j < len; ++j) scores[r * len + j] += row_bias[j];
  }
}

// One head of one text, register-blocked: 4 query rows at a time, 16 keys (scores) or 16 channels (context) per
// vector, the sums kept in registers across the whole reduction. (The earlier form added into a row of scores in
// memory once per channel: perf put the store of every FMA at a third of the 32 x 128 batch.) Each element is still
// summed in order from 0 (over the head channels, resp. the keys), as the WebAssembly path (attention_wasm.cpp) does.
#pragma GCC diagnostic ignored "-Wpsabi"  // the 64-byte vector helpers are inlined; no call passes one
typedef float v16f __attribute__((vector_size(64)));
__attribute__((always_inline)) inline v16f load16(const float* p) {
  v16f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
__attribute__((always_inline)) inline void store16(float* p, v16f v) { std::memcpy(p, &v, sizeof(v)); }
// The loops of attention_head_body as the baseline and AVX-512 copies compile them (inlined, under their target).
struct PortableKernels {
  // out[r·16 + l] = Σ_i v[i·v_stride + l] · w_r[i·w_step], summed in order from i = 0: the scores of 4 query rows
  // against 16 keys (v = kt + j0, w_r = qs + r), or the context of 4 rows over 16 channels (v = vv + c0, w_r = row
  // r's softmax weights).
  GPUEMBED_HOT_BODY static void dot4x16(const float* v, size_t v_stride, size_t n, const float* w0, const float* w1,
                                        const float* w2, const float* w3, size_t w_step, float* out) {
    v16f a0{}, a1{}, a2{}, a3{};  // four named accumulators: kept in registers
    for (size_t i = 0; i < n; ++i) {
      const v16f x = load16(v + i * v_stride);
      const size_t w = i * w_step;
      a0 += x * w0[w];
      a1 += x * w1[w];
      a2 += x * w2[w];
      a3 += x * w3[w];
    }
    store16(out, a0), store16(out + 16, a1), store16(out + 32, a2), store16(out + 48, a3);
  }

  // Max and sum in 16 lanes: as plain loops they stay scalar (float max/add chains are not reassociated).
  GPUEMBED_HOT_BODY static void softmax_row(float* s, size_t len) {
    const size_t len16 = len & ~size_t{15};
    float mx = s[0];
    if (len16 > 0) {
      v16f m = load16(s);
      for (size_t j = 16; j < len16; j += 16) {
        const v16f x = load16(s + j);
        m = x > m ? x : m;
      }
      for (int l = 0; l < 16; ++l) mx = std::max(mx, m[l]);
    }
    for (size_t j = len16; j < len; ++j) mx = std::max(mx, s[j]);
    for (size_t j = 0; j < len; ++j) s[j] = exp_nonpositive(s[j] - mx);  // vectorises
    v16f acc{};
    for (size_t j = 0; j < len16; j += 16) acc += load16(s + j);
    float sum = 0.0f;
    for (int l = 0; l < 16; ++l) sum += acc[l];
    for (size_t j = len16; j < len; ++j) sum += s[j];
    const float inv = 1.0f / sum;
    for (size_t j = 0; j < len; ++j) s[j] *= inv;
  }
};

#if defined(GPUEMBED_X86_VARIANTS)
// dot4x16 on AVX2, out of line under the AVX2 target: GCC splits the body's 64-byte vectors into pairs of ymm
// registers there but kept the accumulators on the stack (perf on an AMD EPYC: bench/RESULTS.md, "Native CPU on an
// AMD EPYC"). The same products, each summed in the same order.
GPUEMBED_TARGET_AVX2 __attribute__((noinline)) void dot4x16_avx2(const float* v, size_t v_stride, size_t n,
                                                                  const float* w0, const float* w1, const float* w2,
                                                                  const float* w3, size_t w_step, float* out) {
  __m256 a0l = _mm256_setzero_ps(), a0h = a0l, a1l = a0l, a1h = a0l, a2l = a0l, a2h = a0l, a3l = a0l, a3h = a0l;
  for (size_t i = 0; i < n; ++i) {
    const __m256 xl = _mm256_loadu_ps(v + i * v_stride), xh = _mm256_loadu_ps(v + i * v_stride + 8);
    const size_t w = i * w_step;
    const __m256 b0 = _mm256_broadcast_ss(w0 + w), b1 = _mm256_broadcast_ss(w1 + w), b2 = _mm256_broadcast_ss(w2 + w),
                 b3 = _mm256_broadcast_ss(w3 + w);
    a0l = _mm256_fmadd_ps(xl, b0, a0l), a0h = _mm256_fmadd_ps(xh, b0, a0h);
    a1l = _mm256_fmadd_ps(xl, b1, a1l), a1h = _mm256_fmadd_ps(xh, b1, a1h);
    a2l = _mm256_fmadd_ps(xl, b2, a2l), a2h = _mm256_fmadd_ps(xh, b2, a2h);
    a3l = _mm256_fmadd_ps(xl, b3, a3l), a3h = _mm256_fmadd_ps(xh, b3, a3h);
  }
  _mm256_storeu_ps(out, a0l), _mm256_storeu_ps(out + 8, a0h), _mm256_storeu_ps(out + 16, a1l);
  _mm256_storeu_ps(out + 24, a1h), _mm256_storeu_ps(out + 32, a2l), _mm256_storeu_ps(out + 40, a2h);
  _mm256_storeu_ps(out + 48, a3l), _mm256_storeu_ps(out + 56, a3h);
}

// exp_nonpositive() on 8 lanes, the same operations in the same order.
GPUEMBED_TARGET_AVX2 inline __m256 exp_nonpositive_avx2(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  const __m256 round = _mm256_set1_ps(12582912.0f);
  const __m256 n = _mm256_sub_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), round), round);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

// The softmax of one row of scores as the body's loop does it: the max and the sum in 16 lanes (lanes 0-7 and
// 8-15 in two registers), the lanes' sum joined in order, the keys past the last multiple of 16 after them.
GPUEMBED_TARGET_AVX2 __attribute__((noinline)) void softmax_row_avx2(float* s, size_t len) {
  const size_t len16 = len & ~size_t{15}, len8 = len & ~size_t{7};
  float mx = s[0];
  if (len16 > 0) {
    __m256 ml = _mm256_loadu_ps(s), mh = _mm256_loadu_ps(s + 8);
    for (size_t j = 16; j < len16; j += 16) {
      ml = _mm256_max_ps(ml, _mm256_loadu_ps(s + j));
      mh = _mm256_max_ps(mh, _mm256_loadu_ps(s + j + 8));
    }
    alignas(32) float lanes[16];
    _mm256_store_ps(lanes, ml), _mm256_store_ps(lanes + 8, mh);
    for (int l = 0; l < 16; ++l) mx = std::max(mx, lanes[l]);
  }
  for (size_t j = len16; j < len; ++j) mx = std::max(mx, s[j]);
  const __m256 vmx = _mm256_set1_ps(mx);
  size_t j = 0;
  for (; j < len8; j += 8) _mm256_storeu_ps(s + j, exp_nonpositive_avx2(_mm256_sub_ps(_mm256_loadu_ps(s + j), vmx)));
  for (; j < len; ++j) s[j] = exp_nonpositive(s[j] - mx);
  __m256 al = _mm256_setzero_ps(), ah = al;
  for (j = 0; j < len16; j += 16) {
    al = _mm256_add_ps(al, _mm256_loadu_ps(s + j));
    ah = _mm256_add_ps(ah, _mm256_loadu_ps(s + j + 8));
  }
  alignas(32) float lanes[16];
  _mm256_store_ps(lanes, al), _mm256_store_ps(lanes + 8, ah);
  float sum = 0.0f;
  for (int l = 0; l < 16; ++l) sum += lanes[l];
  for (j = len16; j < len; ++j) sum += s[j];
  const __m256 inv = _mm256_set1_ps(1.0f / sum);
  for (j = 0; j < len8; j += 8) _mm256_storeu_ps(s + j, _mm256_mul_ps(_mm256_loadu_ps(s + j), inv));
  for (; j < len; ++j) s[j] *= 1.0f / sum;
}
// Calls into the out-of-line AVX2 functions above (intrinsics cannot be inlined into the generic body).
struct Avx2Kernels {
  static void dot4x16(const float* v, size_t v_stride, size_t n, const float* w0, const float* w1, const float* w2,
                      const float* w3, size_t w_step, float* out) {
    dot4x16_avx2(v, v_stride, n, w0, w1, w2, w3, w_step, out);
  }
  static void softmax_row(float* s, size_t len) { softmax_row_avx2(s, len); }
};
#endif

// K: PortableKernels or Avx2Kernels (dot4x16 and softmax_row, the same sums in the same order).
template <class K>
GPUEMBED_HOT_BODY
void attention_head_body(const float* qkv, size_t stride, size_t len, size_t hd, size_t q_col, size_t k_col,
                    size_t v_col, float scale, const float* rel, float* kt, float* vv, float* qs, float* scores,
                    float* ctx, size_t ctx_stride) {
  for (size_t j = 0; j < len; ++j) {
    const float* krow = qkv + j * stride + k_col;
    const float* vrow = qkv + j * stride + v_col;
    for (size_t c = 0; c < hd; ++c) kt[c * len + j] = krow[c];
    std::memcpy(vv + j * hd, vrow, hd * sizeof(float));
  }
  constexpr size_t kRows = 4;
  for (size_t i0 = 0; i0 < len; i0 += kRows) {
    const size_t nb = std::min(kRows, len - i0);
    // qs[c][r] = scaled query; rows past the text are zero (their scores are zero and never stored to ctx).
    for (size_t c = 0; c < hd; ++c) {
      for (size_t r = 0; r < kRows; ++r) qs[c * kRows + r] = r < nb ? qkv[(i0 + r) * stride + q_col + c] * scale : 0.0f;
    }
    alignas(64) float acc[kRows * 16];
    size_t j0 = 0;
    for (; j0 + 16 <= len; j0 += 16) {
      K::dot4x16(kt + j0, len, hd, qs, qs + 1, qs + 2, qs + 3, kRows, acc);
      for (size_t r = 0; r < kRows; ++r) std::memcpy(scores + r * len + j0, acc + r * 16, 16 * sizeof(float));
    }
    if (j0 < len) {
      // The last keys (all of them in a text under 16 tokens) in one vector too, the same sums per lane; kt has 16
      // floats of slack past its end for the lanes beyond the text, which are not stored.
      K::dot4x16(kt + j0, len, hd, qs, qs + 1, qs + 2, qs + 3, kRows, acc);
      for (size_t r = 0; r < kRows; ++r)
        for (size_t j = j0; j < len; ++j) scores[r * len + j] = acc[r * 16 + j - j0];
    }
    if (rel) add_relative_bias(scores, len, i0, nb, rel);
    for (size_t r = 0; r < nb; ++r) K::softmax_row(scores + r * len, len);
    const float* s0 = scores;
    const float* s1 = scores + (nb > 1 ? len : 0);  // rows past the text repeat row 0; they are not stored
    const float* s2 = scores + (nb > 2 ? 2 * len : 0);
    const float* s3 = scores + (nb > 3 ? 3 * len : 0);
    size_t c0 = 0;
    for (; c0 + 16 <= hd; c0 += 16) {
      K::dot4x16(vv + c0, hd, len, s0, s1, s2, s3, 1, acc);
      for (size_t r = 0; r < nb; ++r)
        std::memcpy(ctx + (i0 + r) * ctx_stride + c0, acc + r * 16, 16 * sizeof(float));
    }
    for (; c0 < hd; ++c0) {
      for (size_t r = 0; r < nb; ++r) {
        const float* s = scores + r * len;
        float sum = 0.0f;
        for (size_t j = 0; j < len; ++j) sum += s[j] * vv[j * hd + c0];
        ctx[(i0 + r) * ctx_stride + c0] = sum;
      }
    }
  }
}

// One copy of each hot loop per ISA (the bodies above are always_inline), selected once per call by features.
#define GPUEMBED_ATT_ARGS                                                                                            \
  const float *qkv, size_t stride, size_t len, size_t hd, size_t q_col, size_t k_col, size_t v_col, float scale,  \
      const float *rel, float *kt, float *vv, float *qs, float *scores, float *ctx, size_t ctx_stride
#define GPUEMBED_ATT_CALL qkv, stride, len, hd, q_col, k_col, v_col, scale, rel, kt, vv, qs, scores, ctx, ctx_stride
#if defined(GPUEMBED_X86_VARIANTS)
GPUEMBED_TARGET_AVX512 void attention_head_avx512(GPUEMBED_ATT_ARGS) {
  attention_head_body<PortableKernels>(GPUEMBED_ATT_CALL);
}
GPUEMBED_TARGET_AVX2 void attention_head_avx2(GPUEMBED_ATT_ARGS) { attention_head_body<Avx2Kernels>(GPUEMBED_ATT_CALL); }
#endif
void attention_head_base(GPUEMBED_ATT_ARGS) { attention_head_body<PortableKernels>(GPUEMBED_ATT_CALL); }

void attention_head(GPUEMBED_ATT_ARGS) {
#if defined(GPUEMBED_X86_VARIANTS)
  switch (active_simd_level()) {
    case SimdLevel::kAvx512: return attention_head_avx512(GPUEMBED_ATT_CALL);
    case SimdLevel::kAvx2: return attention_head_avx2(GPUEMBED_ATT_CALL);
    case SimdLevel::kBaseline: break;
  }
#endif
  attention_head_base(GPUEMBED_ATT_CALL);
}


}  // namespace

int relative_position_bucket(int relative_position, int num_buckets, int max_distance) {
  // HF MPNet's relative_position_bucket in its float32 arithmetic: half the buckets per direction, exact up to a
  // quarter, logarithmic up to max_distance.
  int n = -relative_position;
  const int half = num_buckets / 2;
  int bucket = n < 0 ? half : 0;
  n = std::abs(n);
  const int max_exact = half / 2;
  if (n < max_exact) return bucket + n;
  const float scaled = std::log(static_cast<float>(n) / static_cast<float>(max_exact)) /
                       static_cast<float>(std::log(static_cast<double>(max_distance) / max_exact)) *
                       static_cast<float>(half - max_exact);
  return bucket + std::min(max_exact + static_cast<int>(scaled), half - 1);
}

void attention(const float* qkv, const PackedRows& rows, size_t heads, size_t hd, float* ctx,
               const DistanceTerms& bias, size_t kv_heads, float query_scale) {
  const size_t hidden = heads * hd;
  if (kv_heads == 0) kv_heads = heads;
  const size_t group = heads / kv_heads, kv_width = kv_heads * hd;
  const size_t stride = hidden + 2 * kv_width;
  auto k_col = [&](size_t head) { return hidden + (head / group) * hd; };
  auto v_col = [&](size_t head) { return hidden + kv_width + (head / group) * hd; };
  const float scale = query_scale > 0 ? query_scale : 1.0f / std::sqrt(static_cast<float>(hd));
  size_t max_len = 0;
  for (size_t b = 0; b < rows.texts(); ++b) max_len = std::max(max_len, rows.length(b));
  // The bias and the window depend on the distance alone: one row per head over distances -(max_len-1) .. max_len-1;
  // keys outside the window get -inf, which the softmax turns into a weight of at most e^-87 (exp_nonpositive's
  // floor), far below float32's resolution of the other weights.
  std::vector<float> rel_table;
  const size_t span = 2 * max_len - 1;
  const bool has_table = (bias.table || bias.window > 0 || bias.causal) && max_len > 0;
  if (has_table) {
    rel_table.assign(heads * span, 0.0f);
    for (size_t d = 0; d < span; ++d) {
      const int rel = static_cast<int>(d) - static_cast<int>(max_len - 1);
      const bool masked = (bias.window > 0 && static_cast<size_t>(std::abs(rel)) > bias.window) || (bias.causal && rel > 0);
      const int bucket = bias.table ? relative_position_bucket(rel, static_cast<int>(bias.buckets),
                                                               static_cast<int>(bias.max_distance))
                                    : 0;
      for (size_t head = 0; head < heads; ++head) {
        rel_table[head * span + d] = masked ? -INFINITY : bias.table ? bias.table[size_t(bucket) * heads + head] : 0.0f;
      }
    }
  }
  auto rel_of = [&](size_t head) { return has_table ? rel_table.data() + head * span + (max_len - 1) : nullptr; };
#if defined(__wasm_simd128__)
  // The WebAssembly path: attention_wasm.cpp (the loops below do not vectorise well there).
  parallel_for(rows.texts() * heads, [&](size_t w0, size_t w1) {
    for (size_t work = w0; work < w1; ++work) {
      const size_t b = work / heads, head = work % heads;
      const size_t off = rows.offsets[b];
      attention_head_wasm(qkv + off * stride, stride, rows.length(b), hd, head * hd, k_col(head), v_col(head), scale,
                          rel_of(head), ctx + off * hidden + head * hd, hidden);
    }
  });
  return;
#endif
  parallel_for(rows.texts() * heads, [&](size_t w0, size_t w1) {
    std::vector<float> kt(max_len * hd + 16), vv(max_len * hd), qs(4 * hd), scores(4 * max_len);
    for (size_t work = w0; work < w1; ++work) {
      const size_t b = work / heads, head = work % heads;
      const size_t off = rows.offsets[b];
      attention_head(qkv + off * stride, stride, rows.length(b), hd, head * hd, k_col(head), v_col(head), scale,
                     rel_of(head), kt.data(), vv.data(), qs.data(), scores.data(),
                     ctx + off * hidden + head * hd, hidden);
    }
  });
}

}  // namespace gpuembed::cpu
