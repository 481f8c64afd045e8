#include "model/st_modules.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "gpuembed/error.h"
#include "model/json_text.h"
#include "model/model_invalid.h"
#include "model/torch_state_dict.h"
#include "pooling/pooling.h"
#include "tokenizer/tokenizer.h"

namespace gpuembed {
namespace {

using nlohmann::json;

// The names sentence-transformers writes with fullname(); torch's short re-exports are accepted too.
DenseActivation parse_activation(const std::string& name, const std::string& origin) {
  const std::pair<const char*, DenseActivation> kNames[] = {
      {"torch.nn.modules.linear.Identity", DenseActivation::kIdentity},
      {"torch.nn.modules.activation.Tanh", DenseActivation::kTanh},
      {"torch.nn.modules.activation.ReLU", DenseActivation::kReLU},
      {"torch.nn.modules.activation.Sigmoid", DenseActivation::kSigmoid},
      {"torch.nn.modules.activation.GELU", DenseActivation::kGelu},
      {"torch.nn.Identity", DenseActivation::kIdentity},
      {"torch.nn.Tanh", DenseActivation::kTanh},
      {"torch.nn.ReLU", DenseActivation::kReLU},
      {"torch.nn.Sigmoid", DenseActivation::kSigmoid},
      {"torch.nn.GELU", DenseActivation::kGelu}};
  for (const auto& [n, a] : kNames) {
    if (name == n) return a;
  }
  invalid(origin, "activation_function '" + name +
                      "' is not supported (Identity, Tanh, ReLU, Sigmoid, GELU from torch.nn.modules are)");
}

size_t positive(const json& j, const char* key, const std::string& origin) {
  if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<int64_t>() <= 0 || j[key].get<int64_t>() > (1 << 20)) {
    invalid(origin, std::string("field '") + key + "' must be a positive integer");
  }
  return static_cast<size_t>(j[key].get<int64_t>());
}

// expected_in: the width that reaches the module (the pooled vector, or the previous Dense module's output).
DenseModule load_dense(const ModelSource& src, const std::string& dir, size_t expected_in) {
  const std::string prefix = dir.empty() ? "" : dir + "/";
  const std::string cfg_origin = src.origin() + "/" + prefix + "config.json";
  const std::string text = src.read_text(prefix + "config.json");
  if (text.empty()) throw Error(ErrorCode::kModelNotFound, cfg_origin + ": missing (the Dense module's config)");
  const json c = parse_json(text, cfg_origin);
  if (!c.is_object()) invalid(cfg_origin, "expected a JSON object");
  DenseModule d;
  d.path = dir;
  d.in_features = positive(c, "in_features", cfg_origin);
  d.out_features = positive(c, "out_features", cfg_origin);
  if (d.in_features != expected_in) {
    invalid(cfg_origin, "in_features " + std::to_string(d.in_features) + " does not match the " +
                            std::to_string(expected_in) + " values that reach it");
  }
  bool bias = true;
  if (c.contains("bias")) {
    if (!c["bias"].is_boolean()) invalid(cfg_origin, "'bias' must be true or false");
    bias = c["bias"].get<bool>();
  }
  if (c.contains("use_residual")) {
    if (!c["use_residual"].is_boolean()) invalid(cfg_origin, "'use_residual' must be true or false");
    d.use_residual = c["use_residual"].get<bool>();
  }
  // Dense's default activation is Tanh; a config written by sentence-transformers always names it.
  if (c.contains("activation_function") && !c["activation_function"].is_null()) {
    if (!c["activation_function"].is_string()) invalid(cfg_origin, "'activation_function' must be a string");
    d.activation = parse_activation(c["activation_function"].get<std::string>(), cfg_origin);
  }
  for (const char* key : {"module_input_name", "module_output_name"}) {
    if (c.contains(key) && !c[key].is_null() && c[key] != "sentence_embedding") {
      invalid(cfg_origin, std::string("'") + key + "' other than \"sentence_embedding\" is not supported");
    }
  }
  // model.safetensors, or else the pytorch_model.bin older sentence-transformers versions saved.
  std::map<std::string, std::vector<float>> tensors;
  std::map<std::string, std::vector<int64_t>> shapes;
  std::string weights_origin = src.origin() + "/" + prefix + "model.safetensors";
  if (auto st = src.open_safetensors(prefix + "model.safetensors")) {
    for (const auto& [name, info] : st->tensors()) {
      const TensorView v = st->f32(name);
      tensors[name].assign(v.data, v.data + v.numel());
      shapes[name] = v.shape;
    }
  } else if (src.exists(prefix + "pytorch_model.bin")) {
    weights_origin = src.origin() + "/" + prefix + "pytorch_model.bin";
    for (auto& [name, t] : read_torch_state_dict(src.read_binary(prefix + "pytorch_model.bin"), weights_origin)) {
      tensors[name] = std::move(t.data);
      shapes[name] = t.shape;
    }
  } else {
    throw Error(ErrorCode::kModelNotFound, weights_origin + ": missing (nor is there a pytorch_model.bin)");
  }
  auto take = [&](const std::string& name, std::vector<int64_t> shape) {
    if (!tensors.count(name)) invalid(weights_origin, "tensor '" + name + "' is missing");
    if (shapes[name] != shape) {
      std::string want, got;
      for (auto x : shape) want += (want.empty() ? "" : ", ") + std::to_string(x);
      for (auto x : shapes[name]) got += (got.empty() ? "" : ", ") + std::to_string(x);
      invalid(weights_origin, "tensor '" + name + "' has shape [" + got + "], config.json implies [" + want + "]");
    }
    return std::move(tensors[name]);
  };
  const int64_t in = static_cast<int64_t>(d.in_features), out = static_cast<int64_t>(d.out_features);
  d.weight = take("linear.weight", {out, in});
  if (bias) d.bias = take("linear.bias", {out});
  if (d.use_residual && in != out) d.residual = take("residual.weight", {out, in});
  return d;
}

float activate(DenseActivation a, float x) {
  switch (a) {
    case DenseActivation::kIdentity: return x;
    case DenseActivation::kTanh: return std::tanh(x);
    case DenseActivation::kReLU: return x > 0.0f ? x : 0.0f;
    case DenseActivation::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
    case DenseActivation::kGelu: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
  }
  return x;
}

void apply_dense(const DenseModule& d, const float* x, float* y) {
  for (size_t o = 0; o < d.out_features; ++o) {
    const float* w = d.weight.data() + o * d.in_features;
    double acc = d.bias.empty() ? 0.0 : d.bias[o];
    for (size_t i = 0; i < d.in_features; ++i) acc += static_cast<double>(w[i]) * x[i];
    float v = activate(d.activation, static_cast<float>(acc));
    if (d.use_residual) {
      if (d.residual.empty()) {
        v += x[o];
      } else {
        const float* r = d.residual.data() + o * d.in_features;
        double racc = 0.0;
        for (size_t i = 0; i < d.in_features; ++i) racc += static_cast<double>(r[i]) * x[i];
        v += static_cast<float>(racc);
      }
    }
    y[o] = v;
  }
}

}  // namespace

