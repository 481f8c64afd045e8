#include "model/weights.h"

#include "gpuembed/error.h"
#include "model/safetensors.h"

namespace gpuembed {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

class Binder {
 public:
  // Checkpoints saved from the bare model (BertModel) have bare names; from a head (BertFor*) they carry `head`.
  // `probe`: a tensor every checkpoint of the family has, to tell the two apart.
  Binder(const SafeTensors& st, const std::string& head, const std::string& probe) : st_(st), head_(head) {
    prefix_ = st.find(probe) ? "" : head;
  }
  TensorView get(const std::string& name, std::vector<int64_t> shape) const {
    const std::string full = prefix_ + name;
    if (!st_.find(full)) {
      throw Error(ErrorCode::kModelInvalid, st_.origin() + ": tensor '" + name + "' is missing (also looked for '" +
                                                (prefix_.empty() ? head_ + name : name) + "')");
    }
    TensorView v = st_.f32(full);
    if (v.shape != shape) {
      throw Error(ErrorCode::kModelInvalid, st_.origin() + ": tensor '" + full + "' has shape " + shape_str(v.shape) +
                                                ", config.json implies " + shape_str(shape));
    }
    return v;
  }

 private:
  const SafeTensors& st_;
  std::string head_, prefix_;
};

const char* head_prefix(ModelFamily family) {
  switch (family) {
    case ModelFamily::kBert: return "bert.";
    case ModelFamily::kXlmRoberta: return "roberta.";
    case ModelFamily::kMpnet: return "mpnet.";
    case ModelFamily::kNomicBert: return "bert.";
    case ModelFamily::kModernBert: return "model.";
    case ModelFamily::kQwen3: return "model.";
    case ModelFamily::kGemma3: return "model.";
  }
  return "";
}

// MPNet's layer: the same parts as BERT's under other names; no token-type table, one relative position bias.
void bind_mpnet(const Binder& b, const BertConfig& c, BertWeights& w) {
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  w.word_embeddings = b.get("embeddings.word_embeddings.weight", {c.vocab_size, H});
  w.position_embeddings = b.get("embeddings.position_embeddings.weight", {c.max_position_embeddings, H});
  w.emb_ln_w = b.get("embeddings.LayerNorm.weight", {H});
  w.emb_ln_b = b.get("embeddings.LayerNorm.bias", {H});
  w.relative_attention_bias =
      b.get("encoder.relative_attention_bias.weight", {c.relative_attention_num_buckets, c.num_attention_heads});
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    LayerWeights L;
    L.q_w = b.get(p + "attention.attn.q.weight", {H, H});
    L.q_b = b.get(p + "attention.attn.q.bias", {H});
    L.k_w = b.get(p + "attention.attn.k.weight", {H, H});
    L.k_b = b.get(p + "attention.attn.k.bias", {H});
    L.v_w = b.get(p + "attention.attn.v.weight", {H, H});
    L.v_b = b.get(p + "attention.attn.v.bias", {H});
    L.attn_out_w = b.get(p + "attention.attn.o.weight", {H, H});
    L.attn_out_b = b.get(p + "attention.attn.o.bias", {H});
    L.attn_ln_w = b.get(p + "attention.LayerNorm.weight", {H});
    L.attn_ln_b = b.get(p + "attention.LayerNorm.bias", {H});
    L.ffn_in_w = b.get(p + "intermediate.dense.weight", {I, H});
    L.ffn_in_b = b.get(p + "intermediate.dense.bias", {I});
    L.ffn_out_w = b.get(p + "output.dense.weight", {H, I});
    L.ffn_out_b = b.get(p + "output.dense.bias", {H});
    L.out_ln_w = b.get(p + "output.LayerNorm.weight", {H});
    L.out_ln_b = b.get(p + "output.LayerNorm.bias", {H});
    w.layers.push_back(std::move(L));
  }
}

// Rows [first, first + rows) of a matrix, in place: NomicBERT's fused Wqkv split into its Q, K and V parts.
TensorView rows_of(const TensorView& m, int64_t first, int64_t rows) {
  return TensorView{m.data + first * m.shape[1], {rows, m.shape[1]}};
}

