#include "backend/webgpu/webgpu_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "gpuembed/error.h"
#include "model/safetensors.h"  // half_to_float

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
static double now_ms() { return emscripten_get_now(); }
#else
#include <chrono>
static double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
#endif

namespace gpuembed::webgpu {

struct WebGpuModel::Inflight {
  int pending = 0;         // callbacks still to come (the map and the error scopes)
  bool map_ok = false;
  std::string error;       // first WebGPU error seen
  bool out_of_memory = false;  // the error scope reported out-of-memory (a buffer of the pass could not be allocated)
  WGPUBuffer readback = nullptr;
  uint64_t bytes = 0;
  size_t half_values = 0;  // > 0: the readback holds this many f16 values (hidden states of the fp16 path)
  double submitted_at = 0, mapped_at = 0;  // now_ms()
  bool done() const { return pending == 0; }
};

namespace {
constexpr WGPUBufferUsageFlags kStorage = WGPUBufferUsage_Storage | WGPUBufferUsage_CopyDst | WGPUBufferUsage_CopySrc;

// Each callback owns one reference to the in-flight record, so it may outlive the model.
using InflightRef = std::shared_ptr<WebGpuModel::Inflight>;
void on_map(bool ok, void* user) {
  auto* ref = static_cast<InflightRef*>(user);
  (*ref)->map_ok = ok;
  (*ref)->mapped_at = now_ms();
  if (!ok && (*ref)->error.empty()) (*ref)->error = "mapAsync of the readback buffer failed";
  --(*ref)->pending;
  delete ref;
  port::notify_host();
}
void on_scope(int type, const char* message, void* user) {
  auto* ref = static_cast<InflightRef*>(user);
  if (type != 0 && (*ref)->error.empty()) {
    (*ref)->error = std::string(type == 2 ? "WebGPU out of memory: " : "WebGPU error: ") + message;
  }
  if (type == 2) (*ref)->out_of_memory = true;
  --(*ref)->pending;
  delete ref;
  port::notify_host();
}

struct EmbedParams { uint32_t rows, seq, hidden, vocab, max_pos, p0; float eps; uint32_t p1; };
struct LnParams { uint32_t rows, hidden; float eps; uint32_t p0; };
struct MatmulParams { uint32_t M, N, K, flags; };
struct AttnParams { uint32_t batch, seq, heads, hidden; float scale; uint32_t p0, p1, p2; };
struct PoolParams { uint32_t batch, seq, hidden, mode, out_dim, out_offset, p0, p1; };
struct NormParams { uint32_t rows, dim, p0, p1; };

constexpr size_t kSmallMatmulRows = 32;
constexpr uint32_t kSmallMatmulCols = 4;       // matmul_small.wgsl: NC columns per workgroup
constexpr uint32_t kSmallMatmulRowBlock = 16;  // matmul_small.wgsl: MB rows per workgroup
constexpr uint32_t kMatmulRowsPerTile = 64;   // matmul.wgsl: BM = 64 * RV (RV = 2 measured 8x slower on the H100)

BufferRef ref(WGPUBuffer b, uint64_t bytes) { return BufferRef{b, 0, bytes}; }

constexpr float kF16Max = 65504.0f;

// IEEE binary16, round to nearest even (F. Giesen's float_to_half_fast3_rtne; _Float16 is not available to
// Emscripten 3.1.6's clang for wasm32). Finite values beyond kF16Max become infinities: f16_unsuitable() rules them
// out for weights first.
uint16_t float_to_half(float value) {
  uint32_t f;
  std::memcpy(&f, &value, 4);
  const uint32_t sign = f & 0x80000000u;
  f ^= sign;
  uint16_t o;
  if (f >= (127u + 16u) << 23) {  // >= 65536 (or inf / nan)
    o = f > (255u << 23) ? 0x7e00 : 0x7c00;
  } else if (f < (113u << 23)) {  // below f16's smallest normal: the float adder rounds the subnormal
    const uint32_t magic_bits = ((127u - 15u) + (23u - 10u) + 1u) << 23;
    float magic, v;
    std::memcpy(&magic, &magic_bits, 4);
    std::memcpy(&v, &f, 4);
    v += magic;
    uint32_t vb;
    std::memcpy(&vb, &v, 4);
    o = static_cast<uint16_t>(vb - magic_bits);
  } else {
    const uint32_t mant_odd = (f >> 13) & 1u;
    f += (static_cast<uint32_t>(15 - 127) << 23) + 0xfffu + mant_odd;  // rebias, round half to even
    o = static_cast<uint16_t>(f >> 13);
  }
  return static_cast<uint16_t>(o | (sign >> 16));
}

uint32_t ceil_div(uint64_t a, uint64_t b) { return static_cast<uint32_t>((a + b - 1) / b); }
uint32_t pool_mode_code(PoolingMode m) {
  switch (m) {
    case PoolingMode::kCls: return 0;
    case PoolingMode::kMean: return 1;
    case PoolingMode::kMax: return 2;
    case PoolingMode::kMeanSqrtLen: return 3;
  }
  return 1;
}
}  // namespace

WebGpuModel::WebGpuModel(std::shared_ptr<GpuContext> ctx, const ModelSpec& spec, const BertWeights& w,
                         GpuPrecision precision)
    : ctx_(std::move(ctx)),
      spec_(spec),
      kernels_(*ctx_, static_cast<uint32_t>(spec.config.head_dim()), precision),
      recorder_(*ctx_, kernels_) {
  const BertConfig& c = spec_.config;
  if (c.hidden_size <= 0 || c.num_attention_heads <= 0 || c.hidden_size % c.num_attention_heads != 0) {
    throw Error(ErrorCode::kModelInvalid, "hidden_size must be a multiple of num_attention_heads");
  }
  if (ctx_->lost()) throw Error(ErrorCode::kDeviceLost, ctx_->lost_message());
  const uint64_t largest = uint64_t(c.vocab_size) * c.hidden_size * 4;
  if (largest > ctx_->info().max_storage_binding || largest > ctx_->info().max_buffer_size) {
    throw Error(ErrorCode::kBackendUnavailable,
                "WebGPU device limits too small for the word-embedding table (" + std::to_string(largest) + " bytes)");
  }
  // Embedding tables and weight matrices in the kernels' `wt` type (f16 halves them); the small vectors stay f32.
  word_ = upload(w.word_embeddings, "word_embeddings", true);
  pos_ = upload(w.position_embeddings, "position_embeddings", true);
  type_ = upload(w.token_type_embeddings, "token_type_embeddings", true);
  emb_g_ = upload(w.emb_ln_w, "embeddings.LayerNorm.weight");
  emb_b_ = upload(w.emb_ln_b, "embeddings.LayerNorm.bias");
  for (const LayerWeights& l : w.layers) {
    LayerBuffers b{};
    b.qkv_w = upload_concat({&l.q_w, &l.k_w, &l.v_w}, "qkv.weight", true);
    b.qkv_b = upload_concat({&l.q_b, &l.k_b, &l.v_b}, "qkv.bias");
    b.ao_w = upload(l.attn_out_w, "attention.output.dense.weight", true);
    b.ao_b = upload(l.attn_out_b, "attention.output.dense.bias");
    b.ln1_g = upload(l.attn_ln_w, "attention.output.LayerNorm.weight");
    b.ln1_b = upload(l.attn_ln_b, "attention.output.LayerNorm.bias");
    b.fi_w = upload(l.ffn_in_w, "intermediate.dense.weight", true);
    b.fi_b = upload(l.ffn_in_b, "intermediate.dense.bias");
    b.fo_w = upload(l.ffn_out_w, "output.dense.weight", true);
    b.fo_b = upload(l.ffn_out_b, "output.dense.bias");
    b.ln2_g = upload(l.out_ln_w, "output.LayerNorm.weight");
    b.ln2_b = upload(l.out_ln_b, "output.LayerNorm.bias");
    layers_.push_back(b);
  }
}

WebGpuModel::~WebGpuModel() {
  release_activations();
  for (WGPUBuffer b : owned_weights_) {
    wgpuBufferDestroy(b);
    wgpuBufferRelease(b);
  }
}

WGPUBuffer WebGpuModel::upload(const TensorView& t, const char* what, bool as_wt) {
  return upload_concat({&t}, what, as_wt);
}

std::string WebGpuModel::f16_unsuitable(const BertWeights& w) {
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
                                  {&l.ffn_in_w, "intermediate.dense.weight"}, {&l.ffn_out_w, "output.dense.weight"}}) {
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
  const BertConfig& c = spec_.config;
  const uint64_t widest = uint64_t(std::max(c.intermediate_size, 3 * c.hidden_size)) * kernels_.element_bytes();
  const uint64_t limit = std::min(ctx_->info().max_storage_binding, ctx_->info().max_buffer_size);
  return static_cast<size_t>(std::max<uint64_t>(1, limit / widest));
}

