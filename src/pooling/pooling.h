#pragma once
// Sentence-transformers' Pooling and Normalize modules over one text's token states.
#include <cstddef>
#include <vector>

#include "model/model_spec.h"

namespace gpuembed {

// hidden: [length, hidden] token states of one text (padding excluded); out: modes.size() * hidden
// values, the enabled modes concatenated in ModelSpec order. The first `skip` tokens (a prompt with the Pooling
// config's include_prompt false) are masked out as sentence-transformers 6 masks them: CLS then takes the first
// token after the prompt, weightedmean keeps the weights of the tokens' positions in the whole text, and a text with
// no token left pools to zeros (max: -inf, as torch's masked max gives).
void pool_tokens(const float* hidden, size_t length, size_t hidden_size, const std::vector<PoolingMode>& modes,
                 float* out, size_t skip = 0);
// x / max(‖x‖₂, 1e-12), as torch.nn.functional.normalize.
void l2_normalize(float* x, size_t n);

}  // namespace gpuembed
