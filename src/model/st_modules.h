#pragma once
// What sentence-transformers adds around the encoder, read from the model folder: the prompts of
// config_sentence_transformers.json, and the modules after Pooling in modules.json (Dense, Normalize), plus the
// truncate_dim and normalize options of a load. Applied on the CPU to the pooled vectors of every backend: the
// Dense heads are small ([batch, dimension] in, [batch, out_features] out).
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/model_source.h"
#include "model/model_spec.h"

namespace gpuembed {

class Tokenizer;

enum class DenseActivation { kIdentity, kTanh, kReLU, kSigmoid, kGelu };

// sentence_transformers.models.Dense: y = activation(W x + b) (+ x, or + R x, with use_residual).
struct DenseModule {
  std::string path;  // e.g. "2_Dense", for messages
  size_t in_features = 0, out_features = 0;
  DenseActivation activation = DenseActivation::kTanh;
  std::vector<float> weight;    // [out, in]
  std::vector<float> bias;      // [out] or empty
  bool use_residual = false;
  std::vector<float> residual;  // [out, in] when use_residual and in != out
};

struct PromptChoice {
  std::string text;      // prepended to every text ("" for none)
  size_t pool_skip = 0;  // leading tokens left out of pooling (include_prompt false): [CLS] + the prompt's tokens
};

class SentenceModules {
 public:
  // Reads config_sentence_transformers.json and the Dense folders modules.json names. `normalize` and
  // `truncate_dim` are the load options (Options::normalize, Options::truncate_dim).
  static SentenceModules load(const ModelSource& source, const ModelSpec& spec, const std::string& modules_json,
                              int normalize, size_t truncate_dim);

  // The prompt of a call, resolved as SentenceTransformer.encode does: `prompt` (a literal text) wins, else the named
  // prompt (kInvalidInput naming the available ones when unknown), else default_prompt_name's, else none.
  PromptChoice choose_prompt(const std::optional<std::string>& prompt, const std::optional<std::string>& prompt_name,
                             const Tokenizer& tokenizer, size_t max_seq_length) const;

  // Whether a backend's own pooling (Backend::embed) gives this call's pooled vectors: every backend pools every
  // mode, so whenever no prompt tokens are left out. Otherwise pool_padded() pools Backend::hidden_states on the CPU.
  bool backend_pools(const PromptChoice& prompt) const;
  // hidden: [batch, seq, hidden] (right padding); lengths: tokens per row; pooled: [batch, pooled_dimension()].
  void pool_padded(const float* hidden, size_t batch, size_t seq, const int32_t* lengths, size_t skip,
                   float* pooled) const;
  // Dense / Normalize in modules.json order, truncate_dim, then the final normalization of normalize=1.
  // `normalized`: the rows are already L2-normalized (a backend ran the Normalize module, see backend_normalizes()).
  // out: [batch, dimension()] (may alias pooled when no Dense module changes the width).
  void finish(const float* pooled, size_t batch, bool normalized, float* out) const;

  // One forward pass's rows from what the backend gave: `out` is Backend::embed's [batch, pooled_dimension()] when
  // `pooled` (see backend_pools()), else Backend::hidden_states' [batch, seq, hidden]; `backend_normalized`: the
  // backend L2-normalized its pooled rows (ModelSpec::normalize). rows: [batch, dimension()].
  void rows_from_backend(const float* out, bool pooled, bool backend_normalized, size_t batch, size_t seq,
                         const int32_t* lengths, size_t skip, float* rows) const;

  // Whether the backend's own normalization can stand for every step after pooling (no Dense, no truncation): then
  // ModelSpec::normalize stays as modules.json says; otherwise the backend's is turned off and finish() normalizes.
  bool backend_normalizes() const { return dense_steps_ == 0 && truncate_dim_ == 0; }

  size_t pooled_dimension() const { return pooled_dim_; }
  size_t dimension() const { return truncate_dim_ ? truncate_dim_ : head_dim_; }
  size_t truncate_dim() const { return truncate_dim_; }
  bool normalizes() const;  // whether the output rows are unit length (no truncation after a Normalize module)
  const std::map<std::string, std::string>& prompts() const { return prompts_; }
  const std::string& default_prompt_name() const { return default_prompt_name_; }
  const std::vector<DenseModule>& dense() const { return dense_; }

 private:
  struct Step {
    bool normalize = false;  // else: Dense module `dense_index`
    size_t dense_index = 0;
  };
  std::map<std::string, std::string> prompts_;
  std::string default_prompt_name_;
  std::vector<PoolingMode> pooling_;
  bool include_prompt_ = true;
  size_t hidden_ = 0, pooled_dim_ = 0, head_dim_ = 0, truncate_dim_ = 0;
  std::vector<DenseModule> dense_;
  std::vector<Step> steps_;
  size_t dense_steps_ = 0;
  bool final_normalize_ = false;
};

const char* dense_activation_name(DenseActivation a);

}  // namespace gpuembed
