// Tokenizer::from_vocab: vocab.txt and tokenizer_config.json from the input split at the first NUL byte. A tokenizer
// that loads must encode a few fixed texts with ids inside its vocabulary and [CLS] ... [SEP] around them.
#include "fuzz_common.h"
#include "json_mutator.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_checks.h"

using namespace gpuembed;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = fuzz::split_parts(data, size, 2);
  try {
    Tokenizer t = Tokenizer::from_vocab(parts[0], parts[1], "fuzz/vocab.txt");
    FUZZ_CHECK(t.vocab_size() > 0);
    for (std::string_view text : {"", "Hello, world! [CLS] x [SEP] [UNK]", "unaffable d\xC3\xA9j\xC3\xA0 vu \xE4\xB8\xAD\xE6\x96\x87 a\xFF" "b"}) {
      for (size_t max_length : {0, 2, 5}) fuzz::check_encode(t, text, max_length, true);
    }
  } catch (const Error&) {
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  return fuzz::mutate_json_parts(data, size, max_size, seed);
}
