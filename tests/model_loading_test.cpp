// Loading a Hugging Face folder: every malformed file gives a gpuembed::Error naming the file and the
// problem; legitimate variants (bert. prefix, F16/BF16 weights, no modules.json) load correctly.
#include <gtest/gtest.h>

#include <cmath>

#include "golden_util.h"
#include "gpuembed/gpuembed.h"
#include "model/half.h"
#include "model/safetensors.h"
#include "model_fixture.h"

namespace gpuembed {
namespace {

using namespace test;

// Expects Embedder::load to fail with `code` and a message containing every string in `parts`.
void expect_load_error(const fs::path& dir, ErrorCode code, std::vector<std::string> parts) {
  try {
    Embedder::load(dir);
    FAIL() << "load succeeded for " << dir;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

TEST(ModelLoading, MissingFolder) { expect_load_error("/nonexistent/model", ErrorCode::kModelNotFound, {"not found"}); }

TEST(ModelLoading, EmptyFolder) {
  expect_load_error(temp_dir("empty"), ErrorCode::kModelNotFound, {"config.json", "missing"});
}

TEST(ModelLoading, MissingWeights) {
  fs::path d = copy_model("tiny-bert-cls", "noweights");
  fs::remove(d / "model.safetensors");
  expect_load_error(d, ErrorCode::kModelNotFound, {"model.safetensors", "missing"});
}

TEST(ModelLoading, InvalidConfigJson) {
  fs::path d = copy_model("tiny-bert-cls", "badjson");
  write_file(d / "config.json", "{\"hidden_size\": 128,");
  expect_load_error(d, ErrorCode::kModelInvalid, {"config.json", "invalid JSON"});
}

TEST(ModelLoading, MissingConfigField) {
  fs::path d = copy_model("tiny-bert-cls", "nofield");
  auto j = nlohmann::json::parse(read_file(d / "config.json"));
  j.erase("num_attention_heads");
  write_file(d / "config.json", j.dump());
  expect_load_error(d, ErrorCode::kModelInvalid, {"config.json", "num_attention_heads"});
}

TEST(ModelLoading, ConfigShapeDisagreesWithWeights) {
  fs::path d = copy_model("tiny-bert-cls", "shape");
  auto j = nlohmann::json::parse(read_file(d / "config.json"));
  j["intermediate_size"] = 256;
  write_file(d / "config.json", j.dump());
  expect_load_error(d, ErrorCode::kModelInvalid, {"model.safetensors", "intermediate.dense.weight", "shape"});
}

TEST(ModelLoading, TruncatedSafetensors) {
  fs::path d = copy_model("tiny-bert-cls", "trunc");
  std::string f = read_file(d / "model.safetensors");
  write_file(d / "model.safetensors", f.substr(0, f.size() / 2));
  expect_load_error(d, ErrorCode::kModelInvalid, {"model.safetensors", "outside"});
}

TEST(ModelLoading, HeaderLargerThanFile) {
  fs::path d = copy_model("tiny-bert-cls", "hdr");
  std::string f = read_file(d / "model.safetensors");
  f[5] = '\x01';  // header length now ~2^40
  write_file(d / "model.safetensors", f);
  expect_load_error(d, ErrorCode::kModelInvalid, {"header length"});
  write_file(d / "model.safetensors", "abc");
  expect_load_error(d, ErrorCode::kModelInvalid, {"too short"});
  write_file(d / "model.safetensors", "");
  expect_load_error(d, ErrorCode::kModelInvalid, {"too short"});
}

TEST(ModelLoading, HeaderNotJson) {
  fs::path d = copy_model("tiny-bert-cls", "hdrjson");
  auto parts = split_safetensors(read_file(d / "model.safetensors"));
  std::string bad = join_safetensors(parts.header, parts.data);
  bad[8] = '#';  // the opening brace
  write_file(d / "model.safetensors", bad);
  expect_load_error(d, ErrorCode::kModelInvalid, {"not valid JSON"});
}

TEST(ModelLoading, UnknownDtype) {
  fs::path d = copy_model("tiny-bert-cls", "dtype");
  auto parts = split_safetensors(read_file(d / "model.safetensors"));
  parts.header["embeddings.LayerNorm.bias"]["dtype"] = "F8_E4M3";
  write_file(d / "model.safetensors", join_safetensors(parts.header, parts.data));
  expect_load_error(d, ErrorCode::kModelInvalid, {"unknown dtype", "F8_E4M3"});
}

TEST(ModelLoading, WrongTensorShapeInHeader) {
  fs::path d = copy_model("tiny-bert-cls", "hdrshape");
  auto parts = split_safetensors(read_file(d / "model.safetensors"));
  parts.header["embeddings.LayerNorm.bias"]["shape"] = {64, 2};
  write_file(d / "model.safetensors", join_safetensors(parts.header, parts.data));
  expect_load_error(d, ErrorCode::kModelInvalid, {"embeddings.LayerNorm.bias", "shape"});
}

TEST(ModelLoading, OverlappingTensors) {
  fs::path d = copy_model("tiny-bert-cls", "overlap");
  auto parts = split_safetensors(read_file(d / "model.safetensors"));
  auto offs = parts.header["embeddings.LayerNorm.weight"]["data_offsets"];
  parts.header["embeddings.LayerNorm.bias"]["data_offsets"] = offs;
  write_file(d / "model.safetensors", join_safetensors(parts.header, parts.data));
  expect_load_error(d, ErrorCode::kModelInvalid, {"overlap"});
}

TEST(ModelLoading, MissingTensor) {
  fs::path d = copy_model("tiny-bert-cls", "missing");
  auto parts = split_safetensors(read_file(d / "model.safetensors"));
  parts.header.erase("encoder.layer.1.output.dense.weight");
  write_file(d / "model.safetensors", join_safetensors(parts.header, parts.data));
  expect_load_error(d, ErrorCode::kModelInvalid, {"encoder.layer.1.output.dense.weight", "missing"});
}

TEST(ModelLoading, BadPoolingConfig) {
  fs::path d = copy_model("tiny-bert-cls", "pool");
  write_file(d / "1_Pooling" / "config.json", "{\"word_embedding_dimension\": 128}");
  expect_load_error(d, ErrorCode::kModelInvalid, {"1_Pooling", "no pooling mode"});
}

// Re-encodes every float tensor of tiny-bert-cls and returns the folder.
fs::path convert_model(const std::string& tag, const std::string& dtype, const std::string& prefix) {
  fs::path d = copy_model("tiny-bert-cls", tag);
  auto parts = split_safetensors(read_file(d / "model.safetensors"));
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (auto& [name, t] : parts.header.items()) {
    if (name == "__metadata__") continue;
    const size_t b = t["data_offsets"][0], e = t["data_offsets"][1];
    std::string bytes = parts.data.substr(b, e - b);
    nlohmann::json nt = t;
    if (t["dtype"] == "F32" && dtype != "F32") {
      std::string out;
      for (size_t i = 0; i < bytes.size(); i += 4) {
        float f;
        std::memcpy(&f, &bytes[i], 4);
        uint32_t u;
        std::memcpy(&u, &f, 4);
        uint16_t h;
        if (dtype == "BF16") {
          h = static_cast<uint16_t>((u + 0x7fff + ((u >> 16) & 1)) >> 16);  // round to nearest even
        } else {  // F16 via _Float16 (round to nearest even)
          _Float16 hf = static_cast<_Float16>(f);
          std::memcpy(&h, &hf, 2);
        }
        out.append(reinterpret_cast<const char*>(&h), 2);
      }
      bytes = out;
      nt["dtype"] = dtype;
    }
    nt["data_offsets"] = {data.size(), data.size() + bytes.size()};
    data += bytes;
    header[prefix + name] = nt;
  }
  write_file(d / "model.safetensors", join_safetensors(header, data));
  return d;
}

TEST(ModelLoading, BertPrefixedNamesGiveIdenticalResults) {
  Embedder plain = Embedder::load(model_dir("tiny-bert-cls"));
  Embedder prefixed = Embedder::load(convert_model("prefix", "F32", "bert."));
  const auto a = plain.embed("The quick brown fox jumps over the lazy dog.");
  const auto b = prefixed.embed("The quick brown fox jumps over the lazy dog.");
  EXPECT_EQ(a, b);
}

// Reduced-precision checkpoints are converted to float32 on load; the result must equal running the
// float32 model whose weights were rounded the same way — checked against the golden model with a
// tolerance that reflects only the weight rounding.
TEST(ModelLoading, HalfAndBfloat16Checkpoints) {
  const auto& g = golden("tiny-bert-cls");
  for (const std::string dtype : {"F16", "BF16"}) {
    Embedder e = Embedder::load(convert_model("conv" + dtype, dtype, ""));
    const auto v = e.embed(g.sentences[0].text);
    double num = 0, den = 0;
    for (size_t k = 0; k < v.size(); ++k) {
      num += (v[k] - g.sentences[0].embedding[k]) * (v[k] - g.sentences[0].embedding[k]);
      den += g.sentences[0].embedding[k] * g.sentences[0].embedding[k];
    }
    const double rel = std::sqrt(num / den);
    std::printf("[loading] %s checkpoint: relative L2 error vs float32 golden %.3g\n", dtype.c_str(), rel);
    EXPECT_LT(rel, dtype == "F16" ? 1e-2 : 5e-2);
    EXPECT_GT(rel, 0.0);  // the weights really were rounded: the conversion path ran
  }
}

TEST(SafeTensors, HalfAndBf16Conversion) {
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0xc000), -2.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(half_to_float(0x7c00)));
  EXPECT_EQ(bf16_to_float(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_float(0xc0a0), -5.0f);
}

TEST(ModelLoading, NoModulesJsonFallsBackToMeanPooling) {
  fs::path d = copy_model("tiny-bert-cls", "nomodules");
  fs::remove(d / "modules.json");
  fs::remove_all(d / "1_Pooling");
  fs::remove(d / "sentence_bert_config.json");
  Embedder e = Embedder::load(d);
  EXPECT_EQ(e.info().pooling, "mean");
  EXPECT_FALSE(e.info().normalize);
  EXPECT_EQ(e.info().max_seq_length, 512u);
}

}  // namespace
}  // namespace gpuembed
