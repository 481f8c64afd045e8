#include "model/model_spec.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "gpuembed/error.h"
#include "model/config_json.h"
#include "model/json_text.h"
#include "model/model_invalid.h"

namespace gpuembed {
namespace config_json {

using nlohmann::json;

json parse_object(const std::string& text, const std::string& origin) {
  json j = parse_json(text, origin);
  if (!j.is_object()) invalid(origin, "expected a JSON object");
  return j;
}

int positive_int(const json& j, const char* key, const std::string& origin) {
  if (!j.contains(key)) invalid(origin, std::string("missing field '") + key + "'");
  const auto& v = j[key];
  if (!v.is_number_integer() || v.get<int64_t>() <= 0 || v.get<int64_t>() > (1 << 24)) {
    invalid(origin, std::string("field '") + key + "' must be a positive integer");
  }
  return v.get<int>();
}

int positive_int_or(const json& j, const char* key, const std::string& origin, int fallback) {
  return j.contains(key) ? positive_int(j, key, origin) : fallback;
}

double number_or(const json& j, const char* key, double fallback) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

void require_false(const json& j, const char* key, const std::string& origin, const std::string& why) {
  if (j.contains(key) && !(j[key].is_boolean() && !j[key].get<bool>())) {
    invalid(origin, std::string("'") + key + "' must be false" + why);
  }
}

void read_shape(const json& j, const std::string& origin, ModelConfig& c, const ShapeFields& names) {
  c.hidden_size = positive_int(j, names.hidden, origin);
  c.num_hidden_layers = positive_int(j, names.layers, origin);
  c.num_attention_heads = positive_int(j, names.heads, origin);
  c.intermediate_size = positive_int(j, names.intermediate, origin);
  c.max_position_embeddings = positive_int(j, names.positions, origin);
  c.vocab_size = positive_int(j, "vocab_size", origin);
}

}  // namespace config_json

using nlohmann::json;
using namespace config_json;

const char* pooling_mode_name(PoolingMode mode) {
  switch (mode) {
    case PoolingMode::kCls: return "cls";
    case PoolingMode::kMax: return "max";
    case PoolingMode::kMean: return "mean";
    case PoolingMode::kMeanSqrtLen: return "mean_sqrt_len_tokens";
    case PoolingMode::kWeightedMean: return "weightedmean";
    case PoolingMode::kLastToken: return "lasttoken";
  }
  return "?";
}

const char* family_name(ModelFamily family) {
  switch (family) {
    case ModelFamily::kBert: return "bert";
    case ModelFamily::kXlmRoberta: return "xlm-roberta";
    case ModelFamily::kMpnet: return "mpnet";
    case ModelFamily::kNomicBert: return "nomic_bert";
    case ModelFamily::kModernBert: return "modernbert";
    case ModelFamily::kQwen3: return "qwen3";
    case ModelFamily::kGemma3: return "gemma3_text";
  }
  return "?";
}

ModelConfig parse_model_config(const std::string& text, const std::string& origin) {
  const json j = parse_object(text, origin);
  ModelConfig c;
  if (j.contains("model_type") && j["model_type"].is_string()) {
    const auto mt = j["model_type"].get<std::string>();
    bool known = false;
    for (ModelFamily f : {ModelFamily::kBert, ModelFamily::kXlmRoberta, ModelFamily::kMpnet, ModelFamily::kNomicBert,
                          ModelFamily::kModernBert, ModelFamily::kQwen3, ModelFamily::kGemma3}) {
      if (mt == family_name(f)) {
        c.family = f;
        known = true;
      }
    }
    if (!known) {
      invalid(origin,
              "model_type '" + mt +
                  "' is not supported (bert, xlm-roberta, mpnet, nomic_bert, modernbert, qwen3, gemma3_text are)");
    }
  }
  if (c.family == ModelFamily::kNomicBert) return parse_nomic_bert_config(j, origin, c);
  if (c.family == ModelFamily::kModernBert) return parse_modernbert_config(j, origin, c);
  if (c.family == ModelFamily::kQwen3) return parse_qwen3_config(j, origin, c);
  if (c.family == ModelFamily::kGemma3) return parse_gemma3_config(j, origin, c);
  read_shape(j, origin, c);
  // MPNet has no token-type table; XLM-R has one row.
  c.type_vocab_size = c.family == ModelFamily::kMpnet ? 0 : positive_int_or(j, "type_vocab_size", origin, 2);
  if (j.contains("layer_norm_eps")) {
    // Checked as the float32 it becomes: a tiny positive double (1e-50) would otherwise turn into eps = 0.
    if (!j["layer_norm_eps"].is_number() || !(j["layer_norm_eps"].get<float>() > 0) ||
        !std::isfinite(j["layer_norm_eps"].get<float>())) {
      invalid(origin, "field 'layer_norm_eps' must be a positive number (positive and finite as a float32)");
    }
    c.layer_norm_eps = j["layer_norm_eps"].get<float>();
  }
  if (j.contains("hidden_act")) {
    if (!j["hidden_act"].is_string()) invalid(origin, "field 'hidden_act' must be a string");
    c.hidden_act = j["hidden_act"].get<std::string>();
  }
  if (c.hidden_act != "gelu") {
    invalid(origin, "hidden_act '" + c.hidden_act + "' is not supported (only 'gelu', the erf form)");
  }
  if (c.hidden_size % c.num_attention_heads != 0) {
    invalid(origin, "hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of num_attention_heads " +
                        std::to_string(c.num_attention_heads));
  }
  if (j.contains("position_embedding_type") && j["position_embedding_type"] != "absolute") {
    invalid(origin, "only absolute position embeddings are supported");
  }
  if (c.family != ModelFamily::kBert) {
    // HF's RoBERTa-style embeddings number positions from padding_idx + 1 (padding_idx = pad_token_id).
    c.pad_token_id = j.contains("pad_token_id") ? j["pad_token_id"].is_number_integer() ? j["pad_token_id"].get<int>() : -1 : 1;
    if (c.pad_token_id < 0 || c.pad_token_id >= c.max_position_embeddings - 2) {
      invalid(origin, "field 'pad_token_id' must be a small non-negative integer");
    }
    c.position_offset = c.pad_token_id + 1;
  }
  if (c.family == ModelFamily::kMpnet) {
    c.relative_attention_num_buckets = positive_int_or(j, "relative_attention_num_buckets", origin, 32);
  }
  return c;
}

std::string pooling_dir_from_modules(const std::string& modules_json, const std::string& origin) {
  if (modules_json.empty()) return "1_Pooling";
  const json j = parse_json(modules_json, origin + "/modules.json");
  if (!j.is_array()) invalid(origin + "/modules.json", "expected a JSON array of modules");
  for (const auto& m : j) {
    // Only string fields are read: nlohmann's value() would throw its own type_error for e.g. {"type": 5}.
    if (!m.is_object() || !m.contains("type") || !m["type"].is_string()) continue;
    if (m["type"].get<std::string>().find("Pooling") == std::string::npos) continue;
    if (!m.contains("path")) return "1_Pooling";
    if (!m["path"].is_string()) invalid(origin + "/modules.json", "the Pooling module's path must be a string");
    return m["path"].get<std::string>();
  }
  return "1_Pooling";
}

ModelSpec parse_model_spec(const ModelFiles& f) {
  if (f.config_json.empty()) throw Error(ErrorCode::kModelNotFound, f.origin + "/config.json: missing");
  ModelSpec spec;
  spec.config = parse_model_config(f.config_json, f.origin + "/config.json");
  // Without sentence-transformers metadata, sentence-transformers itself builds Transformer + mean Pooling
  // and uses the model's position limit.
  spec.max_seq_length = static_cast<size_t>(spec.config.max_positions());
  spec.pooling = {PoolingMode::kMean};
  spec.normalize = false;

  if (!f.modules_json.empty()) {
    const std::string origin = f.origin + "/modules.json";
    const json mods = parse_json(f.modules_json, origin);
    if (!mods.is_array()) invalid(origin, "expected a JSON array of modules");
    bool has_transformer = false;
    for (const auto& m : mods) {
      if (!m.is_object() || !m.contains("type") || !m["type"].is_string()) invalid(origin, "module without a type");
      const std::string type = m["type"].get<std::string>();
      if (type.find("models.Transformer") != std::string::npos) {
        has_transformer = true;
      } else if (type.find("models.Normalize") != std::string::npos) {
        spec.normalize = true;
      } else if (type.find("models.Pooling") == std::string::npos &&
                 type.find("models.Dense") == std::string::npos) {
        // Dense modules are read by model/st_modules.h.
        invalid(origin, "module type '" + type + "' is not supported (Transformer, Pooling, Dense, Normalize are)");
      }
    }
    if (!has_transformer) invalid(origin, "no Transformer module");
  }

  if (!f.pooling_config_json.empty()) {
    const std::string origin = f.origin + "/" + pooling_dir_from_modules(f.modules_json, f.origin) + "/config.json";
    const json p = parse_object(f.pooling_config_json, origin);
    // sentence-transformers 6 writes "pooling_mode" (a name or a list of names, concatenated in the list's order);
    // older versions one boolean flag per mode (concatenated in PoolingMode order, as sentence-transformers converts
    // them).
    const std::pair<const char*, PoolingMode> kFlags[] = {
        {"pooling_mode_cls_token", PoolingMode::kCls},
        {"pooling_mode_max_tokens", PoolingMode::kMax},
        {"pooling_mode_mean_tokens", PoolingMode::kMean},
        {"pooling_mode_mean_sqrt_len_tokens", PoolingMode::kMeanSqrtLen},
        {"pooling_mode_weightedmean_tokens", PoolingMode::kWeightedMean},
        {"pooling_mode_lasttoken", PoolingMode::kLastToken}};
    if (p.contains("pooling_mode")) {
      const json& pm = p["pooling_mode"];
      std::vector<std::string> names;
      if (pm.is_string()) names.push_back(pm.get<std::string>());
      else if (pm.is_array()) {
        for (const auto& n : pm) {
          if (!n.is_string()) invalid(origin, "pooling_mode entries must be strings");
          names.push_back(n.get<std::string>());
        }
      } else {
        invalid(origin, "pooling_mode must be a name or a list of names");
      }
      spec.pooling.clear();
      for (const std::string& m : names) {
        bool known = false;
        for (PoolingMode mode : {PoolingMode::kCls, PoolingMode::kMax, PoolingMode::kMean, PoolingMode::kMeanSqrtLen,
                                 PoolingMode::kWeightedMean, PoolingMode::kLastToken}) {
          if (m == pooling_mode_name(mode)) {
            spec.pooling.push_back(mode);
            known = true;
          }
        }
        if (!known) {
          invalid(origin, "pooling_mode '" + m +
                              "' is not supported (cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken are)");
        }
      }
      if (spec.pooling.empty()) invalid(origin, "no pooling mode is enabled");
    } else {
      spec.pooling.clear();
      for (const auto& [key, mode] : kFlags) {
        if (p.contains(key) && !p[key].is_boolean()) invalid(origin, std::string("'") + key + "' must be true or false");
        if (p.value(key, false)) spec.pooling.push_back(mode);
      }
      if (spec.pooling.empty()) invalid(origin, "no pooling mode is enabled");
    }
    if (p.contains("include_prompt")) {
      if (!p["include_prompt"].is_boolean()) invalid(origin, "'include_prompt' must be true or false");
      spec.include_prompt = p["include_prompt"].get<bool>();
    }
    for (const char* key : {"word_embedding_dimension", "embedding_dimension"}) {
      if (p.contains(key) && p[key] != spec.config.hidden_size) {
        invalid(origin, std::string(key) + " does not match hidden_size " + std::to_string(spec.config.hidden_size));
      }
    }
  }
  if (!f.sentence_bert_config_json.empty()) {
    const std::string origin = f.origin + "/sentence_bert_config.json";
    const json s = parse_object(f.sentence_bert_config_json, origin);
    if (s.contains("max_seq_length") && !s["max_seq_length"].is_null()) {
      spec.max_seq_length = static_cast<size_t>(positive_int(s, "max_seq_length", origin));
    }
  }
  if (spec.max_seq_length > static_cast<size_t>(spec.config.max_positions())) {
    spec.max_seq_length = static_cast<size_t>(spec.config.max_positions());
  }
  if (spec.max_seq_length < 2) invalid(f.origin, "max_seq_length must leave room for [CLS] and [SEP]");
  return spec;
}

}  // namespace gpuembed