// NomicBERT: no position table (rotary), fused Wqkv, SwiGLU (fc11 the value, fc12 the gate), no biases in the
// layers; the word embeddings may be padded past the tokenizer (pad_vocab_size_multiple).
void bind_nomic_bert(const Binder& b, const BertConfig& c, BertWeights& w) {
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  w.word_embeddings = b.get("embeddings.word_embeddings.weight", {c.vocab_size, H});
  w.token_type_embeddings = b.get("embeddings.token_type_embeddings.weight", {c.type_vocab_size, H});
  w.emb_ln_w = b.get("emb_ln.weight", {H});
  w.emb_ln_b = b.get("emb_ln.bias", {H});
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "encoder.layers." + std::to_string(l) + ".";
    LayerWeights L;
    const TensorView qkv = b.get(p + "attn.Wqkv.weight", {3 * H, H});
    L.q_w = rows_of(qkv, 0, H);
    L.k_w = rows_of(qkv, H, H);
    L.v_w = rows_of(qkv, 2 * H, H);
    L.attn_out_w = b.get(p + "attn.out_proj.weight", {H, H});
    L.attn_ln_w = b.get(p + "norm1.weight", {H});
    L.attn_ln_b = b.get(p + "norm1.bias", {H});
    L.ffn_in_w = b.get(p + "mlp.fc11.weight", {I, H});
    L.ffn_gate_w = b.get(p + "mlp.fc12.weight", {I, H});
    L.ffn_out_w = b.get(p + "mlp.fc2.weight", {H, I});
    L.out_ln_w = b.get(p + "norm2.weight", {H});
    L.out_ln_b = b.get(p + "norm2.bias", {H});
    w.layers.push_back(std::move(L));
  }
}

// ModernBERT: word embeddings alone, LayerNorms without bias, fused Wqkv, Wi = [GELU input | gate]; the first layer
// has no attention norm.
void bind_modernbert(const Binder& b, const BertConfig& c, BertWeights& w) {
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  w.word_embeddings = b.get("embeddings.tok_embeddings.weight", {c.vocab_size, H});
  w.emb_ln_w = b.get("embeddings.norm.weight", {H});
  w.final_ln_w = b.get("final_norm.weight", {H});
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    LayerWeights L;
    if (l > 0) L.attn_ln_w = b.get(p + "attn_norm.weight", {H});
    const TensorView qkv = b.get(p + "attn.Wqkv.weight", {3 * H, H});
    L.q_w = rows_of(qkv, 0, H);
    L.k_w = rows_of(qkv, H, H);
    L.v_w = rows_of(qkv, 2 * H, H);
    L.attn_out_w = b.get(p + "attn.Wo.weight", {H, H});
    L.out_ln_w = b.get(p + "mlp_norm.weight", {H});
    L.ffn_in_w = b.get(p + "mlp.Wi.weight", {2 * I, H});
    L.ffn_out_w = b.get(p + "mlp.Wo.weight", {H, I});
    w.layers.push_back(std::move(L));
  }
}

