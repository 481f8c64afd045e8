// The WebGPU device of a session: the asynchronous adapter/device request and weight upload (device callbacks),
// its state for JS, its statistics, its release. Conventions in c_abi.h.
#include <emscripten.h>

#include <nlohmann/json.hpp>

#include "wasm/c_abi.h"
#include "wasm/sessions.h"

using namespace gpuembed;
using namespace gpuembed::wasm;
using gpuembed::webgpu::GpuContext;
using gpuembed::webgpu::GpuPrecision;
using gpuembed::webgpu::WebGpuModel;
namespace port = gpuembed::webgpu::port;

namespace {

int handle_of(void* user) { return static_cast<int>(reinterpret_cast<intptr_t>(user)); }

void fail(Session& s, GpuState state, std::string message) {  // by value: it may live in the context dropped here
  s.drop_gpu();
  s.gpu_state = state;
  s.gpu_message = std::move(message);
}

// Shader compilation and the weight upload report their errors asynchronously: the state turns ready only once
// the error scopes around them came back clean.
void on_gpu_model_checked(int error_type, const char* message, void* user) {
  Session* s = find_session(handle_of(user));
  if (s && s->gpu_state == GpuState::kInitialising) {
    const bool lost = s->ctx && s->ctx->lost();
    if (lost) {
      fail(*s, GpuState::kDeviceLost, s->ctx->lost_message());
    } else if (error_type != 0) {
      fail(*s, GpuState::kError, std::string("WebGPU error while preparing the model: ") + message);
    } else {
      s->gpu_state = GpuState::kReady;
    }
  }
  port::notify_host();
}

// fp16 needs the device feature and weights that f16 can hold; "" when both are there, else why not.
std::string f16_unavailable_reason(const Session& s, const port::DeviceInfo& info) {
  if (!info.shader_f16) return info.f16_note.empty() ? "the WebGPU device has no 'shader-f16' feature" : info.f16_note;
  return WebGpuModel::f16_unsuitable(s.pipeline->weights());
}

void release_device(WGPUDevice device) {
  port::destroy_device(device);
  wgpuDeviceRelease(device);
}

void on_gpu_device(const port::DeviceInfo& info, void* user) {
  Session* sp = find_session(handle_of(user));
  if (!sp) {  // the model was freed meanwhile: drop the device
    if (info.device) release_device(info.device);
    port::notify_host();
    return;
  }
  Session& s = *sp;
  const bool wants_f16 = s.precision_request != PrecisionRequest::kF32;
  const std::string f16_why = info.status == port::InitStatus::kOk && wants_f16 ? f16_unavailable_reason(s, info) : "";
  if (info.status != port::InitStatus::kOk) {
    s.gpu_state = static_cast<GpuState>(-static_cast<int>(info.status));
    s.gpu_message = info.message;
  } else if (s.precision_request == PrecisionRequest::kF16Strict && !f16_why.empty()) {
    release_device(info.device);
    s.gpu_state = GpuState::kF16Unavailable;
    s.gpu_message = "fp16 was required but is not available: " + f16_why;
  } else {
    try {
      s.ctx = std::make_shared<GpuContext>(info);
      s.gpu_message = info.message;
      s.precision_note = f16_why;
      const GpuPrecision precision = wants_f16 && f16_why.empty() ? GpuPrecision::kF16 : GpuPrecision::kF32;
      port::push_error_scopes(s.ctx->device());
      try {
        s.gpu = std::make_unique<WebGpuModel>(s.ctx, s.pipeline->spec(), s.pipeline->weights(), precision);
      } catch (...) {
        port::pop_error_scopes(s.ctx->device(), [](int, const char*, void*) {}, nullptr);
        throw;
      }
      port::pop_error_scopes(s.ctx->device(), on_gpu_model_checked, user);
    } catch (const Error& e) {
      fail(s, e.code() == ErrorCode::kDeviceLost ? GpuState::kDeviceLost : GpuState::kError, e.what());
    } catch (const std::exception& e) {
      fail(s, GpuState::kError, e.what());
    }
  }
  port::notify_host();
}

}  // namespace

