// BERT (and the sentence-transformers models built on it: MiniLM, BGE, E5, ...): post-norm encoder layers with
// learned absolute positions, fused QKV, GELU feed-forward; then pooling and, when the model says so, L2 norm.
// XLM-RoBERTa is the same graph with positions numbered from pad_token_id + 1; MPNet the same again without
// token types and with a relative position bias (one table for all layers) added to every attention's scores;
// NomicBERT the same again with rotary positions instead of a position table, a SwiGLU feed-forward and no biases.
#include "model/graph.h"

namespace gpuembed {

Graph build_bert_graph(const ModelSpec& spec, const ModelWeights& w) {
  const ModelConfig& c = spec.config;
  const size_t hidden = static_cast<size_t>(c.hidden_size);
  Graph g;
  const int x = g.add_tensor("x", hidden);
  const int qkv = g.add_tensor("qkv", 3 * hidden);
  const int ctx = g.add_tensor("context", hidden);
  const int tmp = g.add_tensor("tmp", hidden);
  const int ffn = g.add_tensor("ffn", static_cast<size_t>(c.intermediate_size));
  const int gate_value = c.gated_ffn ? g.add_tensor("gate_value", 2 * static_cast<size_t>(c.intermediate_size)) : -1;

  Op embed{OpKind::kEmbedLayerNorm};
  embed.out = x;
  embed.weights = {w.word_embeddings, w.position_embeddings, w.token_type_embeddings};
  embed.gamma = w.emb_ln_w;
  embed.beta = w.emb_ln_b;
  embed.eps = c.layer_norm_eps;
  embed.position_offset = static_cast<uint32_t>(c.position_offset);
  g.ops.push_back(embed);

  auto add_layer_norm = [&](int in, int residual, const TensorView& gamma, const TensorView& beta) {
    Op op{OpKind::kLayerNorm};
    op.in = in;
    op.residual = residual;
    op.out = residual;
    op.gamma = gamma;
    op.beta = beta;
    op.eps = c.layer_norm_eps;
    g.ops.push_back(op);
  };
  for (const LayerWeights& l : w.layers) {
    g.add_linear(x, qkv, {l.q_w, l.k_w, l.v_w}, {l.q_b, l.k_b, l.v_b});
    if (c.rotary_dim > 0) {
      Op rotary{OpKind::kRotary};
      rotary.in = rotary.out = qkv;
      rotary.heads = static_cast<uint32_t>(c.num_attention_heads);
      rotary.head_dim = static_cast<uint32_t>(c.head_dim());
      rotary.rotary_dim = static_cast<uint32_t>(c.rotary_dim);
      rotary.rotary_base = c.rotary_base;
      g.ops.push_back(rotary);
    }
    Op attn{OpKind::kAttention};
    attn.in = qkv;
    attn.out = ctx;
    attn.heads = static_cast<uint32_t>(c.num_attention_heads);
    attn.head_dim = static_cast<uint32_t>(c.head_dim());
    if (w.relative_attention_bias.data) {
      attn.relative_bias = w.relative_attention_bias;
      attn.bias_buckets = static_cast<uint32_t>(c.relative_attention_num_buckets);
      attn.bias_max_distance = 128;  // HF MPNet's fixed max_distance
    }
    g.ops.push_back(attn);
    g.add_linear(ctx, tmp, {l.attn_out_w}, {l.attn_out_b});
    add_layer_norm(tmp, x, l.attn_ln_w, l.attn_ln_b);
    if (c.gated_ffn) {
      g.add_linear(x, gate_value, {l.ffn_gate_w, l.ffn_in_w}, {});
      Op gated{OpKind::kGatedActivation};
      gated.in = gate_value;
      gated.out = ffn;
      gated.activation = Activation::kSilu;
      g.ops.push_back(gated);
    } else {
      g.add_linear(x, ffn, {l.ffn_in_w}, {l.ffn_in_b}, Activation::kGelu);
    }
    g.add_linear(ffn, tmp, {l.ffn_out_w}, {l.ffn_out_b});
    add_layer_norm(tmp, x, l.out_ln_w, l.out_ln_b);
  }
  finish_with_pooling(g, spec, x);
  return g;
}

}  // namespace gpuembed
