#pragma once
// The compute pipelines (one per WGSL kernel file) and a recorder that turns a list of dispatches into one
// command buffer: per-dispatch parameters go into one uniform buffer (256-byte slots). Bind groups are cached per
// dispatch position: a forward pass records the same sequence of (kernel, buffers) every call, so after the first
// call no bind group is created (creating them cost ~45 API calls + descriptor writes per forward pass). Callers
// that free or reallocate a bound buffer must call invalidate() first (WebGPU object ids may be reused).
#include <webgpu/webgpu.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "backend/webgpu/gpu_context.h"

namespace gpuembed::webgpu {

enum class Kernel : int {
  kEmbedLayerNorm = 0,  // embed_layernorm.wgsl (+ layernorm_common, reduce)
  kLayerNorm,           // layernorm.wgsl (+ layernorm_common, reduce)
  kMatmul,              // matmul.wgsl; fp16: matmul_f16.wgsl or (subgroup matrices) matmul_sgmat.wgsl; + matmul_common, erf
  kAttention,           // attention.wgsl, or attention_tiled.wgsl for wide heads (sizes substituted)
  kGelu,                // gelu.wgsl (+ erf.wgsl)
  kResidualAdd,         // residual_add.wgsl
  kPooling,             // pooling.wgsl
  kL2Normalize,         // l2_normalize.wgsl
  kMatmulSmall,         // matmul_small.wgsl (+ matmul_common, erf): few rows / software adapters
  kRotary,              // rotary.wgsl
  kGated,               // gated.wgsl (+ erf.wgsl)
  kRmsNorm,             // rms_norm.wgsl
  kMatmulSmallLongK,    // matmul_small.wgsl in its long-K shape (kSmallMatmulShapes[1])
  kCount
};
const char* kernel_name(Kernel k);

// matmul_small.wgsl's two shapes (substituted into its constants; the graph sizes the grid by them): columns per
// workgroup x threads per column (256 in all), rows per block, weight loads in flight per thread. A long K (the FFN
// output) wants more threads per column, a short one more columns per workgroup; 8-row blocks give a short sentence
// two row blocks' workgroups (bench/RESULTS.md, session 11: the probe of both on the H100).
struct SmallMatmulShape { uint32_t cols, lanes, rows, loads; };
inline constexpr SmallMatmulShape kSmallMatmulShapes[2] = {{4, 64, 8, 4}, {2, 128, 8, 4}};
inline constexpr uint32_t kSmallMatmulLongK = 1024;  // K from which kMatmulSmallLongK runs

// Storage precision of activations and weight matrices (kernels/precision_*.wgsl). kF32: f32 arithmetic. kF16 (needs
// a device created with the 'shader-f16' feature): f32 arithmetic too, except the matmul's products and short sums
// (matmul_f16.wgsl / matmul_sgmat.wgsl).
enum class GpuPrecision : int { kF32 = 0, kF16 = 1 };
const char* precision_name(GpuPrecision p);  // "fp32" | "fp16"

// Which attention kernel: kAuto picks attention_tiled.wgsl for head dimensions >= 64 where its tiles fit the
// device, attention.wgsl otherwise; kSimple / kTiled force one (A/B runs: the module option gpuembedAttention,
// webgpu_compat.js). lanes: invocations per query of the tiled kernel (0: one per 8 vec4s of the head).
struct AttentionChoice {
  enum Mode : int { kAuto = 0, kSimple = 1, kTiled = 2 } mode = kAuto;
  uint32_t lanes = 0;
};

class Kernels {
 public:
  // Compiles every kernel; attention is specialised for head_dim (<= 256) and for the keys per tile that its K/V
  // tiles (8 * keys * head_dim bytes, half that in fp16) fit in the device's workgroup memory. Throws gpuembed::Error
  // when the device cannot. kF16 on a device with the subgroup-matrix feature (port::DeviceInfo::subgroup_matrix) compiles
  // matmul_sgmat.wgsl for its configuration unless subgroup_matrix is false (the op tests of matmul_f16.wgsl).
  // attention: the device's choice (port::DeviceInfo) unless given.
  Kernels(GpuContext& ctx, uint32_t head_dim, GpuPrecision precision = GpuPrecision::kF32, bool subgroup_matrix = true,
          const AttentionChoice* attention = nullptr);
  ~Kernels();
  Kernels(const Kernels&) = delete;
  Kernels& operator=(const Kernels&) = delete;

