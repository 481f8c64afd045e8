#include "tokenizer/added_match.h"

#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

namespace gpuembed::tok {

// Rust regex `\w` (used by HF for single_word added tokens): Alphabetic, marks, Nd, Pc, Join_Control, through
// Oniguruma's Unicode 16 tables (the Unicode version of Rust's regex crate).
bool is_regex_word_char(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  static const Regex word(R"([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}])", "tokenizer");
  std::string u;
  append_utf8(u, c);
  return word.match_at(u, 0) > 0;
}

AddedMatch match_added(const std::vector<AddedToken>& tokens,
                       const std::unordered_map<char32_t, std::vector<uint32_t>>& first, std::u32string_view text,
                       size_t pos) {
  auto it = first.find(text[pos]);
  if (it == first.end()) return {};
  for (uint32_t idx : it->second) {  // longest first
    const std::u32string& c = tokens[idx].content;
    if (c.size() <= text.size() - pos && text.compare(pos, c.size(), c) == 0) return {static_cast<int>(idx), c.size()};
  }
  return {};
}

bool single_word_ok(std::u32string_view text, size_t piece_begin, size_t start, size_t stop) {
  const bool start_ok = start == piece_begin || !is_regex_word_char(text[start - 1]);
  const bool stop_ok = stop == text.size() || !is_regex_word_char(text[stop]);
  return start_ok && stop_ok;
}

}  // namespace gpuembed::tok
