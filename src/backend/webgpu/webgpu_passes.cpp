// The passes in flight of a WebGpuModel (webgpu_model.h): their readback buffers, reading the oldest, cancelling.
#include <algorithm>
#include <cstring>

#include "backend/webgpu/pass_readback.h"
#include "backend/webgpu/webgpu_model.h"
#include "backend/webgpu/wgpu_port.h"
#include "gpuembed/error.h"
#include "model/half.h"

namespace gpuembed::webgpu {

uint64_t WebGpuModel::activation_bytes() const {
  uint64_t bytes = activation_bytes_;
  for (const ReadbackSlot& slot : readbacks_) bytes += slot.capacity;
  return bytes;
}

// A readback buffer no unread pass maps, of at least `bytes` (sized for the activation capacity, as the passes
// that fit it may need): reused, else replaced, else one more.
size_t WebGpuModel::readback_slot(uint64_t bytes) {
  const uint64_t H = spec_.config.hidden_size, D = spec_.dimension();
  const uint64_t capacity = std::max(bytes, std::max(uint64_t(cap_tokens_) * H, uint64_t(cap_batch_) * D) * 4);
  size_t free = readbacks_.size();
  for (size_t i = 0; i < readbacks_.size(); ++i) {
    ReadbackSlot& slot = readbacks_[i];
    if (slot.use && !(slot.orphan && slot.use->done())) continue;
    if (slot.use && slot.use->map_ok) wgpuBufferUnmap(slot.buffer);  // a cancelled pass's map, never read
    slot.use.reset();
    slot.orphan = false;
    if (slot.buffer && slot.capacity >= bytes) return i;
    free = std::min(free, i);
  }
  if (free == readbacks_.size()) readbacks_.emplace_back();
  ReadbackSlot& slot = readbacks_[free];
  if (slot.buffer) {
    wgpuBufferDestroy(slot.buffer);
    wgpuBufferRelease(slot.buffer);
  }
  slot.buffer = ctx_->create_buffer(capacity, WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst, "readback");
  slot.capacity = capacity;
  return free;
}

void WebGpuModel::begin_pass_log() {
  pass_log_.clear();
  log_start_ = now_ms();
}

bool WebGpuModel::set_profile(bool on) {
  if (!timestamps_) return false;
  if (on && !profiled_.set) {
    profiled_.set = port::create_timestamp_set(ctx_->device(), 2 * kProfileDispatches);
    profiled_.resolve = ctx_->create_buffer(16 * kProfileDispatches, WGPUBufferUsage_QueryResolve | WGPUBufferUsage_CopySrc,
                                            "profile timestamps");
    owned_weights_.push_back(profiled_.resolve);
  }
  profile_ = on;
  kernel_times_.clear();
  return true;
}

void WebGpuModel::cancel() {
  for (InFlight& f : inflight_) {
    ReadbackSlot& slot = readbacks_[f.slot];
    if (f.readback->done()) {
      if (f.readback->map_ok) wgpuBufferUnmap(slot.buffer);
      slot.use.reset();
    } else {
      slot.orphan = true;
    }
  }
  inflight_.clear();
}

WebGpuModel::State WebGpuModel::state() const {
  if (inflight_.empty()) return State::kIdle;
  const PassReadback& r = *inflight_.front().readback;
  if (!r.done()) return ctx_->lost() ? State::kFailed : State::kPending;
  return r.map_ok && r.error.empty() && !ctx_->lost() ? State::kReady : State::kFailed;
}

const std::string& WebGpuModel::failure() const {
  static const std::string none;
  if (ctx_->lost()) return ctx_->lost_message();
  return inflight_.empty() ? none : inflight_.front().readback->error;
}

void WebGpuModel::read(float* out) {
  const State s = state();
  if (s == State::kIdle) throw Error(ErrorCode::kInternal, "no WebGPU result to read");
  if (s == State::kPending) throw Error(ErrorCode::kInternal, "WebGPU result read before it was ready");
  const InFlight f = std::move(inflight_.front());
  inflight_.erase(inflight_.begin());
  ReadbackSlot& slot = readbacks_[f.slot];
  const PassReadback& r = *f.readback;
  if (s == State::kFailed) {
    const std::string msg = ctx_->lost() ? ctx_->lost_message() : r.error;
    const bool oom = r.out_of_memory && !ctx_->lost();
    if (r.done()) {
      if (r.map_ok) wgpuBufferUnmap(slot.buffer);
      slot.use.reset();
    } else {
      slot.orphan = true;  // lost device: its map may still call back
    }
    if (oom) {
      // Some activation buffers (or the uniform buffer, on a first pass, or this readback buffer) are invalid: drop
      // them all so the next (smaller) pass allocates afresh. A pass still in flight bound them too: it fails, and
      // the job driver throws its result away.
      release_activations();
      recorder_.release_uniforms();
      grow_exact_ = true;
      if (!slot.use && slot.buffer) {
        wgpuBufferDestroy(slot.buffer);
        wgpuBufferRelease(slot.buffer);
        slot.buffer = nullptr;
        slot.capacity = 0;
      }
    }
    if (ctx_->lost()) throw Error(ErrorCode::kDeviceLost, msg);
    if (oom) throw Error(ErrorCode::kOutOfMemory, msg);
    throw Error(ErrorCode::kInternal, msg.empty() ? "WebGPU forward pass failed" : msg);
  }
  const double t_read = now_ms();
  double gpu_exec = -1;
  if (f.half_values || f.timestamp_offset) {
    std::vector<uint8_t> raw(static_cast<size_t>(r.bytes));
    port::read_mapped(slot.buffer, r.bytes, raw.data());
    if (f.timestamp_offset) {
      const uint8_t* ts = raw.data() + f.timestamp_offset;
      uint64_t ns[2];
      std::memcpy(&ns[0], ts, 8);
      std::memcpy(&ns[1], ts + 16 * std::max<size_t>(f.runs, 1) - 8, 8);
      if (ns[1] >= ns[0]) gpu_exec = static_cast<double>(ns[1] - ns[0]) / 1e6;
      for (size_t j = 0; j < f.runs && profile_; ++j) {  // one pass in flight: profiled_.runs are this pass's
        const ProfiledDispatch& d = profiled_.runs[j];
        std::memcpy(ns, ts + 16 * j, 16);
        size_t e = 0;
        while (e < kernel_times_.size() && !(kernel_times_[e].kernel == d.kernel && kernel_times_[e].a == d.a &&
                                             kernel_times_[e].b == d.b && kernel_times_[e].tensor == d.tensor)) ++e;
        if (e == kernel_times_.size()) kernel_times_.push_back(KernelTimes{d.kernel, d.a, d.b, d.tensor, 0, 0, 0});
        KernelTimes& k = kernel_times_[e];
        ++k.dispatches;
        k.ms += ns[1] >= ns[0] ? static_cast<double>(ns[1] - ns[0]) / 1e6 : 0;
        k.flops += d.flops;
      }
    }
    if (out && f.half_values) {
      for (size_t i = 0; i < f.half_values; ++i) {
        uint16_t h;
        std::memcpy(&h, raw.data() + 2 * i, 2);
        out[i] = half_to_float(h);
      }
    } else if (out) {
      std::memcpy(out, raw.data(), static_cast<size_t>(f.result_bytes));
    }
  } else {
    port::read_mapped(slot.buffer, r.bytes, out);
  }
  if (gpu_exec >= 0) {
    phases_.gpu_exec_ms += gpu_exec;
    ++phases_.timed_passes;
  }
  slot.use.reset();
  const double t_end = now_ms();
  phases_.last_read_ms = t_end - t_read;
  // The host waited for this pass only from when it had nothing else to do: the end of its own submit, or of the
  // last submit or read after it.
  phases_.last_gpu_wait_ms = std::max(0.0, r.mapped_at - std::max(r.submitted_at, host_free_at_));
  phases_.read_ms += phases_.last_read_ms;
  phases_.gpu_wait_ms += phases_.last_gpu_wait_ms;
  ++phases_.passes;
  host_free_at_ = t_end;
  if (f.log < pass_log_.size()) {
    PassTimes& p = pass_log_[f.log];
    p.mapped = r.mapped_at - log_start_;
    p.read_start = t_read - log_start_;
    p.read_end = t_end - log_start_;
    p.gpu_exec = gpu_exec;
  }
}

}  // namespace gpuembed::webgpu
