#include <cmath>
#include <mutex>

#include "api/model_loader.h"
#include "api/pipeline.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/linear.h"
#include "gpuembed/gpuembed.h"

namespace gpuembed {
namespace {

namespace fs = std::filesystem;

std::string join_pooling(const std::vector<PoolingMode>& modes) {
  std::string s;
  for (PoolingMode m : modes) s += (s.empty() ? "" : "+") + std::string(pooling_mode_name(m));
  return s;
}

void check_options(const Options& options) {
  if (options.backend != "cpu" && options.backend != "auto") {
    throw Error(ErrorCode::kBackendUnavailable, "backend '" + options.backend +
                                                    "' is not available in the native library (use 'cpu'; WebGPU runs "
                                                    "in the WASM build)");
  }
  if (options.threads < 0) throw Error(ErrorCode::kInvalidInput, "threads must be >= 0");
}

}  // namespace

struct Embedder::Impl {
  std::unique_ptr<Pipeline> pipeline;
  ModelInfo info;
  std::mutex mutex;  // the backend's buffers serve one request at a time
};

Embedder::Embedder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Embedder::Embedder(Embedder&&) noexcept = default;
Embedder& Embedder::operator=(Embedder&&) noexcept = default;
Embedder::~Embedder() = default;

Embedder Embedder::load(const fs::path& dir, const Options& options) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw Error(ErrorCode::kModelNotFound, dir.string() + ": model folder not found");
  if (!fs::is_directory(dir, ec)) throw Error(ErrorCode::kModelNotFound, dir.string() + ": not a folder");
  check_options(options);
  return from_model(load_model(*folder_source(dir), options), options, dir.string());
}

Embedder Embedder::load_from_memory(std::map<std::string, std::vector<uint8_t>> files, const Options& options,
                                    const std::string& origin) {
  check_options(options);
  // The weights are moved out of the map rather than copied: a model's bytes are held once.
  std::vector<uint8_t> bytes;
  const auto it = files.find("model.safetensors");
  const bool given = it != files.end();
  if (given) {
    bytes = std::move(it->second);
    files.erase(it);
  }
  const auto source = memory_source(std::move(files), origin);
  OpenWeights open;
  if (given) open = [&] { return SafeTensors::from_bytes(std::move(bytes), origin + "/model.safetensors"); };
  return from_model(load_model(*source, options, open), options, origin);
}

Embedder Embedder::from_model(LoadedModel&& model, const Options& options, const std::string& path) {
  auto backend = make_cpu_backend(model.spec, model.weights, options.precision, options.threads);

  auto impl = std::make_unique<Impl>();
  const ModelSpec& s = model.spec;
  impl->info.path = path;
  impl->info.hidden_size = s.config.hidden_size;
  impl->info.num_layers = s.config.num_hidden_layers;
  impl->info.num_heads = s.config.num_attention_heads;
  impl->info.intermediate_size = s.config.intermediate_size;
  impl->info.vocab_size = s.config.vocab_size;
  impl->info.max_seq_length = s.max_seq_length;
  impl->info.dimension = model.modules.dimension();
  impl->info.pooling = join_pooling(s.pooling);
  impl->info.normalize = model.modules.normalizes();
  impl->info.prompts = model.modules.prompts();
  impl->info.default_prompt_name = model.modules.default_prompt_name();
  for (const DenseModule& d : model.modules.dense()) {
    impl->info.dense.push_back(d.path + " " + std::to_string(d.in_features) + "->" + std::to_string(d.out_features) +
                               " " + dense_activation_name(d.activation));
  }
  impl->info.backend = backend->name();
  impl->info.precision = options.precision == Precision::kBFloat16 ? "bf16"
                          : options.precision == Precision::kInt8   ? "int8"
                                                                    : "fp32";
  impl->pipeline = std::make_unique<Pipeline>(std::move(model), std::move(backend), options.max_batch);
  return Embedder(std::move(impl));
}

std::vector<float> Embedder::embed(std::string_view text, const EmbedOptions& options) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->pipeline->embed({text}, {}, options);
}

std::vector<float> Embedder::embed_batch(const std::vector<std::string>& texts, const Progress& progress) {
  return embed_batch(texts, EmbedOptions{}, progress);
}

std::vector<float> Embedder::embed_batch(const std::vector<std::string>& texts, const EmbedOptions& options,
                                         const Progress& progress) {
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->pipeline->embed(views, progress, options);
}

std::vector<float> Embedder::token_embeddings(std::string_view text) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->pipeline->token_embeddings(text);
}

TokenizedText Embedder::tokenize(std::string_view text) const {
  Encoding e = impl_->pipeline->tokenize(text);
  return TokenizedText{std::move(e.ids), std::move(e.tokens)};
}

size_t Embedder::dimension() const { return impl_->info.dimension; }
const ModelInfo& Embedder::info() const { return impl_->info; }

float cosine_similarity(const float* a, const float* b, size_t n) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < n; ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  const double denom = std::sqrt(na) * std::sqrt(nb);
  return denom > 0 ? static_cast<float>(dot / denom) : 0.0f;
}

}  // namespace gpuembed
