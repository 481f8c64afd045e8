// parse_model_spec on config.json, modules.json, the Pooling config.json and sentence_bert_config.json, taken from
// the input split at NUL bytes (in that order; missing parts are absent files). Checks the spec's invariants.
#include <cmath>

#include "fuzz_common.h"
#include "json_mutator.h"
#include "model/model_spec.h"

using namespace gpuembed;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = fuzz::split_parts(data, size, 4);
  ModelFiles f;
  f.origin = "fuzz";
  f.config_json = parts[0];
  f.modules_json = parts[1];
  f.pooling_config_json = parts[2];
  f.sentence_bert_config_json = parts[3];
  try {
    const std::string dir = pooling_dir_from_modules(f.modules_json, f.origin);
    (void)dir;
  } catch (const Error&) {
  }
  try {
    const ModelSpec s = parse_model_spec(f);
    const ModelConfig& c = s.config;
    FUZZ_CHECK(c.hidden_size > 0 && c.num_hidden_layers > 0 && c.num_attention_heads > 0);
    FUZZ_CHECK(c.intermediate_size > 0 && c.vocab_size > 0 && c.type_vocab_size > 0);
    FUZZ_CHECK(c.hidden_size % c.num_attention_heads == 0);
    FUZZ_CHECK(c.layer_norm_eps > 0 && std::isfinite(c.layer_norm_eps));  // 1e300 must not become inf
    FUZZ_CHECK(s.max_seq_length >= 2 && s.max_seq_length <= static_cast<size_t>(c.max_position_embeddings));
    FUZZ_CHECK(!s.pooling.empty() && s.pooling.size() <= 4);
    FUZZ_CHECK(s.dimension() == s.pooling.size() * static_cast<size_t>(c.hidden_size));
  } catch (const Error&) {
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  return fuzz::mutate_json_parts(data, size, max_size, seed);
}
