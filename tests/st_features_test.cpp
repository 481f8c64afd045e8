// The sentence-transformers features around the encoder (prompts, include_prompt, weightedmean / lasttoken pooling,
// Dense modules, truncate_dim, sharded checkpoints) against tests/golden/st-features.json: sentence-transformers
// 6.0.1 on CPU float32 for the folders of tools/gen_st_models.py (made by scripts/gen_models.sh).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gpuembed/gpuembed.h"
#include "model_fixture.h"
#include "model/model_spec.h"
#include "pooling/pooling.h"

namespace gpuembed {
namespace {

using nlohmann::json;
using test::copy_model;
using test::model_dir;
using test::read_file;
using test::write_file;

const json& st_golden() {
  static const json g = [] {
    std::ifstream in(std::string(GPUEMBED_REPO_GOLDEN_DIR) + "/st-features.json");
    if (!in) throw std::runtime_error("cannot open tests/golden/st-features.json");
    return json::parse(in);
  }();
  return g;
}

// The load options and per-call options a golden case names (absent: encode's defaults).
Options load_options(const json& c) {
  Options o;
  o.max_batch = 3;  // batches that mix lengths, unlike the reference's 4
  if (c.contains("truncate_dim")) o.truncate_dim = c["truncate_dim"].get<size_t>();
  if (c.value("normalize_embeddings", false)) o.normalize = 1;
  return o;
}
EmbedOptions call_options(const json& c) {
  EmbedOptions e;
  if (c.contains("prompt_name")) e.prompt_name = c["prompt_name"].get<std::string>();
  if (c.contains("prompt")) e.prompt = c["prompt"].get<std::string>();
  return e;
}

void expect_error(const std::function<void()>& f, ErrorCode code, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

class StGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(StGolden, EveryCaseWithin1e4AndBatchEqualsSingle) {
  const std::string name = GetParam();
  const json& m = st_golden()["models"][name];
  const auto sentences = st_golden()["sentences"].get<std::vector<std::string>>();
  ASSERT_FALSE(m["cases"].empty());
  for (const json& c : m["cases"]) {
    json label = c;
    label.erase("embeddings");
    label.erase("max_abs_diff_batched_vs_single");
    SCOPED_TRACE(name + " " + label.dump());
    Embedder e = Embedder::load(model_dir(name), load_options(c));
    const auto want = c["embeddings"].get<std::vector<std::vector<float>>>();
    ASSERT_EQ(e.dimension(), want[0].size());
    const std::vector<float> got = e.embed_batch(sentences, call_options(c));
    ASSERT_EQ(got.size(), sentences.size() * e.dimension());
    double worst = 0;
    for (size_t i = 0; i < sentences.size(); ++i) {
      for (size_t k = 0; k < e.dimension(); ++k) {
        worst = std::max(worst, std::abs(static_cast<double>(got[i * e.dimension() + k]) - want[i][k]));
      }
      const std::vector<float> single = e.embed(sentences[i], call_options(c));
      for (size_t k = 0; k < e.dimension(); ++k) {
        ASSERT_NEAR(single[k], got[i * e.dimension() + k], 1e-6) << "sentence " << i << " value " << k;
      }
    }
    std::printf("[%s] %s: max abs error %.3g\n", name.c_str(), label.dump().c_str(), worst);
    EXPECT_LE(worst, 1e-4);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, StGolden,
                         ::testing::Values("st-prompts-wmean", "st-lasttoken-dense", "st-sharded-cls", "st-dense-bin"));

TEST(StFeatures, PromptsDefaultAndDenseInInfo) {
  Embedder p = Embedder::load(model_dir("st-prompts-wmean"));
  EXPECT_EQ(p.info().default_prompt_name, "query");
  EXPECT_EQ(p.info().prompts.at("passage"), "passage: ");
  EXPECT_EQ(p.info().prompts.at("document"), "");  // sentence-transformers 6's default prompt names
  EXPECT_EQ(p.info().pooling, "weightedmean");
  Embedder d = Embedder::load(model_dir("st-lasttoken-dense"));
  EXPECT_EQ(d.dimension(), 64u);
  EXPECT_EQ(d.info().pooling, "mean+lasttoken");
  ASSERT_EQ(d.info().dense.size(), 2u);
  EXPECT_EQ(d.info().dense[0], "2_Dense 256->96 tanh");
  EXPECT_EQ(d.info().dense[1], "3_Dense 96->64 identity");
  EXPECT_TRUE(d.info().normalize);
  EXPECT_FALSE(Embedder::load(model_dir("st-lasttoken-dense"), {.truncate_dim = 32}).info().normalize);
}

TEST(StFeatures, PromptChangesTheVectorAndEmptyPromptOverridesTheDefault) {
  Embedder e = Embedder::load(model_dir("st-prompts-wmean"));
  const auto dflt = e.embed("hello world");
  const auto query = e.embed("hello world", {.prompt_name = "query"});
  const auto none = e.embed("hello world", {.prompt = ""});
  const auto literal = e.embed("hello world", {.prompt = "query: "});
  EXPECT_EQ(dflt, query);
  EXPECT_EQ(dflt, literal);
  EXPECT_NE(dflt, none);
}

TEST(StFeatures, UnknownPromptNameNamesTheAvailableOnes) {
  Embedder e = Embedder::load(model_dir("st-prompts-wmean"));
  expect_error([&] { e.embed("x", {.prompt_name = "qeury"}); }, ErrorCode::kInvalidInput,
               {"'qeury'", "'document'", "'none'", "'passage'", "'query'"});
}

TEST(StFeatures, TruncateDimOverTheDimensionIsInvalidInput) {
  expect_error([] { Embedder::load(model_dir("st-lasttoken-dense"), {.truncate_dim = 65}); }, ErrorCode::kInvalidInput,
               {"truncate_dim 65", "64"});
  EXPECT_EQ(Embedder::load(model_dir("st-lasttoken-dense"), {.truncate_dim = 64}).dimension(), 64u);
}

TEST(StFeatures, DenseModuleErrorsNameTheFile) {
  {
    const auto d = copy_model("st-lasttoken-dense", "dense-act");
    json c = json::parse(read_file(d / "2_Dense" / "config.json"));
    c["activation_function"] = "my.custom.Swish";
    write_file(d / "2_Dense" / "config.json", c.dump());
    expect_error([&] { Embedder::load(d); }, ErrorCode::kModelInvalid, {"2_Dense/config.json", "my.custom.Swish"});
  }
  {
    const auto d = copy_model("st-lasttoken-dense", "dense-in");
    json c = json::parse(read_file(d / "3_Dense" / "config.json"));
    c["in_features"] = 95;
    write_file(d / "3_Dense" / "config.json", c.dump());
    expect_error([&] { Embedder::load(d); }, ErrorCode::kModelInvalid, {"3_Dense/config.json", "in_features 95", "96"});
  }
  {
    const auto d = copy_model("st-lasttoken-dense", "dense-none");
    std::filesystem::remove(d / "2_Dense" / "model.safetensors");
    expect_error([&] { Embedder::load(d); }, ErrorCode::kModelNotFound, {"2_Dense/model.safetensors", "pytorch_model.bin"});
  }
  {
    const auto d = copy_model("st-lasttoken-dense", "dense-notzip");
    std::filesystem::rename(d / "2_Dense" / "model.safetensors", d / "2_Dense" / "pytorch_model.bin");
    expect_error([&] { Embedder::load(d); }, ErrorCode::kModelInvalid, {"2_Dense/pytorch_model.bin", "not a zip"});
  }
  {
    const auto d = copy_model("st-lasttoken-dense", "dense-shape");
    json c = json::parse(read_file(d / "2_Dense" / "config.json"));
    c["out_features"] = 97;  // the weights are [96, 256]
    write_file(d / "2_Dense" / "config.json", c.dump());
    expect_error([&] { Embedder::load(d); }, ErrorCode::kModelInvalid, {"linear.weight", "[96, 256]", "[97, 256]"});
  }
}

TEST(StFeatures, ShardErrorsNameTheFile) {
  {
    const auto d = copy_model("st-sharded-cls", "shard-missing");
    std::filesystem::remove(d / "model-00002-of-00002.safetensors");
    expect_error([&] { Embedder::load(d); }, ErrorCode::kModelNotFound,
                 {"model-00002-of-00002.safetensors", "missing", "model.safetensors.index.json"});
  }
  {
    const auto d = copy_model("st-sharded-cls", "shard-wrongmap");
    json idx = json::parse(read_file(d / "model.safetensors.index.json"));
    idx["weight_map"]["encoder.layer.9.output.dense.weight"] = "model-00002-of-00002.safetensors";
    write_file(d / "model.safetensors.index.json", idx.dump());
    expect_error([&] { Embedder::load(d); }, ErrorCode::kModelInvalid, {"encoder.layer.9.output.dense.weight"});
  }
  {
    const auto d = copy_model("st-sharded-cls", "shard-escape");
    json idx = json::parse(read_file(d / "model.safetensors.index.json"));
    idx["weight_map"]["x"] = "../model.safetensors";
    write_file(d / "model.safetensors.index.json", idx.dump());
    expect_error([&] { Embedder::load(d); }, ErrorCode::kModelInvalid, {"../model.safetensors"});
  }
  {
    const auto d = copy_model("st-sharded-cls", "shard-none");
    std::filesystem::remove(d / "model.safetensors.index.json");
    expect_error([&] { Embedder::load(d); }, ErrorCode::kModelNotFound, {"model.safetensors", "index.json"});
  }
}

// The Pooling config forms sentence-transformers 6 reads: pooling_mode as a name or a list (concatenated in the
// list's order), the older flags (in sentence-transformers' fixed order), include_prompt.
TEST(StFeatures, PoolingConfigForms) {
  ModelFiles f;
  f.origin = "m";
  f.config_json = read_file(model_dir("tiny-bert-cls") / "config.json");
  f.modules_json = R"([{"type":"sentence_transformers.models.Transformer"},
                       {"type":"sentence_transformers.models.Pooling","path":"1_Pooling"}])";
  auto spec = [&](const std::string& pooling) {
    f.pooling_config_json = pooling;
    return parse_model_spec(f);
  };
  EXPECT_EQ(spec(R"({"pooling_mode":["lasttoken","cls"]})").pooling,
            (std::vector<PoolingMode>{PoolingMode::kLastToken, PoolingMode::kCls}));
  EXPECT_EQ(spec(R"({"pooling_mode_weightedmean_tokens":true,"pooling_mode_cls_token":true})").pooling,
            (std::vector<PoolingMode>{PoolingMode::kCls, PoolingMode::kWeightedMean}));
  EXPECT_TRUE(spec(R"({"pooling_mode":"mean"})").include_prompt);
  EXPECT_FALSE(spec(R"({"pooling_mode":"mean","include_prompt":false})").include_prompt);
  expect_error([&] { spec(R"({"pooling_mode":"median"})"); }, ErrorCode::kModelInvalid, {"'median'", "weightedmean"});
  expect_error([&] { spec(R"({"pooling_mode":[1]})"); }, ErrorCode::kModelInvalid, {"strings"});
  expect_error([&] { spec(R"({"pooling_mode":"mean","include_prompt":"no"})"); }, ErrorCode::kModelInvalid,
               {"include_prompt"});
  expect_error([&] { spec(R"({"pooling_mode":"mean","embedding_dimension":7})"); }, ErrorCode::kModelInvalid,
               {"embedding_dimension"});
}

// pytorch_model.bin (torch.save's zip + pickle) read without torch: a damaged or foreign pickle is refused naming the
// file, never run.
TEST(StFeatures, TorchStateDictErrors) {
  const auto bin = model_dir("st-dense-bin") / "2_Dense" / "pytorch_model.bin";
  const std::string good = read_file(bin);
  auto load_with = [&](const std::string& bytes, const std::string& tag) {
    const auto d = copy_model("st-dense-bin", tag);
    write_file(d / "2_Dense" / "pytorch_model.bin", bytes);
    return [d] { Embedder::load(d); };
  };
  expect_error(load_with(good.substr(0, good.size() / 2), "bin-half"), ErrorCode::kModelInvalid, {"pytorch_model.bin"});
  // A pickle that names another callable (as a malicious file would) is refused, not called.
  std::string evil = good;
  const size_t at = evil.find("collections\nOrderedDict");
  ASSERT_NE(at, std::string::npos);
  evil.replace(at, 23, "subprocess\ncheck_output");  // same length: the zip entry stays intact
  expect_error(load_with(evil, "bin-evil"), ErrorCode::kModelInvalid, {"pytorch_model.bin", "subprocess.check_output"});
  // Stored float16 and float32 tensors both come back: the model loads and its head is 128 -> 48.
  EXPECT_EQ(Embedder::load(model_dir("st-dense-bin")).info().dense.at(0), "2_Dense 128->48 gelu");
}

// Hand-computed: 3 tokens of width 2, the first (a prompt's [CLS]) skipped.
TEST(StFeatures, PoolingModesWithPromptSkip) {
  const float h[] = {100, -100, 1, 2, 3, 6};
  float out[4];
  pool_tokens(h, 3, 2, {PoolingMode::kWeightedMean}, out, 1);
  EXPECT_FLOAT_EQ(out[0], (1 * 2 + 3 * 3) / 5.0f);
  EXPECT_FLOAT_EQ(out[1], (2 * 2 + 6 * 3) / 5.0f);
  pool_tokens(h, 3, 2, {PoolingMode::kWeightedMean}, out, 0);
  EXPECT_FLOAT_EQ(out[0], (100 + 1 * 2 + 3 * 3) / 6.0f);
  pool_tokens(h, 3, 2, {PoolingMode::kLastToken}, out, 1);
  EXPECT_FLOAT_EQ(out[0], 3);
  EXPECT_FLOAT_EQ(out[1], 6);
  pool_tokens(h, 3, 2, {PoolingMode::kCls}, out, 1);  // the first token after the prompt
  EXPECT_FLOAT_EQ(out[0], 1);
  pool_tokens(h, 3, 2, {PoolingMode::kMean}, out, 1);
  EXPECT_FLOAT_EQ(out[1], 4);
  pool_tokens(h, 3, 2, {PoolingMode::kMean, PoolingMode::kLastToken}, out, 3);  // nothing left: zeros
  for (float v : out) EXPECT_FLOAT_EQ(v, 0);
}

}  // namespace
}  // namespace gpuembed
