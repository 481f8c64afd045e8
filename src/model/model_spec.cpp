#include "model/model_spec.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "gpuembed/error.h"

namespace gpuembed {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& origin, const std::string& what) {
  throw Error(ErrorCode::kModelInvalid, origin + ": " + what);
}

json parse_object(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    invalid(origin, std::string("invalid JSON: ") + e.what());
  }
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

// NomicBERT's config (GPT-2 style names: n_embd, n_layer, ...). Only the shape nomic-embed-text uses is accepted:
// post-norm, bidirectional, SwiGLU, rotary without scaling; anything else is refused rather than run differently.
BertConfig parse_nomic_bert_config(const json& j, const std::string& origin, BertConfig c) {
  c.hidden_size = positive_int(j, "n_embd", origin);
  c.num_hidden_layers = positive_int(j, "n_layer", origin);
  c.num_attention_heads = positive_int(j, "n_head", origin);
  c.intermediate_size = positive_int(j, "n_inner", origin);
  c.max_position_embeddings = positive_int(j, "n_positions", origin);
  c.vocab_size = positive_int(j, "vocab_size", origin);
  c.type_vocab_size = j.contains("type_vocab_size") ? positive_int(j, "type_vocab_size", origin) : 2;
  c.hidden_act = j.value("activation_function", std::string("swiglu"));
  c.layer_norm_eps = j.contains("layer_norm_epsilon") && j["layer_norm_epsilon"].is_number()
                         ? j["layer_norm_epsilon"].get<float>() : 1e-12f;
  auto flag = [&](const char* key, bool fallback) {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    if (!j[key].is_boolean()) invalid(origin, std::string("field '") + key + "' must be true or false");
    return j[key].get<bool>();
  };
  if (c.hidden_act != "swiglu") invalid(origin, "activation_function '" + c.hidden_act + "' is not supported (swiglu is)");
  if (flag("prenorm", false) || flag("causal", false) || flag("rotary_emb_interleaved", false) ||
      flag("qkv_proj_bias", false) || flag("mlp_fc1_bias", false) || flag("mlp_fc2_bias", false)) {
    invalid(origin, "only post-norm, bidirectional NomicBERT without biases and with non-interleaved rotary is supported");
  }
  if (j.contains("rotary_scaling_factor") && !j["rotary_scaling_factor"].is_null()) {
    invalid(origin, "rotary_scaling_factor (dynamic NTK rotary) is not supported");
  }
  if (c.hidden_size % c.num_attention_heads != 0 || !(c.layer_norm_eps > 0)) {
    invalid(origin, "n_embd must be a multiple of n_head and layer_norm_epsilon positive");
  }
  const double fraction = j.contains("rotary_emb_fraction") && j["rotary_emb_fraction"].is_number()
                              ? j["rotary_emb_fraction"].get<double>() : 0.0;
  c.rotary_dim = static_cast<int>(c.head_dim() * fraction);
  if (c.rotary_dim <= 0 || c.rotary_dim % 2 != 0) invalid(origin, "rotary_emb_fraction must give an even rotary width");
  c.rotary_base = j.contains("rotary_emb_base") && j["rotary_emb_base"].is_number() ? j["rotary_emb_base"].get<float>()
                                                                                     : 10000.0f;
  if (!(c.rotary_base > 1)) invalid(origin, "rotary_emb_base must be greater than 1");
  c.gated_ffn = true;
  return c;
}

// ModernBERT's config as hub folders write it (global_rope_theta, local_attention, global_attn_every_n_layers);
// the biases and norm biases it can switch on are refused rather than ignored.
BertConfig parse_modernbert_config(const json& j, const std::string& origin, BertConfig c) {
  c.hidden_size = positive_int(j, "hidden_size", origin);
  c.num_hidden_layers = positive_int(j, "num_hidden_layers", origin);
  c.num_attention_heads = positive_int(j, "num_attention_heads", origin);
  c.intermediate_size = positive_int(j, "intermediate_size", origin);
  c.max_position_embeddings = positive_int(j, "max_position_embeddings", origin);
  c.vocab_size = positive_int(j, "vocab_size", origin);
  c.type_vocab_size = 0;
  c.hidden_act = j.value("hidden_activation", std::string("gelu"));
  if (c.hidden_act != "gelu") invalid(origin, "hidden_activation '" + c.hidden_act + "' is not supported (gelu is)");
  c.layer_norm_eps = j.contains("norm_eps") && j["norm_eps"].is_number() ? j["norm_eps"].get<float>() : 1e-5f;
  for (const char* key : {"norm_bias", "mlp_bias", "attention_bias"}) {
    if (j.contains(key) && !(j[key].is_boolean() && !j[key].get<bool>())) {
      invalid(origin, std::string("'") + key + "' must be false (ModernBERT with biases is not supported)");
    }
  }
  auto number = [&](const char* key, double fallback) {
    return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
  };
  c.rotary_base = static_cast<float>(number("global_rope_theta", 160000.0));
  c.rotary_base_local = static_cast<float>(number("local_rope_theta", 10000.0));
  c.global_every = j.contains("global_attn_every_n_layers") ? positive_int(j, "global_attn_every_n_layers", origin) : 3;
  c.sliding_window = (j.contains("local_attention") ? positive_int(j, "local_attention", origin) : 128) / 2;
  if (c.hidden_size % c.num_attention_heads != 0 || !(c.layer_norm_eps > 0) || !(c.rotary_base > 1) ||
      !(c.rotary_base_local > 1)) {
    invalid(origin, "hidden_size must be a multiple of num_attention_heads; norm_eps and rope thetas positive");
  }
  c.rotary_dim = c.head_dim();
  c.gated_ffn = true;
  c.pre_norm = true;
  return c;
}

