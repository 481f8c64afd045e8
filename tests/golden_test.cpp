// End to end against sentence-transformers (tests/golden): token ids, sentence embeddings,
// token embeddings, per-text independence from batch-mates.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "golden_util.h"
#include "gpuembed/gpuembed.h"

namespace gpuembed {
namespace {

using test::golden;

class GoldenTest : public ::testing::TestWithParam<const char*> {
 protected:
  static Embedder& embedder(const std::string& model) {
    static std::map<std::string, std::unique_ptr<Embedder>> cache;
    auto& e = cache[model];
    if (!e) e = std::make_unique<Embedder>(Embedder::load(test::model_dir(model)));
    return *e;
  }
};

TEST_P(GoldenTest, TokenIdsIdentical) {
  const auto& g = golden(GetParam());
  Embedder& e = embedder(GetParam());
  for (const auto& s : g.sentences) {
    const TokenizedText t = e.tokenize(s.text);
    EXPECT_EQ(t.ids, s.ids) << "text: " << s.text;
    EXPECT_EQ(t.tokens, s.tokens) << "text: " << s.text;
  }
}

TEST_P(GoldenTest, SentenceEmbeddingsMatch) {
  const auto& g = golden(GetParam());
  Embedder& e = embedder(GetParam());
  std::vector<std::string> texts;
  for (const auto& s : g.sentences) texts.push_back(s.text);
  const std::vector<float> out = e.embed_batch(texts);
  const size_t dim = e.dimension();
  ASSERT_EQ(dim, g.sentences[0].embedding.size());
  ASSERT_EQ(out.size(), texts.size() * dim);
  double max_abs = 0, max_rel_l2 = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    double diff2 = 0, ref2 = 0;
    for (size_t k = 0; k < dim; ++k) {
      const double d = out[i * dim + k] - g.sentences[i].embedding[k];
      max_abs = std::max(max_abs, std::abs(d));
      diff2 += d * d;
      ref2 += static_cast<double>(g.sentences[i].embedding[k]) * g.sentences[i].embedding[k];
    }
    max_rel_l2 = std::max(max_rel_l2, std::sqrt(diff2 / std::max(ref2, 1e-30)));
  }
  std::printf("[golden] %s: %zu sentences, max abs error %.3g, max relative L2 error %.3g\n", GetParam(), texts.size(),
              max_abs, max_rel_l2);
  EXPECT_LT(max_rel_l2, 1e-4);
  EXPECT_LT(max_abs, 1e-4);
}

TEST_P(GoldenTest, TokenEmbeddingsMatch) {
  const auto& g = golden(GetParam());
  Embedder& e = embedder(GetParam());
  double max_abs = 0;
  for (const auto& te : g.raw["token_embeddings"]) {
    const auto ref = te["token_embeddings"].get<std::vector<std::vector<float>>>();
    const std::vector<float> out = e.token_embeddings(te["text"].get<std::string>());
    const size_t h = ref[0].size();
    ASSERT_EQ(out.size(), ref.size() * h);
    for (size_t t = 0; t < ref.size(); ++t) {
      for (size_t k = 0; k < h; ++k) max_abs = std::max(max_abs, std::abs(static_cast<double>(out[t * h + k]) - ref[t][k]));
    }
  }
  std::printf("[golden] %s: token embeddings max abs error %.3g\n", GetParam(), max_abs);
  EXPECT_LT(max_abs, 1e-4);
}

TEST_P(GoldenTest, BatchIndependence) {
  const auto& g = golden(GetParam());
  Embedder& e = embedder(GetParam());
  std::vector<std::string> texts;
  for (const auto& s : g.sentences) texts.push_back(s.text);
  const std::vector<float> batched = e.embed_batch(texts);
  const size_t dim = e.dimension();
  double max_abs = 0;
  for (size_t i = 0; i < texts.size(); i += 7) {
    const std::vector<float> single = e.embed(texts[i]);
    for (size_t k = 0; k < dim; ++k) max_abs = std::max(max_abs, std::abs(double(single[k]) - batched[i * dim + k]));
  }
  std::printf("[golden] %s: batched vs single max abs diff %.3g\n", GetParam(), max_abs);
  EXPECT_LE(max_abs, 1e-6);
}

// The prompts of config_sentence_transformers.json selected by name: NomicBERT's task prefixes ("search_query: ",
// ...), Qwen3-Embedding's query instruction (pooled with the text: last-token pooling, include_prompt),
// EmbeddingGemma's task prompts (then the Dense modules).
class GoldenPrompts : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenPrompts, EachNamedPromptWithin1e4) {
  const auto& g = golden(GetParam());
  Embedder e = Embedder::load(test::model_dir(GetParam()));
  std::vector<std::string> texts;
  for (size_t i = 0; i < 12; ++i) texts.push_back(g.sentences[i].text);
  ASSERT_FALSE(g.raw["prompted_first_12"].empty());
  for (const auto& [name, want] : g.raw["prompted_first_12"].items()) {
    EmbedOptions o;
    o.prompt_name = name;
    const std::vector<float> got = e.embed_batch(texts, o);
    const auto ref = want["embeddings"].get<std::vector<std::vector<float>>>();
    double max_abs = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      for (size_t k = 0; k < e.dimension(); ++k) max_abs = std::max(max_abs, std::abs(double(got[i * e.dimension() + k]) - ref[i][k]));
    }
    std::printf("[golden] %s prompt %s: max abs error %.3g\n", GetParam(), name.c_str(), max_abs);
    EXPECT_LT(max_abs, 1e-4) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, GoldenPrompts, ::testing::Values("nomic-random", "qwen3-random", "gemma3-random"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// The families beyond BERT: random-weight folders of tools/gen_family_models.py and the real all-mpnet-base-v2
// (tests/golden/README.md).
INSTANTIATE_TEST_SUITE_P(Models, GoldenTest,
                         ::testing::Values("minilm-l6-random", "tiny-bert-cls", "all-MiniLM-L6-v2", "xlmr-random",
                                           "xlmr-old-random", "mpnet-random", "all-mpnet-base-v2", "nomic-random",
                                           "modernbert-random", "qwen3-random", "gemma3-random"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace gpuembed
