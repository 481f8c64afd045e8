#include "backend/webgpu/pass_readback.h"

#include "backend/webgpu/wgpu_port.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#else
#include <chrono>
#endif

namespace gpuembed::webgpu {
namespace {

// Each callback owns one reference to the record.
using Ref = std::shared_ptr<PassReadback>;

void on_map(bool ok, void* user) {
  auto* ref = static_cast<Ref*>(user);
  (*ref)->map_ok = ok;
  (*ref)->mapped_at = now_ms();
  if (!ok && (*ref)->error.empty()) (*ref)->error = "mapAsync of the readback buffer failed";
  --(*ref)->pending;
  delete ref;
  port::notify_host();
}

void on_scope(int type, const char* message, void* user) {
  auto* ref = static_cast<Ref*>(user);
  if (type != 0 && (*ref)->error.empty()) {
    (*ref)->error = std::string(type == 2 ? "WebGPU out of memory: " : "WebGPU error: ") + message;
  }
  if (type == 2) (*ref)->out_of_memory = true;
  --(*ref)->pending;
  delete ref;
  port::notify_host();
}

}  // namespace

double now_ms() {
#ifdef __EMSCRIPTEN__
  return emscripten_get_now();
#else
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
#endif
}

std::shared_ptr<PassReadback> start_readback(WGPUDevice device, WGPUBuffer readback, uint64_t bytes) {
  auto r = std::make_shared<PassReadback>();
  r->pending = 2;
  r->readback = readback;
  r->bytes = bytes;
  port::map_read_async(readback, bytes, on_map, new Ref(r));
  port::pop_error_scopes(device, on_scope, new Ref(r));
  r->submitted_at = now_ms();
  return r;
}

}  // namespace gpuembed::webgpu
