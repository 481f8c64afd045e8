#pragma once
// UTF-8 decoding/encoding used by the tokenizer. Decoding never fails: each ill-formed subsequence becomes one
// U+FFFD following the Unicode "maximal subpart" practice, which is exactly what Python's
// bytes.decode("utf-8", errors="replace") does (so a sentence-transformers user handing the same bytes to Python
// sees the same characters). Reads never go past the end of the input.
#include <string>
#include <string_view>

namespace gpuembed::tok {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Appends the code points of `bytes` to `out`. Rules (Unicode Table 3-7, well-formed byte sequences):
//   00..7F                     one byte
//   C2..DF 80..BF              two bytes
//   E0 A0..BF 80..BF, E1..EC 80..BF 80..BF, ED 80..9F 80..BF, EE..EF 80..BF 80..BF
//   F0 90..BF 80..BF 80..BF, F1..F3 80..BF x3, F4 80..8F 80..BF 80..BF
// A byte that cannot start a sequence (80..C1, F5..FF) is one U+FFFD. A valid lead followed by fewer valid
// continuation bytes than it needs (a truncated sequence, or one cut by an out-of-range byte such as an overlong
// E0 80 or a surrogate ED A0) is one U+FFFD for the lead plus the valid continuations seen so far; decoding
// resumes at the offending byte. Examples: "\xC0\x80" -> 2 x U+FFFD, "\xED\xA0\x80" -> 3 x U+FFFD,
// "\xE2\x82" at end -> 1 x U+FFFD, "\xF4\x90\x80\x80" -> 4 x U+FFFD.
void decode_utf8_replace(std::string_view bytes, std::u32string& out);

// Appends the UTF-8 encoding of `cp` (which must be a Unicode scalar value) to `out`.
inline void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

inline std::string to_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

}  // namespace gpuembed::tok
