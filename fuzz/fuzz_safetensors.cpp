// SafeTensors::from_bytes on arbitrary bytes: the header parser and its validation (offsets inside the file,
// sizes = dtype x shape, no overlap). When a file parses, every float tensor is read in full through f32() (so an
// offset the validation missed is an ASan report), and bind_model_weights is tried against a tiny BERT config.
#include <cmath>

#include "fuzz_common.h"
#include "json_mutator.h"
#include "model/safetensors.h"
#include "model/weights.h"

using namespace gpuembed;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::shared_ptr<SafeTensors> st;
  try {
    st = SafeTensors::from_bytes(std::vector<uint8_t>(data, data + size), "fuzz.safetensors");
  } catch (const Error&) {
    return 0;
  }
  FUZZ_CHECK(size >= 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | data[i];
  const uint64_t data_size = size - 8 - header_len;
  std::vector<std::pair<size_t, size_t>> ranges;
  for (const auto& [name, info] : st->tensors()) {
    FUZZ_CHECK(info.begin <= info.end && info.end <= data_size);
    size_t numel = 1;
    for (int64_t d : info.shape) {
      FUZZ_CHECK(d >= 0);
      numel *= static_cast<size_t>(d);
    }
    FUZZ_CHECK(info.end - info.begin == numel * dtype_size(info.dtype));
    FUZZ_CHECK(st->find(name) == &info);
    try {
      TensorView v = st->f32(name);
      FUZZ_CHECK(v.numel() == numel);
      volatile float sum = 0;
      for (size_t i = 0; i < numel; ++i) sum = sum + v.data[i];  // every element must be readable
    } catch (const Error&) {
    }
  }
  ModelConfig c;
  c.hidden_size = 4;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.intermediate_size = 8;
  c.max_position_embeddings = 8;
  c.type_vocab_size = 2;
  c.vocab_size = 16;
  try {
    ModelWeights w = bind_model_weights(st, c);
    FUZZ_CHECK(w.layers.size() == 1);
    FUZZ_CHECK(w.word_embeddings.numel() == 16u * 4u);
  } catch (const Error&) {
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  return fuzz::mutate_safetensors_header(data, size, max_size, seed);
}
