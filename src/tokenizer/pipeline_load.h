#pragma once
// Reading the general pipeline (pipeline.h) from a parsed tokenizer.json.
#include <nlohmann/json.hpp>
#include <string>

#include "model/json_text.h"
#include "tokenizer/tokenizer_impl.h"

namespace gpuembed::tok {

// Whether tokenizer.json has the BERT shape that tokenizer.cpp's WordPiece fast path runs (WordPiece model,
// BertNormalizer or none, BertPreTokenizer).
bool is_bert_shape(const nlohmann::json& j);

// Builds impl.pipeline (model, normalizers, pre-tokenizers) and impl.model_tokens / impl.unk / impl.model_type from
// the tree and the tables of parse_tokenizer_json() (whose pieces and merges it takes over).
// Throws Error(kModelInvalid) naming `origin` for anything malformed or unsupported.
void load_pipeline(const nlohmann::json& j, ModelTables& tables, TokenizerData& impl, const std::string& origin);

}  // namespace gpuembed::tok
