#pragma once
// An encoder's weights as float32 views (every family's tensors; those a family lacks stay empty). Natively an F32 checkpoint is used in place from the memory map;
// F16/BF16 (or misaligned) tensors are converted once on load into owned storage.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/model_spec.h"

namespace gpuembed {

struct TensorView {
  const float* data = nullptr;
  std::vector<int64_t> shape;
  size_t numel() const {
    size_t n = 1;
    for (auto d : shape) n *= static_cast<size_t>(d);
    return n;
  }
};

struct LayerWeights {
  TensorView q_w, q_b, k_w, k_b, v_w, v_b;    // weights [out, in] as in PyTorch Linear
  TensorView attn_out_w, attn_out_b, attn_ln_w, attn_ln_b;
  TensorView ffn_in_w, ffn_in_b, ffn_out_w, ffn_out_b, out_ln_w, out_ln_b;
  TensorView ffn_gate_w;  // gated feed-forward (SwiGLU): act(ffn_gate(x)) * ffn_in(x)
  TensorView q_norm_w, k_norm_w;  // Qwen3, Gemma3: RMSNorm of each query / key head
  TensorView post_attn_ln_w, post_ffn_ln_w;  // Gemma3: norms of the attention and FFN outputs
  // Pre-norm families use attn_ln before attention (empty: none, ModernBERT's first layer) and out_ln before the FFN.
};

struct ModelWeights {
  TensorView word_embeddings, position_embeddings, token_type_embeddings, emb_ln_w, emb_ln_b;
  std::vector<LayerWeights> layers;
  TensorView relative_attention_bias;  // MPNet: [buckets, heads], shared by all layers
  TensorView final_ln_w, final_ln_b;   // pre-norm families: the norm after the last layer
  std::shared_ptr<const void> storage;  // keeps the mapping / converted buffers alive
};

class SafeTensors;
// Picks the tensors of config.family's HF model (with or without the family's head prefix, "bert." / "roberta." /
// "mpnet.") and checks every shape against config.
ModelWeights bind_model_weights(std::shared_ptr<const SafeTensors> st, const ModelConfig& config);

}  // namespace gpuembed
