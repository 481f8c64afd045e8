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
  Binder(const SafeTensors& st) : st_(st) {
    // Checkpoints saved from BertModel have bare names; from BertFor* heads they carry "bert.".
    prefix_ = st.find("embeddings.word_embeddings.weight") ? "" : "bert.";
  }
  TensorView get(const std::string& name, std::vector<int64_t> shape) const {
    const std::string full = prefix_ + name;
    if (!st_.find(full)) {
      throw Error(ErrorCode::kModelInvalid, st_.origin() + ": tensor '" + name + "' is missing (also looked for '" +
                                                (prefix_.empty() ? "bert." + name : name) + "')");
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
  std::string prefix_;
};

}  // namespace

BertWeights bind_bert_weights(std::shared_ptr<const SafeTensors> st, const BertConfig& c) {
  const Binder b(*st);
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  BertWeights w;
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
  w.storage = st;
  return w;
}

}  // namespace gpuembed
