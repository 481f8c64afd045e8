// The C exports of GPU vector search (src/backend/webgpu/gpu_index.h; wrapped for JS by src/wasm/core.mjs's
// CoreGpuIndex, used by js/index.mjs). Conventions as c_abi.h's: >= 0 (or a handle > 0) on success, -1 (or 0) on
// failure with ge_gpu_index_error_code() (ErrorCode + 1, the numbering of ge_last_error_code) and
// ge_gpu_index_error_message(). No C++ exception crosses into JS.
//
// Every index of the module searches on one device, requested when the first index is made: the host's device when
// it handed one in (Module.gpuembedDevice, shared with the model and never destroyed here), else one of its own
// from Module.gpu / navigator.gpu, destroyed when the last index is freed.
#include <emscripten.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backend/webgpu/gpu_index.h"
#include "gpuembed/error.h"
#include "wasm/c_abi.h"

using namespace gpuembed;
using gpuembed::wasm::ErrorChannel;
using gpuembed::webgpu::GpuIndex;
using gpuembed::webgpu::SearchDevice;
namespace port = gpuembed::webgpu::port;

EM_JS(int, gpuembedjs_is_host_device, (int device_id), {
  var given = Module["gpuembedDevice"];
  return given && WebGPU.mgrDevice.get(device_id) === given ? 1 : 0;
});

