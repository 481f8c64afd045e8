#pragma once
// A model as a sequence of ops over activation tensors, built once per architecture by a family builder
// (model/families/*.cpp) and executed by every backend (backend/cpu, backend/webgpu), each fusing where it pays.
//
// Token tensors are [tokens, width] (tokens: the batch's real tokens, packed or padded as the backend likes);
// the pooled tensor is [texts, dimension]. Ops name tensors by index into Graph::tensors and weights by TensorView
// (pointing into the model's Weights, which outlive the graph's use at backend construction).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/model_spec.h"
#include "model/weights.h"

namespace gpuembed {

enum class OpKind {
  // out = LayerNorm(word[id] + position[t + position_offset] + token_type[0]) · gamma + beta.
  // weights: word, position, token_type (empty views where the family has none; beta may be empty; gamma empty:
  // no LayerNorm, the gathered sum as it is)
  kEmbedLayerNorm,
  // out = activation(in · Wᵀ + b). W is the concatenation of `weights` along the output dimension (fused QKV: three
  // [hidden, hidden] parts, one matmul); b likewise of `biases`.
  kLinear,
  // out = LayerNorm(in + residual) · gamma + beta (residual < 0: of in alone; beta may be empty: no bias).
  kLayerNorm,
  // Multi-head self-attention with a padding mask: in = [Q | K | V] per token ((heads + 2 kv_heads) * head_dim
  // wide; query head h uses key/value head h / (heads / kv_heads)),
  // out = softmax(Q·Kᵀ / sqrt(head_dim) + B) · V per head, heads side by side. Keys past a text's length are masked.
  // B = 0, or with `relative_bias` ([buckets, heads], MPNet) B[i][j] = relative_bias[bucket(j - i)][head]; with
  // `window` > 0 (sliding-window attention) keys farther than `window` positions from the query are masked; with
  // `causal` keys after the query.
  kAttention,
  // out[text] = the concatenation over `pooling` of each mode's pooled row of in (over the text's real tokens).
  kPool,
  // out[text] = in[text] / max(||in[text]||, eps), in place allowed.
  kL2Normalize,
  // Rotary positions on [Q | K | V] (as attention's) in place (out == in): in each query and key head, channel pair
  // (c, c + r/2) for
  // c < r/2 (r = rotary_dim) turns by the angle t · rotary_base^(-2c/r) of the token's position t in its text.
  kRotary,
  // out = activation(in[:, :w]) * in[:, w:] with w = width(out): a gated feed-forward's gate and value, produced by
  // one linear op (weights {gate, value}).
  kGatedActivation,
  // out = in + residual (out == residual: the pre-norm residual stream updated in place).
  kAdd,
  // out = in / sqrt(mean(in²) + eps) · gamma over the whole row; or, with head_dim set, in place over each of `heads`
  // groups of head_dim channels from group `first_group` on (Qwen3's query / key head norms).
  kRmsNorm,
};
const char* op_name(OpKind kind);

// kGelu: the erf form, x/2 · (1 + erf(x/√2)); kSilu: x · sigmoid(x); kGeluTanh: x/2 · (1 + tanh(√(2/π)(x + 0.044715x³)))
// (the last two in gated ops only)
enum class Activation { kNone, kGelu, kSilu, kGeluTanh };

struct TensorDecl {
  std::string name;
  size_t width = 0;         // floats per token, or per text for pooled tensors
  bool per_text = false;    // [texts, width] (after pooling) instead of [tokens, width]
};

struct Op {
  explicit Op(OpKind k) : kind(k) {}
  OpKind kind;
  int in = -1, residual = -1, out = -1;
  std::vector<TensorView> weights, biases;  // see OpKind
  Activation activation = Activation::kNone;
  TensorView gamma, beta;                   // LayerNorm / embedding LayerNorm
  float eps = 0;
  uint32_t heads = 0, head_dim = 0;         // attention, rotary
  uint32_t rotary_dim = 0;                  // rotary
  float rotary_base = 0;
  TensorView relative_bias;                 // attention: see OpKind::kAttention
  uint32_t bias_buckets = 0, bias_max_distance = 0;
  uint32_t window = 0;                      // attention: sliding window (0: every key)
  bool causal = false;                      // attention
  uint32_t kv_heads = 0;                    // attention, rotary: key/value heads (0: as many as heads)
  uint32_t first_group = 0;                 // RMSNorm over head groups
  bool unit_offset = false;                 // RMSNorm: scale by 1 + gamma (Gemma's stored weights)
  float scale = 0;                          // embedding: multiplies the gathered row (0: 1); attention: the query
                                            // scale (0: 1/sqrt(head_dim))
  uint32_t kv() const { return kv_heads ? kv_heads : heads; }
  uint32_t position_offset = 0;             // embedding
  std::vector<PoolingMode> pooling;         // pooling

  // Rows of W (the output width) and columns (the input width) of a linear op.
  size_t out_features() const;
  size_t in_features() const;
};

struct Graph {
  std::vector<TensorDecl> tensors;
  std::vector<Op> ops;
  int hidden_states = -1;  // the last hidden state [tokens, hidden] (BatchOutput::kHiddenStates)
  size_t hidden_ops = 0;   // ops[0, hidden_ops) produce it; the rest pool and normalize
  int embeddings = -1;     // the pooled (and normalized) [texts, dimension] tensor

  int add_tensor(std::string name, size_t width, bool per_text = false);
  // Appends in -> out through the weights (fused when several, e.g. Q | K | V); biases without data are left out
  // (the families without biases).
  void add_linear(int in, int out, std::vector<TensorView> weights, const std::vector<TensorView>& biases = {},
                  Activation act = Activation::kNone);
  // Appends stream += in (the residual add of the pre-norm families).
  void add_residual(int stream, int in);
  // Checks that every op reads tensors written before it and has weights of matching shapes; throws kModelInvalid.
  void validate() const;
};

// For family builders: marks `hidden` as the last hidden state and appends the pooling (and L2 norm) ops.
void finish_with_pooling(Graph& g, const ModelSpec& spec, int hidden);

// The graph of a model: picks the family builder by the config's family.
Graph build_graph(const ModelSpec& spec, const ModelWeights& weights);

// The floating-point operations (a multiply-add counts two) of a forward pass of texts of these token counts: every
// linear op (2 · tokens · in · out) and attention's two products (2 · 2 · tokens² · heads · head_dim per text). Counted
// on the texts' own tokens, not on padding, and over every key of a sliding-window layer (an upper bound for texts
// longer than its window); the element-wise ops (norms, activations, pooling) are left out.
double graph_flops(const Graph& g, const int32_t* lengths, size_t texts);
// One op's share of graph_flops (0 for the element-wise ops): the WebGPU kernel profile's FLOPs per dispatch.
double op_flops(const Graph& g, const Op& op, const int32_t* lengths, size_t texts);

}  // namespace gpuembed
