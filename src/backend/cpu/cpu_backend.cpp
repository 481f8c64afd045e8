#include "backend/cpu/cpu_backend.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/linear.h"
#include "backend/cpu/ops.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/small_m_rule.h"
#include "backend/cpu/thread_chooser.h"
#include "gpuembed/error.h"
#include "model/graph.h"
#include "pooling/pooling.h"

namespace gpuembed {
namespace {

using cpu::Epilogue;
using cpu::Linear;
using cpu::PackedRows;

// A linear op's weight parts (fused QKV: Q, K and V) concatenated into one [out, in] matrix, so one matmul produces
// them all. Linear packs its own copy, so the concatenation is temporary.
Linear make_linear(const Op& op, Precision precision) {
  if (op.weights.size() == 1) {
    return Linear(op.weights[0], op.biases.empty() ? TensorView{} : op.biases[0], precision);
  }
  std::vector<float> weight, bias;
  for (const TensorView& t : op.weights) weight.insert(weight.end(), t.data, t.data + t.numel());
  for (const TensorView& t : op.biases) bias.insert(bias.end(), t.data, t.data + t.numel());
  const auto out = static_cast<int64_t>(op.out_features()), in = static_cast<int64_t>(op.in_features());
  return Linear(TensorView{weight.data(), {out, in}},
                bias.empty() ? TensorView{} : TensorView{bias.data(), {out}}, precision);
}

// The precision of linear op i. int8 keeps two matmuls of a layer in bf16 (fp32 where the CPU has no bf16 hardware):
//  - the FFN's output matmul (its input is a GELU output, which 8 bits per row cannot hold closely enough);
//  - the attention's input projection (QKV): its errors pass through the softmax of Q·Kᵀ. With it in int8 the real
//    all-MiniLM-L6-v2 only just met the 0.999 cosine bar of tests/real_model_test.cpp (the experiments that led
//    here: bench/RESULTS.md, "int8 accuracy, all CPUs").
Precision linear_precision(const Graph& g, size_t i, Precision precision) {
  if (precision != Precision::kInt8) return precision;
  for (size_t j = i + 1; j < g.ops.size(); ++j) {
    const Op& consumer = g.ops[j];
    if (consumer.in != g.ops[i].out) continue;
    const bool feeds_attention = consumer.kind == OpKind::kAttention || consumer.kind == OpKind::kRotary ||
                                 (consumer.kind == OpKind::kRmsNorm && consumer.head_dim > 0);
    if (feeds_attention) return Precision::kBFloat16;
    break;
  }
  for (size_t j = i; j-- > 0;) {
    const Op& producer = g.ops[j];
    if (producer.out != g.ops[i].in) continue;
    const bool after_gelu = producer.kind == OpKind::kLinear && producer.activation == Activation::kGelu;
    return after_gelu ? Precision::kBFloat16 : precision;
  }
  return precision;
}

class CpuBackend final : public Backend {
 public:
  CpuBackend(const ModelSpec& spec, const ModelWeights& weights, Precision precision, int threads)
      : spec_(spec), storage_(weights.storage), precision_(precision), threads_(threads),
        graph_(build_graph(spec, weights)) {
    for (size_t i = 0; i < graph_.ops.size(); ++i) {
      const Op& op = graph_.ops[i];
      linears_.push_back(op.kind == OpKind::kLinear
                             ? std::make_unique<Linear>(make_linear(op, linear_precision(graph_, i, precision)))
                             : nullptr);
      if (linears_.back() && linears_.back()->low_precision()) low_precision_ = true;
    }
    buffers_.resize(graph_.tensors.size());
    size_t widest = 0;
    for (const TensorDecl& t : graph_.tensors) widest = std::max(widest, t.width);
    zeros_.assign(widest, 0.0f);
  }

  // A LayerNorm's bias; zeros for the families whose norms have none (x + 0 is x, so the result is the same).
  const float* beta_of(const Op& op) const { return op.beta.data ? op.beta.data : zeros_.data(); }

  std::string name() const override {
    return "cpu-" + cpu::matmul_engine_name(precision_) + "+" + cpu::simd_level_name(cpu::active_simd_level());
  }

  // Not a device limit: the size of one pass's activations, which the job driver's max_batch already bounds.
  size_t max_tokens() const override { return SIZE_MAX; }

  // The whole pass runs here; read() copies the result out.
  void submit(const TokenBatch& batch) override {
    if (done_) throw Error(ErrorCode::kInternal, "CPU pass submitted before the previous one was read");
    check(batch);
    cpu::ScopedThreads scoped(threads_);
    result_.resize(batch_output_floats(spec_, batch));
    if (batch.output == BatchOutput::kHiddenStates) {
      hidden_states(batch, result_.data());
    } else {
      embed(batch, result_.data());
    }
    done_ = true;
  }
  bool poll() override { return done_; }
  void read(float* out) override {
    if (!done_) throw Error(ErrorCode::kInternal, "no CPU result to read");
    std::copy(result_.begin(), result_.end(), out);
    done_ = false;
  }

