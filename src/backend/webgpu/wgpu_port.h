#pragma once
// Every call whose shape differs between WebGPU C API versions lives behind this header (implemented in
// wgpu_port.cpp for Emscripten 3.1.6's early-2022 webgpu.h + src/wasm/webgpu_compat.js). A newer Emscripten
// (emdawnwebgpu) or native Dawn needs a new wgpu_port.cpp only: the rest of backend/webgpu uses plain
// webgpu.h object calls whose signatures did not change (buffers, bind groups, pipelines, passes, queue).
#include <webgpu/webgpu.h>

#include <cstdint>
#include <string>

namespace gpuembed::webgpu::port {

// Why device initialisation failed (the JS layer maps these onto its error codes).
enum class InitStatus : int {
  kOk = 0,
  kNoWebGPU = 1,        // no navigator.gpu (and no `gpu` object handed in)
  kNoAdapter = 2,       // requestAdapter() gave null or threw
  kLimitsTooSmall = 3,  // the adapter cannot bind the model's largest tensor
  kDeviceRefused = 4,   // requestDevice() rejected
};
const char* init_status_name(InitStatus s);

struct DeviceRequest {
  uint64_t min_storage_binding = 0;  // bytes the largest single binding needs (e.g. the word-embedding table)
  // Ask for the 'shader-f16' feature when the adapter has it (the fp16 kernels); never a reason to fail. Also
  // 'subgroups' + 'chromium-experimental-subgroup-matrix' when the adapter offers them with an f16 x f16 -> f32
  // configuration (matmul_sgmat.wgsl), if the host opted in with the module option gpuembedSubgroupMatrix: true.
  bool want_shader_f16 = false;
  // Ask for 'timestamp-query' when the adapter has it (measuring the device's execution time); never required.
  bool want_timestamps = false;
};

struct DeviceInfo {
  InitStatus status = InitStatus::kNoWebGPU;
  WGPUDevice device = nullptr;
  std::string message;       // error text, or the adapter description on success
  uint64_t max_storage_binding = 0;
  uint64_t max_buffer_size = 0;
  uint32_t max_workgroup_storage = 0;
  uint32_t max_invocations = 0;
  uint32_t min_uniform_offset_alignment = 256;
  uint32_t max_workgroups_per_dim = 65535;
  bool shader_f16 = false;   // the device was created with 'shader-f16'
  std::string f16_note;      // why not, when it was asked for (empty otherwise)
  // 'chromium-experimental-subgroup-matrix' (with 'subgroups' and 'shader-f16'): the configuration chosen, f16
  // operands and f32 result of sgm_m x sgm_k times sgm_k x sgm_n; subgroup_max_size for the workgroup size.
  bool subgroup_matrix = false;
  uint32_t sgm_m = 0, sgm_n = 0, sgm_k = 0;
  uint32_t subgroup_max_size = 0;
  bool timestamps = false;   // the device was created with 'timestamp-query'
  // The host's module option gpuembedAttention ('simple' 1, 'tiled' 2, else 0) and gpuembedAttentionLanes
  // (kernels.h AttentionChoice).
  int attention_mode = 0;
  uint32_t attention_lanes = 0;
};

using DeviceCallback = void (*)(const DeviceInfo& info, void* user);
// Asks for an adapter and a device with the adapter's largest storage-buffer limits (the JS host may hand in a
// device of its own instead: Module.gpuembedDevice). Calls back exactly once, from the event loop.
void request_device(const DeviceRequest& request, DeviceCallback callback, void* user);

WGPUShaderModule create_wgsl_module(WGPUDevice device, const std::string& source, const char* label);
void dispatch(WGPUComputePassEncoder pass, uint32_t x, uint32_t y, uint32_t z);

// Timestamps (devices with 'timestamp-query'): a query set of `count` timestamps, and a compute pass that writes
// timestamps `first` (its beginning) and `first + 1` (its end).
WGPUQuerySet create_timestamp_set(WGPUDevice device, uint32_t count);
WGPUComputePassEncoder begin_timed_pass(WGPUCommandEncoder encoder, WGPUQuerySet set, uint32_t first);

// Readback: maps [0, size) for reading; callback(ok) from the event loop. read_mapped copies it out and unmaps.
using MapCallback = void (*)(bool ok, void* user);
void map_read_async(WGPUBuffer buffer, uint64_t size, MapCallback callback, void* user);
void read_mapped(WGPUBuffer buffer, uint64_t size, void* out);

// Error scopes (validation + out-of-memory) around a submit; the callback gets 0 for no error, else the first
// error, except that an out-of-memory error (type 2) wins over validation errors: a buffer that could not be
// allocated is invalid, so every later use of it in the same scope is a validation error that only hides the cause.
using ErrorCallback = void (*)(int error_type, const char* message, void* user);
void push_error_scopes(WGPUDevice device);
void pop_error_scopes(WGPUDevice device, ErrorCallback callback, void* user);  // one callback, first error

// Device loss (device.lost resolves: driver reset, destroy(), ...). `reason`: "WebGPU device destroyed" (the app
// destroyed it) or "WebGPU device lost", with the driver's message; the host is notified after the callback.
using LostCallback = void (*)(const char* reason, void* user);
void set_lost_callback(WGPUDevice device, LostCallback callback, void* user);
void destroy_device(WGPUDevice device);

// WebGPU buffers this module holds (created and not yet released) and their bytes, whoever created them: a
// leak of any buffer shows here (src/wasm exposes it in ge_gpu_stats_json for the load tests).
struct BufferStats {
  uint64_t live = 0;
  uint64_t bytes = 0;
};
BufferStats buffer_stats();

// Wakes the host's event loop waiter after a callback changed some state (Emscripten: resolves the promise the
// JS side awaits in Module.gpuembedWait()).
void notify_host();

}  // namespace gpuembed::webgpu::port
