#pragma once
// Oniguruma, the regex engine HF tokenizers itself uses for the patterns of tokenizer.json (Split, Replace,
// ByteLevel's GPT-2 pattern, Whitespace): the same syntax (ONIG_SYNTAX_ONIGURUMA, the onig crate's default), so
// the same matches.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gpuembed::tok {

class Regex {
 public:
  // Throws Error(kModelInvalid) naming `origin` when the pattern does not compile.
  Regex(const std::string& pattern, const std::string& origin);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Every non-overlapping match, left to right, as byte ranges [begin, end) of `text` (which must be valid UTF-8).
  // An empty match advances the search by one character, as the onig crate's find_iter does.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

  // Length in bytes of the match that starts exactly at `pos` (anchored), or -1 when there is none.
  long match_at(std::string_view text, size_t pos) const;

  // A literal string as a pattern (HF escapes string patterns the same way).
  static std::string escape(std::string_view literal);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpuembed::tok
