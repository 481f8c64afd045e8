#pragma once
// A model graph (model/graph.h) on WebGPU: weights uploaded once at construction, activation buffers kept and reused across
// calls (they grow only when a larger batch arrives), a whole batch recorded into one command buffer with one
// submit and one readback (pooled + normalized on the GPU, so only [batch, dimension] floats come back).
//
// WebGPU is asynchronous and this build has no JSPI/ASYNCIFY, so a forward pass is split in three, as the Backend
// contract (backend/backend.h) has it:
//   submit(batch)  -> records + submits, starts mapAsync of the readback buffer          (C++)
//   poll()         -> false until the map and the error scopes have called back         (JS awaits
//                     Module.gpuembedWait() between polls)
//   read(out)      -> copies the result out, or throws the failure (kOutOfMemory, kDeviceLost, ...)
// Two passes may be in flight (max_in_flight): the second is recorded while the device runs the first. They share
// the activation buffers, which is safe because the queue runs them in submit order (the second pass's uploads are
// queue writes, ordered after the first pass's commands); each has its own readback buffer, since a buffer being
// mapped cannot be copied into.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/webgpu/gpu_context.h"
#include "backend/webgpu/kernels.h"
#include "backend/webgpu/pass_readback.h"
#include "model/graph.h"
#include "model/model_spec.h"
#include "model/weights.h"

namespace gpuembed::webgpu {

class WebGpuModel final : public Backend {
 public:
  enum class State { kIdle, kPending, kReady, kFailed };

  // Throws gpuembed::Error (kBackendUnavailable when the device cannot hold the model, kDeviceLost if lost).
  // kF16 stores the weight matrices, embedding tables and activations as f16 (converted here at upload; biases and
  // LayerNorm parameters stay f32) and needs a device with 'shader-f16' and weights that f16_unsuitable() accepts;
  // the default kF32 is the reference path.
  WebGpuModel(std::shared_ptr<GpuContext> ctx, const ModelSpec& spec, const ModelWeights& weights,
              GpuPrecision precision = GpuPrecision::kF32);
  ~WebGpuModel() override;
  WebGpuModel(const WebGpuModel&) = delete;
  WebGpuModel& operator=(const WebGpuModel&) = delete;

  // The most batch * seq tokens one submit may hold on this device (binding-size limits); callers split larger work.
  size_t max_tokens() const override;
  std::string name() const override;

  size_t max_in_flight() const override { return profile_ ? 1 : 2; }  // one while profiling kernels
  void submit(const TokenBatch& batch) override;
  bool poll() override { return state() != State::kPending; }
  void cancel() override;
  // Floats read() writes: [batch, dimension] for embeddings, [batch * seq, hidden] for hidden states. A pass whose
  // buffers the device could not allocate throws kOutOfMemory (after freeing the activation buffers: a smaller
  // batch may fit).
  void read(float* out) override;
  State state() const;  // of the oldest pass not yet read
  const std::string& failure() const;

  GpuContext& context() { return *ctx_; }
  const ModelSpec& spec() const { return spec_; }
  GpuPrecision precision() const { return kernels_.precision(); }
  const char* matmul_kernel() const { return kernels_.matmul_kernel(); }  // kernels.h: which matmul*.wgsl runs
  const char* attention_kernel() const { return kernels_.attention_kernel(); }  // which attention*.wgsl runs
  // Why these weights cannot be stored as f16 (a value f16 cannot hold), or "" when they can.
  static std::string f16_unsuitable(const ModelWeights& weights);
  uint64_t weight_bytes() const { return weight_bytes_; }
  uint64_t activation_bytes() const;

  // Host-side phases of forward passes (milliseconds, emscripten_get_now): record = submit() (validation, upload of
  // ids/params, encoding, queue.submit, mapAsync); gpu_wait = the part of end of submit() -> the readback's map
  // callback (GPU execution + the event loop's latency in delivering the callback) during which the host had no
  // other pass to record or read: with one pass at a time, all of it; read = copying the mapped result out.
  // gpu_exec: the device's own time for the passes' compute (timestamps around each pass's compute pass), on a
  // device with 'timestamp-query' (timed_passes counts them).
  struct PhaseStats {
    uint64_t passes = 0, timed_passes = 0;
    double record_ms = 0, gpu_wait_ms = 0, read_ms = 0, gpu_exec_ms = 0;  // sums over passes
    double last_record_ms = 0, last_gpu_wait_ms = 0, last_read_ms = 0;
  };
  const PhaseStats& phase_stats() const { return phases_; }
  // Each pass since begin_pass_log(), for showing the overlap (times in ms from that call): recorded during
  // [record_start, submitted], its result mapped at `mapped`, read during [read_start, read_end]. Kept for the
  // first kPassLogSize passes.
  // flops: graph_flops of its texts; gpu_exec: -1 without timestamps.
  struct PassTimes {
    size_t texts = 0, seq = 0;
    double record_start = 0, submitted = 0, mapped = 0, read_start = 0, read_end = 0, gpu_exec = -1, flops = 0;
  };
  static constexpr size_t kPassLogSize = 64;
  void begin_pass_log();
  bool timestamps() const { return timestamps_ != nullptr; }
  const std::vector<PassTimes>& pass_log() const { return pass_log_; }
  const Recorder& recorder() const { return recorder_; }
  // Kernel profiling (on a device with timestamps; false otherwise): while on, one pass at a time, each dispatch in a
  // compute pass of its own with timestamps at its beginning and end (a pass of more than kProfileDispatches fails
  // with a WebGPU validation error), and the passes read add up, per kernel and shape class (the op's output and
  // input widths: a matmul's N and K; and its output tensor, which tells QKV from an FFN input of the same N and K),
  // the dispatches, their GPU time and their FLOPs (op_flops of model/graph.h). set_profile(true) also clears the
  // sums. A profiled pass's gpu_exec is its first dispatch's beginning to its last one's end.
  struct KernelTimes {
    Kernel kernel;
    uint32_t a, b;
    int tensor;  // of graph()
    uint64_t dispatches;
    double ms, flops;
  };
  static constexpr uint32_t kProfileDispatches = 2048;  // WebGPU's 4096 queries per query set, two per dispatch
  bool set_profile(bool on);
  bool profiling() const { return profile_; }
  const std::vector<KernelTimes>& kernel_profile() const { return kernel_times_; }
  const Graph& graph() const { return graph_; }


