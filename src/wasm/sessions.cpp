#include "wasm/sessions.h"

#include <map>

namespace gpuembed::wasm {
namespace {

std::map<int, std::unique_ptr<Session>>& registry() {
  static std::map<int, std::unique_ptr<Session>> sessions;
  return sessions;
}
int g_next_handle = 1;

}  // namespace

void Session::check_device_lost() {
  if (gpu_state == GpuState::kReady && ctx && ctx->lost()) {
    gpu_state = GpuState::kDeviceLost;
    gpu_message = ctx->lost_message();
  }
}

void Session::drop_gpu() {
  job.reset();
  gpu.reset();
  ctx.reset();
  gpu_limit = PassLimit{};
}

GpuJobCounters& gpu_job_counters() {
  static GpuJobCounters counters;
  return counters;
}

int add_session(std::unique_ptr<Session> session) {
  const int handle = g_next_handle++;
  registry()[handle] = std::move(session);
  return handle;
}

Session& session(int handle) {
  Session* s = find_session(handle);
  if (!s) throw Error(ErrorCode::kInvalidInput, "no model loaded under handle " + std::to_string(handle));
  return *s;
}

Session* find_session(int handle) {
  auto it = registry().find(handle);
  return it == registry().end() ? nullptr : it->second.get();
}

// GPU buffers destroyed, device destroyed (in-flight callbacks hold their own state).
void erase_session(int handle) { registry().erase(handle); }

}  // namespace gpuembed::wasm
