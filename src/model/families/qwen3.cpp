// Qwen3 (Qwen3-Embedding): a decoder run over the whole text with its causal mask; pre-RMSNorm layers over a residual
// stream, separate q/k/v projections with fewer key/value heads than query heads, an RMSNorm on every query and key
// head before rotary positions, a SwiGLU feed-forward, a final RMSNorm, then (as the model's sentence-transformers
// config says) last-token pooling.
// Gemma3 as EmbeddingGemma runs it is the same layer with other details: no causal mask but sliding-window layers
// (with their own rotary base) between full ones, embeddings scaled by sqrt(hidden), RMSNorm as 1 + w, a norm also
// after attention and after the FFN, a query scale of its own, and the tanh GELU in the gated FFN.
#include "model/graph.h"

namespace gpuembed {

Graph build_qwen3_graph(const ModelSpec& spec, const ModelWeights& w) {
  const ModelConfig& c = spec.config;
  const uint32_t heads = static_cast<uint32_t>(c.num_attention_heads), kv = static_cast<uint32_t>(c.kv_heads());
  const uint32_t hd = static_cast<uint32_t>(c.head_dim());
  const size_t hidden = static_cast<size_t>(c.hidden_size), inter = static_cast<size_t>(c.intermediate_size);
  Graph g;
  const int x = g.add_tensor("x", hidden);  // the residual stream
  const int normed = g.add_tensor("normed", hidden);
  const int qkv = g.add_tensor("qkv", size_t(heads + 2 * kv) * hd);
  const int ctx = g.add_tensor("context", size_t(heads) * hd);
  const int delta = g.add_tensor("delta", hidden);
  const int gate_value = g.add_tensor("gate_up", 2 * inter);
  const int ffn = g.add_tensor("ffn", inter);

  const bool gemma = c.family == ModelFamily::kGemma3;
  Op embed{OpKind::kEmbedLayerNorm};  // a plain gather: no gamma
  embed.out = x;
  embed.weights = {w.word_embeddings, TensorView{}, TensorView{}};
  embed.scale = c.embed_scale;
  g.ops.push_back(embed);

  auto rms_norm = [&](int in, int out, const TensorView& gamma, uint32_t first_group = 0, uint32_t groups = 0) {
    Op op{OpKind::kRmsNorm};
    op.in = in;
    op.out = out;
    op.gamma = gamma;
    op.eps = c.layer_norm_eps;
    op.unit_offset = gemma;
    if (groups > 0) {
      op.head_dim = hd;
      op.first_group = first_group;
      op.heads = groups;
    }
    g.ops.push_back(op);
  };
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& L = w.layers[l];
    const bool sliding = gemma && !c.full_attention_layers[l];
    rms_norm(x, normed, L.attn_ln_w);
    g.add_linear(normed, qkv, {L.q_w, L.k_w, L.v_w});
    rms_norm(qkv, qkv, L.q_norm_w, 0, heads);
    rms_norm(qkv, qkv, L.k_norm_w, heads, kv);
    Op rotary{OpKind::kRotary};
    rotary.in = rotary.out = qkv;
    rotary.heads = heads;
    rotary.kv_heads = kv;
    rotary.head_dim = hd;
    rotary.rotary_dim = static_cast<uint32_t>(c.rotary_dim);
    rotary.rotary_base = sliding ? c.rotary_base_local : c.rotary_base;
    g.ops.push_back(rotary);
    Op attn{OpKind::kAttention};
    attn.in = qkv;
    attn.out = ctx;
    attn.heads = heads;
    attn.kv_heads = kv;
    attn.head_dim = hd;
    attn.causal = c.causal;
    attn.window = sliding ? static_cast<uint32_t>(c.sliding_window) : 0;
    attn.scale = c.attention_scale;
    g.ops.push_back(attn);
    g.add_linear(ctx, delta, {L.attn_out_w});
    if (L.post_attn_ln_w.data) rms_norm(delta, delta, L.post_attn_ln_w);
    g.add_residual(x, delta);
    rms_norm(x, normed, L.out_ln_w);
    g.add_linear(normed, gate_value, {L.ffn_gate_w, L.ffn_in_w});
    Op gated{OpKind::kGatedActivation};
    gated.in = gate_value;
    gated.out = ffn;
    gated.activation = gemma ? Activation::kGeluTanh : Activation::kSilu;
    g.ops.push_back(gated);
    g.add_linear(ffn, delta, {L.ffn_out_w});
    if (L.post_ffn_ln_w.data) rms_norm(delta, delta, L.post_ffn_ln_w);
    g.add_residual(x, delta);
  }
  rms_norm(x, x, w.final_ln_w);
  finish_with_pooling(g, spec, x);
  return g;
}

}  // namespace gpuembed