// Qwen3 (and Gemma3, whose layers have the same parts plus two norms): separate q/k/v projections (k and v for the key/value heads only), per-head q/k RMSNorm weights, SwiGLU
// (gate_proj activated, up_proj the value), RMSNorms before attention and FFN and after the last layer.
void bind_qwen3(const Binder& b, const BertConfig& c, BertWeights& w) {
  const int64_t H = c.hidden_size, I = c.intermediate_size, D = c.head_dim();
  const int64_t Q = c.num_attention_heads * D, KV = c.kv_heads() * D;
  w.word_embeddings = b.get("embed_tokens.weight", {c.vocab_size, H});
  w.final_ln_w = b.get("norm.weight", {H});
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    LayerWeights L;
    L.attn_ln_w = b.get(p + "input_layernorm.weight", {H});
    L.q_w = b.get(p + "self_attn.q_proj.weight", {Q, H});
    L.k_w = b.get(p + "self_attn.k_proj.weight", {KV, H});
    L.v_w = b.get(p + "self_attn.v_proj.weight", {KV, H});
    L.q_norm_w = b.get(p + "self_attn.q_norm.weight", {D});
    L.k_norm_w = b.get(p + "self_attn.k_norm.weight", {D});
    L.attn_out_w = b.get(p + "self_attn.o_proj.weight", {H, Q});
    L.out_ln_w = b.get(p + "post_attention_layernorm.weight", {H});
    L.ffn_gate_w = b.get(p + "mlp.gate_proj.weight", {I, H});
    L.ffn_in_w = b.get(p + "mlp.up_proj.weight", {I, H});
    L.ffn_out_w = b.get(p + "mlp.down_proj.weight", {H, I});
    if (c.family == ModelFamily::kGemma3) {  // its pre-FFN norm has its own name, and two more norms
      L.post_attn_ln_w = L.out_ln_w;
      L.out_ln_w = b.get(p + "pre_feedforward_layernorm.weight", {H});
      L.post_ffn_ln_w = b.get(p + "post_feedforward_layernorm.weight", {H});
    }
    w.layers.push_back(std::move(L));
  }
}

}  // namespace

BertWeights bind_model_weights(std::shared_ptr<const SafeTensors> st, const BertConfig& c) {
  const Binder b(*st, head_prefix(c.family),
                 c.family == ModelFamily::kModernBert ? "embeddings.tok_embeddings.weight"
                 : c.family == ModelFamily::kQwen3 || c.family == ModelFamily::kGemma3 ? "embed_tokens.weight"
                                                      : "embeddings.word_embeddings.weight");
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  BertWeights w;
  w.storage = st;
  if (c.family == ModelFamily::kMpnet) {
    bind_mpnet(b, c, w);
    return w;
  }
  if (c.family == ModelFamily::kNomicBert) {
    bind_nomic_bert(b, c, w);
    return w;
  }
  if (c.family == ModelFamily::kModernBert) {
    bind_modernbert(b, c, w);
    return w;
  }
  if (c.family == ModelFamily::kQwen3 || c.family == ModelFamily::kGemma3) {
    bind_qwen3(b, c, w);
    return w;
  }
  w.word_embeddings = b.get("embeddings.word_embeddings.weight", {c.vocab_size, H});
  w.position_embeddings = b.get("embeddings.position_embeddings.weight", {c.max_position_embeddings, H});
  w.token_type_embeddings = b.get("embeddings.token_type_embeddings.weight", {c.type_vocab_size, H});
  w.emb_ln_w = b.get("embeddings.LayerNorm.weight", {H});
  w.emb_ln_b = b.get("embeddings.LayerNorm.bias", {H});
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    LayerWeights L;
    L.q_w = b.get(p + "attention.self.query.weight", {H, H});
    L.q_b = b.get(p + "attention.self.query.bias", {H});
    L.k_w = b.get(p + "attention.self.key.weight", {H, H});
    L.k_b = b.get(p + "attention.self.key.bias", {H});
    L.v_w = b.get(p + "attention.self.value.weight", {H, H});
    L.v_b = b.get(p + "attention.self.value.bias", {H});
    L.attn_out_w = b.get(p + "attention.output.dense.weight", {H, H});
    L.attn_out_b = b.get(p + "attention.output.dense.bias", {H});
    L.attn_ln_w = b.get(p + "attention.output.LayerNorm.weight", {H});
    L.attn_ln_b = b.get(p + "attention.output.LayerNorm.bias", {H});
    L.ffn_in_w = b.get(p + "intermediate.dense.weight", {I, H});
    L.ffn_in_b = b.get(p + "intermediate.dense.bias", {I});
    L.ffn_out_w = b.get(p + "output.dense.weight", {H, I});
    L.ffn_out_b = b.get(p + "output.dense.bias", {H});
    L.out_ln_w = b.get(p + "output.LayerNorm.weight", {H});
    L.out_ln_b = b.get(p + "output.LayerNorm.bias", {H});
    w.layers.push_back(std::move(L));
  }
  return w;
}

}  // namespace gpuembed
