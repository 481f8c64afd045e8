// Every pooling mode, checked against pooling computed here from the golden token embeddings
// (sentence-transformers' last hidden state), on variants of tiny-bert-cls with another 1_Pooling config.
#include <gtest/gtest.h>

#include <cmath>

#include "golden_util.h"
#include "gpuembed/gpuembed.h"
#include "model_fixture.h"

namespace gpuembed {
namespace {

using namespace test;

std::vector<float> reference_pool(const std::vector<std::vector<float>>& tok, const std::string& mode) {
  const size_t h = tok[0].size(), n = tok.size();
  std::vector<double> acc(h, mode == "max" ? -INFINITY : 0.0);
  if (mode == "cls") return tok[0];
  for (const auto& row : tok) {
    for (size_t i = 0; i < h; ++i) acc[i] = mode == "max" ? std::max<double>(acc[i], row[i]) : acc[i] + row[i];
  }
  std::vector<float> out(h);
  for (size_t i = 0; i < h; ++i) {
    out[i] = static_cast<float>(mode == "max" ? acc[i] : mode == "mean" ? acc[i] / n : acc[i] / std::sqrt(double(n)));
  }
  return out;
}

fs::path model_with_pooling(const std::vector<std::string>& modes, bool normalize) {
  fs::path d = copy_model("tiny-bert-cls", "pool");
  nlohmann::json p{{"word_embedding_dimension", 128}};
  for (const char* key : {"pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens",
                          "pooling_mode_mean_sqrt_len_tokens"}) {
    p[key] = false;
  }
  const std::map<std::string, std::string> keys{{"cls", "pooling_mode_cls_token"},
                                                 {"mean", "pooling_mode_mean_tokens"},
                                                 {"max", "pooling_mode_max_tokens"},
                                                 {"sqrt", "pooling_mode_mean_sqrt_len_tokens"}};
  for (const auto& m : modes) p[keys.at(m)] = true;
  write_file(d / "1_Pooling" / "config.json", p.dump());
  if (normalize) {
    auto mods = nlohmann::json::parse(read_file(d / "modules.json"));
    mods.push_back({{"idx", 2}, {"name", "2"}, {"path", "2_Normalize"}, {"type", "sentence_transformers.models.Normalize"}});
    write_file(d / "modules.json", mods.dump());
  }
  return d;
}

void check_modes(const std::vector<std::string>& modes, bool normalize) {
  const auto& g = golden("tiny-bert-cls");
  Embedder e = Embedder::load(model_with_pooling(modes, normalize));
  ASSERT_EQ(e.dimension(), 128 * modes.size());
  double max_abs = 0;
  for (const auto& te : g.raw["token_embeddings"]) {
    const auto tok = te["token_embeddings"].get<std::vector<std::vector<float>>>();
    std::vector<float> ref;
    // sentence-transformers concatenates in the order cls, max, mean, mean_sqrt_len.
    for (const char* m : {"cls", "max", "mean", "sqrt"}) {
      if (std::find(modes.begin(), modes.end(), m) == modes.end()) continue;
      const auto part = reference_pool(tok, m);
      ref.insert(ref.end(), part.begin(), part.end());
    }
    if (normalize) {
      double ss = 0;
      for (float v : ref) ss += double(v) * v;
      for (float& v : ref) v = static_cast<float>(v / std::sqrt(ss));
    }
    const auto out = e.embed(te["text"].get<std::string>());
    for (size_t k = 0; k < ref.size(); ++k) max_abs = std::max(max_abs, std::abs(double(out[k]) - ref[k]));
  }
  std::printf("[pooling] %s%s: max abs error %.3g\n", nlohmann::json(modes).dump().c_str(),
              normalize ? " + normalize" : "", max_abs);
  EXPECT_LT(max_abs, 1e-4);
}

TEST(Pooling, Cls) { check_modes({"cls"}, false); }
TEST(Pooling, Mean) { check_modes({"mean"}, false); }
TEST(Pooling, Max) { check_modes({"max"}, false); }
TEST(Pooling, MeanSqrtLen) { check_modes({"sqrt"}, false); }
TEST(Pooling, ConcatenatedModesNormalized) { check_modes({"mean", "cls", "max"}, true); }

}  // namespace
}  // namespace gpuembed
