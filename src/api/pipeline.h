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
#include "model/model_spec.h"
#include "model/safetensors.h"
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
};

// `tokenizer` is built by the caller (from tokenizer.json or vocab.txt); `normalize` -1 keeps the
// model's setting.
LoadedModel assemble_model(const ModelFiles& files, Tokenizer tokenizer, std::shared_ptr<const SafeTensors> weights,
                           int normalize, size_t max_seq_length = 0);

class Pipeline {
 public:
  Pipeline(LoadedModel model, std::unique_ptr<Backend> backend, size_t max_batch);

  // Synchronous use, on a backend that finishes inside submit() (the CPU): rows of dimension() floats in input
  // order; `progress` is called after each pass.
  std::vector<float> embed(const std::vector<std::string_view>& texts,
                           const std::function<void(size_t, size_t)>& progress = {});
  std::vector<float> token_embeddings(std::string_view text);  // [tokens, hidden]
  Encoding tokenize(std::string_view text) const;
  // Token ids of one text, truncated to max_seq_length; kInvalidInput past kMaxTextBytes.
  std::vector<int32_t> encode_ids(std::string_view text) const;

  // Asynchronous use (WebGPU in WASM): the texts tokenized and checked into a job, which the caller then steps on
  // a backend of its own (Job::step) while it awaits the device between steps.
  Job start_job(const std::vector<std::string_view>& texts, BatchOutput output) const;

  const ModelSpec& spec() const { return model_.spec; }
  const Tokenizer& tokenizer() const { return *model_.tokenizer; }
  const BertWeights& weights() const { return model_.weights; }
  Backend& backend() { return *backend_; }
  size_t max_batch() const { return max_batch_; }
  // Swaps the backend; the model stays loaded.
  void set_backend(std::unique_ptr<Backend> backend);
  // When the backend reports a lost device (kDeviceLost), the pass is redone on the backend this makes (once),
  // and it stays the backend afterwards. Without it, kDeviceLost reaches the caller.
  void set_fallback(std::function<std::unique_ptr<Backend>()> make_fallback) { make_fallback_ = std::move(make_fallback); }

 private:
  void run(Job& job);

  LoadedModel model_;
  std::unique_ptr<Backend> backend_;
  PassLimit limit_;
  std::function<std::unique_ptr<Backend>()> make_fallback_;
  size_t max_batch_;
};

}  // namespace gpuembed
