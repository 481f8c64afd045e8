#pragma once
// Reading config.json fields with errors that name the file (kModelInvalid), and the config parsers of the families
// whose config.json does not use BERT's field names (model/families/family_configs.cpp).
#include <nlohmann/json.hpp>
#include <string>

#include "model/model_invalid.h"
#include "model/model_spec.h"

namespace gpuembed::config_json {

nlohmann::json parse_object(const std::string& text, const std::string& origin);
// A positive integer field (at most 2^24); missing or otherwise: kModelInvalid naming the field.
int positive_int(const nlohmann::json& j, const char* key, const std::string& origin);
// The same where the field may be absent (then `fallback`).
int positive_int_or(const nlohmann::json& j, const char* key, const std::string& origin, int fallback);
// A number field; absent or not a number: `fallback`.
double number_or(const nlohmann::json& j, const char* key, double fallback);
// A switch the supported shape has off: absent or false, else kModelInvalid ("'key' must be false" + why).
void require_false(const nlohmann::json& j, const char* key, const std::string& origin, const std::string& why = "");

// The encoder's shape (and vocab_size), under BERT's field names unless a family's config names them otherwise.
struct ShapeFields {
  const char* hidden = "hidden_size";
  const char* layers = "num_hidden_layers";
  const char* heads = "num_attention_heads";
  const char* intermediate = "intermediate_size";
  const char* positions = "max_position_embeddings";
};
void read_shape(const nlohmann::json& j, const std::string& origin, ModelConfig& c, const ShapeFields& names = {});

// Each fills `c` (whose family is set) from its family's config.json.
ModelConfig parse_nomic_bert_config(const nlohmann::json& j, const std::string& origin, ModelConfig c);
ModelConfig parse_modernbert_config(const nlohmann::json& j, const std::string& origin, ModelConfig c);
ModelConfig parse_qwen3_config(const nlohmann::json& j, const std::string& origin, ModelConfig c);
ModelConfig parse_gemma3_config(const nlohmann::json& j, const std::string& origin, ModelConfig c);

}  // namespace gpuembed::config_json
