// PrecompiledCharsmap (SentencePiece's compiled normalization trie of tokenizer.json's "Precompiled" normalizer) on
// arbitrary bytes: the blob before the first NUL, then a text to normalize. A blob either is rejected with a
// gpuembed::Error or normalizes every text without reading outside the blob (ASan) and deterministically.
#include "fuzz_common.h"
#include "tokenizer/precompiled.h"
#include "tokenizer/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = fuzz::split_parts(data, size, 2);
  try {
    gpuembed::tok::PrecompiledCharsmap map(parts[0], "fuzz/charsmap");
    // The pipeline hands the charsmap valid UTF-8 only (invalid input became U+FFFD): do the same.
    std::u32string cps;
    gpuembed::tok::decode_utf8_replace(parts[1], cps);
    const std::string text = gpuembed::tok::to_utf8(cps);
    std::string a, b;
    map.normalize(text, a);
    map.normalize(text, b);
    FUZZ_CHECK(a == b);
  } catch (const gpuembed::Error&) {
  }
  return 0;
}
