#pragma once
// One contract for every device (as ggml's graph_compute_async + synchronize, or TEI's Backend::embed): a backend
// owns its copy of the weights in the form its kernels want and runs the whole encoder on a right-padded batch of
// token ids. A pass is submit() -> poll() until true -> read(). The CPU backend finishes inside submit(); the WebGPU
// backend records and submits there, and its poll() turns true once the device has called back (the WASM caller
// awaits the JS event loop between polls). A backend may take more than one pass before the first is read
// (max_in_flight()): passes are then read in the order they were submitted, so the host can record the next pass
// while the device runs the previous one. The job driver that cuts requests into passes is Pipeline's (api/job.h).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/model_spec.h"
#include "model/weights.h"

namespace gpuembed {

// What read() returns for a pass.
enum class BatchOutput {
  kEmbeddings,    // pooled per ModelSpec::pooling, L2-normalized when ModelSpec::normalize: [batch, dimension]
  kHiddenStates,  // last hidden state [batch, seq, hidden]; rows past a text's length are unspecified
};

struct TokenBatch {
  size_t batch = 0;
  size_t seq = 0;                // padded length: the longest row
  std::vector<int32_t> ids;      // [batch * seq], padding = pad id
  std::vector<int32_t> lengths;  // real tokens per row; attention mask is 1 for positions < length
  BatchOutput output = BatchOutput::kEmbeddings;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "cpu-onednn-avx512_core+avx512", "webgpu-fp32", ...
  // The most batch * seq tokens one submit() may hold (the job driver splits larger work).
  virtual size_t max_tokens() const = 0;
  // Passes submitted and not yet read that the backend holds at once.
  virtual size_t max_in_flight() const { return 1; }
  // Starts a pass. Throws gpuembed::Error for bad input and a lost device; at most max_in_flight() passes unread.
  virtual void submit(const TokenBatch& batch) = 0;
  // True once read() may be called on the oldest unread pass (it finished or failed).
  virtual bool poll() = 0;
  // Copies the oldest unread pass's result (see BatchOutput) and ends that pass. A failed pass throws its Error here:
  // kOutOfMemory when the device could not allocate the pass's buffers (a smaller batch may fit), kDeviceLost, ...
  // A pass submitted after one that failed may fail only because of it (it bound the same invalid buffers).
  virtual void read(float* out) = 0;
  // Drops every pass not yet read (the job that submitted them failed): their results are never read, and the
  // next submit() starts afresh.
  virtual void cancel() {}
};

// Floats read() writes for `batch` on a model of `spec`.
inline size_t batch_output_floats(const ModelSpec& spec, const TokenBatch& batch) {
  return batch.output == BatchOutput::kEmbeddings ? batch.batch * spec.dimension()
                                                  : batch.batch * batch.seq * static_cast<size_t>(spec.config.hidden_size);
}

}  // namespace gpuembed
