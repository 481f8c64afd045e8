#pragma once
// The filesystem-free core shared by the native library and the WASM build: model files in memory →
// tokenizer + spec + weights → a backend, and the batching around it (length buckets, input order).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "gpuembed/gpuembed.h"
#include "model/model_source.h"
#include "model/model_spec.h"
#include "model/safetensors.h"
#include "model/st_modules.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace gpuembed {

// Hard limits that keep a request's memory bounded; documented in the README.
constexpr size_t kMaxTextBytes = 64u << 20;   // longer texts are rejected (tokenizing reads them whole)
constexpr size_t kMaxBatchTexts = 1u << 20;   // texts per embed_batch call

struct LoadedModel {
  ModelSpec spec;
  std::shared_ptr<const Tokenizer> tokenizer;
  BertWeights weights;
  SentenceModules modules;  // prompts and what follows pooling (Dense, Normalize, truncate_dim)
};

// `tokenizer` is built by the caller (from tokenizer.json or vocab.txt); `normalize` -1 keeps the
// model's setting. `source` gives config_sentence_transformers.json and the Dense modules' folders (none: no prompts
// but the defaults, and a Dense module in modules.json is reported missing).
LoadedModel assemble_model(const ModelFiles& files, Tokenizer tokenizer, std::shared_ptr<const SafeTensors> weights,
                           int normalize, size_t max_seq_length = 0, const ModelSource* source = nullptr,
                           size_t truncate_dim = 0);

class Pipeline {
 public:
  Pipeline(LoadedModel model, std::unique_ptr<Backend> backend, size_t max_batch);

  // rows of dimension() floats in input order. Texts are tokenized, sorted into length buckets of at most
  // max_batch texts, run, and put back in order; `progress` is called after each forward pass.
  std::vector<float> embed(const std::vector<std::string_view>& texts,
                           const std::function<void(size_t, size_t)>& progress = {}, const EmbedOptions& options = {});
  std::vector<float> token_embeddings(std::string_view text);  // [tokens, hidden]
  // The prompt of a call (kInvalidInput for an unknown name), and a text's token ids with it prepended, as embed()
  // uses them (for drivers that run the backend themselves, like the WebGPU job of the WASM build).
  PromptChoice choose_prompt(const EmbedOptions& options) const;
  std::vector<int32_t> encode_with_prompt(std::string_view text, const PromptChoice& prompt) const;
  Encoding tokenize(std::string_view text) const;

  const ModelSpec& spec() const { return model_.spec; }
  const SentenceModules& modules() const { return model_.modules; }
  // Floats per text that embed() returns (after Dense modules and truncate_dim; spec().dimension() is the pooled width).
  size_t dimension() const { return model_.modules.dimension(); }
  const Tokenizer& tokenizer() const { return *model_.tokenizer; }
  Backend& backend() { return *backend_; }
  // Swaps the backend (e.g. to the CPU after a lost GPU device); the model stays loaded.
  void set_backend(std::unique_ptr<Backend> backend) { backend_ = std::move(backend); }
  const BertWeights& weights() const { return model_.weights; }

 private:
  std::vector<int32_t> encode_checked(std::string_view text) const;

  LoadedModel model_;
  std::unique_ptr<Backend> backend_;
  size_t max_batch_;
};

}  // namespace gpuembed
