#pragma once
// gpuembed: sentence embeddings from sentence-transformers models (BERT, XLM-R, MPNet, NomicBERT, ModernBERT, Qwen3, Gemma3).
//
//   auto e = gpuembed::Embedder::load("models/all-MiniLM-L6-v2");   // a Hugging Face folder as it is
//   std::vector<float> v = e.embed("The quick brown fox");           // e.dimension() floats
//
// Errors are thrown as gpuembed::Error (see error.h) with a message naming the file and the problem.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gpuembed/error.h"

namespace gpuembed {

enum class Precision {
  kFloat32,  // exact float32 arithmetic (the default)
  kBFloat16, // matmuls in bfloat16 with float32 accumulation where the CPU has native support
  kInt8,     // matmuls in int8 (weights per output channel, activations per row, int32 accumulation); native CPU
};

struct Options {
  std::string backend = "cpu";   // "cpu" natively
  int threads = 0;               // 0: all cores
  Precision precision = Precision::kFloat32;
  size_t max_batch = 32;         // texts per forward pass (texts are bucketed by length first)
  int normalize = -1;            // -1: as the model's modules.json says; 0: never; 1: always L2-normalize
  size_t max_seq_length = 0;     // 0: sentence_bert_config.json's; else tokens per text (capped by the model's positions)
  size_t truncate_dim = 0;       // 0: the full dimension; else the first truncate_dim values (Matryoshka), cut after
                                 // the model's modules as sentence-transformers does (normalize = 1: unit length after)
};

// Per call, as SentenceTransformer.encode's prompt / prompt_name: the prompt text is prepended to every text.
struct EmbedOptions {
  std::optional<std::string> prompt_name;  // a key of config_sentence_transformers.json's prompts (an unknown name is
                                           // kInvalidInput); unset: the model's default_prompt_name, if any
  std::optional<std::string> prompt;       // a literal prompt instead of a named one ("" for none, even with a default)
};

struct ModelInfo {
  std::string path;
  int hidden_size = 0, num_layers = 0, num_heads = 0, intermediate_size = 0, vocab_size = 0;
  size_t max_seq_length = 0;
  size_t dimension = 0;
  std::string pooling;           // e.g. "mean" or "cls" ("cls+mean" when several are enabled)
  bool normalize = false;
  std::string backend;           // what actually runs, e.g. "cpu-avx512"
  std::string precision;         // "fp32", "bf16" or "int8"
  std::map<std::string, std::string> prompts;  // name -> text (config_sentence_transformers.json; "query" and
                                               // "document" always, empty unless the model sets them)
  std::string default_prompt_name;             // "" when none
  std::vector<std::string> dense;              // the Dense modules after pooling, e.g. "2_Dense 768->3072 identity"
};

struct TokenizedText {
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
};

struct LoadedModel;  // a model's tokenizer, spec and weights (internal)

// Called after each forward pass with (texts done, texts total).
using Progress = std::function<void(size_t done, size_t total)>;

class Embedder {
 public:
  static Embedder load(const std::filesystem::path& model_dir, const Options& options = {});
  // The same from files already in memory: paths as in the folder ("config.json", "1_Pooling/config.json",
  // "tokenizer.json", "model.safetensors", ...) -> bytes. `origin` names the model in error messages.
  static Embedder load_from_memory(std::map<std::string, std::vector<uint8_t>> files, const Options& options = {},
                                   const std::string& origin = "memory");

  std::vector<float> embed(std::string_view text, const EmbedOptions& options = {});
  // Returns texts.size() * dimension() floats, row i for texts[i].
  std::vector<float> embed_batch(const std::vector<std::string>& texts, const Progress& progress = {});
  std::vector<float> embed_batch(const std::vector<std::string>& texts, const EmbedOptions& options,
                                 const Progress& progress = {});
  // The transformer's last hidden state for one text: [tokens, hidden_size].
  std::vector<float> token_embeddings(std::string_view text);
  TokenizedText tokenize(std::string_view text) const;

  size_t dimension() const;
  const ModelInfo& info() const;

  Embedder(Embedder&&) noexcept;
  Embedder& operator=(Embedder&&) noexcept;
  ~Embedder();

 private:
  struct Impl;
  explicit Embedder(std::unique_ptr<Impl> impl);
  static Embedder from_model(LoadedModel&& model, const Options& options, const std::string& path);
  std::unique_ptr<Impl> impl_;
};

// Cosine similarity of two equal-length vectors.
float cosine_similarity(const float* a, const float* b, size_t n);

}  // namespace gpuembed
