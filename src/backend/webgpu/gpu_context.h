#pragma once
// One WebGPU device and what is known about it: limits, loss, errors. Created asynchronously (request_device);
// shared by the kernels and the model that run on it.
#include <webgpu/webgpu.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "backend/webgpu/wgpu_port.h"

namespace gpuembed::webgpu {

class GpuContext {
 public:
  // Wraps a device that request_device() produced (info.status must be kOk).
  explicit GpuContext(const port::DeviceInfo& info);
  ~GpuContext();  // destroys the device
  GpuContext(const GpuContext&) = delete;
  GpuContext& operator=(const GpuContext&) = delete;

  WGPUDevice device() const { return device_; }
  WGPUQueue queue() const { return queue_; }
  const port::DeviceInfo& info() const { return info_; }
  const std::string& adapter_description() const { return info_.message; }

  // True once device.lost resolved (driver reset, destroy(), tab backgrounded too long, ...).
  bool lost() const { return lost_; }
  const std::string& lost_message() const { return lost_message_; }
  // Destroys the device now (tests of the loss path; dispose()).
  void destroy();

  WGPUBuffer create_buffer(uint64_t size, WGPUBufferUsageFlags usage, const char* label = nullptr);

 private:
  static void on_lost(const char* reason, void* user);
  port::DeviceInfo info_;
  WGPUDevice device_ = nullptr;
  WGPUQueue queue_ = nullptr;
  bool lost_ = false;
  std::string lost_message_;
  uint32_t registry_id_ = 0;
};

}  // namespace gpuembed::webgpu
