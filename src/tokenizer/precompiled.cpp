#include "tokenizer/precompiled.h"


#include <cstring>

#include "gpuembed/error.h"
#include "tokenizer/regex.h"

namespace gpuembed::tok {

namespace {
// darts-clone unit fields.
inline bool has_leaf(uint32_t u) { return ((u >> 8) & 1) == 1; }
inline uint32_t value(uint32_t u) { return u & ((1u << 31) - 1); }
inline uint32_t label(uint32_t u) { return u & ((1u << 31) | 0xFF); }
inline uint32_t offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

size_t utf8_len(unsigned char b) { return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4; }
}  // namespace

PrecompiledCharsmap::PrecompiledCharsmap(std::string blob, const std::string& origin) {
  if (blob.size() < 4) throw Error(ErrorCode::kModelInvalid, origin + ": precompiled_charsmap is too short");
  uint32_t trie_bytes = 0;
  std::memcpy(&trie_bytes, blob.data(), 4);  // little-endian, as every supported target
  if (trie_bytes % 4 != 0 || trie_bytes == 0 || trie_bytes > blob.size() - 4) {
    throw Error(ErrorCode::kModelInvalid, origin + ": precompiled_charsmap has an invalid trie size");
  }
  units_.resize(trie_bytes / 4);
  std::memcpy(units_.data(), blob.data() + 4, trie_bytes);
  normalized_ = blob.substr(4 + trie_bytes);
}

const char* PrecompiledCharsmap::transform(std::string_view key, size_t& length) const {
  size_t node = 0;
  uint32_t unit = units_[0];
  node ^= offset(unit);
  for (unsigned char c : key) {
    if (c == 0) break;
    node ^= c;
    if (node >= units_.size()) return nullptr;
    unit = units_[node];
    if (label(unit) != c) return nullptr;
    node ^= offset(unit);
    if (node >= units_.size()) return nullptr;
    if (has_leaf(unit)) {
      const uint32_t v = value(units_[node]);
      if (v >= normalized_.size()) return nullptr;
      const char* s = normalized_.data() + v;
      length = strnlen(s, normalized_.size() - v);
      return s;
    }
  }
  return nullptr;
}

void PrecompiledCharsmap::normalize(std::string_view text, std::string& out) const {
  size_t pos = 0;
  while (pos < text.size()) {
    // One extended grapheme cluster [pos, end): between two ASCII characters there is always a boundary except in
    // CR LF; elsewhere Oniguruma's \X (Unicode 16, as HF's unicode-segmentation) decides.
    const auto b0 = static_cast<unsigned char>(text[pos]);
    size_t end = pos + 1;
    if (b0 >= 0x80 || (end < text.size() && static_cast<unsigned char>(text[end]) >= 0x80) ||
        (b0 == '\r' && end < text.size() && text[end] == '\n')) {
      static const Regex grapheme("\\X", "precompiled charsmap");
      const long n = grapheme.match_at(text, pos);
      end = pos + (n > 0 ? static_cast<size_t>(n) : utf8_len(b0));
    }
    const std::string_view g = text.substr(pos, end - pos);
    size_t len = 0;
    const char* rep = g.size() < 6 ? transform(g, len) : nullptr;
    if (rep) {
      out.append(rep, len);
    } else {
      for (size_t i = 0; i < g.size();) {
        const size_t n = utf8_len(static_cast<unsigned char>(g[i]));
        const char* r = transform(g.substr(i, n), len);
        if (r) out.append(r, len);
        else out.append(g.substr(i, n));
        i += n;
      }
    }
    pos = end;
  }
}

}  // namespace gpuembed::tok
