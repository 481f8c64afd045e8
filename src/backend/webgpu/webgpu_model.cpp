#include "backend/webgpu/webgpu_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cpu/ops.h"
#include "backend/webgpu/pass_readback.h"
#include "gpuembed/error.h"
#include "model/half.h"

namespace gpuembed::webgpu {

namespace {
constexpr WGPUBufferUsageFlags kStorage = WGPUBufferUsage_Storage | WGPUBufferUsage_CopyDst | WGPUBufferUsage_CopySrc;

BufferRef ref(WGPUBuffer b, uint64_t bytes) { return BufferRef{b, 0, bytes}; }

constexpr float kF16Max = 65504.0f;

// A shape of an op the WGSL kernels do not cover: refused at load, never run with a part left out.
Error unsupported(ModelFamily family, const std::string& what) {
  return Error(ErrorCode::kModelInvalid, std::string("WebGPU does not support this ") + family_name(family) +
                                             " model (" + what + "); use the CPU backend");
}

// Checked before the kernels are built, which would otherwise fail on the first shape they lack without naming the
// model: head dimensions up to 256 (EmbeddingGemma's).
const ModelSpec& supported_shape(const ModelSpec& spec) {
  const ModelConfig& c = spec.config;
  if (c.head_dim() < 1 || c.head_dim() > 256) {
    throw unsupported(c.family, "head dimension " + std::to_string(c.head_dim()) + ", beyond the kernels' 256");
  }
  return spec;
}

}  // namespace

WebGpuModel::WebGpuModel(std::shared_ptr<GpuContext> ctx, const ModelSpec& spec, const ModelWeights& w,
                         GpuPrecision precision)
    : ctx_(std::move(ctx)),
      spec_(supported_shape(spec)),
      kernels_(*ctx_, static_cast<uint32_t>(spec.config.head_dim()), precision),
      recorder_(*ctx_, kernels_) {
  const ModelConfig& c = spec_.config;
  if (c.hidden_size <= 0 || c.num_attention_heads <= 0 || c.hidden_size % c.num_attention_heads != 0) {
    throw Error(ErrorCode::kModelInvalid, "hidden_size must be a multiple of num_attention_heads");
  }
  if (ctx_->lost()) throw Error(ErrorCode::kDeviceLost, ctx_->lost_message());
  // The word-embedding table is one binding: an adapter whose limits cannot hold it is refused by name (the CPU
  // path of the same model keeps working).
  const uint64_t table = uint64_t(c.vocab_size) * c.hidden_size * kernels_.element_bytes();
  for (const auto& [limit, name] : {std::pair{ctx_->info().max_storage_binding, "maxStorageBufferBindingSize"},
                                    {ctx_->info().max_buffer_size, "maxBufferSize"}}) {
    if (table > limit) {
      throw Error(ErrorCode::kBackendUnavailable,
                  "the word-embedding table (" + std::to_string(c.vocab_size) + " x " + std::to_string(c.hidden_size) +
                      ", " + std::to_string(table) + " bytes in " + precision_name(kernels_.precision()) +
                      ") exceeds this WebGPU adapter's " + name + " of " + std::to_string(limit) + " bytes");
    }
  }
  // Embedding tables and weight matrices in the kernels' `wt` type (f16 halves them); the small vectors stay f32.
  graph_ = build_graph(spec_, w);
  size_t widest = 1;
  for (const TensorDecl& t : graph_.tensors) widest = std::max(widest, t.width);
  zeros_ = ctx_->create_buffer(widest * 4, WGPUBufferUsage_Storage | WGPUBufferUsage_CopyDst, "zeros");
  owned_weights_.push_back(zeros_);
  const std::vector<float> zero(widest, 0.0f);
  wgpuQueueWriteBuffer(ctx_->queue(), zeros_, 0, zero.data(), widest * 4);
  // A binding the kernel does not read (a table the family lacks): any buffer will do.
  const BufferRef unused{zeros_, 0, 4};
  auto put = [&](std::vector<BufferRef>& bufs, const TensorView& t, const char* what, bool as_wt = false) {
    bufs.push_back(t.data ? BufferRef{upload(t, what, as_wt), 0, t.numel() * (as_wt ? kernels_.element_bytes() : 4)}
                          : unused);
  };
  for (const Op& op : graph_.ops) {
    std::vector<BufferRef> bufs;
    switch (op.kind) {
      case OpKind::kEmbedLayerNorm:
        for (const TensorView& t : op.weights) put(bufs, t, "embedding table", true);
        put(bufs, op.gamma, "embedding LayerNorm weight");
        bufs.push_back(op.beta.data ? BufferRef{upload(op.beta, "embedding LayerNorm bias"), 0, op.beta.numel() * 4}
                                    : BufferRef{zeros_, 0, widest * 4});
        break;
      case OpKind::kLinear: {
        std::vector<const TensorView*> weights, biases;
        for (const TensorView& t : op.weights) weights.push_back(&t);
        for (const TensorView& t : op.biases) biases.push_back(&t);
        bufs.push_back({upload_concat(weights, "linear weight", true), 0,
                        op.out_features() * op.in_features() * kernels_.element_bytes()});
        bufs.push_back(biases.empty() ? BufferRef{zeros_, 0, widest * 4}
                                      : BufferRef{upload_concat(biases, "linear bias"), 0, op.out_features() * 4});
        break;
      }
      case OpKind::kLayerNorm:
      case OpKind::kRmsNorm:
        put(bufs, op.gamma, "norm weight");
        bufs.push_back(op.beta.data ? BufferRef{upload(op.beta, "LayerNorm bias"), 0, op.beta.numel() * 4}
                                    : BufferRef{zeros_, 0, widest * 4});
        break;
      case OpKind::kAttention:
        if (op.head_dim != kernels_.head_dim()) throw Error(ErrorCode::kModelInvalid, "attention head_dim differs from the model's");
        if (op.heads % op.kv() != 0) throw unsupported(c.family, "query heads not a multiple of the key/value heads");
        bufs.push_back(op.relative_bias.data ? relative_bias_by_distance(op) : unused);
        break;
      case OpKind::kRotary: {
        if (op.rotary_dim % 2 != 0 || op.rotary_dim > op.head_dim) {
          throw unsupported(c.family, "rotary dimension " + std::to_string(op.rotary_dim));
        }
        auto same = [&](const RotaryTable& t) { return t.base == op.rotary_base && t.dim == op.rotary_dim; };
        auto it = std::find_if(rotary_tables_.begin(), rotary_tables_.end(), same);
        if (it == rotary_tables_.end()) it = rotary_tables_.insert(it, RotaryTable{op.rotary_base, op.rotary_dim});
        op_rotary_.resize(op_weights_.size() + 1, -1);
        op_rotary_.back() = static_cast<int>(it - rotary_tables_.begin());
        break;
      }
      case OpKind::kPool:
      case OpKind::kL2Normalize:
      case OpKind::kGatedActivation:
      case OpKind::kAdd:
        break;
    }
    op_weights_.push_back(std::move(bufs));
  }
  op_rotary_.resize(op_weights_.size(), -1);
  if (ctx_->info().timestamps) {
    timestamps_ = port::create_timestamp_set(ctx_->device(), 2 * kTimedSlots);
    resolve_ = ctx_->create_buffer(256 * kTimedSlots, WGPUBufferUsage_QueryResolve | WGPUBufferUsage_CopySrc, "timestamps");
    owned_weights_.push_back(resolve_);
  }
}

void WebGpuModel::release_rotary() {
  recorder_.invalidate();
  for (RotaryTable& t : rotary_tables_) {
    if (t.buffer) {
      wgpuBufferDestroy(t.buffer);
      wgpuBufferRelease(t.buffer);
      t.buffer = nullptr;
    }
  }
  rotary_rows_ = 0;
}

// The angles in float32 as the CPU path computes them (cpu::rotary: inverse frequencies, then position x frequency,
// std::cos / std::sin), so both paths turn by the same angles.
void WebGpuModel::ensure_rotary(size_t seq) {
  if (rotary_tables_.empty() || seq <= rotary_rows_) return;
  const size_t rows = std::min(std::max(seq, 2 * rotary_rows_), static_cast<size_t>(spec_.config.max_positions()));
  release_rotary();
  for (RotaryTable& t : rotary_tables_) {
    const size_t half = t.dim / 2;
    std::vector<float> inv_freq(half), cs(rows * 2 * half);
    for (size_t i = 0; i < half; ++i) {
      inv_freq[i] = 1.0f / std::pow(t.base, static_cast<float>(2 * i) / static_cast<float>(t.dim));
    }
    for (size_t p = 0; p < rows; ++p) {
      for (size_t i = 0; i < half; ++i) {
        const float angle = static_cast<float>(p) * inv_freq[i];
        cs[p * 2 * half + i] = std::cos(angle);
        cs[p * 2 * half + half + i] = std::sin(angle);
      }
    }
    t.buffer = ctx_->create_buffer(std::max<uint64_t>(cs.size() * 4, 4), kStorage, "rotary cos/sin");
    if (!cs.empty()) wgpuQueueWriteBuffer(ctx_->queue(), t.buffer, 0, cs.data(), cs.size() * 4);
  }
  rotary_rows_ = rows;
}

// MPNet's bias as attention.wgsl reads it: per head, by distance key - query over every distance the model's
// positions allow, from the [buckets, heads] table and the CPU path's bucket function (the same float32 logs).
BufferRef WebGpuModel::relative_bias_by_distance(const Op& op) {
  const int span = std::max(spec_.config.max_positions(), 1) - 1;
  const size_t n = 2 * size_t(span) + 1;
  std::vector<float> table(size_t(op.heads) * n);
  for (int d = -span; d <= span; ++d) {
    const int bucket = cpu::relative_position_bucket(d, static_cast<int>(op.bias_buckets),
                                                     static_cast<int>(op.bias_max_distance));
    for (uint32_t h = 0; h < op.heads; ++h) table[h * n + size_t(d + span)] = op.relative_bias.data[size_t(bucket) * op.heads + h];
  }
  const TensorView view{table.data(), {static_cast<int64_t>(table.size())}};
  return BufferRef{upload(view, "relative position bias"), 0, table.size() * 4};
}

WebGpuModel::~WebGpuModel() {
  release_activations();
  release_rotary();
  if (timestamps_) {
    wgpuQuerySetDestroy(timestamps_);
    wgpuQuerySetRelease(timestamps_);
  }
  if (profiled_.set) wgpuQuerySetRelease(profiled_.set);
  for (ReadbackSlot& slot : readbacks_) {
    if (slot.buffer) {
      wgpuBufferDestroy(slot.buffer);
      wgpuBufferRelease(slot.buffer);
    }
  }
  for (WGPUBuffer b : owned_weights_) {
    wgpuBufferDestroy(b);
    wgpuBufferRelease(b);
  }
}

WGPUBuffer WebGpuModel::upload(const TensorView& t, const char* what, bool as_wt) {
  return upload_concat({&t}, what, as_wt);
}

std::string WebGpuModel::f16_unsuitable(const ModelWeights& w) {
  auto check = [](const TensorView& t, const std::string& name) -> std::string {
    for (size_t i = 0, n = t.data ? t.numel() : 0; i < n; ++i) {
      if (!(std::fabs(t.data[i]) <= kF16Max)) {  // also NaN
        return name + " holds " + std::to_string(t.data[i]) + ", which float16 cannot represent (|x| <= 65504)";
      }
    }
    return "";
  };
  std::string why = check(w.word_embeddings, "word_embeddings");
  if (why.empty()) why = check(w.position_embeddings, "position_embeddings");
  if (why.empty()) why = check(w.token_type_embeddings, "token_type_embeddings");
  for (size_t i = 0; i < w.layers.size() && why.empty(); ++i) {
    const LayerWeights& l = w.layers[i];
    const std::string at = "layer " + std::to_string(i) + " ";
    for (const auto& [t, name] : {std::pair{&l.q_w, "query.weight"}, {&l.k_w, "key.weight"}, {&l.v_w, "value.weight"},
                                  {&l.attn_out_w, "attention.output.dense.weight"},
                                  {&l.ffn_in_w, "intermediate.dense.weight"}, {&l.ffn_out_w, "output.dense.weight"},
                                  {&l.ffn_gate_w, "gate projection weight"}}) {
      if (why.empty()) why = check(*t, at + name);
    }
  }
  return why;
}

WGPUBuffer WebGpuModel::upload_concat(const std::vector<const TensorView*>& parts, const char* what, bool as_wt) {
  uint64_t values = 0;
  for (const TensorView* p : parts) {
    if (!p->data) throw Error(ErrorCode::kModelInvalid, std::string("missing weight tensor ") + what);
    values += p->numel();
  }
  if (as_wt && kernels_.precision() == GpuPrecision::kF16) {
    // One write of the whole converted buffer: writeBuffer wants offsets and sizes in multiples of 4 bytes, which
    // the parts of an odd number of halves would not be.
    std::vector<uint16_t> half(static_cast<size_t>((values + 1) & ~uint64_t(1)), 0);
    size_t at = 0;
    for (const TensorView* p : parts) {
      for (size_t i = 0, n = p->numel(); i < n; ++i) {
        const uint16_t h = float_to_half(p->data[i]);
        if ((h & 0x7c00u) == 0x7c00u) {  // callers check f16_unsuitable() first; this keeps infinities off the GPU
          throw Error(ErrorCode::kBackendUnavailable, std::string("fp16 path: ") + what + " holds " +
                                                          std::to_string(p->data[i]) + ", beyond float16's range");
        }
        half[at + i] = h;
      }
      at += p->numel();
    }
    const uint64_t bytes = half.size() * sizeof(uint16_t);
    WGPUBuffer b = ctx_->create_buffer(bytes, WGPUBufferUsage_Storage | WGPUBufferUsage_CopyDst, what);
    owned_weights_.push_back(b);
    wgpuQueueWriteBuffer(ctx_->queue(), b, 0, half.data(), static_cast<size_t>(bytes));
    weight_bytes_ += bytes;
    return b;
  }
  const uint64_t bytes = values * sizeof(float);
  WGPUBuffer b = ctx_->create_buffer(bytes, WGPUBufferUsage_Storage | WGPUBufferUsage_CopyDst, what);
  owned_weights_.push_back(b);
  uint64_t at = 0;
  for (const TensorView* p : parts) {
    const uint64_t n = p->numel() * sizeof(float);
    wgpuQueueWriteBuffer(ctx_->queue(), b, at, p->data, static_cast<size_t>(n));
    at += n;
  }
  weight_bytes_ += bytes;
  return b;
}

size_t WebGpuModel::max_tokens() const {
  size_t width = 1;
  for (const TensorDecl& t : graph_.tensors) width = t.per_text ? width : std::max(width, t.width);
  const uint64_t widest = uint64_t(width) * kernels_.element_bytes();
  const uint64_t limit = std::min(ctx_->info().max_storage_binding, ctx_->info().max_buffer_size);
  return static_cast<size_t>(std::max<uint64_t>(1, limit / widest));
}

// Activations between kernels are f16 in the fp16 path (pooled and normalized outputs stay f32); sizes are rounded
// to 4 bytes, the granularity of storage bindings.
uint64_t WebGpuModel::activation_buffer_bytes(uint64_t values) const {
  return (values * kernels_.element_bytes() + 3) & ~uint64_t(3);
}

BufferRef WebGpuModel::whole(WGPUBuffer b) const {
  if (b == ids_) return BufferRef{b, 0, uint64_t(cap_tokens_) * 4};
  if (b == lengths_) return BufferRef{b, 0, uint64_t(cap_batch_) * 4};
  for (size_t t = 0; t < tensors_.size(); ++t) {
    if (tensors_[t] == b) return BufferRef{b, 0, tensor_bytes(t)};
  }
  throw Error(ErrorCode::kInternal, "not an activation buffer");
}

// Token tensors in the activation type, pooled ones in f32.
uint64_t WebGpuModel::tensor_bytes(size_t t) const {
  const TensorDecl& d = graph_.tensors[t];
  return d.per_text ? uint64_t(cap_batch_) * d.width * 4 : activation_buffer_bytes(uint64_t(cap_tokens_) * d.width);
}

void WebGpuModel::release_activations() {
  recorder_.invalidate();  // cached bind groups name these buffers
  for (WGPUBuffer* b : {&ids_, &lengths_}) {
    if (*b) {
      wgpuBufferDestroy(*b);
      wgpuBufferRelease(*b);
      *b = nullptr;
    }
  }
  for (WGPUBuffer b : tensors_) {
    wgpuBufferDestroy(b);
    wgpuBufferRelease(b);
  }
  tensors_.clear();
  cap_tokens_ = cap_batch_ = 0;
  activation_bytes_ = 0;
}

void WebGpuModel::ensure_activations(size_t batch, size_t tokens) {
  if (tokens > cap_tokens_ || batch > cap_batch_) {
    // Grow to at least the request, and geometrically, so a slowly rising size does not reallocate every call;
    // but exactly to the request once the device ran out of memory: doubling would ask for what just failed.
    const size_t nt = grow_exact_ || !cap_tokens_ ? tokens : std::max(tokens, std::min(max_tokens(), cap_tokens_ * 2));
    const size_t nb = grow_exact_ ? batch : std::max(batch, cap_batch_ * 2);
    release_activations();
    cap_tokens_ = std::max(nt, tokens);
    cap_batch_ = nb;
    const uint64_t T = cap_tokens_, B = cap_batch_;
    ids_ = ctx_->create_buffer(T * 4, kStorage, "ids");
    lengths_ = ctx_->create_buffer(B * 4, kStorage, "lengths");
    activation_bytes_ = T * 4 + B * 4;
    for (size_t t = 0; t < graph_.tensors.size(); ++t) {
      tensors_.push_back(ctx_->create_buffer(tensor_bytes(t), kStorage, graph_.tensors[t].name.c_str()));
      activation_bytes_ += tensor_bytes(t);
    }
  }
}

std::string WebGpuModel::name() const { return std::string("webgpu-") + precision_name(kernels_.precision()); }

void WebGpuModel::submit(const TokenBatch& batch) {
  const double t_start = now_ms();
  if (ctx_->lost()) throw Error(ErrorCode::kDeviceLost, ctx_->lost_message());
  if (inflight_.size() >= max_in_flight()) {
    throw Error(ErrorCode::kInternal, "WebGPU forward pass submitted while " + std::to_string(inflight_.size()) +
                                          " are in flight");
  }
  const ModelConfig& c = spec_.config;
  const size_t B = batch.batch, S = batch.seq, T = B * S;
  if (B == 0 || S == 0) throw Error(ErrorCode::kInvalidInput, "empty batch");
  if (batch.ids.size() != T || batch.lengths.size() != B) {
    throw Error(ErrorCode::kInvalidInput, "token batch shape mismatch");
  }
  if (S > static_cast<size_t>(c.max_positions())) {
    throw Error(ErrorCode::kInvalidInput, "sequence of " + std::to_string(S) + " tokens exceeds the model's " +
                                              std::to_string(c.max_positions()) + " positions");
  }
  if (T > max_tokens()) {
    throw Error(ErrorCode::kInvalidInput, "batch of " + std::to_string(T) + " tokens exceeds this device's limit of " +
                                              std::to_string(max_tokens()) + " per forward pass");
  }
  std::vector<uint32_t> ids(T), lengths(B);
  for (size_t i = 0; i < T; ++i) {
    if (batch.ids[i] < 0 || batch.ids[i] >= c.vocab_size) {
      throw Error(ErrorCode::kInvalidInput, "token id " + std::to_string(batch.ids[i]) + " outside the vocabulary");
    }
    ids[i] = static_cast<uint32_t>(batch.ids[i]);
  }
  for (size_t b = 0; b < B; ++b) {
    if (batch.lengths[b] < 1 || static_cast<size_t>(batch.lengths[b]) > S) {
      throw Error(ErrorCode::kInvalidInput, "row length out of range");
    }
    lengths[b] = static_cast<uint32_t>(batch.lengths[b]);
  }
  // The scopes cover the activation buffers' creation: an allocation the device cannot make is reported as this
  // pass's out-of-memory failure (out_of_memory()), which the caller answers by splitting the batch.
  port::push_error_scopes(ctx_->device());
  ensure_activations(B, T);
  ensure_rotary(S);

  const uint32_t H = c.hidden_size;
  const uint32_t D = static_cast<uint32_t>(spec_.dimension());
  const uint64_t tH = uint64_t(T) * H * 4;
  const uint64_t out_bytes = batch.output == BatchOutput::kHiddenStates
                                 ? (kernels_.precision() == GpuPrecision::kF16 ? (uint64_t(T) * H * 2 + 3) & ~uint64_t(3) : tH)
                                 : uint64_t(B) * D * 4;
  record(B, S, batch.output, profile_ ? batch.lengths.data() : nullptr);
  const size_t n = recorder_.dispatch_count();
  const uint64_t timestamp_offset = timestamps_ ? (out_bytes + 7) & ~uint64_t(7) : 0;
  const size_t slot = readback_slot(timestamps_ ? timestamp_offset + (profile_ ? 16 * n : 16) : out_bytes);
  WGPUBuffer readback = readbacks_[slot].buffer;
  const bool timed = timestamps_ && slot < kTimedSlots && !profile_;
  wgpuQueueWriteBuffer(ctx_->queue(), ids_, 0, ids.data(), T * 4);
  wgpuQueueWriteBuffer(ctx_->queue(), lengths_, 0, lengths.data(), B * 4);
  profiled_.dst = readback;
  profiled_.dst_offset = timestamp_offset;
  uint64_t bytes;
  size_t half_values = 0;
  Recorder& r = recorder_;
  if (batch.output == BatchOutput::kHiddenStates) {
    bytes = tH;
    if (kernels_.precision() == GpuPrecision::kF16) {  // x holds halves: read them as they are, widen on the host
      half_values = size_t(T) * H;
      bytes = (uint64_t(half_values) * 2 + 3) & ~uint64_t(3);
    }
    r.copy_after(ref(tensor(graph_.hidden_states), bytes), readback);
  } else {
    bytes = uint64_t(B) * D * 4;
    r.copy_after(ref(tensor(graph_.embeddings), bytes), readback);
  }
  const TimedPass tp{timestamps_, 2 * static_cast<uint32_t>(slot), resolve_, 256 * uint64_t(slot)};
  if (timed) r.copy_after(BufferRef{resolve_, tp.resolve_offset, 16}, readback, timestamp_offset);
  r.submit(timed ? &tp : nullptr, profile_ ? &profiled_ : nullptr);

  InFlight f;
  f.runs = profile_ ? profiled_.runs.size() : 0;
  const size_t stamps = timed ? 1 : f.runs;
  f.readback = start_readback(ctx_->device(), readback, stamps ? timestamp_offset + 16 * stamps : bytes);
  f.slot = slot;
  f.half_values = half_values;
  f.result_bytes = bytes;
  f.timestamp_offset = stamps ? timestamp_offset : 0;
  readbacks_[slot].use = f.readback;
  if (pass_log_.size() < kPassLogSize) {
    f.log = pass_log_.size();
    pass_log_.push_back(PassTimes{B, S, t_start - log_start_, f.readback->submitted_at - log_start_});
    pass_log_.back().flops = graph_flops(graph_, batch.lengths.data(), B);
  }
  phases_.last_record_ms = f.readback->submitted_at - t_start;
  phases_.record_ms += phases_.last_record_ms;
  host_free_at_ = f.readback->submitted_at;
  inflight_.push_back(std::move(f));
}

}  // namespace gpuembed::webgpu
