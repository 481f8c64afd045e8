// The real all-MiniLM-L6-v2 tokenizer (tests/models/all-MiniLM-L6-v2/tokenizer.json, or $GPUEMBED_FUZZ_TOKENIZER)
// on arbitrary bytes. The first input byte picks max_length (0 = no truncation, else 2..256); the rest is the text.
// Checks: ids < vocab_size (30522), first [CLS], last [SEP], length <= max_length, encode(text) == encode(text),
// encode_ids == encode().ids; ASan/UBSan watch every read of the text.
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "fuzz_common.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_checks.h"

#ifndef GPUEMBED_FUZZ_TOKENIZER_JSON
#define GPUEMBED_FUZZ_TOKENIZER_JSON "tests/models/all-MiniLM-L6-v2/tokenizer.json"
#endif

using namespace gpuembed;

namespace {
const Tokenizer& tokenizer() {
  static const Tokenizer* t = [] {
    const char* env = std::getenv("GPUEMBED_FUZZ_TOKENIZER");
    const std::string path = env ? env : GPUEMBED_FUZZ_TOKENIZER_JSON;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "fuzz_tokenize: cannot read %s (set GPUEMBED_FUZZ_TOKENIZER)\n", path.c_str());
      std::exit(1);
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    auto* tok = new Tokenizer(Tokenizer::from_tokenizer_json(ss.str(), path));
    FUZZ_CHECK(tok->vocab_size() == 30522);
    return tok;
  }();
  return *t;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Tokenizer& t = tokenizer();
  if (size == 0) return 0;
  const size_t max_length = data[0] == 0 ? 0 : 2 + data[0] % 255;
  // Copy the text into its own exact-size heap block so that ASan sees any read past its end.
  std::unique_ptr<char[]> text(new char[size - 1]);
  std::memcpy(text.get(), data + 1, size - 1);
  fuzz::check_encode(t, std::string_view(text.get(), size - 1), max_length, true);
  return 0;
}
