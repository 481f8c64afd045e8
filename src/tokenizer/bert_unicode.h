#pragma once
// Character classes and per-character transforms of Hugging Face `tokenizers`' BertNormalizer and
// BertPreTokenizer, from HF's own tables (hf_unicode.h, generated off HF tokenizers 0.23.2). Only the CJK ranges are
// hard-coded (as HF hard-codes them).
//
// HF definitions reproduced here:
//   is_whitespace (normalizer): '\t' '\n' '\r' or Rust char::is_whitespace (the White_Space property).
//   is_control (normalizer):    not '\t' '\n' '\r', and unicode_categories' is_other() = Cc | Cf | Co.
//                               (that crate's Cn table is empty: unassigned code points are NOT removed.)
//   is_punctuation (pre-tok):   char::is_ascii_punctuation or unicode_categories' Pc Pd Ps Pe Pi Pf Po.
//   is_chinese_char:            the eight ranges of tokenizers/src/normalizers/bert.rs (note 0x2B920, not 0x2B820).
//   strip accents:              NFD (unicode-normalization-alignments), then drop unicode_categories' Mn.
//   lowercase:                  Rust char::to_lowercase (full mapping: U+0130 -> "i\u0307").
#include <array>
#include <cstdint>
#include <string>

namespace gpuembed::tok {

namespace detail {
enum : uint8_t { kWhite = 1, kControl = 2, kPunct = 4 };
// Flags of the ASCII characters (the common case is answered inline, without utf8proc).
inline constexpr std::array<uint8_t, 128> kAscii = [] {
  std::array<uint8_t, 128> t{};
  for (int c = 0; c < 128; ++c) {
    if (c == ' ' || (c >= 0x09 && c <= 0x0D)) t[c] |= kWhite;
    if ((c < 0x20 || c == 0x7F) && c != '\t' && c != '\n' && c != '\r') t[c] |= kControl;
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) t[c] |= kPunct;
  }
  return t;
}();
bool is_rust_whitespace_slow(char32_t c);
bool is_bert_control_slow(char32_t c);
bool is_bert_punctuation_slow(char32_t c);
bool is_mark_nonspacing_slow(char32_t c);
}  // namespace detail

// Rust char::is_whitespace: White_Space = Zs | Zl | Zp | U+0009..U+000D | U+0085.
inline bool is_rust_whitespace(char32_t c) {
  return c < 0x80 ? (detail::kAscii[c] & detail::kWhite) != 0 : detail::is_rust_whitespace_slow(c);
}
// BertNormalizer's is_whitespace.
inline bool is_bert_whitespace(char32_t c) { return c == '\t' || c == '\n' || c == '\r' || is_rust_whitespace(c); }
// BertNormalizer's is_control.
inline bool is_bert_control(char32_t c) {
  return c < 0x80 ? (detail::kAscii[c] & detail::kControl) != 0 : detail::is_bert_control_slow(c);
}
// BertPreTokenizer's is_bert_punc.
inline bool is_bert_punctuation(char32_t c) {
  return c < 0x80 ? (detail::kAscii[c] & detail::kPunct) != 0 : detail::is_bert_punctuation_slow(c);
}
// BertNormalizer's is_chinese_char.
inline bool is_chinese_char(char32_t c) {
  if (c < 0x3400) return false;
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}
// General category Mn (none below U+0300).
inline bool is_mark_nonspacing(char32_t c) { return c >= 0x300 && detail::is_mark_nonspacing_slow(c); }

// Appends the canonical decomposition (NFD) of `in` to `out`, canonical ordering included.
void append_nfd(std::u32string_view in, std::u32string& out);
// Appends Rust's char::to_lowercase(c) to `out` (one or two code points).
void append_lowercase(char32_t c, std::u32string& out);

}  // namespace gpuembed::tok
