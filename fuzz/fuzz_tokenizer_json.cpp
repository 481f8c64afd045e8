// Tokenizer::from_tokenizer_json on arbitrary bytes (the whole loader: every model, normalizer, pre_tokenizer and
// post_processor, merges, regexes, added_tokens). A tokenizer that loads must then encode a few fixed texts
// (including its own special tokens written literally) with ids inside its vocabulary.
#include "fuzz_common.h"
#include "json_mutator.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_checks.h"

using namespace gpuembed;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  try {
    Tokenizer t = Tokenizer::from_tokenizer_json(json, "fuzz/tokenizer.json");
    FUZZ_CHECK(t.vocab_size() > 0);
    // WordPiece always has an unk token; Unigram, BPE and WordLevel may have none (Qwen3's BPE: unk_token null).
    if (t.model_type() == "WordPiece") FUZZ_CHECK(t.unk_id() >= 0);
    FUZZ_CHECK(t.unk_id() < 0 || static_cast<size_t>(t.unk_id()) < t.vocab_size());
    for (std::string_view text : {"", "Hello, world! [CLS] x [SEP] [UNK]", "unaffable d\xC3\xA9j\xC3\xA0 vu \xE4\xB8\xAD\xE6\x96\x87 a\xFF" "b",
                                  "[MASK][PAD]   ##a"}) {
      for (size_t max_length : {0, 1, 2, 5}) fuzz::check_encode(t, text, max_length, false);
    }
  } catch (const Error&) {
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  return fuzz::mutate_json_parts(data, size, max_size, seed);
}
