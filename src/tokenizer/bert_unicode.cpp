#include "tokenizer/bert_unicode.h"

#include "tokenizer/hf_unicode.h"

namespace gpuembed::tok {

namespace detail {

bool is_rust_whitespace_slow(char32_t c) { return (hf::flags(c) & hf::kWhite) != 0; }
bool is_bert_control_slow(char32_t c) { return (hf::flags(c) & hf::kControl) != 0; }
bool is_bert_punctuation_slow(char32_t c) { return (hf::flags(c) & hf::kPunct) != 0; }
bool is_mark_nonspacing_slow(char32_t c) { return (hf::flags(c) & hf::kMn) != 0; }

}  // namespace detail

void append_nfd(std::u32string_view in, std::u32string& out) { hf::append_nfd(in, out); }
void append_lowercase(char32_t c, std::u32string& out) { hf::append_lowercase(c, out); }

}  // namespace gpuembed::tok
