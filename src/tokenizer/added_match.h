#pragma once
// Matching the added vocabulary in a text as HF's AddedVocabulary does (leftmost-longest, then the single_word
// filter), shared by the WordPiece fast path (tokenizer.cpp) and the general pipeline (pipeline_encode.cpp).
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer_impl.h"

namespace gpuembed::tok {

// Rust regex `\w` (used by HF for single_word added tokens): Alphabetic, marks, Nd, Pc, Join_Control, through
// Oniguruma's Unicode 16 tables (the Unicode version of Rust's regex crate).
bool is_regex_word_char(char32_t c);

// Leftmost-longest matching of the added vocabulary at `pos` of `text`. Returns the index of the token or -1. HF
// applies the single_word filter after the leftmost-longest search, so a rejected match is simply not a match
// (and the caller treats it as text).
struct AddedMatch {
  int index = -1;
  size_t length = 0;
};

AddedMatch match_added(const std::vector<AddedToken>& tokens,
                       const std::unordered_map<char32_t, std::vector<uint32_t>>& first, std::u32string_view text,
                       size_t pos);

// HF's single_word test: no word character (Rust regex \w) just before `start` (within the piece) or at `stop`.
bool single_word_ok(std::u32string_view text, size_t piece_begin, size_t start, size_t stop);

// Appends the ids of `text` through the general pipeline (t.pipeline), at most `limit` of them.
void encode_with_pipeline(const TokenizerData& t, std::u32string_view text, size_t limit, std::vector<int32_t>& ids,
                          std::vector<std::string>* tokens);

}  // namespace gpuembed::tok
