// The WebGPU kernel harness module (gpuembed_ops.mjs), used by tests/wasm/ops.test.mjs only: runs one WGSL kernel
// on buffers the test fills, so each kernel can be compared with a reference on random inputs of any shape.
//   ops_init()                       starts the device request; ops_state(): 0 pending, 1 ready, < 0 failed
//   ops_run(kernel, params, n_params, in_ptrs, in_bytes, n_in, out_bytes, gx, gy, gz, head_dim, precision)
//                                    uploads the inputs, dispatches once, reads the output back (async); with one
//                                    input more than the kernel reads, the last input is its output buffer (the
//                                    kernels that work in place: rotary, in-place norms and adds; or an output
//                                    prefilled with guard values). precision: 0 fp32, 1 fp16 (f16 storage; the
//                                    matmul is matmul_f16.wgsl), 2 fp16 with matmul_sgmat.wgsl where the device has
//                                    the subgroup-matrix feature (else as 1)
//   ops_features()                   bit 0: the device has 'shader-f16', bit 1: the subgroup-matrix feature
//   ops_set_attention(mode, lanes)  the attention kernel of later runs (kernels.h AttentionChoice: 0 auto, 1 simple,
//                                    2 tiled; lanes 0 = default)
//   ops_attention_queries(head_dim, precision)  queries per workgroup of the attention kernel chosen (< 0: error);
//                                    ops_message() then names the kernel file
//   ops_poll()                       1 pending, 0 ready, -1 failed;  ops_read(out) copies the output
//   ops_message()                    the last error / adapter description
#include <emscripten.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "backend/webgpu/gpu_context.h"
#include "backend/webgpu/kernels.h"
#include "gpuembed/error.h"

using namespace gpuembed;
using namespace gpuembed::webgpu;

namespace {
int g_state = 0;  // 0 none/pending, 1 ready, < 0 failed (-InitStatus)
std::string g_message;
std::shared_ptr<GpuContext> g_ctx;
// by (head_dim, precision, attention mode, lanes)
std::map<std::tuple<uint32_t, int, int, uint32_t>, std::unique_ptr<Kernels>> g_kernels;
AttentionChoice g_attention;
std::unique_ptr<Recorder> g_recorder;
std::vector<WGPUBuffer> g_buffers;
WGPUBuffer g_readback = nullptr;
uint64_t g_out_bytes = 0;
int g_pending = 0;
bool g_failed = false;
bool g_mapped = false;

void on_device(const port::DeviceInfo& info, void*) {
  if (info.status != port::InitStatus::kOk) {
    g_state = -static_cast<int>(info.status);
    g_message = info.message;
  } else {
    try {
      g_ctx = std::make_shared<GpuContext>(info);
      g_state = 1;
      g_message = info.message;
    } catch (const std::exception& e) {
      g_state = -9;
      g_message = e.what();
    }
  }
  port::notify_host();
}

Kernels& kernels_for(int head_dim, int precision) {
  auto& ks = g_kernels[{static_cast<uint32_t>(head_dim), precision, g_attention.mode, g_attention.lanes}];
  if (!ks) {
    ks = std::make_unique<Kernels>(*g_ctx, static_cast<uint32_t>(head_dim),
                                   precision ? GpuPrecision::kF16 : GpuPrecision::kF32, precision == 2, &g_attention);
  }
  return *ks;
}

void release_buffers() {
  for (WGPUBuffer b : g_buffers) {
    wgpuBufferDestroy(b);
    wgpuBufferRelease(b);
  }
  g_buffers.clear();
  g_readback = nullptr;
}
}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE int ops_init() {
  g_state = 0;
  port::request_device(port::DeviceRequest{0, true}, on_device, nullptr);
  return 0;
}
EMSCRIPTEN_KEEPALIVE int ops_features() {
  if (!g_ctx) return 0;
  return (g_ctx->info().shader_f16 ? 1 : 0) | (g_ctx->info().subgroup_matrix ? 2 : 0);
}
EMSCRIPTEN_KEEPALIVE int ops_state() { return g_state; }
EMSCRIPTEN_KEEPALIVE const char* ops_message() { return g_message.c_str(); }

