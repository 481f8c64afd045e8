// config.json of the families that do not use BERT's field names: NomicBERT (GPT-2 style), ModernBERT, Qwen3, Gemma3.
// Each accepts the shape its embedding models use and refuses options it would otherwise run differently.
#include <cmath>

#include "model/config_json.h"

namespace gpuembed::config_json {

using nlohmann::json;

// NomicBERT's config (GPT-2 style names: n_embd, n_layer, ...). Only the shape nomic-embed-text uses is accepted:
// post-norm, bidirectional, SwiGLU, rotary without scaling; anything else is refused rather than run differently.
ModelConfig parse_nomic_bert_config(const json& j, const std::string& origin, ModelConfig c) {
  read_shape(j, origin, c, {.hidden = "n_embd", .layers = "n_layer", .heads = "n_head", .intermediate = "n_inner",
                            .positions = "n_positions"});
  c.type_vocab_size = positive_int_or(j, "type_vocab_size", origin, 2);
  c.hidden_act = j.value("activation_function", std::string("swiglu"));
  c.layer_norm_eps = static_cast<float>(number_or(j, "layer_norm_epsilon", 1e-12f));
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
  c.rotary_dim = static_cast<int>(c.head_dim() * number_or(j, "rotary_emb_fraction", 0.0));
  if (c.rotary_dim <= 0 || c.rotary_dim % 2 != 0) invalid(origin, "rotary_emb_fraction must give an even rotary width");
  c.rotary_base = static_cast<float>(number_or(j, "rotary_emb_base", 10000.0f));
  if (!(c.rotary_base > 1)) invalid(origin, "rotary_emb_base must be greater than 1");
  c.gated_ffn = true;
  return c;
}

// ModernBERT's config as hub folders write it (global_rope_theta, local_attention, global_attn_every_n_layers);
// the biases and norm biases it can switch on are refused rather than ignored.
ModelConfig parse_modernbert_config(const json& j, const std::string& origin, ModelConfig c) {
  read_shape(j, origin, c);
  c.type_vocab_size = 0;
  c.hidden_act = j.value("hidden_activation", std::string("gelu"));
  if (c.hidden_act != "gelu") invalid(origin, "hidden_activation '" + c.hidden_act + "' is not supported (gelu is)");
  c.layer_norm_eps = static_cast<float>(number_or(j, "norm_eps", 1e-5f));
  for (const char* key : {"norm_bias", "mlp_bias", "attention_bias"}) {
    require_false(j, key, origin, " (ModernBERT with biases is not supported)");
  }
  c.rotary_base = static_cast<float>(number_or(j, "global_rope_theta", 160000.0));
  c.rotary_base_local = static_cast<float>(number_or(j, "local_rope_theta", 10000.0));
  c.global_every = positive_int_or(j, "global_attn_every_n_layers", origin, 3);
  c.sliding_window = positive_int_or(j, "local_attention", origin, 128) / 2;
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
ModelConfig parse_qwen3_config(const json& j, const std::string& origin, ModelConfig c) {
  read_shape(j, origin, c);
  c.num_key_value_heads = positive_int_or(j, "num_key_value_heads", origin, c.num_attention_heads);
  c.head_dim_override = positive_int_or(j, "head_dim", origin, 0);
  c.type_vocab_size = 0;
  c.hidden_act = j.value("hidden_act", std::string("silu"));
  if (c.family == ModelFamily::kQwen3 && c.hidden_act != "silu") {
    invalid(origin, "hidden_act '" + c.hidden_act + "' is not supported (silu is)");
  }
  c.layer_norm_eps = static_cast<float>(number_or(j, "rms_norm_eps", 1e-6f));
  require_false(j, "attention_bias", origin);
  if (j.value("use_sliding_window", false)) invalid(origin, "use_sliding_window is not supported");
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null()) invalid(origin, "rope_scaling is not supported");
  double theta = number_or(j, "rope_theta", 1000000.0);
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    const json& rp = j["rope_parameters"];
    if (rp.contains("rope_type") && rp["rope_type"] != "default") invalid(origin, "only default rope is supported");
    theta = number_or(rp, "rope_theta", theta);
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
ModelConfig parse_gemma3_config(const json& j, const std::string& origin, ModelConfig c) {
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
  c.sliding_window = positive_int_or(j, "sliding_window", origin, 4096) / 2;
  c.rotary_base_local = static_cast<float>(number_or(j, "rope_local_base_freq", 10000.0f));
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    const json& rp = j["rope_parameters"];
    for (const char* kind : {"full_attention", "sliding_attention"}) {
      if (rp.contains(kind) && rp[kind].is_object() && rp[kind].contains("rope_theta")) {
        (std::string(kind) == "full_attention" ? c.rotary_base : c.rotary_base_local) = rp[kind]["rope_theta"].get<float>();
      }
    }
  }
  c.global_every = positive_int_or(j, "sliding_window_pattern", origin, 6);
  c.full_attention_layers.assign(static_cast<size_t>(c.num_hidden_layers), false);
  for (int l = 0; l < c.num_hidden_layers; ++l) c.full_attention_layers[size_t(l)] = (l + 1) % c.global_every == 0;
  if (j.contains("layer_types") && j["layer_types"].is_array()) {
    if (j["layer_types"].size() != static_cast<size_t>(c.num_hidden_layers)) invalid(origin, "layer_types length");
    for (int l = 0; l < c.num_hidden_layers; ++l) {
      c.full_attention_layers[size_t(l)] = j["layer_types"][size_t(l)] == "full_attention";
    }
  }
  const double scalar = number_or(j, "query_pre_attn_scalar", 256.0);
  c.attention_scale = static_cast<float>(std::pow(scalar, -0.5));
  c.embed_scale = static_cast<float>(std::sqrt(static_cast<double>(c.hidden_size)));
  if (!(c.rotary_base_local > 1) || !(scalar > 0)) invalid(origin, "rope_local_base_freq and query_pre_attn_scalar");
  return c;
}

}  // namespace gpuembed::config_json