// Activations between kernels are f16 in the fp16 path (pooled and normalized outputs stay f32); sizes are rounded
// to 4 bytes, the granularity of storage bindings.
uint64_t WebGpuModel::activation_buffer_bytes(uint64_t values) const {
  return (values * kernels_.element_bytes() + 3) & ~uint64_t(3);
}

BufferRef WebGpuModel::whole(WGPUBuffer b) const {
  const BertConfig& c = spec_.config;
  const uint64_t T = cap_tokens_, B = cap_batch_, H = c.hidden_size, F = c.intermediate_size, D = spec_.dimension();
  uint64_t bytes = 0;
  if (b == ids_) bytes = T * 4;
  else if (b == lengths_) bytes = B * 4;
  else if (b == x_ || b == ctxb_ || b == tmp_ || b == x2_) bytes = activation_buffer_bytes(T * H);
  else if (b == qkv_) bytes = activation_buffer_bytes(T * 3 * H);
  else if (b == ffn_) bytes = activation_buffer_bytes(T * F);
  else if (b == pooled_ || b == normed_) bytes = B * D * 4;
  else throw Error(ErrorCode::kInternal, "not an activation buffer");
  return BufferRef{b, 0, bytes};
}

void WebGpuModel::release_activations() {
  recorder_.invalidate();  // cached bind groups name these buffers
  for (WGPUBuffer* b : {&ids_, &lengths_, &x_, &qkv_, &ctxb_, &tmp_, &x2_, &ffn_, &pooled_, &normed_, &readback_}) {
    if (*b) {
      wgpuBufferDestroy(*b);
      wgpuBufferRelease(*b);
      *b = nullptr;
    }
  }
  cap_tokens_ = cap_batch_ = 0;
  readback_capacity_ = 0;
  activation_bytes_ = 0;
}