const char* dense_activation_name(DenseActivation a) {
  switch (a) {
    case DenseActivation::kIdentity: return "identity";
    case DenseActivation::kTanh: return "tanh";
    case DenseActivation::kReLU: return "relu";
    case DenseActivation::kSigmoid: return "sigmoid";
    case DenseActivation::kGelu: return "gelu";
  }
  return "?";
}

SentenceModules SentenceModules::load(const ModelSource& src, const ModelSpec& spec, const std::string& modules_json,
                                      int normalize, size_t truncate_dim) {
  SentenceModules m;
  m.pooling_ = spec.pooling;
  m.include_prompt_ = spec.include_prompt;
  m.hidden_ = static_cast<size_t>(spec.config.hidden_size);
  m.pooled_dim_ = spec.pooling.size() * m.hidden_;
  m.head_dim_ = m.pooled_dim_;

  // sentence-transformers 6 always offers "query" and "document" (empty unless the folder sets them), so
  // encode_query / encode_document work on every model; the folder's prompts are added to or replace them.
  m.prompts_ = {{"query", ""}, {"document", ""}};
  const std::string st_origin = src.origin() + "/config_sentence_transformers.json";
  const std::string st_text = src.read_text("config_sentence_transformers.json");
  if (!st_text.empty()) {
    const json c = parse_json(st_text, st_origin);
    if (!c.is_object()) invalid(st_origin, "expected a JSON object");
    if (c.contains("prompts") && !c["prompts"].is_null()) {
      if (!c["prompts"].is_object()) invalid(st_origin, "'prompts' must be an object of name: text");
      for (const auto& [name, text] : c["prompts"].items()) {
        if (text.is_null()) continue;  // None keeps the default ("")
        if (!text.is_string()) invalid(st_origin, "prompt '" + name + "' must be a string");
        m.prompts_[name] = text.get<std::string>();
      }
    }
    if (c.contains("default_prompt_name") && !c["default_prompt_name"].is_null()) {
      if (!c["default_prompt_name"].is_string()) invalid(st_origin, "'default_prompt_name' must be a string");
      m.default_prompt_name_ = c["default_prompt_name"].get<std::string>();
      if (!m.prompts_.count(m.default_prompt_name_)) {
        invalid(st_origin, "default_prompt_name '" + m.default_prompt_name_ + "' is not one of the prompts");
      }
    }
  }

  // The modules after Pooling, in order. modules.json was already checked by parse_model_spec.
  if (!modules_json.empty()) {
    const json mods = parse_json(modules_json, src.origin() + "/modules.json");
    bool after_pooling = false;
    for (const auto& mod : mods) {
      const std::string type = mod["type"].get<std::string>();
      if (type.find("models.Pooling") != std::string::npos) {
        after_pooling = true;
      } else if (type.find("models.Dense") != std::string::npos) {
        if (!after_pooling) invalid(src.origin() + "/modules.json", "a Dense module before the Pooling module");
        const std::string path = mod.contains("path") && mod["path"].is_string() ? mod["path"].get<std::string>() : "";
        DenseModule d = load_dense(src, path, m.head_dim_);
        m.head_dim_ = d.out_features;
        m.steps_.push_back({false, m.dense_.size()});
        m.dense_.push_back(std::move(d));
        ++m.dense_steps_;
      } else if (type.find("models.Normalize") != std::string::npos && normalize != 0) {
        m.steps_.push_back({true, 0});
      }
    }
  } else if (spec.normalize && normalize != 0) {
    m.steps_.push_back({true, 0});
  }
  if (normalize == 1) m.final_normalize_ = true;

  if (truncate_dim > m.head_dim_) {
    throw Error(ErrorCode::kInvalidInput, "truncate_dim " + std::to_string(truncate_dim) +
                                              " exceeds the model's embedding dimension " + std::to_string(m.head_dim_));
  }
  m.truncate_dim_ = truncate_dim == m.head_dim_ ? 0 : truncate_dim;
  return m;
}

