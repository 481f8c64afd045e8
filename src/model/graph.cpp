#include "model/graph.h"

#include "gpuembed/error.h"

namespace gpuembed {

// families/*.cpp
Graph build_bert_graph(const ModelSpec& spec, const ModelWeights& weights);  // BERT, XLM-R, MPNet, NomicBERT
Graph build_modernbert_graph(const ModelSpec& spec, const ModelWeights& weights);
Graph build_qwen3_graph(const ModelSpec& spec, const ModelWeights& weights);  // Qwen3, Gemma3

const char* op_name(OpKind kind) {
  switch (kind) {
    case OpKind::kEmbedLayerNorm: return "embed_layernorm";
    case OpKind::kLinear: return "linear";
    case OpKind::kLayerNorm: return "layernorm";
    case OpKind::kAttention: return "attention";
    case OpKind::kPool: return "pool";
    case OpKind::kL2Normalize: return "l2_normalize";
    case OpKind::kRotary: return "rotary";
    case OpKind::kGatedActivation: return "gated_activation";
    case OpKind::kAdd: return "add";
    case OpKind::kRmsNorm: return "rms_norm";
  }
  return "?";
}

size_t Op::out_features() const {
  size_t n = 0;
  for (const TensorView& w : weights) n += w.shape.empty() ? 0 : static_cast<size_t>(w.shape[0]);
  return n;
}

size_t Op::in_features() const {
  return weights.empty() || weights[0].shape.size() != 2 ? 0 : static_cast<size_t>(weights[0].shape[1]);
}

int Graph::add_tensor(std::string name, size_t width, bool per_text) {
  tensors.push_back(TensorDecl{std::move(name), width, per_text});
  return static_cast<int>(tensors.size()) - 1;
}

void Graph::add_linear(int in, int out, std::vector<TensorView> weights, const std::vector<TensorView>& biases,
                       Activation act) {
  Op op{OpKind::kLinear};
  op.in = in;
  op.out = out;
  op.weights = std::move(weights);
  for (const TensorView& b : biases) {
    if (b.data) op.biases.push_back(b);
  }
  op.activation = act;
  ops.push_back(op);
}

void Graph::add_residual(int stream, int in) {
  Op op{OpKind::kAdd};
  op.in = in;
  op.residual = op.out = stream;
  ops.push_back(op);
}

void Graph::validate() const {
  std::vector<bool> written(tensors.size(), false);
  auto fail = [](size_t i, const Op& op, const std::string& why) {
    throw Error(ErrorCode::kModelInvalid, "model graph op " + std::to_string(i) + " (" + op_name(op.kind) + "): " + why);
  };
  auto width = [&](int t) { return tensors[static_cast<size_t>(t)].width; };
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    const bool reads_input = op.kind != OpKind::kEmbedLayerNorm;
    for (int t : {reads_input ? op.in : -1, op.residual}) {
      if (t < 0) continue;
      if (static_cast<size_t>(t) >= tensors.size() || !written[static_cast<size_t>(t)]) fail(i, op, "reads a tensor not yet written");
    }
    if (op.out < 0 || static_cast<size_t>(op.out) >= tensors.size()) fail(i, op, "writes no tensor");
    switch (op.kind) {
      case OpKind::kLinear: {
        for (const TensorView& w : op.weights) {
          if (!w.data || w.shape.size() != 2 || static_cast<size_t>(w.shape[1]) != op.in_features()) fail(i, op, "weight shapes differ");
        }
        size_t bias = 0;
        for (const TensorView& b : op.biases) bias += b.data ? b.numel() : 0;
        if (op.weights.empty() || width(op.in) != op.in_features() || width(op.out) != op.out_features() ||
            (bias != 0 && bias != op.out_features())) {
          fail(i, op, "widths do not match the weights");
        }
        break;
      }
      case OpKind::kLayerNorm:
        if (width(op.in) != width(op.out) || (op.residual >= 0 && width(op.residual) != width(op.in)) ||
            op.gamma.numel() != width(op.in) || (op.beta.data && op.beta.numel() != width(op.in))) {
          fail(i, op, "widths do not match");
        }
        break;
      case OpKind::kAttention:
        if (op.heads == 0 || op.heads % op.kv() != 0 || width(op.in) != (op.heads + 2 * op.kv()) * op.head_dim ||
            width(op.out) != op.heads * op.head_dim) {
          fail(i, op, "widths do not match (heads + 2 kv_heads) * head_dim");
        }
        if (op.relative_bias.data && (op.relative_bias.shape != std::vector<int64_t>{op.bias_buckets, op.heads} ||
                                      op.bias_buckets < 4 || op.bias_max_distance == 0)) {
          fail(i, op, "relative position bias shape does not match [buckets, heads]");
        }
        break;
      case OpKind::kPool:
        if (op.pooling.empty() || width(op.out) != op.pooling.size() * width(op.in) || !tensors[static_cast<size_t>(op.out)].per_text) {
          fail(i, op, "pooled width does not match");
        }
        break;
      case OpKind::kL2Normalize:
        if (width(op.in) != width(op.out)) fail(i, op, "widths do not match");
        break;
      case OpKind::kRotary:
        if (op.in != op.out || op.heads == 0 || width(op.in) != (op.heads + 2 * op.kv()) * op.head_dim || op.rotary_dim == 0 ||
            op.rotary_dim % 2 != 0 || op.rotary_dim > op.head_dim || !(op.rotary_base > 1)) {
          fail(i, op, "rotary needs [Q | K | V] in place and an even rotary_dim <= head_dim");
        }
        break;
      case OpKind::kRmsNorm:
        if (op.head_dim == 0 ? (op.gamma.numel() != width(op.in) || width(op.out) != width(op.in))
                             : (op.in != op.out || op.gamma.numel() != op.head_dim || op.heads == 0 ||
                                (op.first_group + op.heads) * op.head_dim > width(op.in))) {
          fail(i, op, "RMSNorm widths do not match");
        }
        break;
      case OpKind::kAdd:
        if (op.residual < 0 || width(op.in) != width(op.out) || width(op.residual) != width(op.out)) {
          fail(i, op, "widths do not match");
        }
        break;
      case OpKind::kGatedActivation:
        if (width(op.in) != 2 * width(op.out) || op.activation == Activation::kNone) fail(i, op, "gate and value widths");
        break;
      case OpKind::kEmbedLayerNorm:
        if (op.weights.size() != 3 || !op.weights[0].data || (op.gamma.data && op.gamma.numel() != width(op.out))) {
          fail(i, op, "embedding tables missing");
        }
        break;
    }
    written[static_cast<size_t>(op.out)] = true;
  }
  if (hidden_states < 0 || embeddings < 0 || hidden_ops > ops.size()) {
    throw Error(ErrorCode::kModelInvalid, "model graph: outputs not set");
  }
}