// Qwen3 (Qwen3-Embedding): a decoder run as an encoder with its causal mask. Sliding-window layers, rope scaling
// and attention biases are refused rather than run differently.
BertConfig parse_qwen3_config(const json& j, const std::string& origin, BertConfig c) {
  c.hidden_size = positive_int(j, "hidden_size", origin);
  c.num_hidden_layers = positive_int(j, "num_hidden_layers", origin);
  c.num_attention_heads = positive_int(j, "num_attention_heads", origin);
  c.num_key_value_heads = j.contains("num_key_value_heads") ? positive_int(j, "num_key_value_heads", origin)
                                                            : c.num_attention_heads;
  c.head_dim_override = j.contains("head_dim") ? positive_int(j, "head_dim", origin) : 0;
  c.intermediate_size = positive_int(j, "intermediate_size", origin);
  c.max_position_embeddings = positive_int(j, "max_position_embeddings", origin);
  c.vocab_size = positive_int(j, "vocab_size", origin);
  c.type_vocab_size = 0;
  c.hidden_act = j.value("hidden_act", std::string("silu"));
  if (c.family == ModelFamily::kQwen3 && c.hidden_act != "silu") {
    invalid(origin, "hidden_act '" + c.hidden_act + "' is not supported (silu is)");
  }
  c.layer_norm_eps = j.contains("rms_norm_eps") && j["rms_norm_eps"].is_number() ? j["rms_norm_eps"].get<float>() : 1e-6f;
  if (j.contains("attention_bias") && !(j["attention_bias"].is_boolean() && !j["attention_bias"].get<bool>())) {
    invalid(origin, "'attention_bias' must be false");
  }
  if (j.value("use_sliding_window", false)) invalid(origin, "use_sliding_window is not supported");
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null()) invalid(origin, "rope_scaling is not supported");
  double theta = 1000000.0;
  if (j.contains("rope_theta") && j["rope_theta"].is_number()) theta = j["rope_theta"].get<double>();
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    const json& rp = j["rope_parameters"];
    if (rp.contains("rope_type") && rp["rope_type"] != "default") invalid(origin, "only default rope is supported");
    if (rp.contains("rope_theta") && rp["rope_theta"].is_number()) theta = rp["rope_theta"].get<double>();
  }
  c.rotary_base = static_cast<float>(theta);
  if (c.num_attention_heads % c.num_key_value_heads != 0 || !(c.layer_norm_eps > 0) || !(c.rotary_base > 1) ||
      c.head_dim() % 2 != 0) {
    invalid(origin, "num_attention_heads must be a multiple of num_key_value_heads; rms_norm_eps and rope_theta "
                    "positive; head_dim even");
  }
  c.rotary_dim = c.head_dim();
  c.hidden_act = "swiglu";
  c.gated_ffn = true;
  c.pre_norm = true;
  c.causal = true;
  return c;
}