  void check(const TokenBatch& batch) const {
    const ModelConfig& c = spec_.config;
    if (batch.ids.size() != batch.batch * batch.seq || batch.lengths.size() != batch.batch) {
      throw Error(ErrorCode::kInvalidInput, "token batch shape mismatch");
    }
    if (batch.seq > static_cast<size_t>(c.max_positions())) {
      throw Error(ErrorCode::kInvalidInput, "sequence of " + std::to_string(batch.seq) + " tokens exceeds the model's " +
                                                std::to_string(c.max_positions()) + " positions");
    }
    for (int32_t id : batch.ids) {
      if (id < 0 || id >= c.vocab_size) throw Error(ErrorCode::kInvalidInput, "token id " + std::to_string(id) + " outside the vocabulary");
    }
    for (int32_t len : batch.lengths) {
      if (len < 1 || static_cast<size_t>(len) > batch.seq) throw Error(ErrorCode::kInvalidInput, "row length out of range");
    }
  }

  void hidden_states(const TokenBatch& batch, float* out) {
    const PackedRows rows = pack(batch);
    const size_t h = static_cast<size_t>(spec_.config.hidden_size);
    const std::vector<float>& x = run(batch, rows);
    for (size_t b = 0; b < batch.batch; ++b) {
      std::memcpy(out + b * batch.seq * h, x.data() + rows.offsets[b] * h, rows.length(b) * h * sizeof(float));
      std::fill(out + (b * batch.seq + rows.length(b)) * h, out + (b + 1) * batch.seq * h, 0.0f);
    }
  }

  // The graph's pooling ops, per text over its packed rows.
  void embed(const TokenBatch& batch, float* out) {
    const PackedRows rows = pack(batch);
    run(batch, rows);
    for (size_t i = graph_.hidden_ops; i < graph_.ops.size(); ++i) {
      const Op& op = graph_.ops[i];
      const size_t in_w = graph_.tensors[static_cast<size_t>(op.in)].width;
      const size_t out_w = graph_.tensors[static_cast<size_t>(op.out)].width;
      std::vector<float>& dst = buffers_[static_cast<size_t>(op.out)];
      dst.resize(batch.batch * out_w);
      const std::vector<float>& src = buffers_[static_cast<size_t>(op.in)];
      for (size_t b = 0; b < batch.batch; ++b) {
        if (op.kind == OpKind::kPool) {
          pool_tokens(src.data() + rows.offsets[b] * in_w, rows.length(b), in_w, op.pooling, dst.data() + b * out_w);
        } else if (op.kind == OpKind::kL2Normalize) {
          std::copy_n(src.data() + b * in_w, in_w, dst.data() + b * out_w);
          l2_normalize(dst.data() + b * out_w, out_w);
        } else {
          throw Error(ErrorCode::kInternal, std::string("CPU backend: op ") + op_name(op.kind) + " after the hidden states");
        }
      }
    }
    const std::vector<float>& result = buffers_[static_cast<size_t>(graph_.embeddings)];
    std::copy_n(result.begin(), batch.batch * spec_.dimension(), out);
  }

 private:
  static PackedRows pack(const TokenBatch& batch) {
    PackedRows rows;
    rows.offsets.push_back(0);
    for (size_t b = 0; b < batch.batch; ++b) {
      rows.offsets.push_back(rows.offsets.back() + static_cast<size_t>(batch.lengths[b]));
    }
    return rows;
  }

