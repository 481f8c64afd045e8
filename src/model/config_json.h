#pragma once
// Reading config.json fields with errors that name the file (kModelInvalid), and the config parsers of the families
// whose config.json does not use BERT's field names (model/families/family_configs.cpp).
#include <nlohmann/json.hpp>
#include <string>

#include "model/model_spec.h"

namespace gpuembed::config_json {

[[noreturn]] void invalid(const std::string& origin, const std::string& what);
nlohmann::json parse_object(const std::string& text, const std::string& origin);
// A positive integer field (at most 2^24); missing or otherwise: kModelInvalid naming the field.
int positive_int(const nlohmann::json& j, const char* key, const std::string& origin);

// Each fills `c` (whose family is set) from its family's config.json.
BertConfig parse_nomic_bert_config(const nlohmann::json& j, const std::string& origin, BertConfig c);
BertConfig parse_modernbert_config(const nlohmann::json& j, const std::string& origin, BertConfig c);
BertConfig parse_qwen3_config(const nlohmann::json& j, const std::string& origin, BertConfig c);
BertConfig parse_gemma3_config(const nlohmann::json& j, const std::string& origin, BertConfig c);

}  // namespace gpuembed::config_json