bool SentenceModules::normalizes() const {
  if (final_normalize_) return true;
  return !steps_.empty() && steps_.back().normalize && truncate_dim_ == 0;
}

PromptChoice SentenceModules::choose_prompt(const std::optional<std::string>& prompt,
                                            const std::optional<std::string>& prompt_name, const Tokenizer& tokenizer,
                                            size_t max_seq_length) const {
  PromptChoice c;
  if (prompt) {
    c.text = *prompt;
  } else if (prompt_name) {
    auto it = prompts_.find(*prompt_name);
    if (it == prompts_.end()) {
      std::string names;
      for (const auto& [n, t] : prompts_) names += (names.empty() ? "'" : ", '") + n + "'";
      throw Error(ErrorCode::kInvalidInput, "prompt name '" + *prompt_name + "' is not one of the model's prompts (" +
                                                names + ")");
    }
    c.text = it->second;
  } else if (!default_prompt_name_.empty()) {
    c.text = prompts_.at(default_prompt_name_);
  }
  if (!c.text.empty() && !include_prompt_) {
    // As sentence-transformers measures it: the prompt tokenized alone, without its trailing special token.
    const std::vector<int32_t> ids = tokenizer.encode_ids(c.text, max_seq_length);
    c.pool_skip = ids.size();
    if (!ids.empty() && (ids.back() == tokenizer.sep_id() || ids.back() == tokenizer.cls_id() ||
                         ids.back() == tokenizer.pad_id())) {
      --c.pool_skip;
    }
  }
  return c;
}

bool SentenceModules::backend_pools(const PromptChoice& prompt) const {
  return prompt.pool_skip == 0;
}

void SentenceModules::pool_padded(const float* hidden, size_t batch, size_t seq, const int32_t* lengths, size_t skip,
                                  float* pooled) const {
  for (size_t b = 0; b < batch; ++b) {
    pool_tokens(hidden + b * seq * hidden_, static_cast<size_t>(lengths[b]), hidden_, pooling_,
                pooled + b * pooled_dim_, skip);
  }
}

void SentenceModules::finish(const float* pooled, size_t batch, bool normalized, float* out) const {
  const size_t dim = dimension();
  if (normalized || (steps_.empty() && !final_normalize_)) {  // nothing to apply: the rows as they are
    for (size_t r = 0; r < batch; ++r) std::copy_n(pooled + r * pooled_dim_, dim, out + r * dim);
    return;
  }
  size_t widest = pooled_dim_;
  for (const DenseModule& d : dense_) widest = std::max(widest, d.out_features);
  std::vector<float> a(widest), b(widest);
  for (size_t r = 0; r < batch; ++r) {
    std::copy_n(pooled + r * pooled_dim_, pooled_dim_, a.begin());
    size_t width = pooled_dim_;
    if (!normalized) {
      for (const Step& s : steps_) {
        if (s.normalize) {
          l2_normalize(a.data(), width);
        } else {
          const DenseModule& d = dense_[s.dense_index];
          apply_dense(d, a.data(), b.data());
          std::swap(a, b);
          width = d.out_features;
        }
      }
      if (final_normalize_) l2_normalize(a.data(), dim);
    }
    std::copy_n(a.begin(), dim, out + r * dim);
  }
}

void SentenceModules::rows_from_backend(const float* out, bool pooled, bool backend_normalized, size_t batch,
                                        size_t seq, const int32_t* lengths, size_t skip, float* rows) const {
  if (pooled) {
    finish(out, batch, backend_normalized, rows);
    return;
  }
  std::vector<float> p(batch * pooled_dim_);
  pool_padded(out, batch, seq, lengths, skip, p.data());
  finish(p.data(), batch, false, rows);
}

}  // namespace gpuembed
