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

// BERT (and XLM-R) and MPNet: the same tensors under other names, so one binder reads both from one table. MPNet has
// no token-type table and one relative position bias shared by the layers.
enum class Dims { kVocabH, kPositionsH, kTypesH, kBucketsHeads, kH, kI, kHxH, kIxH, kHxI };

std::vector<int64_t> dims(Dims d, const ModelConfig& c) {
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  switch (d) {
    case Dims::kVocabH: return {c.vocab_size, H};
    case Dims::kPositionsH: return {c.max_position_embeddings, H};
    case Dims::kTypesH: return {c.type_vocab_size, H};
    case Dims::kBucketsHeads: return {c.relative_attention_num_buckets, c.num_attention_heads};
    case Dims::kH: return {H};
    case Dims::kI: return {I};
    case Dims::kHxH: return {H, H};
    case Dims::kIxH: return {I, H};
    case Dims::kHxI: return {H, I};
  }
  return {};
}

// The tensors of BERT (and XLM-R) and of MPNet, each under both names (nullptr: the family has no such tensor).
struct NamedTensor {
  TensorView ModelWeights::*field;
  Dims dims;
  const char* bert;
  const char* mpnet;
};
struct LayerTensor {
  TensorView LayerWeights::*field;
  Dims dims;
  const char* bert;  // after "encoder.layer.<l>."
  const char* mpnet;
};

constexpr NamedTensor kTensors[] = {
    {&ModelWeights::word_embeddings, Dims::kVocabH, "embeddings.word_embeddings.weight",
     "embeddings.word_embeddings.weight"},
    {&ModelWeights::position_embeddings, Dims::kPositionsH, "embeddings.position_embeddings.weight",
     "embeddings.position_embeddings.weight"},
    {&ModelWeights::token_type_embeddings, Dims::kTypesH, "embeddings.token_type_embeddings.weight", nullptr},
    {&ModelWeights::emb_ln_w, Dims::kH, "embeddings.LayerNorm.weight", "embeddings.LayerNorm.weight"},
    {&ModelWeights::emb_ln_b, Dims::kH, "embeddings.LayerNorm.bias", "embeddings.LayerNorm.bias"},
    {&ModelWeights::relative_attention_bias, Dims::kBucketsHeads, nullptr, "encoder.relative_attention_bias.weight"},
};
constexpr LayerTensor kLayerTensors[] = {
    {&LayerWeights::q_w, Dims::kHxH, "attention.self.query.weight", "attention.attn.q.weight"},
    {&LayerWeights::q_b, Dims::kH, "attention.self.query.bias", "attention.attn.q.bias"},
    {&LayerWeights::k_w, Dims::kHxH, "attention.self.key.weight", "attention.attn.k.weight"},
    {&LayerWeights::k_b, Dims::kH, "attention.self.key.bias", "attention.attn.k.bias"},
    {&LayerWeights::v_w, Dims::kHxH, "attention.self.value.weight", "attention.attn.v.weight"},
    {&LayerWeights::v_b, Dims::kH, "attention.self.value.bias", "attention.attn.v.bias"},
    {&LayerWeights::attn_out_w, Dims::kHxH, "attention.output.dense.weight", "attention.attn.o.weight"},
    {&LayerWeights::attn_out_b, Dims::kH, "attention.output.dense.bias", "attention.attn.o.bias"},
    {&LayerWeights::attn_ln_w, Dims::kH, "attention.output.LayerNorm.weight", "attention.LayerNorm.weight"},
    {&LayerWeights::attn_ln_b, Dims::kH, "attention.output.LayerNorm.bias", "attention.LayerNorm.bias"},
    {&LayerWeights::ffn_in_w, Dims::kIxH, "intermediate.dense.weight", "intermediate.dense.weight"},
    {&LayerWeights::ffn_in_b, Dims::kI, "intermediate.dense.bias", "intermediate.dense.bias"},
    {&LayerWeights::ffn_out_w, Dims::kHxI, "output.dense.weight", "output.dense.weight"},
    {&LayerWeights::ffn_out_b, Dims::kH, "output.dense.bias", "output.dense.bias"},
    {&LayerWeights::out_ln_w, Dims::kH, "output.LayerNorm.weight", "output.LayerNorm.weight"},
    {&LayerWeights::out_ln_b, Dims::kH, "output.LayerNorm.bias", "output.LayerNorm.bias"},
};