void WebGpuModel::ensure_activations(size_t batch, size_t tokens) {
  const BertConfig& c = spec_.config;
  const uint64_t H = c.hidden_size, F = c.intermediate_size, D = spec_.dimension();
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
    const uint64_t th = activation_buffer_bytes(T * H);
    x_ = ctx_->create_buffer(th, kStorage, "x");
    qkv_ = ctx_->create_buffer(activation_buffer_bytes(T * 3 * H), kStorage, "qkv");
    ctxb_ = ctx_->create_buffer(th, kStorage, "context");
    tmp_ = ctx_->create_buffer(th, kStorage, "tmp");
    x2_ = ctx_->create_buffer(th, kStorage, "x2");
    ffn_ = ctx_->create_buffer(activation_buffer_bytes(T * F), kStorage, "ffn");
    pooled_ = ctx_->create_buffer(B * D * 4, kStorage, "pooled");
    normed_ = ctx_->create_buffer(B * D * 4, kStorage, "normalized");
    readback_capacity_ = std::max(T * H, B * D) * 4;
    readback_ = ctx_->create_buffer(readback_capacity_, WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst, "readback");
    activation_bytes_ = T * 4 + B * 4 + 4 * th + activation_buffer_bytes(T * 3 * H) + activation_buffer_bytes(T * F) +
                        2 * B * D * 4 + readback_capacity_;
  }
}

