#include "backend/cpu/cpu_backend.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/linear.h"
#include "backend/cpu/ops.h"
#include "backend/cpu/parallel.h"
#include "backend/cpu/thread_chooser.h"
#include "pooling/pooling.h"

namespace gpuembed {
namespace {

using cpu::Epilogue;
using cpu::Linear;
using cpu::PackedRows;

struct CpuLayer {
  Linear qkv, attn_out, ffn_in, ffn_out;
  const LayerWeights* w;
};

// Q, K and V projections concatenated into one [3H, H] weight so one matmul produces all three.
struct FusedQkv {
  std::vector<float> weight, bias;
  TensorView weight_view() const { return {weight.data(), {static_cast<int64_t>(bias.size()), static_cast<int64_t>(weight.size() / bias.size())}}; }
  TensorView bias_view() const { return {bias.data(), {static_cast<int64_t>(bias.size())}}; }
};

FusedQkv fuse_qkv(const LayerWeights& w) {
  FusedQkv f;
  for (const TensorView* t : {&w.q_w, &w.k_w, &w.v_w}) f.weight.insert(f.weight.end(), t->data, t->data + t->numel());
  for (const TensorView* t : {&w.q_b, &w.k_b, &w.v_b}) f.bias.insert(f.bias.end(), t->data, t->data + t->numel());
  return f;
}

class CpuBackend final : public Backend {
 public:
  CpuBackend(const ModelSpec& spec, const BertWeights& weights, Precision precision)
      : spec_(spec), weights_(weights), precision_(precision) {
    for (const LayerWeights& lw : weights_.layers) {
      const FusedQkv f = fuse_qkv(lw);  // Linear packs its own copy, so the concatenation is temporary
      // int8 keeps the FFN's output matmul in bf16 (fp32 where the CPU has no bf16 hardware): its input, the GELU
      // output, is the one that 8 bits per row cannot hold closely enough (tests/real_model_test.cpp measures it).
      const Precision ffn_out = precision == Precision::kInt8 ? Precision::kBFloat16 : precision;
      layers_.push_back(CpuLayer{Linear(f.weight_view(), f.bias_view(), precision),
                                 Linear(lw.attn_out_w, lw.attn_out_b, precision),
                                 Linear(lw.ffn_in_w, lw.ffn_in_b, precision),
                                 Linear(lw.ffn_out_w, lw.ffn_out_b, ffn_out), &lw});
    }
  }

  std::string name() const override {
    return "cpu-" + cpu::matmul_engine_name(precision_) + "+" + cpu::simd_level_name(cpu::active_simd_level());
  }

  void hidden_states(const TokenBatch& batch, float* out) override {
    const PackedRows rows = pack(batch);
    const size_t h = static_cast<size_t>(spec_.config.hidden_size);
    const std::vector<float>& x = run(batch, rows);
    for (size_t b = 0; b < batch.batch; ++b) {
      std::memcpy(out + b * batch.seq * h, x.data() + rows.offsets[b] * h, rows.length(b) * h * sizeof(float));
      std::fill(out + (b * batch.seq + rows.length(b)) * h, out + (b + 1) * batch.seq * h, 0.0f);
    }
  }

  void embed(const TokenBatch& batch, float* out) override {
    const PackedRows rows = pack(batch);
    const size_t h = static_cast<size_t>(spec_.config.hidden_size);
    const size_t dim = spec_.dimension();
    const std::vector<float>& x = run(batch, rows);
    for (size_t b = 0; b < batch.batch; ++b) {
      pool_tokens(x.data() + rows.offsets[b] * h, rows.length(b), h, spec_.pooling, out + b * dim);
      if (spec_.normalize) l2_normalize(out + b * dim, dim);
    }
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
  const std::vector<float>& run(const TokenBatch& batch, const PackedRows& rows) {
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
    return x_;
  }

  const std::vector<float>& encode(const TokenBatch& batch, const PackedRows& rows) {
    const BertConfig& c = spec_.config;
    const size_t h = static_cast<size_t>(c.hidden_size);
    const size_t inter = static_cast<size_t>(c.intermediate_size);
    const size_t n = rows.rows();
    std::vector<int32_t> ids(n);
    for (size_t b = 0; b < batch.batch; ++b) {
      std::copy_n(batch.ids.begin() + static_cast<ptrdiff_t>(b * batch.seq), rows.length(b),
                  ids.begin() + static_cast<ptrdiff_t>(rows.offsets[b]));
    }
    // Buffers are members so repeated calls reuse their capacity instead of allocating per call.
    x_.resize(n * h);
    qkv_.resize(n * 3 * h);
    ctx_.resize(n * h);
    tmp_.resize(n * h);
    inter_.resize(n * inter);
    cpu::embed_tokens(weights_, ids.data(), rows, h, c.layer_norm_eps, x_.data());
    for (const CpuLayer& L : layers_) {
      L.qkv.forward(x_.data(), n, qkv_.data());
      cpu::attention(qkv_.data(), rows, static_cast<size_t>(c.num_attention_heads), static_cast<size_t>(c.head_dim()),
                     ctx_.data());
      L.attn_out.forward(ctx_.data(), n, tmp_.data());
      cpu::add_layer_norm(x_.data(), tmp_.data(), n, h, L.w->attn_ln_w.data, L.w->attn_ln_b.data, c.layer_norm_eps);
      L.ffn_in.forward(x_.data(), n, inter_.data(), Epilogue::kGelu);
      L.ffn_out.forward(inter_.data(), n, tmp_.data());
      cpu::add_layer_norm(x_.data(), tmp_.data(), n, h, L.w->out_ln_w.data, L.w->out_ln_b.data, c.layer_norm_eps);
    }
    return x_;
  }

  ModelSpec spec_;
  BertWeights weights_;
  Precision precision_;
  std::vector<CpuLayer> layers_;
  std::vector<float> x_, qkv_, ctx_, tmp_, inter_;
  cpu::ThreadChooser chooser_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const ModelSpec& spec, const BertWeights& weights, Precision precision) {
  return std::make_unique<CpuBackend>(spec, weights, precision);
}

}  // namespace gpuembed
