#pragma once
// What a Hugging Face / sentence-transformers folder says about the model: the encoder's family and shape from
// config.json and the sentence pipeline from modules.json, 1_Pooling/config.json and
// sentence_bert_config.json.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace gpuembed {

// The encoder architectures gpuembed runs, by config.json's model_type.
enum class ModelFamily {
  kBert,        // "bert"
  kXlmRoberta,  // "xlm-roberta": BERT layers; positions start at pad_token_id + 1
  kMpnet,       // "mpnet": BERT-like layers with a bucketed relative position bias shared by all layers
  kNomicBert,   // "nomic_bert": post-norm layers with rotary positions, SwiGLU, no biases (GPT-2 style keys)
  kModernBert,  // "modernbert": pre-norm, GeGLU, no biases, rotary with a global and a local base, sliding windows
  kQwen3,       // "qwen3": decoder layers (causal), grouped-query attention, RMSNorm, q/k norm, SwiGLU, rotary
  kGemma3,      // "gemma3_text" with use_bidirectional_attention (EmbeddingGemma): Gemma3 layers without the causal mask
};
const char* family_name(ModelFamily family);

// The encoder's shape for every family; fields a family does not use keep their defaults.
struct ModelConfig {
  ModelFamily family = ModelFamily::kBert;
  int hidden_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int intermediate_size = 0;
  int max_position_embeddings = 0;
  int type_vocab_size = 0;
  int vocab_size = 0;
  float layer_norm_eps = 1e-12f;
  std::string hidden_act = "gelu";
  int pad_token_id = 0;
  // Row of the position table used by a text's first token (XLM-R, MPNet: pad_token_id + 1, as HF's
  // create_position_ids_from_input_ids numbers the tokens after the padding index).
  int position_offset = 0;
  int relative_attention_num_buckets = 0;  // MPNet
  // Rotary positions (NomicBERT; rotary_dim 0: none), GPT-NeoX style: the first rotary_dim channels of each
  // query and key head rotate as two halves.
  float rotary_base = 0;
  int rotary_dim = 0;
  bool gated_ffn = false;  // hidden_act "swiglu": ffn_out(ffn_in(x) * silu(ffn_gate(x))); "gelu": GeGLU
  // ModernBERT: layer i attends globally when i % global_every == 0, else to keys within `sliding_window` positions
  // (either side) with rotary base rotary_base_local; pre-norm layers, a final norm, LayerNorms without bias.
  int global_every = 0;
  int sliding_window = 0;
  float rotary_base_local = 0;
  bool pre_norm = false;
  // Qwen3: key/value heads shared by groups of query heads (0: as many as query heads), a head width of its own,
  // causal attention, RMSNorm everywhere (also on each query and key head).
  int num_key_value_heads = 0;
  int head_dim_override = 0;
  bool causal = false;
  // Gemma3: embeddings scaled by sqrt(hidden), RMSNorm weights stored as w - 1 (applied as 1 + w), norms also after
  // attention and FFN, queries scaled by query_pre_attn_scalar^-1/2, GeGLU with the tanh GELU.
  float embed_scale = 0;
  float attention_scale = 0;
  std::vector<bool> full_attention_layers;  // Gemma3: which layers attend globally (the others: sliding_window)
  int head_dim() const { return head_dim_override > 0 ? head_dim_override : hidden_size / num_attention_heads; }
  int kv_heads() const { return num_key_value_heads > 0 ? num_key_value_heads : num_attention_heads; }
  // Tokens a text may have: the position table's rows past the offset.
  int max_positions() const { return max_position_embeddings - position_offset; }
};

// Order matters: sentence-transformers concatenates the enabled modes in this order.
enum class PoolingMode { kCls, kMax, kMean, kMeanSqrtLen, kWeightedMean, kLastToken };
const char* pooling_mode_name(PoolingMode mode);

struct ModelSpec {
  ModelConfig config;
  std::vector<PoolingMode> pooling{PoolingMode::kMean};
  bool include_prompt = true;   // the Pooling config's include_prompt: false leaves the prompt's tokens out
  bool normalize = false;
  size_t max_seq_length = 512;  // counts [CLS] and [SEP]
  size_t dimension() const { return pooling.size() * static_cast<size_t>(config.hidden_size); }
};

// Parses the JSON texts (any may be empty where the file is absent). `origin` prefixes messages.
ModelConfig parse_model_config(const std::string& json, const std::string& origin);

// Files read from a folder (native) or handed over as buffers (WASM). Missing optional files are empty.
struct ModelFiles {
  std::string config_json;
  std::string modules_json;
  std::string pooling_config_json;   // the Pooling module's config.json
  std::string sentence_bert_config_json;
  std::string origin;                // folder path or base URL, for messages
};
// Which pooling folder modules.json names (default "1_Pooling").
std::string pooling_dir_from_modules(const std::string& modules_json, const std::string& origin);
ModelSpec parse_model_spec(const ModelFiles& files);

}  // namespace gpuembed
