#include "tokenizer/wordpiece.h"

#include <algorithm>

namespace gpuembed::tok {

WordPiece::WordPiece(VocabMap vocab, int32_t unk_id, std::string continuing_subword_prefix,
                     size_t max_input_chars_per_word)
    : vocab_(std::move(vocab)),
      unk_id_(unk_id),
      prefix_(std::move(continuing_subword_prefix)),
      max_chars_(max_input_chars_per_word) {
  std::vector<std::pair<std::string_view, int32_t>> all, cont;
  all.reserve(vocab_.size());
  for (const auto& [token, id] : vocab_) {
    max_len_ = std::max(max_len_, token.size());
    all.emplace_back(token, id);
    if (token.size() >= prefix_.size() && token.compare(0, prefix_.size(), prefix_) == 0) {
      std::string_view rest = std::string_view(token).substr(prefix_.size());
      max_cont_len_ = std::max(max_cont_len_, rest.size());
      cont.emplace_back(rest, id);
    }
  }
  words_ = FlatVocab(all);
  continuation_ = FlatVocab(cont);
}

void WordPiece::tokenize(std::string_view word, const uint32_t* char_starts, size_t n_chars,
                         std::vector<int32_t>& out) const {
  if (n_chars == 0) return;
  if (n_chars > max_chars_) {
    out.push_back(unk_id_);
    return;
  }
  const size_t first_new = out.size();
  size_t start_char = 0;
  while (start_char < n_chars) {
    const size_t start = char_starts[start_char];
    const FlatVocab& map = start_char == 0 ? words_ : continuation_;
    const size_t max_bytes = start_char == 0 ? max_len_ : max_cont_len_;
    // Longest first: try ends at character boundaries from the end of the word down to start_char + 1.
    // "##" + piece is in the vocabulary exactly when piece is a key of continuation_ (same id).
    bool found = false;
    for (size_t end_char = n_chars; end_char > start_char; --end_char) {
      const size_t end = end_char == n_chars ? word.size() : char_starts[end_char];
      if (end - start > max_bytes) continue;  // no vocabulary entry is that long
      const int32_t id = map.find(word.substr(start, end - start));
      if (id >= 0) {
        out.push_back(id);
        start_char = end_char;
        found = true;
        break;
      }
    }
    if (!found) {
      out.resize(first_new);
      out.push_back(unk_id_);
      return;
    }
  }
}

}  // namespace gpuembed::tok
