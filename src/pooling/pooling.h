#pragma once
// Sentence-transformers' Pooling and Normalize modules over one text's token states.
#include <cstddef>
#include <vector>

#include "model/model_spec.h"

namespace gpuembed {

// hidden: [length, hidden] token states of one text (padding excluded); out: modes.size() * hidden
// values, the enabled modes concatenated in ModelSpec order.
void pool_tokens(const float* hidden, size_t length, size_t hidden_size, const std::vector<PoolingMode>& modes,
                 float* out);
// x / max(‖x‖₂, 1e-12), as torch.nn.functional.normalize.
void l2_normalize(float* x, size_t n);

}  // namespace gpuembed
