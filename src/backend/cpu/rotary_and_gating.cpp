#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/ops.h"
#include "backend/cpu/parallel.h"

namespace gpuembed::cpu {

void rotary(float* qkv, const PackedRows& rows, size_t heads, size_t head_dim, size_t rotary_dim, float base,
            size_t kv_heads) {
  if (kv_heads == 0) kv_heads = heads;
  const size_t half = rotary_dim / 2, stride = (heads + 2 * kv_heads) * head_dim;
  size_t max_len = 0;
  for (size_t b = 0; b < rows.texts(); ++b) max_len = std::max(max_len, rows.length(b));
  // The angles in float32 as the reference computes them (inverse frequencies, then position x frequency), so that
  // long texts turn by the same angles rather than by more exact ones.
  std::vector<float> inv_freq(half), cos_t(max_len * half), sin_t(max_len * half);
  for (size_t i = 0; i < half; ++i) {
    inv_freq[i] = 1.0f / std::pow(base, static_cast<float>(2 * i) / static_cast<float>(rotary_dim));
  }
  for (size_t t = 0; t < max_len; ++t) {
    for (size_t i = 0; i < half; ++i) {
      const float angle = static_cast<float>(t) * inv_freq[i];
      cos_t[t * half + i] = std::cos(angle);
      sin_t[t * half + i] = std::sin(angle);
    }
  }
  parallel_for(rows.rows(), [&](size_t r0, size_t r1) {
    size_t b = 0;
    for (size_t r = r0; r < r1; ++r) {
      while (rows.offsets[b + 1] <= r) ++b;
      const size_t t = r - rows.offsets[b];
      const float* c = cos_t.data() + t * half;
      const float* s = sin_t.data() + t * half;
      for (size_t h = 0; h < heads + kv_heads; ++h) {  // the query heads, then the key heads
        float* x = qkv + r * stride + h * head_dim;
        for (size_t i = 0; i < half; ++i) {
          const float x1 = x[i], x2 = x[i + half];
          x[i] = x1 * c[i] - x2 * s[i];
          x[i + half] = x2 * c[i] + x1 * s[i];
        }
      }
    }
  });
}

namespace {

// Gated feed-forward rows [gate | value] (2 x width) -> act(gate) * value (width), row by row on the pool.
template <class Activation>
void gated_rows(const float* in, size_t rows, size_t width, float* out, Activation act) {
  parallel_for(rows, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const float* gate = in + r * 2 * width;
      const float* value = gate + width;
      float* y = out + r * width;
      for (size_t i = 0; i < width; ++i) y[i] = act(gate[i], value[i]);
    }
  });
}

}  // namespace

void gated_activation_silu(const float* in, size_t rows, size_t width, float* out) {
  gated_rows(in, rows, width, out, [](float g, float v) { return v * (g / (1.0f + std::exp(-g))); });
}

void gated_activation_gelu(const float* in, size_t rows, size_t width, float* out) {
  gated_rows(in, rows, width, out,
             [](float a, float b) { return 0.5f * a * (1.0f + std::erf(a * 0.70710678118654752f)) * b; });
}

void gated_activation_gelu_tanh(const float* in, size_t rows, size_t width, float* out) {
  gated_rows(in, rows, width, out, [](float a, float b) {
    const float u = 0.7978845608028654f * (a + 0.044715f * a * a * a);
    return 0.5f * a * (1.0f + std::tanh(u)) * b;
  });
}

void rms_norm(float* x, size_t rows, size_t stride, size_t first, size_t width, size_t groups, const float* gamma,
              float eps, bool unit_offset) {
  parallel_for(rows, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      for (size_t g = 0; g < groups; ++g) {
        float* v = x + r * stride + first + g * width;
        float sum = 0.0f;
        for (size_t i = 0; i < width; ++i) sum += v[i] * v[i];
        const float inv = 1.0f / std::sqrt(sum / static_cast<float>(width) + eps);
        if (unit_offset) {
          for (size_t i = 0; i < width; ++i) v[i] = (v[i] * inv) * (1.0f + gamma[i]);
        } else {
          for (size_t i = 0; i < width; ++i) v[i] = gamma[i] * (v[i] * inv);
        }
      }
    }
  });
}

void add_rows(float* x, const float* delta, size_t rows, size_t width) {
  parallel_for(rows, [&](size_t r0, size_t r1) {
    for (size_t i = r0 * width; i < r1 * width; ++i) x[i] += delta[i];
  });
}

}  // namespace gpuembed::cpu