  // Runs the encoder on packed rows and returns the final token states [rows, hidden]. With the thread count left
  // to the library, each pass runs on all threads or on one, whichever measures faster now (thread_chooser.h).
  // bf16/int8 passes of few rows run on fewer threads (small_m_rule.h). The cap holds for the whole pass, not per
  // matmul: changing OpenMP's team size around every matmul measured far slower on an oversubscribed machine.
  const std::vector<float>& run(const TokenBatch& batch, const PackedRows& rows) {
    std::optional<cpu::ThreadCap> small_m;
    if (low_precision_) {
      const int capped = cpu::small_m_threads(rows.rows(), cpu::parallel_threads(), cpu::small_m_rows_per_thread());
      if (capped < cpu::parallel_threads()) small_m.emplace(capped);
    }
    if (!cpu::cpu_threads_automatic()) return encode(batch, rows);
    const int all = cpu::parallel_threads();
    const int use = chooser_.pick(rows.rows(), all);
    const auto t0 = std::chrono::steady_clock::now();
    {
      cpu::ThreadCap cap(use);
      encode(batch, rows);
    }
    chooser_.record(rows.rows(), all, use,
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    return buffers_[static_cast<size_t>(graph_.hidden_states)];
  }

  // Runs the graph's ops up to the last hidden state on packed rows and returns it [rows, hidden].
  const std::vector<float>& encode(const TokenBatch& batch, const PackedRows& rows) {
    const size_t n = rows.rows();
    std::vector<int32_t> ids(n);
    for (size_t b = 0; b < batch.batch; ++b) {
      std::copy_n(batch.ids.begin() + static_cast<ptrdiff_t>(b * batch.seq), rows.length(b),
                  ids.begin() + static_cast<ptrdiff_t>(rows.offsets[b]));
    }
    // Buffers are members so repeated calls reuse their capacity instead of allocating per call.
    for (size_t t = 0; t < graph_.tensors.size(); ++t) {
      if (!graph_.tensors[t].per_text) buffers_[t].resize(n * graph_.tensors[t].width);
    }
    auto buf = [&](int t) { return buffers_[static_cast<size_t>(t)].data(); };
    for (size_t i = 0; i < graph_.hidden_ops; ++i) {
      const Op& op = graph_.ops[i];
      const size_t width = graph_.tensors[static_cast<size_t>(op.out)].width;
      switch (op.kind) {
        case OpKind::kEmbedLayerNorm:
          cpu::embed_tokens({op.weights[0].data, op.weights[1].data, op.weights[2].data, op.gamma.data,
                             op.gamma.data ? beta_of(op) : nullptr, op.position_offset,
                             op.scale > 0 ? op.scale : 1.0f},
                            ids.data(), rows, width, op.eps, buf(op.out));
          break;
        case OpKind::kLinear:
          linears_[i]->forward(buf(op.in), n, buf(op.out),
                               op.activation == Activation::kGelu ? Epilogue::kGelu : Epilogue::kNone);
          break;
        case OpKind::kAttention:
          cpu::attention(buf(op.in), rows, op.heads, op.head_dim, buf(op.out),
                         {op.relative_bias.data, op.bias_buckets, op.bias_max_distance, op.window, op.causal},
                         op.kv(), op.scale);
          break;
        case OpKind::kRotary:
          cpu::rotary(buf(op.out), rows, op.heads, op.head_dim, op.rotary_dim, op.rotary_base, op.kv());
          break;
        case OpKind::kGatedActivation:
          if (op.activation == Activation::kSilu) {
            cpu::gated_activation_silu(buf(op.in), n, width, buf(op.out));
          } else if (op.activation == Activation::kGeluTanh) {
            cpu::gated_activation_gelu_tanh(buf(op.in), n, width, buf(op.out));
          } else {
            cpu::gated_activation_gelu(buf(op.in), n, width, buf(op.out));
          }
          break;
        case OpKind::kRmsNorm: {
          if (op.head_dim == 0) {
            if (op.out != op.in) std::copy_n(buf(op.in), n * width, buf(op.out));
            cpu::rms_norm(buf(op.out), n, width, 0, width, 1, op.gamma.data, op.eps, op.unit_offset);
          } else {
            cpu::rms_norm(buf(op.out), n, width, size_t(op.first_group) * op.head_dim, op.head_dim, op.heads,
                          op.gamma.data, op.eps, op.unit_offset);
          }
          break;
        }
        case OpKind::kAdd:
          if (op.out != op.residual) std::copy_n(buf(op.residual), n * width, buf(op.out));
          cpu::add_rows(buf(op.out), buf(op.in), n, width);
          break;
        case OpKind::kLayerNorm:
          // Fused: out = LayerNorm(residual + in), in place in out.
          if (op.residual >= 0) {
            if (op.out != op.residual) std::copy_n(buf(op.residual), n * width, buf(op.out));
            cpu::add_layer_norm(buf(op.out), buf(op.in), n, width, op.gamma.data, beta_of(op), op.eps);
          } else {
            if (op.out != op.in) std::copy_n(buf(op.in), n * width, buf(op.out));
            cpu::layer_norm(buf(op.out), n, width, op.gamma.data, beta_of(op), op.eps);
          }
          break;
        default:
          throw Error(ErrorCode::kInternal, std::string("CPU backend: op ") + op_name(op.kind) + " before the hidden states");
      }
    }
    return buffers_[static_cast<size_t>(graph_.hidden_states)];
  }

  ModelSpec spec_;
  std::shared_ptr<const void> storage_;  // what the graph's weight views point into
  Precision precision_;
  int threads_;  // 0: the process-wide setting
  Graph graph_;
  std::vector<std::unique_ptr<Linear>> linears_;  // per op of graph_ (null but for linear ops)
  std::vector<std::vector<float>> buffers_;       // per tensor of graph_
  std::vector<float> zeros_;   // beta_of()
  std::vector<float> result_;  // the finished pass, until read()
  bool done_ = false;
  bool low_precision_ = false;  // some matmul runs bf16/int8 kernels
  cpu::ThreadChooser chooser_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const ModelSpec& spec, const ModelWeights& weights, Precision precision,
                                          int threads) {
  return std::make_unique<CpuBackend>(spec, weights, precision, threads);
}

}  // namespace gpuembed
