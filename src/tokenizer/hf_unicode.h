#pragma once
// Unicode properties and normalization forms as HF tokenizers 0.23.2 computes them, from tables generated off HF
// itself (tools/gen_hf_unicode_tables.py -> hf_unicode_tables.inc). HF mixes crates of different Unicode versions
// (unicode_categories and unicode-normalization-alignments are old, Rust's std is recent), so no single Unicode
// version, and so no utf8proc, gives its ids on every character.
#include <cstdint>
#include <string>
#include <string_view>

namespace gpuembed::tok::hf {

enum Flag : uint8_t {
  kWhite = 1,     // Rust char::is_whitespace
  kControl = 2,   // BertNormalizer's is_control (Cc | Cf | Co of unicode_categories, not \t \n \r)
  kPunct = 4,     // BertPreTokenizer's is_bert_punc
  kMn = 8,        // unicode_categories' is_mark_nonspacing (characters without a decomposition)
  kMark = 16,     // unicode-normalization's is_combining_mark (StripAccents)
  kNumeric = 32,  // Rust char::is_numeric (Digits)
};

uint8_t flags(char32_t c);
// Canonical combining class as HF's normalization tables know it (0 for characters they do not know).
uint8_t combining_class(char32_t c);

// Appends the NFD / NFKD of `in` (full decomposition, then canonical ordering) to `out`.
void append_nfd(std::u32string_view in, std::u32string& out);
void append_nfkd(std::u32string_view in, std::u32string& out);
// Canonical composition of a decomposed string in place (NFC = compose(NFD), NFKC = compose(NFKD)).
void compose(std::u32string& s);
// Rust char::to_lowercase.
void append_lowercase(char32_t c, std::u32string& out);

}  // namespace gpuembed::tok::hf