EMSCRIPTEN_KEEPALIVE int ops_run(int kernel, const uint32_t* params, int n_params, const uintptr_t* in_ptrs,
                                 const uint32_t* in_bytes, int n_in, uint32_t out_bytes, int gx, int gy, int gz,
                                 int head_dim, int precision) {
  try {
    if (g_state != 1) throw Error(ErrorCode::kBackendUnavailable, "no device");
    if (g_pending) throw Error(ErrorCode::kInternal, "a run is in flight");
    if (kernel < 0 || kernel >= static_cast<int>(Kernel::kCount)) throw Error(ErrorCode::kInvalidInput, "kernel");
    const Kernel k = static_cast<Kernel>(kernel);
    const bool in_place = n_in == Kernels::storage_bindings(k);
    if (n_in + 1 != Kernels::storage_bindings(k) && !in_place) {
      throw Error(ErrorCode::kInvalidInput, "wrong number of inputs");
    }
    if (precision < 0 || precision > 2) throw Error(ErrorCode::kInvalidInput, "precision");
    Kernels& ks = kernels_for(head_dim, precision);
    g_recorder = std::make_unique<Recorder>(*g_ctx, ks);
    release_buffers();
    const WGPUBufferUsageFlags usage = WGPUBufferUsage_Storage | WGPUBufferUsage_CopyDst | WGPUBufferUsage_CopySrc;
    std::vector<BufferRef> refs;
    for (int i = 0; i < n_in; ++i) {
      WGPUBuffer b = g_ctx->create_buffer(in_bytes[i], usage, "input");
      g_buffers.push_back(b);
      std::vector<uint8_t> padded((in_bytes[i] + 3) & ~3u, 0);
      std::memcpy(padded.data(), reinterpret_cast<const void*>(in_ptrs[i]), in_bytes[i]);
      if (!padded.empty()) wgpuQueueWriteBuffer(g_ctx->queue(), b, 0, padded.data(), padded.size());
      refs.push_back(BufferRef{b, 0, std::max<uint64_t>(4, in_bytes[i])});
    }
    if (!in_place) {
      WGPUBuffer out = g_ctx->create_buffer(out_bytes, usage, "output");
      g_buffers.push_back(out);
      refs.push_back(BufferRef{out, 0, std::max<uint64_t>(4, out_bytes)});
    }
    g_readback = g_ctx->create_buffer(out_bytes, WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst, "readback");
    g_buffers.push_back(g_readback);
    g_out_bytes = (std::max<uint64_t>(4, out_bytes) + 3) & ~uint64_t(3);

    port::push_error_scopes(g_ctx->device());
    g_recorder->dispatch(k, params, static_cast<size_t>(n_params) * 4u, refs.data(), static_cast<int>(refs.size()),
                         {uint32_t(gx), uint32_t(gy), uint32_t(gz)});
    g_recorder->copy_after(refs.back(), g_readback);
    g_recorder->submit();
    g_pending = 2;
    g_failed = false;
    g_mapped = false;
    port::pop_error_scopes(g_ctx->device(), [](int type, const char* msg, void*) {
      if (type != 0) { g_failed = true; g_message = msg; }
      --g_pending;
      port::notify_host();
    }, nullptr);
    port::map_read_async(g_readback, g_out_bytes, [](bool ok, void*) {
      if (!ok) { g_failed = true; if (g_message.empty()) g_message = "mapAsync failed"; }
      g_mapped = ok;
      --g_pending;
      port::notify_host();
    }, nullptr);
    return 0;
  } catch (const std::exception& e) {
    g_message = e.what();
    return -1;
  }
}

EMSCRIPTEN_KEEPALIVE void ops_set_attention(int mode, int lanes) {
  g_attention.mode = static_cast<AttentionChoice::Mode>(mode);
  g_attention.lanes = static_cast<uint32_t>(lanes);
}

EMSCRIPTEN_KEEPALIVE int ops_attention_queries(int head_dim, int precision) {
  try {
    if (g_state != 1) throw Error(ErrorCode::kBackendUnavailable, "no device");
    const Kernels& ks = kernels_for(head_dim, precision);
    g_message = ks.attention_kernel();
    return static_cast<int>(ks.attention_queries());
  } catch (const std::exception& e) {
    g_message = e.what();
    return -1;
  }
}

EMSCRIPTEN_KEEPALIVE int ops_poll() {
  if (g_pending) return 1;
  return g_failed ? -1 : 0;
}

EMSCRIPTEN_KEEPALIVE int ops_read(float* out) {
  if (g_pending || !g_mapped) return -1;
  port::read_mapped(g_readback, g_out_bytes, out);
  g_mapped = false;
  return g_failed ? -1 : 0;
}

}  // extern "C"
