#include "pooling/pooling.h"

#include <algorithm>
#include <cmath>

namespace gpuembed {

void pool_tokens(const float* hidden, size_t length, size_t h, const std::vector<PoolingMode>& modes, float* out) {
  for (PoolingMode mode : modes) {
    switch (mode) {
      case PoolingMode::kCls:
        std::copy(hidden, hidden + h, out);
        break;
      case PoolingMode::kMax:
        std::copy(hidden, hidden + h, out);
        for (size_t t = 1; t < length; ++t) {
          for (size_t i = 0; i < h; ++i) out[i] = std::max(out[i], hidden[t * h + i]);
        }
        break;
      case PoolingMode::kMean:
      case PoolingMode::kMeanSqrtLen: {
        // Summed in token order in float32, as torch.sum over the masked states does on CPU for small
        // lengths; the division matches sentence-transformers (clamped count, sqrt for the sqrt mode).
        std::fill(out, out + h, 0.0f);
        for (size_t t = 0; t < length; ++t) {
          for (size_t i = 0; i < h; ++i) out[i] += hidden[t * h + i];
        }
        const float denom = mode == PoolingMode::kMean ? static_cast<float>(std::max<size_t>(length, 1))
                                                       : std::sqrt(static_cast<float>(std::max<size_t>(length, 1)));
        for (size_t i = 0; i < h; ++i) out[i] /= denom;
        break;
      }
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
