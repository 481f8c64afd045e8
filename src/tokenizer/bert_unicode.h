#pragma once
// Character classes and per-character transforms of Hugging Face `tokenizers`' BertNormalizer and
// BertPreTokenizer, backed by utf8proc's Unicode tables. Only the CJK ranges are hard-coded (as HF hard-codes them).
//
// HF definitions reproduced here:
//   is_whitespace (normalizer): '\t' '\n' '\r' or Rust char::is_whitespace (the White_Space property).
//   is_control (normalizer):    not '\t' '\n' '\r', and unicode_categories' is_other() = Cc | Cf | Co.
//                               (that crate's Cn table is empty: unassigned code points are NOT removed.)
//   is_punctuation (pre-tok):   char::is_ascii_punctuation or categories Pc Pd Ps Pe Pi Pf Po.
//   is_chinese_char:            the eight ranges of tokenizers/src/normalizers/bert.rs (note 0x2B920, not 0x2B820).
//   strip accents:              NFD, then drop Mn.
//   lowercase:                  Rust char::to_lowercase (full mapping: U+0130 -> "i\u0307", the only
//                               unconditional multi-char lowercase mapping; others are utf8proc_tolower).
#include <string>

namespace gpuembed::tok {

// Rust char::is_whitespace: White_Space = Zs | Zl | Zp | U+0009..U+000D | U+0085.
bool is_rust_whitespace(char32_t c);
// BertNormalizer's is_whitespace.
inline bool is_bert_whitespace(char32_t c) { return c == '\t' || c == '\n' || c == '\r' || is_rust_whitespace(c); }
// BertNormalizer's is_control.
bool is_bert_control(char32_t c);
// BertPreTokenizer's is_bert_punc.
bool is_bert_punctuation(char32_t c);
// BertNormalizer's is_chinese_char.
bool is_chinese_char(char32_t c);
// General category Mn.
bool is_mark_nonspacing(char32_t c);

// Appends the canonical decomposition (NFD) of `in` to `out`, canonical ordering included.
void append_nfd(std::u32string_view in, std::u32string& out);
// Appends Rust's char::to_lowercase(c) to `out` (one or two code points).
void append_lowercase(char32_t c, std::u32string& out);

}  // namespace gpuembed::tok