void bind_bert_or_mpnet(const Binder& b, const ModelConfig& c, ModelWeights& w) {
  const bool mpnet = c.family == ModelFamily::kMpnet;
  for (const NamedTensor& t : kTensors) {
    if (const char* name = mpnet ? t.mpnet : t.bert) w.*t.field = b.get(name, dims(t.dims, c));
  }
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    LayerWeights lw;
    for (const LayerTensor& t : kLayerTensors) lw.*t.field = b.get(p + (mpnet ? t.mpnet : t.bert), dims(t.dims, c));
    w.layers.push_back(std::move(lw));
  }
}

// Rows [first, first + rows) of a matrix, in place.
TensorView rows_of(const TensorView& m, int64_t first, int64_t rows) {
  return TensorView{m.data + first * m.shape[1], {rows, m.shape[1]}};
}

// NomicBERT's and ModernBERT's fused [3H, H] Wqkv, split into its Q, K and V parts.
void bind_fused_qkv(const Binder& b, const std::string& name, int64_t H, LayerWeights& L) {
  const TensorView qkv = b.get(name, {3 * H, H});
  L.q_w = rows_of(qkv, 0, H);
  L.k_w = rows_of(qkv, H, H);
  L.v_w = rows_of(qkv, 2 * H, H);
}

// NomicBERT: no position table (rotary), fused Wqkv, SwiGLU (fc11 the value, fc12 the gate), no biases in the
// layers; the word embeddings may be padded past the tokenizer (pad_vocab_size_multiple).
void bind_nomic_bert(const Binder& b, const ModelConfig& c, ModelWeights& w) {
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  w.word_embeddings = b.get("embeddings.word_embeddings.weight", {c.vocab_size, H});
  w.token_type_embeddings = b.get("embeddings.token_type_embeddings.weight", {c.type_vocab_size, H});
  w.emb_ln_w = b.get("emb_ln.weight", {H});
  w.emb_ln_b = b.get("emb_ln.bias", {H});
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "encoder.layers." + std::to_string(l) + ".";
    LayerWeights L;
    bind_fused_qkv(b, p + "attn.Wqkv.weight", H, L);
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
void bind_modernbert(const Binder& b, const ModelConfig& c, ModelWeights& w) {
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  w.word_embeddings = b.get("embeddings.tok_embeddings.weight", {c.vocab_size, H});
  w.emb_ln_w = b.get("embeddings.norm.weight", {H});
  w.final_ln_w = b.get("final_norm.weight", {H});
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    LayerWeights L;
    if (l > 0) L.attn_ln_w = b.get(p + "attn_norm.weight", {H});
    bind_fused_qkv(b, p + "attn.Wqkv.weight", H, L);
    L.attn_out_w = b.get(p + "attn.Wo.weight", {H, H});
    L.out_ln_w = b.get(p + "mlp_norm.weight", {H});
    L.ffn_in_w = b.get(p + "mlp.Wi.weight", {2 * I, H});
    L.ffn_out_w = b.get(p + "mlp.Wo.weight", {H, I});
    w.layers.push_back(std::move(L));
  }
}

// Qwen3 (and Gemma3, whose layers have the same parts plus two norms): separate q/k/v projections (k and v for the key/value heads only), per-head q/k RMSNorm weights, SwiGLU
// (gate_proj activated, up_proj the value), RMSNorms before attention and FFN and after the last layer.
void bind_qwen3(const Binder& b, const ModelConfig& c, ModelWeights& w) {
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

ModelWeights bind_model_weights(std::shared_ptr<const SafeTensors> st, const ModelConfig& c) {
  const Binder b(*st, head_prefix(c.family),
                 c.family == ModelFamily::kModernBert ? "embeddings.tok_embeddings.weight"
                 : c.family == ModelFamily::kQwen3 || c.family == ModelFamily::kGemma3 ? "embed_tokens.weight"
                                                      : "embeddings.word_embeddings.weight");
  ModelWeights w;
  w.storage = st;
  switch (c.family) {
    case ModelFamily::kBert:
    case ModelFamily::kXlmRoberta:
    case ModelFamily::kMpnet: bind_bert_or_mpnet(b, c, w); break;
    case ModelFamily::kNomicBert: bind_nomic_bert(b, c, w); break;
    case ModelFamily::kModernBert: bind_modernbert(b, c, w); break;
    case ModelFamily::kQwen3:
    case ModelFamily::kGemma3: bind_qwen3(b, c, w); break;
  }
  return w;
}

}  // namespace gpuembed
