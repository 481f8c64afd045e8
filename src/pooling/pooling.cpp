#include "pooling/pooling.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gpuembed {

void pool_tokens(const float* hidden, size_t length, size_t h, const std::vector<PoolingMode>& modes, float* out,
                 size_t skip) {
  const size_t first = std::min(skip, length);  // tokens [first, length) are pooled
  const size_t kept = length - first;
  for (PoolingMode mode : modes) {
    switch (mode) {
      case PoolingMode::kCls:
        // argmax over the mask: the first pooled token, or token 0 when none is left.
        std::copy(hidden + (kept ? first : 0) * h, hidden + (kept ? first + 1 : 1) * h, out);
        break;
      case PoolingMode::kMax:
        std::fill(out, out + h, -std::numeric_limits<float>::infinity());
        for (size_t t = first; t < length; ++t) {
          for (size_t i = 0; i < h; ++i) out[i] = std::max(out[i], hidden[t * h + i]);
        }
        break;
      case PoolingMode::kMean:
      case PoolingMode::kMeanSqrtLen: {
        // Summed in token order in float32, as torch.sum over the masked states does on CPU for small
        // lengths; the division matches sentence-transformers (clamped count, sqrt for the sqrt mode).
        std::fill(out, out + h, 0.0f);
        for (size_t t = first; t < length; ++t) {
          for (size_t i = 0; i < h; ++i) out[i] += hidden[t * h + i];
        }
        const float count = std::max(static_cast<float>(kept), 1e-9f);
        const float denom = mode == PoolingMode::kMean ? count : std::sqrt(count);
        for (size_t i = 0; i < h; ++i) out[i] /= denom;
        break;
      }
      case PoolingMode::kWeightedMean: {
        // Token t (0-based, counted from the start of the text with its prompt) weighs t + 1.
        std::fill(out, out + h, 0.0f);
        float weight_sum = 0.0f;
        for (size_t t = first; t < length; ++t) {
          const float w = static_cast<float>(t + 1);
          for (size_t i = 0; i < h; ++i) out[i] += hidden[t * h + i] * w;
          weight_sum += w;
        }
        const float denom = std::max(weight_sum, 1e-9f);
        for (size_t i = 0; i < h; ++i) out[i] /= denom;
        break;
      }
      case PoolingMode::kLastToken:
        if (kept) std::copy(hidden + (length - 1) * h, hidden + length * h, out);
        else std::fill(out, out + h, 0.0f);
        break;
    }
    out += h;
  }
}

void l2_normalize(float* x, size_t n) {
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float norm = std::max(static_cast<float>(std::sqrt(ss)), 1e-12f);
  for (size_t i = 0; i < n; ++i) x[i] /= norm;
}

}  // namespace gpuembed
