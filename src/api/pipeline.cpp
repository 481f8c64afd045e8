#include "api/pipeline.h"

#include <algorithm>

namespace gpuembed {

LoadedModel assemble_model(const ModelFiles& files, Tokenizer tokenizer, std::shared_ptr<const SafeTensors> weights,
                           int normalize, size_t max_seq_length, const ModelSource* source, size_t truncate_dim) {
  LoadedModel m;
  m.spec = parse_model_spec(files);
  if (normalize >= 0) m.spec.normalize = normalize != 0;
  if (max_seq_length > 0) {
    if (max_seq_length < 2) throw Error(ErrorCode::kInvalidInput, "max_seq_length must be at least 2");
    m.spec.max_seq_length = std::min(max_seq_length, static_cast<size_t>(m.spec.config.max_positions()));
  }
  if (tokenizer.vocab_size() > static_cast<size_t>(m.spec.config.vocab_size)) {
    throw Error(ErrorCode::kModelInvalid, files.origin + ": the tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                                              " tokens but config.json vocab_size is " +
                                              std::to_string(m.spec.config.vocab_size));
  }
  m.weights = bind_model_weights(std::move(weights), m.spec.config);
  const auto none = memory_source({}, files.origin);
  m.modules = SentenceModules::load(source ? *source : *none, m.spec, files.modules_json, normalize, truncate_dim);
  if (!m.modules.backend_normalizes()) m.spec.normalize = false;  // the modules after pooling normalize
  m.tokenizer = std::make_shared<const Tokenizer>(std::move(tokenizer));
  return m;
}

Pipeline::Pipeline(LoadedModel model, std::unique_ptr<Backend> backend, size_t max_batch)
    : model_(std::move(model)), backend_(std::move(backend)), max_batch_(std::max<size_t>(max_batch, 1)) {}

std::vector<int32_t> Pipeline::encode_ids(std::string_view text) const {
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
  if (prompt.text.empty()) return encode_ids(text);
  std::string with_prompt;
  with_prompt.reserve(prompt.text.size() + text.size());
  with_prompt.append(prompt.text).append(text);
  return encode_ids(with_prompt);
}

Encoding Pipeline::tokenize(std::string_view text) const {
  if (text.size() > kMaxTextBytes) encode_ids(text);  // throws the size error
  return model_.tokenizer->encode(text, model_.spec.max_seq_length);
}

JobShape Pipeline::job_shape(BatchOutput output) const {
  JobShape shape;
  shape.output = output;
  shape.dimension = model_.spec.dimension();
  shape.hidden = static_cast<size_t>(model_.spec.config.hidden_size);
  // A decoder's tokenizer may have no padding token (Qwen3's): any id in the vocabulary does, since no backend reads
  // a padded position (packed rows on the CPU, masked keys on WebGPU).
  shape.pad_id = std::max(model_.tokenizer->pad_id(), 0);
  shape.max_batch = max_batch_;
  return shape;
}

namespace {

// A text's ids as embed() has them: the call's prompt first.
struct PromptedText final : TextEncoder {
  PromptedText(const Pipeline& p, PromptChoice c) : pipeline(p), prompt(std::move(c)) {}
  std::vector<int32_t> encode(std::string_view text) const override { return pipeline.encode_with_prompt(text, prompt); }
  const Pipeline& pipeline;
  PromptChoice prompt;
};

}  // namespace

static void check_batch_size(size_t texts) {
  if (texts > kMaxBatchTexts) {
    throw Error(ErrorCode::kInvalidInput, std::to_string(texts) + " texts exceed the limit of " +
                                              std::to_string(kMaxBatchTexts) + " per call");
  }
}

Job Pipeline::start_job(const std::vector<std::string_view>& texts, const EmbedOptions& options) const {
  check_batch_size(texts.size());
  const PromptChoice prompt = choose_prompt(options);
  // Late tokenizing (api/job.h) unless an error of tokenizing can be seen coming: a text over kMaxTextBytes, or a
  // tokenizer that adds no special tokens (an empty text then has none). Tokenizing every text first, the job then
  // fails before any pass runs, as it always did; the tokenizer's own errors on a text (an unknown character where
  // the vocabulary has no unk) come late.
  const bool late = model_.tokenizer->num_special_tokens() > 0 &&
                    std::none_of(texts.begin(), texts.end(), [](std::string_view t) { return t.size() > kMaxTextBytes; });
  // Pooling modes beyond the backend's, or prompt tokens left out of pooling: the backend gives the hidden states
  // and the CPU pools them; either way the modules after pooling (Dense, Normalize, truncate_dim) run on each pass.
  const bool backend_pools = model_.modules.backend_pools(prompt);
  JobShape shape = job_shape(backend_pools ? BatchOutput::kEmbeddings : BatchOutput::kHiddenStates);
  shape.rows_floats = model_.modules.dimension();
  shape.rows = [modules = &model_.modules, backend_pools, backend_normalized = model_.spec.normalize,
                skip = prompt.pool_skip](const float* out, size_t n, size_t seq, const int32_t* lengths, float* rows) {
    modules->rows_from_backend(out, backend_pools, backend_normalized, n, seq, lengths, skip, rows);
  };
  return Job(texts, std::make_unique<PromptedText>(*this, prompt), shape, late);
}

Job Pipeline::start_hidden_job(std::string_view text) const {
  return Job({encode_ids(text)}, job_shape(BatchOutput::kHiddenStates));
}

void Pipeline::set_backend(std::unique_ptr<Backend> backend) {
  backend_ = std::move(backend);
  limit_ = PassLimit{};
}

void Pipeline::run(Job& job) {
  while (true) {
    try {
      if (job.step(*backend_, limit_)) return;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kDeviceLost || !make_fallback_) throw;
      job.abandon_pass();
      set_backend(make_fallback_());
      make_fallback_ = nullptr;
      continue;
    }
    // A pass is still on the device: only an asynchronous caller (start_job) can wait for it.
    throw Error(ErrorCode::kInternal, "backend " + backend_->name() + " does not finish inside submit(); use start_job()");
  }
}

std::vector<float> Pipeline::embed(const std::vector<std::string_view>& texts,
                                   const std::function<void(size_t, size_t)>& progress, const EmbedOptions& options) {
  Job job = start_job(texts, options);
  job.on_progress = progress;
  run(job);
  return job.take_result();
}

std::vector<float> Pipeline::token_embeddings(std::string_view text) {
  Job job = start_hidden_job(text);
  run(job);
  return job.take_result();
}

}  // namespace gpuembed