extern "C" {

// WebGPU: starts the adapter/device request and, once it is there, uploads the weights. Poll ge_gpu_state():
// 1 initialising (await Module.gpuembedWait()), 2 ready, < 0 failed: -1 no WebGPU, -2 no adapter, -3 limits too
// small, -4 device refused, -5 device lost, -6 other, -7 fp16 required but unavailable (see ge_gpu_message()).
// precision: 0 fp32 (the default, also when JS passes nothing); 1 fp16 where the adapter has 'shader-f16' (else
// fp32, and ge_gpu_stats_json's precision_note says why); 2 fp16 or fail with -7. It holds until ge_gpu_release.
// + 8: also ask for 'timestamp-query' where the adapter offers it (the device's execution time in the stats).
EMSCRIPTEN_KEEPALIVE int ge_gpu_init(int id, int precision) {
  return model_errors().guarded(
      [&]() -> int {
        Session& s = session(id);
        const bool timestamps = precision >= 8;
        if (timestamps) precision -= 8;
        if (precision < 0 || precision > 2) {
          throw Error(ErrorCode::kInvalidInput, "precision must be 0 (fp32), 1 (fp16) or 2 (fp16, strict)");
        }
        if (s.gpu_state == GpuState::kInitialising || s.gpu_state == GpuState::kReady) return 0;
        s.drop_gpu();
        s.gpu_state = GpuState::kInitialising;
        s.gpu_message.clear();
        s.precision_request = static_cast<PrecisionRequest>(precision);
        s.precision_note.clear();
        const ModelConfig& c = s.pipeline->spec().config;
        port::DeviceRequest req;
        // The word-embedding table, one binding: f16 halves it (an adapter without 'shader-f16' that cannot hold the
        // f32 table is then refused by WebGpuModel, naming the limit).
        req.min_storage_binding = uint64_t(c.vocab_size) * c.hidden_size * (precision > 0 ? 2 : 4);
        req.want_shader_f16 = precision > 0;
        req.want_timestamps = timestamps;
        port::request_device(req, on_gpu_device, reinterpret_cast<void*>(static_cast<intptr_t>(id)));
        return 0;
      },
      -1);
}

EMSCRIPTEN_KEEPALIVE int ge_gpu_state(int id) {
  return model_errors().guarded(
      [&]() -> int {
        Session& s = session(id);
        s.check_device_lost();
        return static_cast<int>(s.gpu_state);
      },
      static_cast<int>(GpuState::kError));
}

EMSCRIPTEN_KEEPALIVE const char* ge_gpu_message(int id) {
  return model_errors().guarded([&]() -> const char* { return session(id).gpu_message.c_str(); }, "");
}

// {"state", "adapter", "live_buffers", "live_buffer_bytes"; once ready: "weight_bytes", "activation_bytes",
//  "max_tokens", "precision", "matmul_kernel", "attention_kernel", "precision_note", "oom_token_limit", "counters"
//  (gpu_exec_ms and timed_passes only on a device with timestamps), "last_pass_ms", "kernel_profile" (while
//  ge_gpu_set_profile is on:
//  [kernel, out width, in width, dispatches, gpu ms, flops, output tensor] per kernel and shape)} (each pass of the last job: ge_gpu_pass_log)
EMSCRIPTEN_KEEPALIVE const char* ge_gpu_stats_json(int id) {
  static std::string out;
  return model_errors().guarded(
      [&]() -> const char* {
        Session& s = session(id);
        const auto buffers = port::buffer_stats();
        nlohmann::json j = {{"state", static_cast<int>(s.gpu_state)},
                            {"adapter", s.gpu_message},
                            {"live_buffers", buffers.live},
                            {"live_buffer_bytes", buffers.bytes}};
        if (s.gpu) {
          j["weight_bytes"] = s.gpu->weight_bytes();
          j["activation_bytes"] = s.gpu->activation_bytes();
          j["max_tokens"] = s.gpu->max_tokens();
          j["precision"] = gpuembed::webgpu::precision_name(s.gpu->precision());
          j["matmul_kernel"] = s.gpu->matmul_kernel();
          j["attention_kernel"] = s.gpu->attention_kernel();
          j["precision_note"] = s.precision_note;
          j["oom_token_limit"] = s.gpu_limit.tokens;
          const auto& ph = s.gpu->phase_stats();
          const auto& rec = s.gpu->recorder();
          const GpuJobCounters& c = gpu_job_counters();
          j["counters"] = {{"jobs", c.jobs},
                           {"passes", ph.passes},
                           {"submits", rec.submits()},
                           {"dispatches", rec.dispatches()},
                           {"bind_groups_created", rec.bind_groups_created()},
                           {"uniform_bytes_uploaded", rec.uniform_bytes_uploaded()},
                           {"oom_splits", c.oom_splits},
                           {"begin_ms", c.begin_ms},
                           {"tokenize_overlap_ms", c.tokenize_overlap_ms},
                           {"record_ms", ph.record_ms},
                           {"gpu_wait_ms", ph.gpu_wait_ms},
                           {"read_ms", ph.read_ms}};
          if (s.gpu->timestamps()) {
            j["counters"]["gpu_exec_ms"] = ph.gpu_exec_ms;
            j["counters"]["timed_passes"] = ph.timed_passes;
          }
          j["last_pass_ms"] = {{"record", ph.last_record_ms}, {"gpu_wait", ph.last_gpu_wait_ms}, {"read", ph.last_read_ms}};
          if (s.gpu->profiling()) {
            auto& prof = j["kernel_profile"] = nlohmann::json::array();
            for (const auto& k : s.gpu->kernel_profile()) {
              using gpuembed::webgpu::Kernel;
              prof.push_back({k.kernel == Kernel::kMatmul      ? s.gpu->matmul_kernel()
                              : k.kernel == Kernel::kAttention ? s.gpu->attention_kernel()
                                                               : gpuembed::webgpu::kernel_name(k.kernel),
                              k.a, k.b, k.dispatches, k.ms, k.flops, s.gpu->graph().tensors[size_t(k.tensor)].name});
            }
          }
        }
        out = j.dump();
        return out.c_str();
      },
      "");
}

// Each pass of the last WebGPU job (WebGpuModel::PassTimes), 9 doubles a pass: texts, seq, record_start, submitted,
// mapped, read_start, read_end (ms from the job's begin), gpu_exec (-1: no timestamp), flops. Returns the passes
// (0 without a GPU model); the array lives until the next call.
EMSCRIPTEN_KEEPALIVE int ge_gpu_pass_log(int id, const double** out) {
  static std::vector<double> log;
  log.clear();
  Session* s = find_session(id);
  if (s && s->gpu) {
    for (const auto& p : s->gpu->pass_log()) {
      log.insert(log.end(), {double(p.texts), double(p.seq), p.record_start, p.submitted, p.mapped, p.read_start,
                             p.read_end, p.gpu_exec, p.flops});
    }
  }
  *out = log.data();
  return static_cast<int>(log.size() / 9);
}

// Destroys the GPU device as a driver reset would lose it (tests of the DEVICE_LOST path).
EMSCRIPTEN_KEEPALIVE void ge_gpu_destroy_device(int id) {
  Session* s = find_session(id);
  if (s && s->ctx) s->ctx->destroy();
}

// Frees the GPU buffers and the device (the CPU path stays usable).
EMSCRIPTEN_KEEPALIVE void ge_gpu_release(int id) {
  Session* s = find_session(id);
  if (!s) return;
  s->drop_gpu();
  s->gpu_state = GpuState::kNone;
}

}  // extern "C"
