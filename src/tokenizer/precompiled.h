#pragma once
// SentencePiece's precompiled normalization charsmap (tokenizer.json normalizer "Precompiled"), applied as HF's
// spm_precompiled crate does: per extended grapheme cluster shorter than 6 bytes, the replacement of its shortest
// prefix found in the trie (yes, the shortest: "Ａ\u0301" becomes "A", as HF gives), else per character.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gpuembed::tok {

class PrecompiledCharsmap {
 public:
  // `blob`: the decoded precompiled_charsmap bytes (u32 trie size, darts-clone double array, replacement strings).
  // Throws Error(kModelInvalid) naming `origin` when the blob is malformed.
  PrecompiledCharsmap(std::string blob, const std::string& origin);

  // Appends the normalization of `text` (valid UTF-8) to `out`.
  void normalize(std::string_view text, std::string& out) const;

 private:
  // Replacement for the shortest prefix of `key` in the trie, or nullptr.
  const char* transform(std::string_view key, size_t& length) const;

  std::vector<uint32_t> units_;
  std::string normalized_;
};

}  // namespace gpuembed::tok
