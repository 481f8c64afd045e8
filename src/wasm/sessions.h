#pragma once
// The session registry: one loaded model per handle, with its CPU path (a Pipeline on a lazily built CPU backend),
// its WebGPU device and model once initialised, and the WebGPU job in progress. Single-threaded, as the module.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "api/pipeline.h"
#include "backend/webgpu/gpu_context.h"
#include "backend/webgpu/webgpu_model.h"

namespace gpuembed::wasm {

// ge_gpu_state(): the numbers are the JS protocol (core.mjs's GPU_FAILURES); failures are -port::InitStatus first.
enum class GpuState : int {
  kNone = 0,
  kInitialising = 1,
  kReady = 2,
  kNoWebGpu = -1,
  kNoAdapter = -2,
  kLimitsTooSmall = -3,
  kDeviceRefused = -4,
  kDeviceLost = -5,
  kError = -6,
  kF16Unavailable = -7,
};

// ge_gpu_init's precision argument.
enum class PrecisionRequest : int { kF32 = 0, kF16IfAvailable = 1, kF16Strict = 2 };

struct Session {
  std::unique_ptr<Pipeline> pipeline;  // its backend: the CPU, built on first use
  std::string info_json;
  Precision cpu_precision = Precision::kFloat32;  // the CPU path's (ge_cpu_precision)

  GpuState gpu_state = GpuState::kNone;
  PrecisionRequest precision_request = PrecisionRequest::kF32;
  std::string precision_note;  // why fp16 was asked for and fp32 runs ("" otherwise)
  std::string gpu_message;     // the adapter description, or why the GPU is not available
  std::shared_ptr<webgpu::GpuContext> ctx;
  std::unique_ptr<webgpu::WebGpuModel> gpu;
  PassLimit gpu_limit;         // out-of-memory limit of the GPU's passes; reset with the device
  bool gpu_overlap = true;     // off: one pass at a time (api/job.h), the reference the overlap is tested against
  size_t gpu_overlap_min_tokens = kOverlapMinPassTokens;
  std::optional<Job> job;      // the WebGPU job in progress or finished (ge_gpu_result)

  // Marks the GPU lost when its device went away since the last look.
  void check_device_lost();
  void drop_gpu();  // buffers, device, job and limit
};

// Counters since the module started, for ge_gpu_stats_json (profiling the host side of requests).
struct GpuJobCounters {
  uint64_t jobs = 0;        // WebGPU jobs started
  uint64_t oom_splits = 0;  // passes that ran out of GPU memory and were redone as smaller ones
  // Tokenizing on the critical path: starting jobs (tokenizing, sorting by length), and the chunks a job tokenized
  // late with no pass on the device (api/job.h); tokenize_overlap_ms: the chunks tokenized while passes ran.
  double begin_ms = 0, tokenize_overlap_ms = 0;
};
GpuJobCounters& gpu_job_counters();

int add_session(std::unique_ptr<Session> session);  // returns the handle
Session& session(int handle);                       // throws kInvalidInput for an unknown handle
Session* find_session(int handle);                  // nullptr for an unknown handle
void erase_session(int handle);

}  // namespace gpuembed::wasm