// Gemma3 text layers as EmbeddingGemma uses them (use_bidirectional_attention): every layer sees the whole text but
// the sliding ones only keys within sliding_window / 2 (transformers 5.17 halves the window for bidirectional use).
// Layers are sliding unless layer_types (or sliding_window_pattern: every n-th) says full_attention.
BertConfig parse_gemma3_config(const json& j, const std::string& origin, BertConfig c) {
  c = parse_qwen3_config(j, origin, c);  // the shared decoder fields; Gemma's differences follow
  c.hidden_act = j.value("hidden_activation", std::string("gelu_pytorch_tanh"));
  if (c.hidden_act != "gelu_pytorch_tanh") {
    invalid(origin, "hidden_activation '" + c.hidden_act + "' is not supported (gelu_pytorch_tanh is)");
  }
  if (!j.value("use_bidirectional_attention", false)) {
    invalid(origin, "only bidirectional Gemma3 (EmbeddingGemma, use_bidirectional_attention) is supported");
  }
  for (const char* key : {"attn_logit_softcapping", "rope_scaling"}) {
    if (j.contains(key) && !j[key].is_null()) invalid(origin, std::string("'") + key + "' is not supported");
  }
  c.causal = false;
  c.sliding_window = (j.contains("sliding_window") ? positive_int(j, "sliding_window", origin) : 4096) / 2;
  c.rotary_base_local = j.contains("rope_local_base_freq") && j["rope_local_base_freq"].is_number()
                            ? j["rope_local_base_freq"].get<float>() : 10000.0f;
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    const json& rp = j["rope_parameters"];
    for (const char* kind : {"full_attention", "sliding_attention"}) {
      if (rp.contains(kind) && rp[kind].is_object() && rp[kind].contains("rope_theta")) {
        (std::string(kind) == "full_attention" ? c.rotary_base : c.rotary_base_local) = rp[kind]["rope_theta"].get<float>();
      }
    }
  }
  c.global_every = j.contains("sliding_window_pattern") ? positive_int(j, "sliding_window_pattern", origin) : 6;
  c.full_attention_layers.assign(static_cast<size_t>(c.num_hidden_layers), false);
  for (int l = 0; l < c.num_hidden_layers; ++l) c.full_attention_layers[size_t(l)] = (l + 1) % c.global_every == 0;
  if (j.contains("layer_types") && j["layer_types"].is_array()) {
    if (j["layer_types"].size() != static_cast<size_t>(c.num_hidden_layers)) invalid(origin, "layer_types length");
    for (int l = 0; l < c.num_hidden_layers; ++l) {
      c.full_attention_layers[size_t(l)] = j["layer_types"][size_t(l)] == "full_attention";
    }
  }
  const double scalar = j.contains("query_pre_attn_scalar") && j["query_pre_attn_scalar"].is_number()
                            ? j["query_pre_attn_scalar"].get<double>() : 256.0;
  c.attention_scale = static_cast<float>(std::pow(scalar, -0.5));
  c.embed_scale = static_cast<float>(std::sqrt(static_cast<double>(c.hidden_size)));
  if (!(c.rotary_base_local > 1) || !(scalar > 0)) invalid(origin, "rope_local_base_freq and query_pre_attn_scalar");
  return c;
}

}  // namespace

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

BertConfig parse_bert_config(const std::string& text, const std::string& origin) {
  const json j = parse_object(text, origin);
  BertConfig c;
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
  c.hidden_size = positive_int(j, "hidden_size", origin);
  c.num_hidden_layers = positive_int(j, "num_hidden_layers", origin);
  c.num_attention_heads = positive_int(j, "num_attention_heads", origin);
  c.intermediate_size = positive_int(j, "intermediate_size", origin);
  c.max_position_embeddings = positive_int(j, "max_position_embeddings", origin);
  c.vocab_size = positive_int(j, "vocab_size", origin);
  // MPNet has no token-type table; XLM-R has one row.
  c.type_vocab_size = c.family == ModelFamily::kMpnet    ? 0
                      : j.contains("type_vocab_size") ? positive_int(j, "type_vocab_size", origin)
                                                      : 2;
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
    c.relative_attention_num_buckets = j.contains("relative_attention_num_buckets")
                                           ? positive_int(j, "relative_attention_num_buckets", origin)
                                           : 32;
  }
  return c;
}

std::string pooling_dir_from_modules(const std::string& modules_json, const std::string& origin) {
  if (modules_json.empty()) return "1_Pooling";
  json j;
  try {
    j = json::parse(modules_json);
  } catch (const json::exception& e) {
    invalid(origin + "/modules.json", std::string("invalid JSON: ") + e.what());
  }
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
  spec.config = parse_bert_config(f.config_json, f.origin + "/config.json");
  // Without sentence-transformers metadata, sentence-transformers itself builds Transformer + mean Pooling
  // and uses the model's position limit.
  spec.max_seq_length = static_cast<size_t>(spec.config.max_positions());
  spec.pooling = {PoolingMode::kMean};
  spec.normalize = false;

  if (!f.modules_json.empty()) {
    const std::string origin = f.origin + "/modules.json";
    json mods;
    try {
      mods = json::parse(f.modules_json);
    } catch (const json::exception& e) {
      invalid(origin, std::string("invalid JSON: ") + e.what());
    }
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