namespace {

// The index exports' own channel (ge_gpu_index_error_code / _message), apart from the model's.
ErrorChannel g_errors;

template <class F>
auto guarded(F&& f, decltype(f()) on_error) -> decltype(f()) {
  return g_errors.guarded(std::forward<F>(f), on_error);
}

// The module's search device: 0 none, 1 requesting, 2 ready, < 0 failed (-port::InitStatus, -6 other).
int g_dev_state = 0;
std::string g_dev_message;
std::shared_ptr<SearchDevice> g_dev;

struct Job {
  std::vector<float> queries;  // [nq, dim]
  size_t nq = 0, next = 0, cur = 0;
  uint32_t k = 0;
  bool in_flight = false, done = true;
  std::vector<float> scores;   // [nq, k]
  std::vector<uint32_t> ids;
};

struct IndexSession {
  uint32_t dim = 0;
  std::unique_ptr<GpuIndex> gpu;
  int failed = 0;  // < 0 once this index's GPU failed for good (ge_gpu_state's codes; -5 device lost)
  std::string failed_message;
  Job job;
};

std::map<int, std::unique_ptr<IndexSession>> g_indexes;
int g_next_index = 1;

IndexSession& index_session(int id) {
  auto it = g_indexes.find(id);
  if (it == g_indexes.end()) throw Error(ErrorCode::kInvalidInput, "no GPU index under handle " + std::to_string(id));
  return *it->second;
}

void on_device_checked(int error_type, const char* message, void*) {
  if (g_dev_state == 1) {
    if (error_type != 0 || !g_dev || g_dev->lost()) {
      g_dev_state = g_dev && g_dev->lost() ? -5 : -6;
      g_dev_message = g_dev && g_dev->lost() ? g_dev->lost_message()
                                             : std::string("WebGPU error while preparing the search kernels: ") + message;
      g_dev.reset();
    } else {
      g_dev_state = 2;
    }
  }
  port::notify_host();
}

void on_device(const port::DeviceInfo& info, void*) {
  const bool owned = info.device && !gpuembedjs_is_host_device(static_cast<int>(reinterpret_cast<uintptr_t>(info.device)));
  if (g_indexes.empty()) {  // every index was freed meanwhile
    if (info.device) {
      if (owned) port::destroy_device(info.device);
      wgpuDeviceRelease(info.device);
    }
    g_dev_state = 0;
    port::notify_host();
    return;
  }
  if (info.status != port::InitStatus::kOk) {
    g_dev_state = -static_cast<int>(info.status);
    g_dev_message = info.message;
    port::notify_host();
    return;
  }
  g_dev_message = info.message;
  // Shader compilation reports its errors asynchronously: ready (2) once the error scopes come back clean.
  port::push_error_scopes(info.device);
  try {
    g_dev = std::make_shared<SearchDevice>(info, owned);
  } catch (const std::exception& e) {
    port::pop_error_scopes(info.device, [](int, const char*, void*) {}, nullptr);
    if (owned) port::destroy_device(info.device);
    wgpuDeviceRelease(info.device);
    g_dev.reset();
    g_dev_state = -6;
    g_dev_message = e.what();
    port::notify_host();
    return;
  }
  port::pop_error_scopes(info.device, on_device_checked, nullptr);
}

// `,"key":value`: six numbers need no JSON library.
void add_field(std::string& out, const char* key, uint64_t value) {
  ((out += ",\"") += key) += "\":";
  out += std::to_string(value);
}

// 1 waiting for the device, 2 ready, < 0 failed (see ge_gpu_index_state).
int state_of(IndexSession& s) {
  if (s.failed) return s.failed;
  if (!s.gpu) {
    if (g_dev_state == 1) return 1;
    if (g_dev_state == 2 && g_dev && !g_dev->lost()) {
      s.gpu = std::make_unique<GpuIndex>(g_dev, s.dim);
    } else {
      s.failed = g_dev_state < 0 ? g_dev_state : -5;
      s.failed_message = g_dev_state < 0 ? g_dev_message : g_dev ? g_dev->lost_message() : "WebGPU device lost";
      return s.failed;
    }
  }
  if (s.gpu->device().lost()) {
    s.failed = -5;
    s.failed_message = s.gpu->device().lost_message();
  }
  return s.failed ? s.failed : 2;
}

GpuIndex& ready(IndexSession& s) {
  const int st = state_of(s);
  if (st == -5) throw Error(ErrorCode::kDeviceLost, s.failed_message);
  if (st != 2) {
    throw Error(ErrorCode::kBackendUnavailable,
                st == 1 ? "WebGPU search device still initialising" : "WebGPU search not available: " + s.failed_message);
  }
  return *s.gpu;
}

void fail_if_lost(IndexSession& s) {
  if (g_errors.is(ErrorCode::kDeviceLost)) {
    s.failed = -5;
    s.failed_message = g_errors.message();
  }
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE int ge_gpu_index_error_code() { return g_errors.code(); }
EMSCRIPTEN_KEEPALIVE const char* ge_gpu_index_error_message() { return g_errors.message().c_str(); }

// A GPU copy of an index of `dim`-dimensional rows; starts the module's search device request if there is none.
// Poll ge_gpu_index_state() while it returns 1 (await Module.gpuembedWait()). Returns a handle > 0, or 0.
EMSCRIPTEN_KEEPALIVE int ge_gpu_index_create(int dim) {
  return guarded(
      [&]() -> int {
        if (dim <= 0 || dim > (1 << 20)) throw Error(ErrorCode::kInvalidInput, "index dimension out of range");
        if (g_dev && g_dev->lost()) {
          g_dev.reset();
          g_dev_state = 0;
        }
        auto s = std::make_unique<IndexSession>();
        s->dim = static_cast<uint32_t>(dim);
        const int id = g_next_index++;
        g_indexes[id] = std::move(s);
        if (g_dev_state != 1 && g_dev_state != 2) {
          g_dev_state = 1;
          g_dev_message.clear();
          port::request_device(port::DeviceRequest{0}, on_device, nullptr);
        }
        return id;
      },
      0);
}

// 1 initialising, 2 ready; failed: -1 no WebGPU, -2 no adapter, -3 limits too small, -4 device refused, -5 device
// lost, -6 other (ge_gpu_index_message says why). A failed index stays failed: search it on the CPU.
EMSCRIPTEN_KEEPALIVE int ge_gpu_index_state(int id) {
  return guarded([&]() -> int { return state_of(index_session(id)); }, -6);
}

EMSCRIPTEN_KEEPALIVE const char* ge_gpu_index_message(int id) {
  return guarded(
      [&]() -> const char* {
        IndexSession& s = index_session(id);
        if (s.failed) return s.failed_message.c_str();
        return s.gpu ? s.gpu->device().info().message.c_str() : g_dev_message.c_str();
      },
      "");
}

// Appends n rows [n, dim] (L2-normalized by the caller) to the GPU copy.
EMSCRIPTEN_KEEPALIVE int ge_gpu_index_add(int id, const float* rows, int n) {
  IndexSession* sp = nullptr;
  const int r = guarded(
      [&]() -> int {
        IndexSession& s = index_session(id);
        sp = &s;
        if (n < 0 || (n > 0 && !rows)) throw Error(ErrorCode::kInvalidInput, "bad rows");
        if (s.job.in_flight) throw Error(ErrorCode::kInternal, "index.add while a GPU search is in flight");
        ready(s).add(rows, static_cast<size_t>(n));
        return 0;
      },
      -1);
  if (r < 0 && sp) fail_if_lost(*sp);
  return r;
}

EMSCRIPTEN_KEEPALIVE int ge_gpu_index_size(int id) {
  return guarded(
      [&]() -> int {
        IndexSession& s = index_session(id);
        return s.gpu ? static_cast<int>(s.gpu->size()) : 0;
      },
      -1);
}

// Starts a search of nq queries [nq, dim] (L2-normalized), k results each (1 <= k <= min(256, size)): then
// ge_gpu_index_step() until 0, then ge_gpu_index_result(). Batches larger than one submit takes are split.
EMSCRIPTEN_KEEPALIVE int ge_gpu_index_search_begin(int id, const float* queries, int nq, int k) {
  return guarded(
      [&]() -> int {
        IndexSession& s = index_session(id);
        GpuIndex& g = ready(s);
        if (s.job.in_flight) throw Error(ErrorCode::kInternal, "a GPU search is already running on this index");
        if (nq < 0 || (nq > 0 && !queries)) throw Error(ErrorCode::kInvalidInput, "bad queries");
        if (k < 1 || static_cast<uint32_t>(k) > GpuIndex::kMaxK || static_cast<size_t>(k) > g.size()) {
          throw Error(ErrorCode::kInvalidInput, "k must be within 1..min(256, index size)");
        }
        Job j;
        j.queries.assign(queries, queries + static_cast<size_t>(nq) * s.dim);
        j.nq = static_cast<size_t>(nq);
        j.k = static_cast<uint32_t>(k);
        j.scores.assign(j.nq * j.k, 0.0f);
        j.ids.assign(j.nq * j.k, 0);
        j.done = j.nq == 0;
        s.job = std::move(j);
        return 0;
      },
      -1);
}

// 1: pending (await Module.gpuembedWait(), call again), 0: done, -1: failed (DEVICE_LOST: redo it on the CPU).
EMSCRIPTEN_KEEPALIVE int ge_gpu_index_step(int id) {
  IndexSession* sp = nullptr;
  const int r = guarded(
      [&]() -> int {
        IndexSession& s = index_session(id);
        sp = &s;
        Job& j = s.job;
        if (j.done) return 0;
        GpuIndex& g = ready(s);
        if (j.in_flight) {
          if (g.poll() == GpuIndex::State::kPending) return 1;
          j.in_flight = false;  // read() throws on failure
          g.read(j.scores.data() + j.next * j.k, j.ids.data() + j.next * j.k);
          j.next += j.cur;
          if (j.next >= j.nq) {
            j.done = true;
            return 0;
          }
        }
        j.cur = std::min(j.nq - j.next, g.max_queries(j.k));
        g.submit(j.queries.data() + j.next * s.dim, j.cur, j.k);
        j.in_flight = true;
        return 1;
      },
      -1);
  if (r < 0 && sp) {
    sp->job.in_flight = false;
    sp->job.done = true;
    fail_if_lost(*sp);
  }
  return r;
}

// Copies the finished search: scores and ids [nq, k], best first (higher score, then lower id). Returns nq * k.
EMSCRIPTEN_KEEPALIVE int ge_gpu_index_result(int id, float* scores, uint32_t* ids) {
  return guarded(
      [&]() -> int {
        Job& j = index_session(id).job;
        if (!j.done || j.in_flight) throw Error(ErrorCode::kInternal, "GPU search result not ready");
        if (scores) std::copy(j.scores.begin(), j.scores.end(), scores);
        if (ids) std::copy(j.ids.begin(), j.ids.end(), ids);
        return static_cast<int>(j.scores.size());
      },
      -1);
}

// {"state", "max_k", "size", "buffer_bytes", "submits", "dispatches"} (the adapter: ge_gpu_index_message)
EMSCRIPTEN_KEEPALIVE const char* ge_gpu_index_stats_json(int id) {
  static std::string out;
  return guarded(
      [&]() -> const char* {
        IndexSession& s = index_session(id);
        out = "{\"state\":" + std::to_string(state_of(s));
        add_field(out, "max_k", GpuIndex::kMaxK);
        if (s.gpu) {
          add_field(out, "size", s.gpu->size());
          add_field(out, "buffer_bytes", s.gpu->buffer_bytes());
          add_field(out, "submits", s.gpu->submits());
          add_field(out, "dispatches", s.gpu->dispatches());
        }
        out += "}";
        return out.c_str();
      },
      "");
}

// Destroys the search device as a driver reset would lose it (tests of the fallback).
EMSCRIPTEN_KEEPALIVE void ge_gpu_index_destroy_device(int id) {
  auto it = g_indexes.find(id);
  if (it != g_indexes.end() && it->second->gpu) it->second->gpu->device().destroy();
}

// Frees the GPU copy; the module's own search device goes with the last index.
EMSCRIPTEN_KEEPALIVE void ge_gpu_index_free(int id) {
  g_indexes.erase(id);
  if (g_indexes.empty() && g_dev_state != 1) {
    g_dev.reset();
    g_dev_state = 0;
    g_dev_message.clear();
  }
}

}  // extern "C"
