// The model graph (model/graph.h): the BERT family builder's op list, and validate() catching broken graphs.
#include <gtest/gtest.h>

#include <string>

#include "loaded_model.h"
#include "model/graph.h"

namespace gpuembed {
namespace {

std::string kinds(const Graph& g) {
  std::string s;
  for (const Op& op : g.ops) s += std::string(s.empty() ? "" : " ") + op_name(op.kind);
  return s;
}

TEST(ModelGraph, BertIsEmbeddingThenPostNormLayersThenPooling) {
  const LoadedModel m = test::load_model("minilm-l6-random");
  const Graph g = build_graph(m.spec, m.weights);
  const std::string layer = " linear attention linear layernorm linear linear layernorm";
  std::string want = "embed_layernorm";
  for (int i = 0; i < m.spec.config.num_hidden_layers; ++i) want += layer;
  want += " pool";
  if (m.spec.normalize) want += " l2_normalize";
  EXPECT_EQ(kinds(g), want);
  EXPECT_EQ(g.hidden_ops, 1u + 7u * static_cast<size_t>(m.spec.config.num_hidden_layers));
  const Op& qkv = g.ops[1];
  EXPECT_EQ(qkv.weights.size(), 3u);  // fused QKV
  EXPECT_EQ(qkv.out_features(), 3u * static_cast<size_t>(m.spec.config.hidden_size));
  EXPECT_EQ(g.ops[5].activation, Activation::kGelu);
  EXPECT_EQ(g.ops[4].residual, g.hidden_states);  // post-norm: LayerNorm(x + attention output) back into x
  EXPECT_EQ(g.tensors[static_cast<size_t>(g.embeddings)].width, m.spec.dimension());
}

TEST(ModelGraph, ValidateRejectsBrokenGraphs) {
  const LoadedModel m = test::load_model("tiny-bert-cls");
  const Graph good = build_graph(m.spec, m.weights);
  auto expect_invalid = [](const Graph& g, const std::string& what) {
    try {
      g.validate();
      FAIL() << "accepted: " << what;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kModelInvalid) << what;
    }
  };
  Graph reads_early = good;
  std::swap(reads_early.ops[1], reads_early.ops[2]);  // attention before the QKV linear
  expect_invalid(reads_early, "a tensor read before it is written");
  Graph wrong_width = good;
  wrong_width.ops[1].weights.pop_back();  // QKV without V: 2H outputs into a 3H tensor
  expect_invalid(wrong_width, "linear output width");
  Graph wrong_heads = good;
  wrong_heads.ops[2].heads += 1;
  expect_invalid(wrong_heads, "attention heads");
  Graph no_output = good;
  no_output.embeddings = -1;
  expect_invalid(no_output, "no output");
}

}  // namespace
}  // namespace gpuembed
