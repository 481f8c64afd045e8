#pragma once
// How a submitted pass ends, for every user of the device (the model, the vector index): the mapAsync of its
// readback buffer and the error scopes pushed before the pass both call back from the event loop. The record is
// shared with the callbacks, so it may outlive its owner.
#include <webgpu/webgpu.h>

#include <cstdint>
#include <memory>
#include <string>

namespace gpuembed::webgpu {

struct PassReadback {
  int pending = 0;             // callbacks still to come (the map and the error scopes)
  bool map_ok = false;
  std::string error;           // first WebGPU error seen
  bool out_of_memory = false;  // the error scope reported out-of-memory (a buffer of the pass could not be allocated)
  WGPUBuffer readback = nullptr;
  uint64_t bytes = 0;
  double submitted_at = 0, mapped_at = 0;  // now_ms()
  bool done() const { return pending == 0; }
};

// Maps [0, bytes) of `readback` and then pops the error scopes pushed before the pass (so a readback buffer that
// could not be allocated is this pass's failure, not an uncaptured error).
std::shared_ptr<PassReadback> start_readback(WGPUDevice device, WGPUBuffer readback, uint64_t bytes);

// Milliseconds of a monotonic clock (emscripten_get_now in the browser and Node).
double now_ms();

}  // namespace gpuembed::webgpu
