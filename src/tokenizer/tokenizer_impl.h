#pragma once
// Internal state of gpuembed::Tokenizer, shared by the loaders (tokenizer_load.cpp) and encode (tokenizer.cpp).
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer.h"
#include <memory>

#include "tokenizer/pipeline.h"
#include "tokenizer/wordpiece.h"

namespace gpuembed {

namespace tok {

// An entry of HF's added vocabulary (tokenizer.json "added_tokens"), matched in the text before the model runs.
struct AddedToken {
  std::u32string content;  // what is matched (for normalized tokens: the content after normalization)
  std::string text;        // the token string as written in the file
  int32_t id = 0;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

// One special token of the post-processor template, e.g. [CLS] -> {101}.
struct SpecialPiece {
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
};

// Everything a Tokenizer holds (Tokenizer::Impl is this; a separate name so that free helper functions can use it).
struct TokenizerData {
  TokenizerOptions options;
  bool strip_accents = true;  // options.strip_accents resolved (-1 follows lowercase)

  tok::WordPiece model;
  // Set for every tokenizer that is not the BERT WordPiece shape: normalizers, pre-tokenizers and model of the
  // general pipeline (then `model` and the BertNormalizer options are unused).
  std::shared_ptr<const tok::Pipeline> pipeline;
  std::string model_type = "WordPiece";
  std::vector<std::string> model_tokens;  // model id -> token ("" where the vocabulary has a gap)

  // Added vocabulary. raw_added: matched in the input text (normalized == false); normalized_added: matched in the
  // normalized text of each whitespace-delimited run (normalized == true).
  std::vector<tok::AddedToken> raw_added;
  std::vector<tok::AddedToken> normalized_added;
  std::unordered_map<char32_t, std::vector<uint32_t>> raw_first;         // first char -> indices, longest first
  std::unordered_map<char32_t, std::vector<uint32_t>> normalized_first;  // same for normalized_added
  std::unordered_map<int32_t, std::string> added_id_to_token;
  std::array<bool, 128> raw_first_ascii{};  // quick filter: can a raw added token start with this character?
  bool raw_first_non_ascii = false;

  // Post-processor (single sequence): prefix pieces + sequence + suffix pieces.
  std::vector<tok::SpecialPiece> prefix;
  std::vector<tok::SpecialPiece> suffix;
  size_t n_special_ids = 0;

  int32_t cls = -1, sep = -1, pad = -1, unk = -1;
  size_t vocab_size = 0;

  // BertNormalizer applied to a whole string (used for the content of normalized added tokens).
  std::u32string normalize(std::u32string_view text) const;

  // Fills raw_first/normalized_first, added_id_to_token, n_special_ids, vocab_size; resolves strip_accents.
  void finalize();
};

}  // namespace tok

struct Tokenizer::Impl : tok::TokenizerData {};

}  // namespace gpuembed
