#pragma once
// What a Hugging Face / sentence-transformers folder says about the model: the BertModel shape from
// config.json and the sentence pipeline from modules.json, 1_Pooling/config.json and
// sentence_bert_config.json.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace gpuembed {

struct BertConfig {
  int hidden_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int intermediate_size = 0;
  int max_position_embeddings = 0;
  int type_vocab_size = 0;
  int vocab_size = 0;
  float layer_norm_eps = 1e-12f;
  std::string hidden_act = "gelu";
  int head_dim() const { return hidden_size / num_attention_heads; }
};

// Order matters: sentence-transformers concatenates the enabled modes in this order.
enum class PoolingMode { kCls, kMax, kMean, kMeanSqrtLen, kWeightedMean, kLastToken };
const char* pooling_mode_name(PoolingMode mode);

struct ModelSpec {
  BertConfig config;
  std::vector<PoolingMode> pooling{PoolingMode::kMean};
  bool include_prompt = true;   // the Pooling config's include_prompt: false leaves the prompt's tokens out
  bool normalize = false;
  size_t max_seq_length = 512;  // counts [CLS] and [SEP]
  size_t dimension() const { return pooling.size() * static_cast<size_t>(config.hidden_size); }
};

// Parses the JSON texts (any may be empty where the file is absent). `origin` prefixes messages.
BertConfig parse_bert_config(const std::string& json, const std::string& origin);

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
