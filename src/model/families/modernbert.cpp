// ModernBERT (gte-modernbert-base, modernbert-embed-base): pre-norm layers over a residual stream, no biases, fused
// Wqkv with rotary positions whose base differs between global layers (every global_every-th, from the first) and
// sliding-window layers, a GeGLU feed-forward, and a final norm before pooling. The first layer has no attention
// norm: the embedding norm precedes it.
#include "model/graph.h"

namespace gpuembed {

Graph build_modernbert_graph(const ModelSpec& spec, const ModelWeights& w) {
  const ModelConfig& c = spec.config;
  const size_t hidden = static_cast<size_t>(c.hidden_size), inter = static_cast<size_t>(c.intermediate_size);
  Graph g;
  const int x = g.add_tensor("x", hidden);  // the residual stream
  const int normed = g.add_tensor("normed", hidden);
  const int qkv = g.add_tensor("qkv", 3 * hidden);
  const int ctx = g.add_tensor("context", hidden);
  const int delta = g.add_tensor("delta", hidden);
  const int gate_value = g.add_tensor("gelu_input_gate", 2 * inter);
  const int ffn = g.add_tensor("ffn", inter);

  Op embed{OpKind::kEmbedLayerNorm};
  embed.out = x;
  embed.weights = {w.word_embeddings, TensorView{}, TensorView{}};
  embed.gamma = w.emb_ln_w;
  embed.eps = c.layer_norm_eps;
  g.ops.push_back(embed);

  auto layer_norm = [&](int in, int out, const TensorView& gamma) {
    Op op{OpKind::kLayerNorm};
    op.in = in;
    op.out = out;
    op.gamma = gamma;
    op.eps = c.layer_norm_eps;
    g.ops.push_back(op);
  };
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& L = w.layers[l];
    const bool global = l % static_cast<size_t>(c.global_every) == 0;
    int attn_in = x;
    if (L.attn_ln_w.data) {
      layer_norm(x, normed, L.attn_ln_w);
      attn_in = normed;
    }
    g.add_linear(attn_in, qkv, {L.q_w, L.k_w, L.v_w});
    Op rotary{OpKind::kRotary};
    rotary.in = rotary.out = qkv;
    rotary.heads = static_cast<uint32_t>(c.num_attention_heads);
    rotary.head_dim = static_cast<uint32_t>(c.head_dim());
    rotary.rotary_dim = static_cast<uint32_t>(c.rotary_dim);
    rotary.rotary_base = global ? c.rotary_base : c.rotary_base_local;
    g.ops.push_back(rotary);
    Op attn{OpKind::kAttention};
    attn.in = qkv;
    attn.out = ctx;
    attn.heads = rotary.heads;
    attn.head_dim = rotary.head_dim;
    attn.window = global ? 0 : static_cast<uint32_t>(c.sliding_window);
    g.ops.push_back(attn);
    g.add_linear(ctx, delta, {L.attn_out_w});
    g.add_residual(x, delta);
    layer_norm(x, normed, L.out_ln_w);
    g.add_linear(normed, gate_value, {L.ffn_in_w});
    Op gated{OpKind::kGatedActivation};
    gated.in = gate_value;
    gated.out = ffn;
    gated.activation = Activation::kGelu;
    g.ops.push_back(gated);
    g.add_linear(ffn, delta, {L.ffn_out_w});
    g.add_residual(x, delta);
  }
  layer_norm(x, x, w.final_ln_w);
  finish_with_pooling(g, spec, x);
  return g;
}

}  // namespace gpuembed