void finish_with_pooling(Graph& g, const ModelSpec& spec, int hidden) {
  g.hidden_states = hidden;
  g.hidden_ops = g.ops.size();
  const int pooled = g.add_tensor("pooled", spec.dimension(), true);
  Op pool{OpKind::kPool};
  pool.in = hidden;
  pool.out = pooled;
  pool.pooling = spec.pooling;
  g.ops.push_back(pool);
  g.embeddings = pooled;
  if (spec.normalize) {
    const int normalized = g.add_tensor("normalized", spec.dimension(), true);
    Op norm{OpKind::kL2Normalize};
    norm.in = pooled;
    norm.out = normalized;
    g.ops.push_back(norm);
    g.embeddings = normalized;
  }
}

Graph build_graph(const ModelSpec& spec, const ModelWeights& weights) {
  Graph g = spec.config.family == ModelFamily::kModernBert ? build_modernbert_graph(spec, weights)
            : spec.config.family == ModelFamily::kQwen3 || spec.config.family == ModelFamily::kGemma3
                ? build_qwen3_graph(spec, weights)
                                                           : build_bert_graph(spec, weights);
  g.validate();
  return g;
}

namespace {
// The texts' tokens and squared lengths: what linear layers and attention scale with.
struct TokenSums {
  double n = 0, n2 = 0;
  TokenSums(const int32_t* lengths, size_t texts) {
    for (size_t b = 0; b < texts; ++b) {
      n += lengths[b];
      n2 += double(lengths[b]) * lengths[b];
    }
  }
};
double flops_of(const Graph& g, const Op& op, const TokenSums& t, size_t texts) {
  if (op.kind == OpKind::kLinear) {
    return 2.0 * double(op.in_features()) * double(op.out_features()) *
           (g.tensors[static_cast<size_t>(op.in)].per_text ? double(texts) : t.n);
  }
  return op.kind == OpKind::kAttention ? 4.0 * op.heads * op.head_dim * t.n2 : 0;
}
}  // namespace

double op_flops(const Graph& g, const Op& op, const int32_t* lengths, size_t texts) {
  return flops_of(g, op, TokenSums(lengths, texts), texts);
}

double graph_flops(const Graph& g, const int32_t* lengths, size_t texts) {
  const TokenSums t(lengths, texts);
  double flops = 0;
  for (const Op& op : g.ops) flops += flops_of(g, op, t, texts);
  return flops;
}

}  // namespace gpuembed
