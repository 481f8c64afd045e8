#include "backend/webgpu/gpu_context.h"

#include <unordered_map>

#include "gpuembed/error.h"

namespace gpuembed::webgpu {

namespace {
// device.lost may resolve after the GpuContext is gone (destroy() resolves it asynchronously), so the callback
// looks its context up by id instead of holding a pointer.
std::unordered_map<uint32_t, GpuContext*>& registry() {
  static std::unordered_map<uint32_t, GpuContext*> r;
  return r;
}
uint32_t next_id = 1;
}  // namespace

GpuContext::GpuContext(const port::DeviceInfo& info) : info_(info), device_(info.device) {
  if (info.status != port::InitStatus::kOk || !device_) {
    throw Error(ErrorCode::kBackendUnavailable, "WebGPU device not available: " + info.message);
  }
  queue_ = wgpuDeviceGetQueue(device_);
  registry_id_ = next_id++;
  registry()[registry_id_] = this;
  port::set_lost_callback(device_, &GpuContext::on_lost, reinterpret_cast<void*>(static_cast<uintptr_t>(registry_id_)));
}

GpuContext::~GpuContext() {
  registry().erase(registry_id_);
  if (device_) {
    if (!lost_) port::destroy_device(device_);
    if (queue_) wgpuQueueRelease(queue_);
    wgpuDeviceRelease(device_);
  }
}

void GpuContext::on_lost(const char* reason, void* user) {
  auto it = registry().find(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(user)));
  if (it == registry().end()) return;
  it->second->lost_ = true;
  it->second->lost_message_ = reason;
}

void GpuContext::destroy() {
  if (device_ && !lost_) port::destroy_device(device_);
}

WGPUBuffer GpuContext::create_buffer(uint64_t size, WGPUBufferUsageFlags usage, const char* label) {
  WGPUBufferDescriptor d = {};
  d.label = label;
  d.usage = usage;
  d.size = (size + 3) & ~uint64_t(3);
  if (d.size == 0) d.size = 4;
  d.mappedAtCreation = false;
  return wgpuDeviceCreateBuffer(device_, &d);
}

}  // namespace gpuembed::webgpu