void WebGpuModel::submit(const TokenBatch& batch, Output output) {
  const double t_start = now_ms();
  if (ctx_->lost()) throw Error(ErrorCode::kDeviceLost, ctx_->lost_message());
  if (inflight_ && !inflight_->done()) {
    throw Error(ErrorCode::kInternal, "WebGPU forward pass submitted while another is in flight");
  }
  inflight_.reset();
  const BertConfig& c = spec_.config;
  const size_t B = batch.batch, S = batch.seq, T = B * S;
  if (B == 0 || S == 0) throw Error(ErrorCode::kInvalidInput, "empty batch");
  if (batch.ids.size() != T || batch.lengths.size() != B) {
    throw Error(ErrorCode::kInvalidInput, "token batch shape mismatch");
  }
  if (S > static_cast<size_t>(c.max_position_embeddings)) {
    throw Error(ErrorCode::kInvalidInput, "sequence of " + std::to_string(S) + " tokens exceeds the model's " +
                                              std::to_string(c.max_position_embeddings) + " positions");
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

  const uint32_t H = c.hidden_size, F = c.intermediate_size, NH = c.num_attention_heads;
  const uint32_t D = static_cast<uint32_t>(spec_.dimension());
  const uint32_t maxdim = ctx_->info().max_workgroups_per_dim;
  const uint64_t tH = uint64_t(T) * H * 4;
  const uint64_t wb = kernels_.element_bytes();  // bytes per element of the embedding tables and weight matrices
  wgpuQueueWriteBuffer(ctx_->queue(), ids_, 0, ids.data(), T * 4);
  wgpuQueueWriteBuffer(ctx_->queue(), lengths_, 0, lengths.data(), B * 4);

  Recorder& r = recorder_;
  r.clear();
  {
    EmbedParams p{static_cast<uint32_t>(T), static_cast<uint32_t>(S), H, static_cast<uint32_t>(c.vocab_size),
                  static_cast<uint32_t>(c.max_position_embeddings), 0, c.layer_norm_eps, 0};
    r.dispatch(Kernel::kEmbedLayerNorm, &p, sizeof p,
               {whole(ids_), ref(word_, uint64_t(c.vocab_size) * H * wb),
                ref(pos_, uint64_t(c.max_position_embeddings) * H * wb), ref(type_, uint64_t(H) * wb),
                ref(emb_g_, H * 4), ref(emb_b_, H * 4), whole(x_)},
               grid_for(T, maxdim));
  }
  auto matmul = [&](WGPUBuffer in, uint32_t K, WGPUBuffer w, WGPUBuffer bias, uint32_t N, WGPUBuffer residual,
                    uint32_t flags, WGPUBuffer out) {
    MatmulParams p{static_cast<uint32_t>(T), N, K, flags};
    // Few rows (a short sentence): matmul_small.wgsl's split-K (both kernels grid-stride, so the grids may be capped).
    const bool small = T < kSmallMatmulRows;
    r.dispatch(small ? Kernel::kMatmulSmall : Kernel::kMatmul, &p, sizeof p,
               {whole(in), ref(w, uint64_t(N) * K * wb), ref(bias, uint64_t(N) * 4),
                residual ? whole(residual) : ref(bias, uint64_t(N) * 4), whole(out)},
               small ? std::array<uint32_t, 3>{std::min(ceil_div(N, kSmallMatmulCols), maxdim),
                                               ceil_div(T, kSmallMatmulRowBlock), 1}
                     : std::array<uint32_t, 3>{ceil_div(N, 64), std::min(ceil_div(T, kMatmulRowsPerTile), maxdim), 1});
  };
  auto layernorm = [&](WGPUBuffer in, WGPUBuffer g, WGPUBuffer b, WGPUBuffer out) {
    LnParams p{static_cast<uint32_t>(T), H, c.layer_norm_eps, 0};
    r.dispatch(Kernel::kLayerNorm, &p, sizeof p, {whole(in), ref(g, H * 4), ref(b, H * 4), whole(out)},
               grid_for(T, maxdim));
  };
  for (const LayerBuffers& l : layers_) {
    matmul(x_, H, l.qkv_w, l.qkv_b, 3 * H, nullptr, 0, qkv_);
    AttnParams ap{static_cast<uint32_t>(B), static_cast<uint32_t>(S), NH, H,
                  1.0f / std::sqrt(static_cast<float>(c.head_dim())), 0, 0, 0};
    r.dispatch(Kernel::kAttention, &ap, sizeof ap,
               {whole(qkv_), whole(lengths_), whole(ctxb_)},
               {ceil_div(S, 64), NH, static_cast<uint32_t>(B)});
    matmul(ctxb_, H, l.ao_w, l.ao_b, H, x_, 2, tmp_);
    layernorm(tmp_, l.ln1_g, l.ln1_b, x2_);
    matmul(x2_, H, l.fi_w, l.fi_b, F, nullptr, 1, ffn_);
    matmul(ffn_, F, l.fo_w, l.fo_b, H, x2_, 2, tmp_);
    layernorm(tmp_, l.ln2_g, l.ln2_b, x_);
  }
  uint64_t bytes;
  size_t half_values = 0;
  if (output == Output::kHiddenStates) {
    bytes = tH;
    if (kernels_.precision() == GpuPrecision::kF16) {  // x_ holds halves: read them as they are, widen on the host
      half_values = size_t(T) * H;
      bytes = (uint64_t(half_values) * 2 + 3) & ~uint64_t(3);
    }
    r.copy_after(ref(x_, bytes), readback_);
  } else {
    uint32_t offset = 0;
    for (PoolingMode m : spec_.pooling) {
      PoolParams p{static_cast<uint32_t>(B), static_cast<uint32_t>(S), H, pool_mode_code(m), D, offset, 0, 0};
      r.dispatch(Kernel::kPooling, &p, sizeof p, {whole(x_), whole(lengths_), whole(pooled_)},
                 {ceil_div(H, 64), static_cast<uint32_t>(B), 1});
      offset += H;
    }
    WGPUBuffer result = pooled_;
    if (spec_.normalize) {
      NormParams p{static_cast<uint32_t>(B), D, 0, 0};
      r.dispatch(Kernel::kL2Normalize, &p, sizeof p,
                 {whole(pooled_), whole(normed_)}, grid_for(B, maxdim));
      result = normed_;
    }
    bytes = uint64_t(B) * D * 4;
    r.copy_after(ref(result, bytes), readback_);
  }
  r.submit();

  inflight_ = std::make_shared<Inflight>();
  inflight_->pending = 2;
  inflight_->readback = readback_;
  inflight_->bytes = bytes;
  inflight_->half_values = half_values;
  result_floats_ = half_values ? half_values : static_cast<size_t>(bytes / 4);
  // (mapAsync inside the scopes: when the readback buffer could not be allocated, its error is this pass's failure
  // rather than an uncaptured error printed on the console)
  port::map_read_async(readback_, bytes, on_map, new InflightRef(inflight_));
  port::pop_error_scopes(ctx_->device(), on_scope, new InflightRef(inflight_));
  inflight_->submitted_at = now_ms();
  phases_.last_record_ms = inflight_->submitted_at - t_start;
  phases_.record_ms += phases_.last_record_ms;
}

WebGpuModel::State WebGpuModel::poll() const {
  if (!inflight_) return State::kIdle;
  if (!inflight_->done()) return ctx_->lost() ? State::kFailed : State::kPending;
  return inflight_->map_ok && inflight_->error.empty() && !ctx_->lost() ? State::kReady : State::kFailed;
}

bool WebGpuModel::out_of_memory() const { return inflight_ && inflight_->out_of_memory && !ctx_->lost(); }

const std::string& WebGpuModel::failure() const {
  static const std::string none;
  if (ctx_->lost()) return ctx_->lost_message();
  return inflight_ ? inflight_->error : none;
}

void WebGpuModel::read(float* out) {
  const State s = poll();
  if (s == State::kIdle) throw Error(ErrorCode::kInternal, "no WebGPU result to read");
  if (s == State::kPending) throw Error(ErrorCode::kInternal, "WebGPU result read before it was ready");
  if (s == State::kFailed) {
    const std::string msg = failure();
    const bool oom = out_of_memory();
    if (inflight_->done()) {
      if (inflight_->map_ok) wgpuBufferUnmap(inflight_->readback);
      inflight_.reset();
    }
    if (oom) {
      // Some activation buffers (or the uniform buffer, on a first pass) are invalid: drop them all so the next
      // (smaller) pass allocates afresh.
      release_activations();
      recorder_.release_uniforms();
      grow_exact_ = true;
    }
    if (ctx_->lost()) throw Error(ErrorCode::kDeviceLost, msg);
    throw Error(ErrorCode::kInternal, msg.empty() ? "WebGPU forward pass failed" : msg);
  }
  const double t_read = now_ms();
  if (inflight_->half_values) {
    std::vector<uint16_t> half(static_cast<size_t>(inflight_->bytes / 2));
    port::read_mapped(inflight_->readback, inflight_->bytes, half.data());
    if (out) {
      for (size_t i = 0; i < inflight_->half_values; ++i) out[i] = half_to_float(half[i]);
    }
  } else {
    port::read_mapped(inflight_->readback, inflight_->bytes, out);
  }
  phases_.last_read_ms = now_ms() - t_read;
  phases_.last_gpu_wait_ms = inflight_->mapped_at - inflight_->submitted_at;
  phases_.read_ms += phases_.last_read_ms;
  phases_.gpu_wait_ms += phases_.last_gpu_wait_ms;
  ++phases_.passes;
  inflight_.reset();
}

}  // namespace gpuembed::webgpu
