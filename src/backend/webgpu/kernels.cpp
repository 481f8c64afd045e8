#include "backend/webgpu/kernels.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>

#include "backend/webgpu/kernel_sources.h"
#include "gpuembed/error.h"

namespace gpuembed::webgpu {

namespace {
// Shared WGSL prepended to a kernel (after the precision prelude): one definition of each helper. Bit i of a kernel's
// preludes prepends kernels/<kPreludeFiles[i]>.wgsl, in this order (the later ones first in the module).
enum Prelude : unsigned { kErf = 1, kReduce = 2, kAttention = 4, kMatmulCommon = 8, kLayerNorm = 16 };
constexpr const char* kPreludeFiles[] = {
    "erf",               // GELU
    "reduce",            // row sums of the norms
    "attention_common",  // both attention kernels' bindings and key range
    "matmul_common",     // every matmul kernel's bindings and epilogue (which calls erf.wgsl's GELU)
    "layernorm_common",  // both LayerNorm kernels' row statistics and output (with reduce.wgsl's sums)
};
constexpr unsigned kMatmulPreludes = kErf | kMatmulCommon, kLayerNormPreludes = kReduce | kLayerNorm;
struct KernelDesc {
  const char* name;     // kernels/<name>.wgsl
  unsigned preludes;    // Prelude bits
  int storage;          // storage bindings after the uniform (the last is read_write)
};
constexpr KernelDesc kDescs[] = {
    {"embed_layernorm", kLayerNormPreludes, 7}, {"layernorm", kLayerNormPreludes, 4},
    {"matmul", kMatmulPreludes, 5},             {"attention", kAttention, 4},
    {"gelu", kErf, 2},                          {"residual_add", 0, 3},
    {"pooling", 0, 3},                          {"l2_normalize", kReduce, 2},
    {"matmul_small", kMatmulPreludes, 5},       {"rotary", 0, 2},
    {"gated", kErf, 2},                         {"rms_norm", kReduce, 3},
    {"matmul_small_longk", kMatmulPreludes, 5},
};
static_assert(sizeof(kDescs) / sizeof(kDescs[0]) == static_cast<int>(Kernel::kCount));

std::string source_of(const char* name) {
  const char* s = wgsl_source(name);
  if (!s) throw Error(ErrorCode::kInternal, std::string("WGSL kernel not embedded: ") + name);
  return s;
}

// Sets `const NAME: u32 = ...;` of a kernel to value (the specialisation constants: attention's HEAD_DIM and KT,
// matmul_sgmat's subgroup-matrix shape), as cmake/wasm.cmake embeds it: without spaces.
void substitute(std::string& src, const char* file, const char* name, uint32_t value) {
  const std::string from = std::string("const ") + name + ":u32=";
  const auto pos = src.find(from);
  const auto end = pos == std::string::npos ? pos : src.find(';', pos);
  if (end == std::string::npos) throw Error(ErrorCode::kInternal, std::string(file) + ".wgsl: no " + name);
  src.replace(pos, end - pos, from + std::to_string(value) + "u");
}

// WGSL wants every `enable` / `diagnostic` / `requires` directive before the first declaration, and the precision
// prelude declares its aliases: a kernel's own directives go first.
std::string hoist_directives(const std::string& src) {
  std::string head, body;
  size_t at = 0;
  while (at < src.size()) {
    size_t nl = src.find('\n', at);
    if (nl == std::string::npos) nl = src.size();
    const std::string line = src.substr(at, nl - at);
    const size_t b = line.find_first_not_of(" \t");
    const bool directive = b != std::string::npos && (line.compare(b, 7, "enable ") == 0 ||
                                                      line.compare(b, 10, "diagnostic") == 0 ||
                                                      line.compare(b, 9, "requires ") == 0);
    (directive ? head : body) += line + "\n";
    at = nl + 1;
  }
  return head + body;
}
}  // namespace

const char* kernel_name(Kernel k) { return kDescs[static_cast<int>(k)].name; }
const char* precision_name(GpuPrecision p) { return p == GpuPrecision::kF16 ? "fp16" : "fp32"; }
int Kernels::storage_bindings(Kernel k) { return kDescs[static_cast<int>(k)].storage; }

Kernels::Kernels(GpuContext& ctx, uint32_t head_dim, GpuPrecision precision, bool subgroup_matrix,
                 const AttentionChoice* attention)
    : ctx_(ctx), head_dim_(head_dim), precision_(precision) {
  if (head_dim == 0 || head_dim > 256) {
    throw Error(ErrorCode::kModelInvalid, "head dimension " + std::to_string(head_dim) + " not supported (1..256)");
  }
  // Fewer keys per tile for wide heads: K and V tiles of 32 keys would need 64 KB at head dimension 256 in fp32, four
  // times what the default maxComputeWorkgroupStorageSize grants. Below 8 keys a tile would be mostly barrier.
  const uint64_t tile_bytes = (precision == GpuPrecision::kF16 ? 16 : 32) * uint64_t((head_dim + 3) / 4);  // ks + vs per key
  while (keys_per_tile_ > 8 && tile_bytes * keys_per_tile_ > ctx.info().max_workgroup_storage) keys_per_tile_ /= 2;
  if (tile_bytes * keys_per_tile_ > ctx.info().max_workgroup_storage) {
    throw Error(ErrorCode::kBackendUnavailable,
                "WebGPU device limit too small: maxComputeWorkgroupStorageSize " +
                    std::to_string(ctx.info().max_workgroup_storage) + " < " + std::to_string(tile_bytes * 8) +
                    " bytes that attention needs for head dimension " + std::to_string(head_dim));
  }
  // attention_tiled.wgsl: G invocations per query, S4 vec4s of the head each (8 by default: q and accumulator in
  // registers), 64 queries per workgroup or 32 where 64 * G invocations would pass the default limit of 256; K / V
  // tiles of act vec4s plus one f32 partial dot product per invocation and key.
  AttentionChoice choice;
  choice.mode = static_cast<AttentionChoice::Mode>(ctx.info().attention_mode);
  choice.lanes = ctx.info().attention_lanes;
  if (attention) choice = *attention;
  const uint32_t d4 = (head_dim + 3) / 4;
  const uint32_t lanes =
      std::clamp<uint32_t>(choice.lanes ? choice.lanes : (d4 + 7) / 8, 1, std::min<uint32_t>(d4, 16));
  const uint32_t s4 = (d4 + lanes - 1) / lanes;
  const uint32_t tq = lanes <= 4 ? 64 : lanes <= 8 ? 32 : 16;
  const uint64_t tiled_key_bytes = 2ull * lanes * s4 * (precision == GpuPrecision::kF16 ? 8 : 16) + 4ull * tq * lanes;
  const uint32_t tiled_keys =
      static_cast<uint32_t>(std::min<uint64_t>(16, ctx.info().max_workgroup_storage / tiled_key_bytes));
  const bool tiled_fits = tiled_keys >= 4 && tq * lanes <= ctx.info().max_invocations;
  // The engine's own choice from head dimension 64 on, where attention.wgsl's 2 x 64 floats per invocation spill:
  // faster on the H100 at head dimensions 64, 128 and 256 (ModernBERT, Qwen3, Gemma3; bench/RESULTS.md, session 9).
  constexpr uint32_t kTiledFromHeadDim = 64;
  const bool tiled = tiled_fits && (choice.mode == AttentionChoice::kTiled ||
                                    (choice.mode == AttentionChoice::kAuto && head_dim >= kTiledFromHeadDim));
  if (tiled) {
    attention_kernel_ = "attention_tiled";
    attention_queries_ = tq;
    keys_per_tile_ = tiled_keys;
  }
  if (precision == GpuPrecision::kF16 && !ctx.info().shader_f16) {
    throw Error(ErrorCode::kBackendUnavailable, "fp16 kernels need a WebGPU device with the 'shader-f16' feature");
  }
  // First in every module: `enable f16;` must precede all declarations.
  const std::string prelude = source_of(precision == GpuPrecision::kF16 ? "precision_f16" : "precision_f32");
  // The fp16 matmul: on tensor-core style hardware (the subgroup-matrix feature, f16 x f16 -> f32) matmul_sgmat.wgsl
  // with the first tiling of kSgmatTiles whose workgroup fits the device (invocations, workgroup memory); the order
  // is the H100's (bench/gpu/subgroup_matrix_probe.mjs, bench/RESULTS.md session 9: 128 x 128 tiles of 4 subgroups
  // with 4 x 4 accumulators each beat the 64 x 64 tiles of 2 x 2 accumulators at every large shape). Else
  // matmul_f16.wgsl (f16 tiles and multiply-adds, f32 sums across k-slices).
  // One tile buffer and one block per subgroup per epilogue round (the kernel's NBUF and OQ stay 1: the probe's
  // double-buffered and row-of-blocks variants were slower).
  struct SgmatTile { uint32_t sgr, sgc, tm, tn, bk; };  // subgroups, accumulators per subgroup, k-slice
  constexpr SgmatTile kSgmatTiles[] = {{2, 2, 4, 4, 32}, {2, 4, 2, 2, 32}, {2, 2, 2, 2, 32}};
  const port::DeviceInfo& info = ctx.info();
  const SgmatTile* tile = nullptr;
  if (precision == GpuPrecision::kF16 && subgroup_matrix && info.subgroup_matrix && info.sgm_m <= 64 &&
      info.sgm_n <= 64 && info.sgm_k <= 32 && info.sgm_k % 8 == 0) {
    for (const auto& t : kSgmatTiles) {
      const uint64_t nsg = t.sgr * t.sgc, bk = std::max<uint64_t>(t.bk / info.sgm_k, 1) * info.sgm_k;
      const uint64_t bytes = (t.tm * info.sgm_m * t.sgr + t.tn * info.sgm_n * t.sgc) * (bk + 8) * 2 +
                             nsg * info.sgm_m * info.sgm_n * 4;
      if (nsg * info.subgroup_max_size <= info.max_invocations && bytes <= info.max_workgroup_storage) {
        tile = &t;
        break;
      }
    }
  }
  if (tile) {
    matmul_kernel_ = "matmul_sgmat";
    matmul_rows_ = tile->tm * info.sgm_m * tile->sgr;
    matmul_cols_ = tile->tn * info.sgm_n * tile->sgc;
  } else if (precision == GpuPrecision::kF16) {
    matmul_kernel_ = "matmul_f16";
  }
  for (int i = 0; i < static_cast<int>(Kernel::kCount); ++i) {
    const KernelDesc& d = kDescs[i];
    const char* file = static_cast<Kernel>(i) == Kernel::kMatmul      ? matmul_kernel_
                       : static_cast<Kernel>(i) == Kernel::kAttention ? attention_kernel_
                       : static_cast<Kernel>(i) == Kernel::kMatmulSmallLongK ? "matmul_small"
                                                                       : d.name;
    std::string src = source_of(file);
    for (size_t b = 0; b < std::size(kPreludeFiles); ++b) {
      if (d.preludes & (1u << b)) src = source_of(kPreludeFiles[b]) + "\n" + src;
    }
    src = hoist_directives(prelude + "\n" + src);
    if (static_cast<Kernel>(i) == Kernel::kAttention) {
      substitute(src, file, "HEAD_DIM", head_dim);
      substitute(src, file, "KT", keys_per_tile_);
      if (tiled) {
        substitute(src, file, "G", lanes);
        substitute(src, file, "S4", s4);
        substitute(src, file, "QT", tq);
      }
    }
    if (static_cast<Kernel>(i) == Kernel::kMatmulSmall || static_cast<Kernel>(i) == Kernel::kMatmulSmallLongK) {
      const SmallMatmulShape& s = kSmallMatmulShapes[static_cast<Kernel>(i) == Kernel::kMatmulSmallLongK];
      substitute(src, file, "NC", s.cols);
      substitute(src, file, "LANES", s.lanes);
      substitute(src, file, "MB", s.rows);
      substitute(src, file, "U", s.loads);
    }
    if (static_cast<Kernel>(i) == Kernel::kMatmul && tile) {
      const uint32_t values[] = {info.sgm_m, info.sgm_n, info.sgm_k, info.subgroup_max_size, tile->sgr, tile->sgc,
                                 tile->tm, tile->tn, std::max<uint32_t>(tile->bk / info.sgm_k, 1)};
      const char* names[] = {"SM", "SN", "SK", "SG_SIZE", "SGR", "SGC", "TM", "TN", "KSTEPS"};
      for (int c = 0; c < 9; ++c) substitute(src, file, names[c], values[c]);
    }
    WGPUShaderModule module = port::create_wgsl_module(ctx.device(), src, file);

    std::vector<WGPUBindGroupLayoutEntry> entries(static_cast<size_t>(d.storage) + 1);
    for (size_t b = 0; b < entries.size(); ++b) {
      WGPUBindGroupLayoutEntry& e = entries[b];
      e = {};
      e.binding = static_cast<uint32_t>(b);
      e.visibility = WGPUShaderStage_Compute;
      e.buffer.type = b == 0                     ? WGPUBufferBindingType_Uniform
                      : b + 1 == entries.size() ? WGPUBufferBindingType_Storage
                                                 : WGPUBufferBindingType_ReadOnlyStorage;
    }
    WGPUBindGroupLayoutDescriptor bgld = {};
    bgld.label = d.name;
    bgld.entryCount = static_cast<uint32_t>(entries.size());
    bgld.entries = entries.data();
    layouts_[i] = wgpuDeviceCreateBindGroupLayout(ctx.device(), &bgld);

    // An explicit layout: 3.1.6 passes a null layout as `undefined`, which today's WebGPU rejects.
    WGPUPipelineLayoutDescriptor pld = {};
    pld.bindGroupLayoutCount = 1;
    pld.bindGroupLayouts = &layouts_[i];
    WGPUPipelineLayout pl = wgpuDeviceCreatePipelineLayout(ctx.device(), &pld);

    WGPUComputePipelineDescriptor cpd = {};
    cpd.label = file;  // the WGSL file that runs (matmul_f16, attention_tiled, ...): what profiles and traces name
    cpd.layout = pl;
    cpd.compute.module = module;
    cpd.compute.entryPoint = "main";
    pipelines_[i] = wgpuDeviceCreateComputePipeline(ctx.device(), &cpd);
    wgpuPipelineLayoutRelease(pl);
    wgpuShaderModuleRelease(module);
  }
}

Kernels::~Kernels() {
  for (auto p : pipelines_) if (p) wgpuComputePipelineRelease(p);
  for (auto l : layouts_) if (l) wgpuBindGroupLayoutRelease(l);
}

std::array<uint32_t, 3> grid_for(uint64_t n, uint32_t max_per_dim) {
  if (n == 0) return {0, 1, 1};
  const uint64_t x = std::min<uint64_t>(n, max_per_dim);
  const uint64_t y = (n + x - 1) / x;
  return {static_cast<uint32_t>(x), static_cast<uint32_t>(y), 1};
}

Recorder::Recorder(GpuContext& ctx, const Kernels& kernels)
    : ctx_(ctx), kernels_(kernels), slot_(std::max<uint32_t>(256, ctx.info().min_uniform_offset_alignment)) {}

Recorder::~Recorder() {
  invalidate();
  if (uniform_buffer_) wgpuBufferRelease(uniform_buffer_);
}

void Recorder::invalidate() {
  for (Cached& c : cache_) {
    if (c.group) wgpuBindGroupRelease(c.group);
  }
  cache_.clear();
}

namespace {
bool same_refs(const std::array<BufferRef, 8>& a, const std::array<BufferRef, 8>& b, int n) {
  for (int i = 0; i < n; ++i) {
    if (a[i].buffer != b[i].buffer || a[i].offset != b[i].offset || a[i].size != b[i].size) return false;
  }
  return true;
}
}  // namespace

void Recorder::clear() {
  n_ops_ = 0;
  copies_.clear();
  used_ = 0;
}

namespace {
// memcmp of Emscripten's libc compares byte by byte; parameter blocks are a few u32s
bool same_bytes(const uint8_t* a, const void* b, size_t n) {
  const auto* q = static_cast<const uint8_t*>(b);
  for (size_t i = 0; i + 4 <= n; i += 4) {
    uint32_t x, y;
    std::memcpy(&x, a + i, 4);
    std::memcpy(&y, q + i, 4);
    if (x != y) return false;
  }
  for (size_t i = n & ~size_t(3); i < n; ++i) {
    if (a[i] != q[i]) return false;
  }
  return true;
}
}  // namespace

void Recorder::dispatch(Kernel k, const void* params, size_t params_size, const BufferRef* storage, int n_storage,
                        std::array<uint32_t, 3> groups) {
  if (n_storage != Kernels::storage_bindings(k) || params_size > 256) {
    throw Error(ErrorCode::kInternal, std::string("bad dispatch of ") + kernel_name(k));
  }
  // The entries of the previous pass are overwritten, not constructed again (a short request records ~50 of them).
  if (n_ops_ == ops_.size()) {
    ops_.emplace_back();
    sizes_.push_back(0);
  }
  const size_t i = n_ops_++;
  Op& op = ops_[i];
  op.kernel = k;
  std::copy(storage, storage + n_storage, op.storage.begin());
  op.n_storage = n_storage;
  op.groups = groups;
  op.a = op.b = 0;
  op.tensor = 0;
  op.flops = 0;
  if (used_ + slot_ > uniforms_.size()) uniforms_.resize(std::max<size_t>(2 * uniforms_.size(), 64 * size_t(slot_)));
  // A slot holds its parameters followed by zeros. It is written, and marked for upload, only when it differs from
  // what the uniform buffer holds, so a pass with the previous pass's shapes uploads nothing.
  uint8_t* at = uniforms_.data() + used_;
  const bool on_device = used_ + slot_ <= valid_;
  if (!on_device || sizes_[i] != params_size || !same_bytes(at, params, params_size)) {
    std::memcpy(at, params, params_size);
    if (sizes_[i] > params_size) std::memset(at + params_size, 0, sizes_[i] - params_size);
    sizes_[i] = static_cast<uint16_t>(params_size);
    dirty_lo_ = std::min(dirty_lo_, used_);
    dirty_hi_ = used_ + slot_;
  }
  used_ += slot_;
}

void Recorder::tag(size_t first, uint32_t a, uint32_t b, int tensor, double flops) {
  for (size_t i = first; i < n_ops_; ++i) {
    ops_[i].a = a;
    ops_[i].b = b;
    ops_[i].tensor = tensor;
    ops_[i].flops = flops;
  }
}

void Recorder::copy_after(const BufferRef& src, WGPUBuffer dst, uint64_t dst_offset) {
  copies_.push_back(Copy{src, dst, dst_offset});
}

void Recorder::release_uniforms() {
  invalidate();
  if (uniform_buffer_) {
    wgpuBufferDestroy(uniform_buffer_);
    wgpuBufferRelease(uniform_buffer_);
    uniform_buffer_ = nullptr;
  }
  uniform_capacity_ = 0;
  valid_ = 0;
}

void Recorder::upload_uniforms() {
  // Within the buffer: slots marked by a pass that was recorded but never submitted may lie past it (they are past
  // valid_, so they are marked again when a pass uses them).
  const size_t hi = std::min<size_t>(dirty_hi_, uniform_capacity_);
  if (dirty_lo_ < hi) {
    wgpuQueueWriteBuffer(ctx_.queue(), uniform_buffer_, dirty_lo_, uniforms_.data() + dirty_lo_, hi - dirty_lo_);
    uniform_bytes_uploaded_ += hi - dirty_lo_;
    valid_ = std::max(valid_, hi);
  }
  dirty_lo_ = SIZE_MAX;
  dirty_hi_ = 0;
}

namespace {
// Dispatch counts after which an untimed pass is submitted so far: the first part small, so that the GPU starts early.
constexpr size_t kSubmitAfter[] = {8, 24};
}  // namespace

void Recorder::submit(const TimedPass* timed, ProfiledPass* profile) {
  if (profile) profile->runs.clear();
  if (used_ > uniform_capacity_) {
    invalidate();
    if (uniform_buffer_) {
      wgpuBufferDestroy(uniform_buffer_);
      wgpuBufferRelease(uniform_buffer_);
    }
    uniform_capacity_ = std::max<uint64_t>(uniforms_.size(), 64 * slot_);
    uniform_buffer_ =
        ctx_.create_buffer(uniform_capacity_, WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst, "gpuembed uniforms");
    valid_ = 0;
    dirty_lo_ = 0;
    dirty_hi_ = used_;
  }
  upload_uniforms();

  auto end_pass = [](WGPUComputePassEncoder p) {
    wgpuComputePassEncoderEnd(p);
    wgpuComputePassEncoderRelease(p);
  };
  auto submit_encoder = [&](WGPUCommandEncoder e) {
    WGPUCommandBuffer cmd = wgpuCommandEncoderFinish(e, nullptr);
    wgpuQueueSubmit(ctx_.queue(), 1, &cmd);
    wgpuCommandBufferRelease(cmd);
    wgpuCommandEncoderRelease(e);
  };
  WGPUCommandEncoder enc = wgpuDeviceCreateCommandEncoder(ctx_.device(), nullptr);
  if (n_ops_ > 0) {
    if (cache_.size() < n_ops_) cache_.resize(n_ops_);
    WGPUComputePassEncoder pass = profile ? nullptr
                                  : timed ? port::begin_timed_pass(enc, timed->set, timed->first)
                                          : wgpuCommandEncoderBeginComputePass(enc, nullptr);
    WGPUComputePipeline current = nullptr;
    size_t next_split = 0;
    for (size_t i = 0; i < n_ops_; ++i) {
      // A pass goes to the device in parts (kSubmitAfter): the GPU runs the first layers while the host still
      // records the rest, which on a launch-bound request is as long as the GPU's work. Timed passes stay whole
      // (one pair of timestamps spans them), profiled ones are a pass per dispatch anyway.
      if (!timed && !profile && next_split < std::size(kSubmitAfter) && i == kSubmitAfter[next_split]) {
        ++next_split;
        end_pass(pass);
        submit_encoder(enc);
        enc = wgpuDeviceCreateCommandEncoder(ctx_.device(), nullptr);
        pass = wgpuCommandEncoderBeginComputePass(enc, nullptr);
        current = nullptr;
      }
      const Op& op = ops_[i];
      Cached& c = cache_[i];
      if (!c.group || c.kernel != op.kernel || c.n_storage != op.n_storage || !same_refs(c.storage, op.storage, op.n_storage)) {
        if (c.group) wgpuBindGroupRelease(c.group);
        std::array<WGPUBindGroupEntry, 9> e{};
        e[0].binding = 0;
        e[0].buffer = uniform_buffer_;
        e[0].offset = i * slot_;
        e[0].size = 256;
        for (int b = 0; b < op.n_storage; ++b) {
          e[b + 1].binding = static_cast<uint32_t>(b + 1);
          e[b + 1].buffer = op.storage[b].buffer;
          e[b + 1].offset = op.storage[b].offset;
          e[b + 1].size = (op.storage[b].size + 3) & ~uint64_t(3);
        }
        WGPUBindGroupDescriptor bgd = {};
        bgd.layout = kernels_.layout(op.kernel);
        bgd.entryCount = static_cast<uint32_t>(op.n_storage + 1);
        bgd.entries = e.data();
        c.group = wgpuDeviceCreateBindGroup(ctx_.device(), &bgd);
        c.kernel = op.kernel;
        c.n_storage = op.n_storage;
        c.storage = op.storage;
        ++bind_groups_created_;
      }
      if (op.groups[0] == 0 || op.groups[1] == 0 || op.groups[2] == 0) continue;
      if (profile) {
        pass = port::begin_timed_pass(enc, profile->set, 2 * static_cast<uint32_t>(profile->runs.size()));
        profile->runs.push_back(ProfiledDispatch{op.kernel, op.a, op.b, op.tensor, op.flops});
        current = nullptr;
      }
      WGPUComputePipeline pl = kernels_.pipeline(op.kernel);
      if (pl != current) wgpuComputePassEncoderSetPipeline(pass, pl);
      current = pl;
      wgpuComputePassEncoderSetBindGroup(pass, 0, c.group, 0, nullptr);
      port::dispatch(pass, op.groups[0], op.groups[1], op.groups[2]);
      ++dispatches_;
      if (profile) end_pass(pass);
    }
    if (!profile) end_pass(pass);
    if (timed) wgpuCommandEncoderResolveQuerySet(enc, timed->set, timed->first, 2, timed->resolve, timed->resolve_offset);
    if (profile && !profile->runs.empty()) {
      const uint32_t n = 2 * static_cast<uint32_t>(profile->runs.size());
      wgpuCommandEncoderResolveQuerySet(enc, profile->set, 0, n, profile->resolve, 0);
      copies_.push_back(Copy{BufferRef{profile->resolve, 0, 8 * uint64_t(n)}, profile->dst, profile->dst_offset});
    }
  }
  for (const Copy& c : copies_) {
    wgpuCommandEncoderCopyBufferToBuffer(enc, c.src.buffer, c.src.offset, c.dst, c.dst_offset,
                                         (c.src.size + 3) & ~uint64_t(3));
  }
  submit_encoder(enc);
  ++submits_;
  clear();
}

}  // namespace gpuembed::webgpu