  WGPUComputePipeline pipeline(Kernel k) const { return pipelines_[static_cast<int>(k)]; }
  WGPUBindGroupLayout layout(Kernel k) const { return layouts_[static_cast<int>(k)]; }
  // Storage bindings after the uniform at binding 0 (the last one is read_write).
  static int storage_bindings(Kernel k);
  uint32_t head_dim() const { return head_dim_; }
  uint32_t attention_keys_per_tile() const { return keys_per_tile_; }
  // The source file of Kernel::kAttention ("attention", "attention_tiled") and its queries per workgroup: the grid is
  // [ceil(seq / queries), heads, batch].
  const char* attention_kernel() const { return attention_kernel_; }
  uint32_t attention_queries() const { return attention_queries_; }
  // The source file of Kernel::kMatmul ("matmul", "matmul_f16", "matmul_sgmat") and its output tile: the grid is
  // [ceil(N / cols), ceil(M / rows) (or fewer: row tiles are grid-strided)].
  const char* matmul_kernel() const { return matmul_kernel_; }
  uint32_t matmul_tile_rows() const { return matmul_rows_; }
  uint32_t matmul_tile_cols() const { return matmul_cols_; }
  GpuPrecision precision() const { return precision_; }
  // Bytes of one stored activation / weight-matrix element (the `act` / `wt` types of the WGSL).
  uint32_t element_bytes() const { return precision_ == GpuPrecision::kF16 ? 2 : 4; }

