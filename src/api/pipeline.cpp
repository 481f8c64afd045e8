#include "api/pipeline.h"

#include <algorithm>
#include <numeric>

namespace gpuembed {

LoadedModel assemble_model(const ModelFiles& files, Tokenizer tokenizer, std::shared_ptr<const SafeTensors> weights,
                           int normalize, size_t max_seq_length, const ModelSource* source, size_t truncate_dim) {
  LoadedModel m;
  m.spec = parse_model_spec(files);
  if (normalize >= 0) m.spec.normalize = normalize != 0;
  if (max_seq_length > 0) {
    if (max_seq_length < 2) throw Error(ErrorCode::kInvalidInput, "max_seq_length must be at least 2");
    m.spec.max_seq_length = std::min(max_seq_length, static_cast<size_t>(m.spec.config.max_position_embeddings));
  }
  if (tokenizer.vocab_size() > static_cast<size_t>(m.spec.config.vocab_size)) {
    throw Error(ErrorCode::kModelInvalid, files.origin + ": the tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                                              " tokens but config.json vocab_size is " +
                                              std::to_string(m.spec.config.vocab_size));
  }
  m.weights = bind_bert_weights(std::move(weights), m.spec.config);
  const auto none = memory_source({}, files.origin);
  m.modules = SentenceModules::load(source ? *source : *none, m.spec, files.modules_json, normalize, truncate_dim);
  if (!m.modules.backend_normalizes()) m.spec.normalize = false;  // the modules after pooling normalize
  m.tokenizer = std::make_shared<const Tokenizer>(std::move(tokenizer));
  return m;
}

Pipeline::Pipeline(LoadedModel model, std::unique_ptr<Backend> backend, size_t max_batch)
    : model_(std::move(model)), backend_(std::move(backend)), max_batch_(std::max<size_t>(max_batch, 1)) {}

std::vector<int32_t> Pipeline::encode_checked(std::string_view text) const {
  if (text.size() > kMaxTextBytes) {
    throw Error(ErrorCode::kInvalidInput, "text of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                              std::to_string(kMaxTextBytes) + " bytes");
  }
  return model_.tokenizer->encode_ids(text, model_.spec.max_seq_length);
}

PromptChoice Pipeline::choose_prompt(const EmbedOptions& options) const {
  return model_.modules.choose_prompt(options.prompt, options.prompt_name, *model_.tokenizer, model_.spec.max_seq_length);
}

std::vector<int32_t> Pipeline::encode_with_prompt(std::string_view text, const PromptChoice& prompt) const {
  if (prompt.text.empty()) return encode_checked(text);
  std::string with_prompt;
  with_prompt.reserve(prompt.text.size() + text.size());
  with_prompt.append(prompt.text).append(text);
  return encode_checked(with_prompt);
}

Encoding Pipeline::tokenize(std::string_view text) const {
  if (text.size() > kMaxTextBytes) encode_checked(text);  // throws the size error
  return model_.tokenizer->encode(text, model_.spec.max_seq_length);
}

std::vector<float> Pipeline::embed(const std::vector<std::string_view>& texts,
                                   const std::function<void(size_t, size_t)>& progress, const EmbedOptions& options) {
  if (texts.size() > kMaxBatchTexts) {
    throw Error(ErrorCode::kInvalidInput, std::to_string(texts.size()) + " texts exceed the limit of " +
                                              std::to_string(kMaxBatchTexts) + " per call");
  }
  const SentenceModules& modules = model_.modules;
  const PromptChoice prompt = choose_prompt(options);
  const bool backend_pools = modules.backend_pools(prompt);
  const size_t pooled_dim = model_.spec.dimension(), dim = modules.dimension();
  const size_t h = static_cast<size_t>(model_.spec.config.hidden_size);
  std::vector<std::vector<int32_t>> ids(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) ids[i] = encode_with_prompt(texts[i], prompt);

  // Longest first, so each forward pass holds texts of similar length and padding stays small.
  std::vector<size_t> order(texts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() > ids[b].size(); });

  std::vector<float> out(texts.size() * dim);
  std::vector<float> backend_out, rows;
  for (size_t start = 0; start < order.size(); start += max_batch_) {
    const size_t n = std::min(max_batch_, order.size() - start);
    TokenBatch batch;
    batch.batch = n;
    batch.seq = ids[order[start]].size();
    batch.ids.assign(n * batch.seq, model_.tokenizer->pad_id());
    for (size_t j = 0; j < n; ++j) {
      const auto& row = ids[order[start + j]];
      std::copy(row.begin(), row.end(), batch.ids.begin() + static_cast<ptrdiff_t>(j * batch.seq));
      batch.lengths.push_back(static_cast<int32_t>(row.size()));
    }
    const size_t width = backend_pools ? pooled_dim : batch.seq * h;
    backend_out.resize(n * width);
    if (backend_pools) backend_->embed(batch, backend_out.data());
    else backend_->hidden_states(batch, backend_out.data());
    rows.resize(n * dim);
    modules.rows_from_backend(backend_out.data(), backend_pools, model_.spec.normalize, n, batch.seq,
                              batch.lengths.data(), prompt.pool_skip, rows.data());
    for (size_t j = 0; j < n; ++j) {
      std::copy_n(rows.begin() + static_cast<ptrdiff_t>(j * dim), dim,
                  out.begin() + static_cast<ptrdiff_t>(order[start + j] * dim));
    }
    if (progress) progress(start + n, order.size());
  }
  return out;
}

std::vector<float> Pipeline::token_embeddings(std::string_view text) {
  TokenBatch batch;
  batch.ids = encode_checked(text);
  batch.batch = 1;
  batch.seq = batch.ids.size();
  batch.lengths = {static_cast<int32_t>(batch.seq)};
  std::vector<float> out(batch.seq * static_cast<size_t>(model_.spec.config.hidden_size));
  backend_->hidden_states(batch, out.data());
  return out;
}

}  // namespace gpuembed
