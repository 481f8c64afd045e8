// Emscripten 3.1.6 (webgpu.h of early 2022) implementation of wgpu_port.h. See webgpu_compat.js for the JS side:
// the device request (this webgpu.h has no maxBufferSize limit, no WGPUFeatureName_ShaderF16, and
// wgpuAdapterGetLimits / wgpuAdapterHasFeature are unimplemented) and the dispatch -> dispatchWorkgroups rename.
#include "backend/webgpu/wgpu_port.h"

#include <cstring>
#include <string>

#ifndef __EMSCRIPTEN__
#error "wgpu_port.cpp targets Emscripten's webgpu.h; write a wgpu_port_dawn.cpp for native Dawn"
#endif
#include <emscripten.h>

extern "C" {
// From src/wasm/webgpu_compat.js.
void gpuembedjs_request_device(double min_storage_binding, int want_features,
                               void (*cb)(int, int, const char*, const uint32_t*, const char*, void*), void* user);
void gpuembedjs_notify();
void gpuembedjs_buffer_stats(double* out);
int gpuembedjs_timestamp_set(int device, int count);
int gpuembedjs_begin_timed_pass(int encoder, int query_set, int first);
}

namespace gpuembed::webgpu::port {

const char* init_status_name(InitStatus s) {
  switch (s) {
    case InitStatus::kOk: return "ok";
    case InitStatus::kNoWebGPU: return "no_webgpu";
    case InitStatus::kNoAdapter: return "no_adapter";
    case InitStatus::kLimitsTooSmall: return "limits_too_small";
    case InitStatus::kDeviceRefused: return "device_refused";
  }
  return "unknown";
}

namespace {
struct PendingRequest {
  DeviceCallback cb;
  void* user;
};
void on_device(int status, int device_id, const char* message, const uint32_t* limits, const char* f16_note,
               void* user) {
  auto* p = static_cast<PendingRequest*>(user);
  DeviceInfo info;
  info.status = static_cast<InitStatus>(status);
  info.device = reinterpret_cast<WGPUDevice>(static_cast<uintptr_t>(device_id));
  info.message = message ? message : "";
  info.f16_note = f16_note ? f16_note : "";
  if (limits) {  // [binding lo, binding hi, buffer lo, buffer hi, wg storage, invocations, uniform align, wg/dim,
                 //  device features: bit 0 shader-f16, bit 1 subgroup matrix, bit 2 timestamp-query;
                 //  the subgroup matrix's M, N, K; subgroup max size; attention mode, lanes]
    info.max_storage_binding = limits[0] | (uint64_t(limits[1]) << 32);
    info.max_buffer_size = limits[2] | (uint64_t(limits[3]) << 32);
    info.max_workgroup_storage = limits[4];
    info.max_invocations = limits[5];
    info.min_uniform_offset_alignment = limits[6];
    info.max_workgroups_per_dim = limits[7];
    info.shader_f16 = (limits[8] & 1u) != 0;
    info.subgroup_matrix = info.shader_f16 && (limits[8] & 2u) != 0 && limits[9] && limits[10] && limits[11] && limits[12];
    if (info.subgroup_matrix) {
      info.sgm_m = limits[9];
      info.sgm_n = limits[10];
      info.sgm_k = limits[11];
      info.subgroup_max_size = limits[12];
    }
    info.timestamps = (limits[8] & 4u) != 0;
    info.attention_mode = static_cast<int>(limits[13]);
    info.attention_lanes = limits[14];
  }
  DeviceCallback cb = p->cb;
  void* u = p->user;
  delete p;
  cb(info, u);
}
}  // namespace

void request_device(const DeviceRequest& request, DeviceCallback callback, void* user) {
  gpuembedjs_request_device(static_cast<double>(request.min_storage_binding),
                            (request.want_shader_f16 ? 1 : 0) | (request.want_timestamps ? 2 : 0), on_device,
                            new PendingRequest{callback, user});
}

// 3.1.6's query-set descriptor and compute-pass descriptor predate today's timestamp API (timestampWrites with
// beginning / end indices): both are made on the JS side.
WGPUQuerySet create_timestamp_set(WGPUDevice device, uint32_t count) {
  return reinterpret_cast<WGPUQuerySet>(static_cast<uintptr_t>(
      gpuembedjs_timestamp_set(static_cast<int>(reinterpret_cast<uintptr_t>(device)), static_cast<int>(count))));
}

WGPUComputePassEncoder begin_timed_pass(WGPUCommandEncoder encoder, WGPUQuerySet set, uint32_t first) {
  return reinterpret_cast<WGPUComputePassEncoder>(static_cast<uintptr_t>(gpuembedjs_begin_timed_pass(
      static_cast<int>(reinterpret_cast<uintptr_t>(encoder)), static_cast<int>(reinterpret_cast<uintptr_t>(set)),
      static_cast<int>(first))));
}

WGPUShaderModule create_wgsl_module(WGPUDevice device, const std::string& source, const char* label) {
  WGPUShaderModuleWGSLDescriptor wgsl = {};
  wgsl.chain.sType = WGPUSType_ShaderModuleWGSLDescriptor;
  wgsl.source = source.c_str();  // renamed `code` in later webgpu.h
  WGPUShaderModuleDescriptor desc = {};
  desc.nextInChain = &wgsl.chain;
  desc.label = label;
  return wgpuDeviceCreateShaderModule(device, &desc);
}

void dispatch(WGPUComputePassEncoder pass, uint32_t x, uint32_t y, uint32_t z) {
  // Named wgpuComputePassEncoderDispatchWorkgroups in later webgpu.h; webgpu_compat.js maps it onto
  // GPUComputePassEncoder.dispatchWorkgroups for today's browsers and Dawn.
  wgpuComputePassEncoderDispatch(pass, x, y, z);
}

namespace {
struct PendingMap {
  MapCallback cb;
  void* user;
};
void on_mapped(WGPUBufferMapAsyncStatus status, void* user) {
  auto* p = static_cast<PendingMap*>(user);
  MapCallback cb = p->cb;
  void* u = p->user;
  delete p;
  cb(status == WGPUBufferMapAsyncStatus_Success, u);
}
}  // namespace

void map_read_async(WGPUBuffer buffer, uint64_t size, MapCallback callback, void* user) {
  wgpuBufferMapAsync(buffer, WGPUMapMode_Read, 0, static_cast<size_t>(size), on_mapped, new PendingMap{callback, user});
}

void read_mapped(WGPUBuffer buffer, uint64_t size, void* out) {
  // 3.1.6 copies the mapped ArrayBuffer into a malloc'd block on the heap; it is freed by Unmap.
  const void* src = wgpuBufferGetConstMappedRange(buffer, 0, static_cast<size_t>(size));
  if (src && out) std::memcpy(out, src, static_cast<size_t>(size));
  wgpuBufferUnmap(buffer);
}

void push_error_scopes(WGPUDevice device) {
  wgpuDevicePushErrorScope(device, WGPUErrorFilter_OutOfMemory);
  wgpuDevicePushErrorScope(device, WGPUErrorFilter_Validation);
}

namespace {
struct PendingScopes {
  ErrorCallback cb;
  void* user;
  int left = 2;
  int type = 0;
  std::string message;
};
void on_scope(WGPUErrorType type, const char* message, void* user) {
  auto* p = static_cast<PendingScopes*>(user);
  if (type != WGPUErrorType_NoError && (p->type == 0 || (type == WGPUErrorType_OutOfMemory &&
                                                          p->type != WGPUErrorType_OutOfMemory))) {
    p->type = static_cast<int>(type);
    p->message = message ? message : "";
  }
  if (--p->left > 0) return;
  p->cb(p->type, p->message.c_str(), p->user);
  delete p;
}
}  // namespace

void pop_error_scopes(WGPUDevice device, ErrorCallback callback, void* user) {
  auto* p = new PendingScopes{callback, user};
  wgpuDevicePopErrorScope(device, on_scope, p);
  wgpuDevicePopErrorScope(device, on_scope, p);
}

namespace {
struct LostHook {
  LostCallback cb;
  void* user;
};
void on_lost(WGPUDeviceLostReason reason, const char* message, void* user) {
  auto* h = static_cast<LostHook*>(user);
  const std::string why = std::string(reason == WGPUDeviceLostReason_Destroyed ? "WebGPU device destroyed" : "WebGPU device lost") +
                          (message && *message ? std::string(": ") + message : std::string());
  h->cb(why.c_str(), h->user);
  notify_host();
  delete h;  // device.lost resolves once per device (destroy() resolves it too): nothing stays per device
}
}  // namespace

void set_lost_callback(WGPUDevice device, LostCallback callback, void* user) {
  // The hook lives until device.lost resolves, which may be after the context that asked is gone, so `user` must
  // be something that outlives it (GpuContext passes a registry id, not a pointer). One hook per device: a second
  // call for the same device would replace the first one's callback in the glue and leak it.
  wgpuDeviceSetDeviceLostCallback(device, on_lost, new LostHook{callback, user});
}

void destroy_device(WGPUDevice device) { wgpuDeviceDestroy(device); }

BufferStats buffer_stats() {
  double v[2] = {0, 0};
  gpuembedjs_buffer_stats(v);
  return BufferStats{static_cast<uint64_t>(v[0]), static_cast<uint64_t>(v[1])};
}

void notify_host() { gpuembedjs_notify(); }

}  // namespace gpuembed::webgpu::port
