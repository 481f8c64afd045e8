#pragma once
// HF tokenizers' Unigram model: Viterbi over the piece scores (f64, shortest piece first on ties), characters
// without a single-character piece become unk (score min - 10), consecutive unks fused into one, byte_fallback
// to <0xXX> pieces for a piece missing from the vocabulary.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/byte_trie.h"

namespace gpuembed::tok {

class Unigram {
 public:
  Unigram() = default;
  // pieces[id] = (token, score). unk_id < 0: no unk (a character without a piece is then an error, as in HF).
  Unigram(std::vector<std::pair<std::string, double>> pieces, int32_t unk_id, bool byte_fallback);

  // Appends the ids of `word` (one pre-tokenized split, valid UTF-8).
  void tokenize(std::string_view word, std::vector<int32_t>& ids) const;

  int32_t unk_id() const { return unk_id_; }
  const std::unordered_map<std::string, int32_t>& vocab() const { return token_to_id_; }

 private:
  void emit(std::string_view piece, std::vector<int32_t>& ids) const;

  std::vector<double> scores_;
  std::unordered_map<std::string, int32_t> token_to_id_;
  ByteTrie trie_;
  int32_t unk_id_ = -1;
  bool byte_fallback_ = false;
  double unk_score_ = 0;
  int32_t byte_ids_[256];
  bool have_all_bytes_ = false;
};

}  // namespace gpuembed::tok
