#pragma once
// WordPiece model: greedy longest-match-first, exactly as Hugging Face `tokenizers` (models/wordpiece):
// a word of more than max_input_chars_per_word characters, or one that cannot be split completely into vocabulary
// pieces, becomes a single unk token.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/flat_vocab.h"

namespace gpuembed::tok {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using VocabMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class WordPiece {
 public:
  WordPiece() = default;
  // `vocab` maps token -> id; `unk_id` must be a valid id.
  WordPiece(VocabMap vocab, int32_t unk_id, std::string continuing_subword_prefix, size_t max_input_chars_per_word);

  // Tokenizes one pre-token given as UTF-8 (`word`) of `n_chars` characters; `char_starts` holds the byte offset
  // of every character (n_chars entries). Appends ids to `out`.
  void tokenize(std::string_view word, const uint32_t* char_starts, size_t n_chars, std::vector<int32_t>& out) const;

  const VocabMap& vocab() const { return vocab_; }
  const std::string& prefix() const { return prefix_; }
  int32_t unk_id() const { return unk_id_; }
  size_t max_input_chars_per_word() const { return max_chars_; }

 private:
  VocabMap vocab_;           // every entry (lookups outside the hot loop)
  FlatVocab words_;          // the same entries, for tokenize()
  FlatVocab continuation_;   // entries starting with the prefix, prefix removed ("##ing" -> "ing")
  size_t max_len_ = 0;       // longest key of vocab_, in bytes
  size_t max_cont_len_ = 0;  // longest key of continuation_, in bytes
  int32_t unk_id_ = 0;
  std::string prefix_ = "##";
  size_t max_chars_ = 100;
};

}  // namespace gpuembed::tok