 private:
  // as_wt: stored in the kernels' weight type (`wt`: f16 in the fp16 path), else always f32.
  WGPUBuffer upload(const TensorView& t, const char* what, bool as_wt = false);
  WGPUBuffer upload_concat(const std::vector<const TensorView*>& parts, const char* what, bool as_wt = false);
  void ensure_activations(size_t batch, size_t tokens);
  void release_activations();

  std::shared_ptr<GpuContext> ctx_;
  ModelSpec spec_;
  Kernels kernels_;
  Recorder recorder_;
  Graph graph_;
  // Per op of graph_, its weights on the device: embedding {word, position, token_type, gamma, beta}, linear
  // {weight, bias} (parts concatenated), LayerNorm / RMSNorm {gamma, beta}, attention {relative bias by distance};
  // none for the others. What a family lacks is a zeros_ binding (biases) or one the kernel does not read.
  std::vector<std::vector<BufferRef>> op_weights_;
  std::vector<WGPUBuffer> owned_weights_;
  WGPUBuffer zeros_ = nullptr;  // as many zero floats as the widest tensor
  BufferRef relative_bias_by_distance(const Op& op);
  // Rotary cos / sin tables (rotary.wgsl) per distinct (base, rotary_dim) of the graph's rotary ops, for positions
  // [0, rotary_rows_): grown when a longer batch arrives (ensure_rotary), so short texts never pay for 8192 positions.
  struct RotaryTable {
    float base;
    uint32_t dim;
    WGPUBuffer buffer = nullptr;
  };
  std::vector<RotaryTable> rotary_tables_;
  std::vector<int> op_rotary_;  // per op: index into rotary_tables_, or -1
  size_t rotary_rows_ = 0;
  void ensure_rotary(size_t seq);
  void release_rotary();
  uint64_t weight_bytes_ = 0;

  size_t cap_tokens_ = 0, cap_batch_ = 0;
  WGPUBuffer ids_ = nullptr, lengths_ = nullptr;
  std::vector<WGPUBuffer> tensors_;  // per tensor of graph_, sized for cap_tokens_ / cap_batch_
  // Readback buffers, one per pass in flight. `use`: the pass that last mapped it, while it is unread; `orphan`: that
  // pass was cancelled, and the buffer is free once its map has called back.
  struct ReadbackSlot {
    WGPUBuffer buffer = nullptr;
    uint64_t capacity = 0;
    std::shared_ptr<PassReadback> use;
    bool orphan = false;
  };
  std::vector<ReadbackSlot> readbacks_;
  size_t readback_slot(uint64_t bytes);
  // Timestamps (devices with 'timestamp-query'): the pass of readback slot k writes queries 2k, 2k + 1, resolved at
  // 256 k of resolve_ (the resolve offset's alignment) and copied after the pass's result in its readback.
  static constexpr uint32_t kTimedSlots = 8;
  WGPUQuerySet timestamps_ = nullptr;
  WGPUBuffer resolve_ = nullptr;
  // Activation buffers are bound whole (their capacity), so cached bind groups stay valid when the batch shape changes.
  BufferRef whole(WGPUBuffer b) const;
  uint64_t activation_buffer_bytes(uint64_t values) const;
  uint64_t tensor_bytes(size_t tensor) const;
  WGPUBuffer tensor(int t) const { return tensors_[static_cast<size_t>(t)]; }
  // Records the graph's dispatches for a batch of B texts of S (padded) tokens (webgpu_graph.cpp): the ops up to
  // the hidden states, and the pooling ops when `output` asks for embeddings. lengths: tags each dispatch with
  // its op's shape class and FLOPs (kernel profiling).
  void record(size_t B, size_t S, BatchOutput output, const int32_t* lengths = nullptr);
  bool profile_ = false;
  ProfiledPass profiled_;  // its query set and resolve buffer (2 kProfileDispatches timestamps), the pass in flight
  std::vector<KernelTimes> kernel_times_;
  uint64_t activation_bytes_ = 0;
  bool grow_exact_ = false;  // after an out-of-memory failure: activation buffers sized to the request, no doubling

  struct InFlight {
    std::shared_ptr<PassReadback> readback;
    size_t slot = 0;
    size_t half_values = 0;  // > 0: the readback holds this many f16 values (hidden states, fp16 path)
    uint64_t result_bytes = 0, timestamp_offset = 0;  // timestamp_offset 0: none
    size_t log = SIZE_MAX;   // index into pass_log_
    size_t runs = 0;  // kernel profiling: profiled_.runs, their timestamps at timestamp_offset (16 bytes each)
  };
  std::vector<InFlight> inflight_;  // oldest first
  PhaseStats phases_;
  double host_free_at_ = 0;  // end of the last submit() or read(): the host waits for the device after it
  double log_start_ = 0;
  std::vector<PassTimes> pass_log_;
};

}  // namespace gpuembed::webgpu
