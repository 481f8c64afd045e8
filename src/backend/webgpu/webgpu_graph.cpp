// The graph executor of the WebGPU backend: each op of the model graph becomes one dispatch of its WGSL kernel,
// recorded into the pass's one command buffer. Fusions: a linear op followed by the LayerNorm that adds its output
// to a residual gets the residual added in the matmul's epilogue; a linear op's activation runs in the same epilogue.
// Ops in place (out == in: rotary, head norms, the pre-norm residual stream) bind their tensor once, writable: a
// buffer may not be bound both read-only and writable in one dispatch.
#include <cmath>

#include "backend/webgpu/webgpu_model.h"
#include "gpuembed/error.h"

namespace gpuembed::webgpu {
namespace {

struct EmbedParams {
  uint32_t rows, seq, hidden, vocab, max_pos, pos_offset;
  float eps;
  uint32_t flags;
  float scale;
  uint32_t p0, p1, p2;
};
struct LnParams { uint32_t rows, hidden; float eps; uint32_t inplace; };
struct MatmulParams { uint32_t M, N, K, flags; };
struct AttnParams { uint32_t batch, seq, heads, kv_heads; float scale; uint32_t window, flags, nrel; };
struct PoolParams { uint32_t batch, seq, hidden, mode, out_dim, out_offset, p0, p1; };
struct NormParams { uint32_t rows, dim, p0, p1; };
struct RotaryParams { uint32_t rows, seq, nheads, head_dim, half, stride, p0, p1; };
struct GatedParams { uint32_t rows, width, mode, p0; };
struct RmsParams { uint32_t rows, stride, first, width, groups; float eps; uint32_t flags, p0; };
struct AddParams { uint32_t n, inplace, p1, p2; };

constexpr uint32_t kEmbedNoPosition = 1, kEmbedNoTokenType = 2, kEmbedNoNorm = 4;  // embed_layernorm.wgsl flags
constexpr uint32_t kAttnCausal = 1, kAttnRelativeBias = 2;                          // attention.wgsl flags
constexpr uint32_t kRmsUnitOffset = 1, kRmsInPlace = 2;                             // rms_norm.wgsl flags
constexpr uint32_t kMatmulGelu = 1, kMatmulResidual = 2;  // matmul*.wgsl flags
constexpr size_t kSmallMatmulRows = 32;

uint32_t ceil_div(uint64_t a, uint64_t b) { return static_cast<uint32_t>((a + b - 1) / b); }
uint32_t u32(size_t v) { return static_cast<uint32_t>(v); }

uint32_t pool_mode_code(PoolingMode m) {
  switch (m) {
    case PoolingMode::kCls: return 0;
    case PoolingMode::kMean: return 1;
    case PoolingMode::kMax: return 2;
    case PoolingMode::kMeanSqrtLen: return 3;
    case PoolingMode::kWeightedMean: return 4;
    case PoolingMode::kLastToken: return 5;
  }
  return 1;
}

// The LayerNorm that op i + 1 is, when it adds op i's output (a linear op) to a residual: fused into the matmul.
bool residual_fused_into(const Graph& g, size_t i) {
  return i + 1 < g.ops.size() && g.ops[i].kind == OpKind::kLinear && g.ops[i + 1].kind == OpKind::kLayerNorm &&
         g.ops[i + 1].in == g.ops[i].out && g.ops[i + 1].residual >= 0;
}

}  // namespace

void WebGpuModel::record(size_t B, size_t S, BatchOutput output, const int32_t* lengths) {
  const ModelConfig& c = spec_.config;
  const size_t T = B * S;
  const uint32_t maxdim = ctx_->info().max_workgroups_per_dim;
  Recorder& r = recorder_;
  r.clear();
  auto width = [&](int t) { return u32(graph_.tensors[static_cast<size_t>(t)].width); };
  const size_t last = output == BatchOutput::kEmbeddings ? graph_.ops.size() : graph_.hidden_ops;
  for (size_t i = 0; i < last; ++i) {
    const Op& op = graph_.ops[i];
    const std::vector<BufferRef>& w = op_weights_[i];
    const size_t first = r.dispatch_count();
    // Elementwise kernels: 256 invocations per workgroup.
    auto elementwise = [&](uint64_t n) { return grid_for((n + 255) / 256, maxdim); };
    switch (op.kind) {
      case OpKind::kEmbedLayerNorm: {
        const uint32_t H = width(op.out);
        const uint32_t flags = (op.weights[1].data ? 0 : kEmbedNoPosition) | (op.weights[2].data ? 0 : kEmbedNoTokenType) |
                               (op.gamma.data ? 0 : kEmbedNoNorm);
        EmbedParams p{u32(T), u32(S), H, static_cast<uint32_t>(c.vocab_size),
                      static_cast<uint32_t>(std::max(c.max_position_embeddings, 1)), op.position_offset, op.eps,
                      flags, op.scale > 0 ? op.scale : 1.0f, 0, 0, 0};
        r.dispatch(Kernel::kEmbedLayerNorm, &p, sizeof p, {whole(ids_), w[0], w[1], w[2], w[3], w[4], whole(tensor(op.out))},
                   grid_for(T, maxdim));
        break;
      }
      case OpKind::kLinear: {
        const uint32_t N = width(op.out), K = width(op.in);
        const bool fuse_residual = residual_fused_into(graph_, i);
        if (op.activation == Activation::kGelu && fuse_residual) {
          throw Error(ErrorCode::kModelInvalid, "WebGPU: GELU and a residual in one linear op");
        }
        MatmulParams p{u32(T), N, K,
                       (op.activation == Activation::kGelu ? kMatmulGelu : 0) | (fuse_residual ? kMatmulResidual : 0)};
        const BufferRef bias = w[1];
        // Few rows (a short sentence): matmul_small.wgsl's split-K (both kernels grid-stride, so grids may be capped).
        const bool small = T < kSmallMatmulRows;
        const bool long_k = K >= kSmallMatmulLongK;
        const SmallMatmulShape& shape = kSmallMatmulShapes[long_k];
        r.dispatch(!small ? Kernel::kMatmul : long_k ? Kernel::kMatmulSmallLongK : Kernel::kMatmulSmall, &p, sizeof p,
                   {whole(tensor(op.in)), w[0], bias,
                    fuse_residual ? whole(tensor(graph_.ops[i + 1].residual)) : bias, whole(tensor(op.out))},
                   small ? std::array<uint32_t, 3>{std::min(ceil_div(N, shape.cols), maxdim), ceil_div(T, shape.rows), 1}
                         : std::array<uint32_t, 3>{ceil_div(N, kernels_.matmul_tile_cols()),
                                                   std::min(ceil_div(T, kernels_.matmul_tile_rows()), maxdim), 1});
        break;
      }
      case OpKind::kLayerNorm: {
        if (op.residual >= 0 && !(i > 0 && residual_fused_into(graph_, i - 1))) {
          throw Error(ErrorCode::kModelInvalid, "WebGPU: a residual LayerNorm must follow the linear op it adds");
        }
        const uint32_t H = width(op.out);
        const bool inplace = op.in == op.out;
        LnParams p{u32(T), H, op.eps, inplace ? 1u : 0u};
        r.dispatch(Kernel::kLayerNorm, &p, sizeof p,
                   {inplace ? w[0] : whole(tensor(op.in)), w[0], w[1], whole(tensor(op.out))}, grid_for(T, maxdim));
        break;
      }
      case OpKind::kRmsNorm: {
        const uint32_t W = width(op.out);
        const bool inplace = op.in == op.out;
        const bool heads = op.head_dim > 0;
        RmsParams p{u32(T), W, heads ? op.first_group * op.head_dim : 0, heads ? op.head_dim : W, heads ? op.heads : 1,
                    op.eps, (op.unit_offset ? kRmsUnitOffset : 0) | (inplace ? kRmsInPlace : 0), 0};
        r.dispatch(Kernel::kRmsNorm, &p, sizeof p, {inplace ? w[0] : whole(tensor(op.in)), w[0], whole(tensor(op.out))},
                   grid_for(uint64_t(T) * p.groups, maxdim));
        break;
      }
      case OpKind::kAttention: {
        const float scale = op.scale > 0 ? op.scale : 1.0f / std::sqrt(static_cast<float>(op.head_dim));
        const uint32_t nrel = op.relative_bias.data ? u32((w[0].size / 4 / op.heads - 1) / 2) : 0;
        AttnParams p{u32(B), u32(S), op.heads, op.kv(), scale, op.window,
                     (op.causal ? kAttnCausal : 0) | (op.relative_bias.data ? kAttnRelativeBias : 0), nrel};
        r.dispatch(Kernel::kAttention, &p, sizeof p,
                   {whole(tensor(op.in)), whole(lengths_), w[0], whole(tensor(op.out))},
                   {ceil_div(S, kernels_.attention_queries()), op.heads, u32(B)});
        break;
      }
      case OpKind::kRotary: {
        const RotaryTable& t = rotary_tables_[static_cast<size_t>(op_rotary_[i])];
        RotaryParams p{u32(T), u32(S), op.heads + op.kv(), op.head_dim, op.rotary_dim / 2, width(op.out), 0, 0};
        r.dispatch(Kernel::kRotary, &p, sizeof p, {BufferRef{t.buffer, 0, uint64_t(rotary_rows_) * op.rotary_dim * 4},
                                                   whole(tensor(op.out))},
                   elementwise(uint64_t(T) * p.nheads * p.half));
        break;
      }
      case OpKind::kGatedActivation: {
        const uint32_t W = width(op.out);
        GatedParams p{u32(T), W, op.activation == Activation::kSilu ? 1u : op.activation == Activation::kGeluTanh ? 2u : 0u, 0};
        r.dispatch(Kernel::kGated, &p, sizeof p, {whole(tensor(op.in)), whole(tensor(op.out))},
                   elementwise(uint64_t(T) * W));
        break;
      }
      case OpKind::kAdd: {
        const bool inplace = op.out == op.residual;
        AddParams p{u32(T) * width(op.out), inplace ? 1u : 0u, 0, 0};
        r.dispatch(Kernel::kResidualAdd, &p, sizeof p,
                   {whole(tensor(op.in)), whole(tensor(inplace ? op.in : op.residual)), whole(tensor(op.out))},
                   elementwise(p.n));
        break;
      }
      case OpKind::kPool: {
        const uint32_t H = width(op.in);
        uint32_t offset = 0;
        for (PoolingMode m : op.pooling) {
          PoolParams p{u32(B), u32(S), H, pool_mode_code(m), width(op.out), offset, 0, 0};
          r.dispatch(Kernel::kPooling, &p, sizeof p, {whole(tensor(op.in)), whole(lengths_), whole(tensor(op.out))},
                     {ceil_div(H, 64), u32(B), 1});
          offset += H;
        }
        break;
      }
      case OpKind::kL2Normalize: {
        NormParams p{u32(B), width(op.out), 0, 0};
        r.dispatch(Kernel::kL2Normalize, &p, sizeof p, {whole(tensor(op.in)), whole(tensor(op.out))},
                   grid_for(B, maxdim));
        break;
      }
    }
    if (lengths) r.tag(first, width(op.out), op.in >= 0 ? width(op.in) : 0, op.out, op_flops(graph_, op, lengths, B));
  }
}

}  // namespace gpuembed::webgpu
