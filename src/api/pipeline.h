#pragma once
// The filesystem-free core shared by the native library and the WASM build: model files in memory →
// tokenizer + spec + weights → a backend, and the job driver around it (api/job.h: length buckets, splitting,
// out-of-memory halving, input order; CPU fallback when a device is lost).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/job.h"
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
  ModelWeights weights;
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

  // Synchronous use, on a backend that finishes inside submit() (the CPU): rows of dimension() floats in input
  // order; `progress` is called after each pass.
  std::vector<float> embed(const std::vector<std::string_view>& texts,
                           const std::function<void(size_t, size_t)>& progress = {}, const EmbedOptions& options = {});
  std::vector<float> token_embeddings(std::string_view text);  // [tokens, hidden]
  // The prompt of a call (kInvalidInput for an unknown name), and a text's token ids with it prepended, as embed()
  // uses them (for drivers that run the backend themselves, like the WebGPU job of the WASM build).
  PromptChoice choose_prompt(const EmbedOptions& options) const;
  std::vector<int32_t> encode_with_prompt(std::string_view text, const PromptChoice& prompt) const;
  Encoding tokenize(std::string_view text) const;
  // Token ids of one text, truncated to max_seq_length; kInvalidInput past kMaxTextBytes.
  std::vector<int32_t> encode_ids(std::string_view text) const;

  // Asynchronous use (WebGPU in WASM): a job of the texts, tokenized (with the call's prompt) when it begins
  // (Job::begin; late, behind the device, where api/job.h says), which the caller then steps on a backend of its own
  // (Job::step) while it awaits the device between steps. The texts' bytes must live as long as the job. The job's
  // result is embed()'s: [texts, dimension()] after the modules that follow pooling; its passes ask the backend for
  // hidden states when the CPU must pool (SentenceModules::backend_pools).
  Job start_job(const std::vector<std::string_view>& texts, const EmbedOptions& options = {}) const;
  // The last hidden state of one text ([tokens, hidden], token_embeddings()) as a job.
  Job start_hidden_job(std::string_view text) const;

  const ModelSpec& spec() const { return model_.spec; }
  const SentenceModules& modules() const { return model_.modules; }
  // Floats per text that embed() returns (after Dense modules and truncate_dim; spec().dimension() is the pooled width).
  size_t dimension() const { return model_.modules.dimension(); }
  const Tokenizer& tokenizer() const { return *model_.tokenizer; }
  const ModelWeights& weights() const { return model_.weights; }
  Backend& backend() { return *backend_; }
  size_t max_batch() const { return max_batch_; }
  // Swaps the backend; the model stays loaded.
  void set_backend(std::unique_ptr<Backend> backend);
  // When the backend reports a lost device (kDeviceLost), the pass is redone on the backend this makes (once),
  // and it stays the backend afterwards. Without it, kDeviceLost reaches the caller.
  void set_fallback(std::function<std::unique_ptr<Backend>()> make_fallback) { make_fallback_ = std::move(make_fallback); }

 private:
  void run(Job& job);
  JobShape job_shape(BatchOutput output) const;

  LoadedModel model_;
  std::unique_ptr<Backend> backend_;
  PassLimit limit_;
  std::function<std::unique_ptr<Backend>()> make_fallback_;
  size_t max_batch_;
};

}  // namespace gpuembed