 private:
  GpuContext& ctx_;
  uint32_t head_dim_;
  uint32_t keys_per_tile_ = 32;
  GpuPrecision precision_;
  const char* matmul_kernel_ = "matmul";
  const char* attention_kernel_ = "attention";
  uint32_t attention_queries_ = 64;
  uint32_t matmul_rows_ = 64, matmul_cols_ = 64;
  std::array<WGPUComputePipeline, static_cast<int>(Kernel::kCount)> pipelines_{};
  std::array<WGPUBindGroupLayout, static_cast<int>(Kernel::kCount)> layouts_{};
};

struct BufferRef {
  WGPUBuffer buffer = nullptr;
  uint64_t offset = 0;
  uint64_t size = 0;  // bytes bound (> 0)
};

struct Copy {
  BufferRef src;
  WGPUBuffer dst = nullptr;
  uint64_t dst_offset = 0;
};

// Timestamps around a submit's compute pass (queries first, first + 1 of `set`), resolved into `resolve` at
// `resolve_offset` before the copies.
struct TimedPass {
  WGPUQuerySet set = nullptr;
  uint32_t first = 0;
  WGPUBuffer resolve = nullptr;
  uint64_t resolve_offset = 0;
};

// Kernel profiling (WebGpuModel::set_profile): every dispatch in its own compute pass, the j-th dispatch run
// writing timestamps 2j, 2j + 1 of `set`; they are resolved into `resolve` and copied to `dst` at `dst_offset`.
// `runs` gets each dispatch run's kernel and tag (Recorder::tag), in order.
struct ProfiledDispatch {
  Kernel kernel;
  uint32_t a, b;  // shape class: the op's output and input widths (a matmul's N and K) and output tensor (its role)
  int tensor;
  double flops;
};
struct ProfiledPass {
  WGPUQuerySet set = nullptr;
  WGPUBuffer resolve = nullptr, dst = nullptr;
  uint64_t dst_offset = 0;
  std::vector<ProfiledDispatch> runs;
};

// Work groups for `n` independent rows/blocks when one dimension holds at most max_per_dim
// (kernels compute row = wid.x + wid.y * num_workgroups.x and skip rows >= n).
std::array<uint32_t, 3> grid_for(uint64_t n, uint32_t max_per_dim);

class Recorder {
 public:
  Recorder(GpuContext& ctx, const Kernels& kernels);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  void clear();
  // params: up to 256 bytes (the kernel's Params struct); storage: the kernel's storage bindings in order.
  void dispatch(Kernel k, const void* params, size_t params_size, std::initializer_list<BufferRef> storage,
                std::array<uint32_t, 3> groups) {
    dispatch(k, params, params_size, storage.begin(), static_cast<int>(storage.size()), groups);
  }
  void dispatch(Kernel k, const void* params, size_t params_size, const BufferRef* storage, int n_storage,
                std::array<uint32_t, 3> groups);
  // Tags the dispatches recorded since dispatch_count() was `first` (ProfiledDispatch's a, b, tensor, flops).
  void tag(size_t first, uint32_t a, uint32_t b, int tensor, double flops);
  // A copy recorded after all dispatches (readback).
  void copy_after(const BufferRef& src, WGPUBuffer dst, uint64_t dst_offset = 0);
  // Uploads the parameters, encodes one compute pass (one per dispatch with `profile`) + the copies into one
  // command buffer, submits it.
  void submit(const TimedPass* timed = nullptr, ProfiledPass* profile = nullptr);
  size_t dispatch_count() const { return n_ops_; }
  // Drops the cached bind groups (call before destroying or replacing any buffer they may bind).
  void invalidate();
  // Drops the uniform buffer too (after an out-of-memory pass it may be the invalid object a failed allocation
  // returns); the next submit() allocates it again.
  void release_uniforms();
  // Counters since construction: submits, dispatches recorded, bind groups created (cache misses), parameter bytes
  // written to the uniform buffer.
  uint64_t submits() const { return submits_; }
  uint64_t dispatches() const { return dispatches_; }
  uint64_t bind_groups_created() const { return bind_groups_created_; }
  uint64_t uniform_bytes_uploaded() const { return uniform_bytes_uploaded_; }

 private:
  struct Op {
    Kernel kernel;
    std::array<BufferRef, 8> storage;
    int n_storage;
    std::array<uint32_t, 3> groups;
    uint32_t a = 0, b = 0;
    int tensor = 0;
    double flops = 0;
  };
  void upload_uniforms();
  GpuContext& ctx_;
  const Kernels& kernels_;
  uint32_t slot_;  // uniform slot stride
  std::vector<Op> ops_;  // [0, n_ops_): this pass's dispatches; the vector only grows
  size_t n_ops_ = 0;
  std::vector<Copy> copies_;
  // The parameter slots of the recorded dispatches: uniforms_[0, used_) (the vector only grows, so recording a pass
  // writes bytes instead of constructing them). uniforms_[0, valid_) is what uniform_buffer_ holds once
  // uniforms_[dirty_lo_, dirty_hi_) is uploaded; sizes_: the parameter bytes in each slot (zeros follow them).
  std::vector<uint8_t> uniforms_;
  std::vector<uint16_t> sizes_;
  size_t used_ = 0, valid_ = 0, dirty_lo_ = SIZE_MAX, dirty_hi_ = 0;
  WGPUBuffer uniform_buffer_ = nullptr;
  uint64_t uniform_capacity_ = 0;
  struct Cached {
    Kernel kernel;
    std::array<BufferRef, 8> storage;
    int n_storage = 0;
    WGPUBindGroup group = nullptr;
  };
  std::vector<Cached> cache_;  // by dispatch position; all use uniform_buffer_ at offset position * slot_
  uint64_t submits_ = 0, dispatches_ = 0, bind_groups_created_ = 0, uniform_bytes_uploaded_ = 0;
};

}  // namespace gpuembed::webgpu
