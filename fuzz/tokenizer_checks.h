#pragma once
// Invariants of Tokenizer::encode shared by the tokenizer targets.
#include <string_view>

#include "fuzz_common.h"
#include "tokenizer/tokenizer.h"

namespace fuzz {

// Encodes `text` twice (and through encode_ids) and checks: same result each time, ids < vocab_size(),
// tokens.size() == ids.size(), length <= max_length when truncating, every id has a token string; it throws only
// where documented.
// With `bert_template` (a tokenizer whose template is [CLS] $A [SEP]) also: first id [CLS], last id [SEP], >= 2 ids.
inline void check_encode(const gpuembed::Tokenizer& t, std::string_view text, size_t max_length, bool bert_template) {
  gpuembed::Encoding e;
  try {
    e = t.encode(text, max_length);
  } catch (const gpuembed::Error& err) {
    // The documented failures: no room for the template's special tokens (3 for "[CLS] $A [SEP] [SEP]"), and a
    // Unigram model without an unknown token meeting text outside its vocabulary (HF tokenizers refuses it too).
    const bool no_room = max_length > 0 && max_length < t.num_special_tokens();
    const bool unigram_unknown = t.model_type() == "Unigram" && err.code() == gpuembed::ErrorCode::kInvalidInput &&
                                 std::string_view(err.what()).find("Unigram model without unk") != std::string_view::npos;
    FUZZ_CHECK(no_room || unigram_unknown);
    return;
  }
  FUZZ_CHECK(max_length == 0 || max_length >= t.num_special_tokens());
  FUZZ_CHECK(e.tokens.size() == e.ids.size());
  if (max_length > 0) FUZZ_CHECK(e.ids.size() <= max_length);
  for (int32_t id : e.ids) {
    FUZZ_CHECK(id >= 0 && static_cast<size_t>(id) < t.vocab_size());
    (void)t.id_to_token(id);  // every id must map back to a token (throws Error otherwise -> escapes -> crash)
  }
  if (bert_template) {
    FUZZ_CHECK(e.ids.size() >= 2);
    FUZZ_CHECK(e.ids.front() == t.cls_id());
    FUZZ_CHECK(e.ids.back() == t.sep_id());
  }
  const gpuembed::Encoding again = t.encode(text, max_length);
  FUZZ_CHECK(again.ids == e.ids && again.tokens == e.tokens);
  FUZZ_CHECK(t.encode_ids(text, max_length) == e.ids);
}

}  // namespace fuzz
