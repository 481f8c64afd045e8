#pragma once
// Exact cosine vector search on WebGPU (the GPU half of js/index.mjs's VectorIndex). The corpus rows live in one
// f32 storage buffer that grows on add(); a search of a batch of queries is one command buffer: index_scores.wgsl
// (scores [q, count]), then index_topk.wgsl rounds (per-chunk top k, then merges of the chunks' top k), then one
// readback of [q, k] (score, id) pairs. Rows and queries arrive L2-normalized (the JS side normalizes them for both
// paths, so both see the same floats); each row is padded with zeros to a multiple of 4 floats.
//
// Async like WebGpuModel (no ASYNCIFY): submit() records + submits and starts mapAsync, poll() says kPending until
// the map and the error scopes called back (JS awaits Module.gpuembedWait() between polls), read() copies out.
#include <webgpu/webgpu.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "backend/webgpu/pass_readback.h"
#include "backend/webgpu/wgpu_port.h"

namespace gpuembed::webgpu {

// The device search runs on and the two pipelines. Not a GpuContext: that one destroys its device when it goes,
// and the device here may be the one the host handed in (Module.gpuembedDevice), which the model also uses.
class SearchDevice {
 public:
  // `owned`: destroy the device with this object. Compiles the kernels (errors come through the device's scopes).
  SearchDevice(const port::DeviceInfo& info, bool owned);
  ~SearchDevice();
  SearchDevice(const SearchDevice&) = delete;
  SearchDevice& operator=(const SearchDevice&) = delete;

  WGPUDevice device() const { return device_; }
  WGPUQueue queue() const { return queue_; }
  const port::DeviceInfo& info() const { return info_; }
  bool lost() const { return lost_; }
  const std::string& lost_message() const { return lost_message_; }
  void destroy();  // tests of the loss path

  WGPUBuffer create_buffer(uint64_t size, WGPUBufferUsageFlags usage, const char* label);
  WGPUComputePipeline scores_pipeline() const { return pipelines_[0]; }
  WGPUComputePipeline topk_pipeline() const { return pipelines_[1]; }
  WGPUBindGroupLayout layout() const { return layout_; }  // both kernels: uniform, 2 read-only, 1 read_write

 private:
  static void on_lost(const char* reason, void* user);
  port::DeviceInfo info_;
  WGPUDevice device_ = nullptr;
  WGPUQueue queue_ = nullptr;
  bool owned_;
  bool lost_ = false;
  std::string lost_message_;
  uint32_t registry_id_ = 0;
  WGPUBindGroupLayout layout_ = nullptr;
  WGPUComputePipeline pipelines_[2] = {nullptr, nullptr};
};

class GpuIndex {
 public:
  enum class State { kIdle, kPending, kReady, kFailed };
  static constexpr uint32_t kMaxK = 256;  // index_topk.wgsl keeps k of a 1024-candidate chunk

  GpuIndex(std::shared_ptr<SearchDevice> dev, uint32_t dim);
  ~GpuIndex();
  GpuIndex(const GpuIndex&) = delete;
  GpuIndex& operator=(const GpuIndex&) = delete;

  uint32_t dim() const { return dim_; }
  size_t size() const { return count_; }
  // Appends n normalized rows [n, dim]. Throws kBackendUnavailable when the corpus outgrows the device's buffers.
  void add(const float* rows, size_t n);
  // The most queries one submit takes with k results each (scratch buffers stay under the device limits and a
  // fixed budget); callers split larger batches.
  size_t max_queries(uint32_t k) const;

  // nq normalized queries [nq, dim]; 1 <= k <= min(kMaxK, size()), nq <= max_queries(k).
  void submit(const float* queries, size_t nq, uint32_t k);
  State poll() const;
  // [nq, k] best first: scores and ids. Throws the failure (kDeviceLost when the device was lost).
  void read(float* scores, uint32_t* ids);

  SearchDevice& device() { return *dev_; }
  uint64_t buffer_bytes() const;  // GPU memory held: rows + scratch + readback
  uint64_t submits() const { return submits_; }
  uint64_t dispatches() const { return dispatches_; }


 private:
  struct Buffer {
    WGPUBuffer buffer = nullptr;
    uint64_t bytes = 0;
  };
  void ensure(Buffer& b, uint64_t bytes, WGPUBufferUsageFlags usage, const char* label);
  static void release(Buffer& b);

  std::shared_ptr<SearchDevice> dev_;
  uint32_t dim_, dim4_;  // dim4_: vec4s per padded row
  size_t count_ = 0, capacity_ = 0;
  Buffer rows_, queries_, scores_, cand_a_, cand_b_, uniforms_, readback_;
  std::shared_ptr<PassReadback> inflight_;
  uint64_t submits_ = 0, dispatches_ = 0;
};

}  // namespace gpuembed::webgpu
