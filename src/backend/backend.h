#pragma once
// One interface for every device (ggml-style): a backend owns its copy of the weights in the form its
// kernels want, and runs the whole encoder on a right-padded batch of token ids.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/model_spec.h"
#include "model/weights.h"

namespace gpuembed {

struct TokenBatch {
  size_t batch = 0;
  size_t seq = 0;                // padded length: the longest row
  std::vector<int32_t> ids;      // [batch * seq], padding = pad id
  std::vector<int32_t> lengths;  // real tokens per row; attention mask is 1 for positions < length
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Last hidden state [batch, seq, hidden]; rows past a text's length are unspecified.
  virtual void hidden_states(const TokenBatch& batch, float* out) = 0;
  // Pooled per ModelSpec::pooling and L2-normalized when ModelSpec::normalize: [batch, dimension].
  virtual void embed(const TokenBatch& batch, float* out) = 0;
};

}  // namespace gpuembed
