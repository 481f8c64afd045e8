#include "backend/cpu/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cpu/parallel.h"

// Hot loops are compiled for several ISAs; the loader picks one by cpuid (GCC ifunc), so the same
// binary runs AVX-512 code where the CPU has it and AVX2 / SSE2 elsewhere.
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && defined(__GNUC__) && \
    !defined(__clang__)
#define GPUEMBED_MULTIVERSION __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define GPUEMBED_MULTIVERSION
#endif

namespace gpuembed::cpu {
namespace {

// exp(x) for x <= 0 (softmax after subtracting the max), written with plain arithmetic so that the
// loops around it vectorise. Cody–Waite range reduction and a degree-6 polynomial: ≤ 2 ulp.
inline float exp_nonpositive(float x) {
  x = std::max(x, -87.0f);
  const float n = std::nearbyint(x * 1.44269504088896341f);
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

GPUEMBED_MULTIVERSION
void layer_norm_row(float* x, size_t h, const float* gamma, const float* beta, float eps) {
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

// One head of one text: a block of up to 4 query rows at a time, so each K/V row loaded serves 4 rows.
GPUEMBED_MULTIVERSION
void attention_head(const float* qkv, size_t stride, size_t len, size_t hd, size_t q_col, size_t k_col,
                    size_t v_col, float scale, float* kt, float* vv, float* scores, float* ctx, size_t ctx_stride) {
  for (size_t j = 0; j < len; ++j) {
    const float* krow = qkv + j * stride + k_col;
    const float* vrow = qkv + j * stride + v_col;
    for (size_t c = 0; c < hd; ++c) kt[c * len + j] = krow[c];
    std::memcpy(vv + j * hd, vrow, hd * sizeof(float));
  }
  constexpr size_t kBlock = 4;
  for (size_t i0 = 0; i0 < len; i0 += kBlock) {
    const size_t nb = std::min(kBlock, len - i0);
    for (size_t r = 0; r < nb; ++r) {
      float* s = scores + r * len;
      std::fill(s, s + len, 0.0f);
      const float* q = qkv + (i0 + r) * stride + q_col;
      for (size_t c = 0; c < hd; ++c) {
        const float qc = q[c] * scale;
        const float* k = kt + c * len;
        for (size_t j = 0; j < len; ++j) s[j] += qc * k[j];
      }
      float mx = s[0];
      for (size_t j = 1; j < len; ++j) mx = std::max(mx, s[j]);
      float sum = 0.0f;
      for (size_t j = 0; j < len; ++j) {
        s[j] = exp_nonpositive(s[j] - mx);
        sum += s[j];
      }
      const float inv = 1.0f / sum;
      for (size_t j = 0; j < len; ++j) s[j] *= inv;
    }
    for (size_t r = 0; r < nb; ++r) {
      float* out = ctx + (i0 + r) * ctx_stride;
      std::fill(out, out + hd, 0.0f);
      const float* s = scores + r * len;
      for (size_t j = 0; j < len; ++j) {
        const float p = s[j];
        const float* v = vv + j * hd;
        for (size_t c = 0; c < hd; ++c) out[c] += p * v[c];
      }
    }
  }
}

}  // namespace

void embed_tokens(const BertWeights& w, const int32_t* ids, const PackedRows& rows, size_t h, float eps, float* x) {
  const float* type0 = w.token_type_embeddings.data;
  parallel_for(rows.texts(), [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      for (size_t t = 0; t < rows.length(b); ++t) {
        const size_t r = rows.offsets[b] + t;
        const float* word = w.word_embeddings.data + static_cast<size_t>(ids[r]) * h;
        const float* pos = w.position_embeddings.data + t * h;
        float* out = x + r * h;
        for (size_t i = 0; i < h; ++i) out[i] = word[i] + pos[i] + type0[i];
        layer_norm_row(out, h, w.emb_ln_w.data, w.emb_ln_b.data, eps);
      }
    }
  });
}

void add_layer_norm(float* x, const float* delta, size_t n, size_t h, const float* gamma, const float* beta,
                    float eps) {
  parallel_for(n, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      float* row = x + r * h;
      const float* d = delta + r * h;
      for (size_t i = 0; i < h; ++i) row[i] = d[i] + row[i];
      layer_norm_row(row, h, gamma, beta, eps);
    }
  });
}

void attention(const float* qkv, const PackedRows& rows, size_t heads, size_t hd, float* ctx) {
  const size_t hidden = heads * hd;
  const size_t stride = 3 * hidden;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  size_t max_len = 0;
  for (size_t b = 0; b < rows.texts(); ++b) max_len = std::max(max_len, rows.length(b));
  parallel_for(rows.texts() * heads, [&](size_t w0, size_t w1) {
    std::vector<float> kt(max_len * hd), vv(max_len * hd), scores(4 * max_len);
    for (size_t work = w0; work < w1; ++work) {
      const size_t b = work / heads, head = work % heads;
      const size_t off = rows.offsets[b];
      attention_head(qkv + off * stride, stride, rows.length(b), hd, head * hd, hidden + head * hd,
                     2 * hidden + head * hd, scale, kt.data(), vv.data(), scores.data(), ctx + off * hidden + head * hd,
                     hidden);
    }
  });
}

}  // namespace gpuembed::cpu
