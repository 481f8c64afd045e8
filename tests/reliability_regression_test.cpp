// Regression tests for the crashes and unsafe behaviour found with the fuzz targets (fuzz/, scripts/fuzz.sh; details
// and figures in RELIABILITY.md). Each input is the reproducer, reduced to what matters; each must now fail cleanly
// with gpuembed::Error (kModelInvalid), or work, instead of escaping as a foreign exception, allocating gigabytes or
// reading outside the embedding table.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "gpuembed/gpuembed.h"
#include "model/model_spec.h"
#include "model/safetensors.h"
#include "model_fixture.h"
#include "test_paths.h"
#include "tokenizer/tokenizer.h"

namespace gpuembed {
namespace {

using nlohmann::json;

template <class F>
void expect_model_invalid(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error (expected one containing '" << needle << "')";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kModelInvalid) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "foreign exception escaped: " << e.what();
  }
}

const std::string kConfig = R"({"hidden_size":4,"num_hidden_layers":1,"num_attention_heads":1,"intermediate_size":4,
  "max_position_embeddings":8,"vocab_size":8})";

ModelFiles files(std::string modules, std::string pooling = "", std::string config = kConfig) {
  ModelFiles f;
  f.origin = "regression";
  f.config_json = std::move(config);
  f.modules_json = std::move(modules);
  f.pooling_config_json = std::move(pooling);
  return f;
}

// fuzz_model_spec: modules.json entries with a non-string "type" or "path". nlohmann's value() threw its own
// json::type_error out of pooling_dir_from_modules (so out of Embedder::load) instead of gpuembed::Error.
TEST(ReliabilityRegression, ModulesJsonNonStringTypeOrPath) {
  EXPECT_EQ(pooling_dir_from_modules(R"([{"type":5}])", "m"), "1_Pooling");
  expect_model_invalid([] { parse_model_spec(files(R"([{"type":5}])")); }, "module without a type");
  expect_model_invalid(
      [] { pooling_dir_from_modules(R"([{"type":"sentence_transformers.models.Pooling","path":5}])", "m"); },
      "path must be a string");
  EXPECT_EQ(pooling_dir_from_modules(R"([{"type":"sentence_transformers.models.Pooling","path":"p"}])", "m"), "p");
}

// fuzz_model_spec: a Pooling config with a non-boolean unsupported flag ({"pooling_mode_lasttoken": "x"}) threw
// json::type_error from value(key, false).
TEST(ReliabilityRegression, PoolingUnsupportedFlagNotBoolean) {
  const std::string mods = R"([{"type":"sentence_transformers.models.Transformer"},
                               {"type":"sentence_transformers.models.Pooling","path":"1_Pooling"}])";
  expect_model_invalid(
      [&] { parse_model_spec(files(mods, R"({"pooling_mode_mean_tokens":true,"pooling_mode_lasttoken":"x"})")); },
      "must be true or false");
  expect_model_invalid(
      [&] { parse_model_spec(files(mods, R"({"pooling_mode_mean_tokens":true,"pooling_mode_weightedmean_tokens":1})")); },
      "must be true or false");
}

// fuzz_model_spec: layer_norm_eps 1e300 is positive as a double but inf as the float32 the encoder uses.
TEST(ReliabilityRegression, LayerNormEpsOverflowingFloat) {
  json c = json::parse(kConfig);
  c["layer_norm_eps"] = 1e300;
  expect_model_invalid([&] { parse_model_config(c.dump(), "config.json"); }, "layer_norm_eps");
  // Found by fuzz_model_spec in CI: 1e-92 is positive as a double but 0 as a float32.
  c["layer_norm_eps"] = 1e-92;
  expect_model_invalid([&] { parse_model_config(c.dump(), "config.json"); }, "layer_norm_eps");
  c["layer_norm_eps"] = 1e-12;
  EXPECT_FLOAT_EQ(parse_model_config(c.dump(), "config.json").layer_norm_eps, 1e-12f);
}

json small_tokenizer_json() {
  return json::parse(R"({
    "added_tokens": [{"id":0,"content":"[PAD]","special":true},{"id":1,"content":"[UNK]","special":true},
                     {"id":2,"content":"[CLS]","special":true},{"id":3,"content":"[SEP]","special":true}],
    "normalizer": {"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,
                   "lowercase":true},
    "pre_tokenizer": {"type":"BertPreTokenizer"},
    "post_processor": {"type":"TemplateProcessing",
      "single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
                {"SpecialToken":{"id":"[SEP]","type_id":0}}],
      "special_tokens":{"[CLS]":{"id":"[CLS]","ids":[2],"tokens":["[CLS]"]},
                        "[SEP]":{"id":"[SEP]","ids":[3],"tokens":["[SEP]"]}}},
    "model": {"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
              "vocab":{"[PAD]":0,"[UNK]":1,"[CLS]":2,"[SEP]":3,"hello":4,"world":5}}})");
}

// fuzz_tokenizer_json: post_processor.single with {"Sequence": {"id": 5}} threw json::type_error from value().
TEST(ReliabilityRegression, TemplateSequenceIdNotString) {
  json t = small_tokenizer_json();
  t["post_processor"]["single"][1]["Sequence"]["id"] = 5;
  expect_model_invalid([&] { Tokenizer::from_tokenizer_json(t.dump()); }, "sequence $A exactly once");
  EXPECT_EQ(Tokenizer::from_tokenizer_json(small_tokenizer_json().dump()).encode_ids("hello world", 0),
            (std::vector<int32_t>{2, 4, 5, 3}));
}

// fuzz_tokenizer_json: one model.vocab id of 2^31-1 made the loader allocate a 2^31-entry id -> token table
// (64 GiB; ASan out-of-memory). Ids are now bounded by the largest vocabulary a config may declare (2^24).
TEST(ReliabilityRegression, HugeVocabIdIsRejectedWithoutAllocating) {
  json t = small_tokenizer_json();
  t["model"]["vocab"]["zzz"] = 2147483647;
  expect_model_invalid([&] { Tokenizer::from_tokenizer_json(t.dump()); }, "beyond the largest supported vocabulary");
  t["model"]["vocab"]["zzz"] = 16777216;
  expect_model_invalid([&] { Tokenizer::from_tokenizer_json(t.dump()); }, "beyond the largest supported vocabulary");
}

// fuzz_tokenizer_json: a template special token whose id is outside the vocabulary ([CLS] -> 40000) was emitted in
// every encoding but not counted in vocab_size(), so the check against config.json's vocab_size (30522) passed and the
// CPU backend read word_embeddings row 40000, outside the table. Now vocab_size() counts template ids, the id maps
// back to its token, and such a model folder is rejected at load.
TEST(ReliabilityRegression, TemplateIdOutsideVocabulary) {
  json t = small_tokenizer_json();
  t["post_processor"]["special_tokens"]["[CLS]"]["ids"] = {40000};
  const Tokenizer tok = Tokenizer::from_tokenizer_json(t.dump());
  EXPECT_EQ(tok.vocab_size(), 40001u);
  const Encoding e = tok.encode("hello", 0);
  ASSERT_EQ(e.ids.front(), 40000);
  EXPECT_EQ(tok.id_to_token(40000), "[CLS]");

  const auto dir = test::copy_model("minilm-l6-random", "regress-template");
  json real = json::parse(test::read_file(dir / "tokenizer.json"));
  real["post_processor"]["special_tokens"]["[CLS]"]["ids"] = {40000};
  test::write_file(dir / "tokenizer.json", real.dump());
  expect_model_invalid([&] { Embedder::load(dir); }, "vocab_size is 30522");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gpuembed
