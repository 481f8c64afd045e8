#include "backend/webgpu/gpu_index.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backend/webgpu/kernel_sources.h"
#include "gpuembed/error.h"

namespace gpuembed::webgpu {

namespace {
constexpr uint32_t kTileRows = 64;      // index_scores.wgsl: TR
constexpr uint32_t kQueryBlock = 8;     // index_scores.wgsl: QB
constexpr uint32_t kChunk = 1024;       // index_topk.wgsl: C
constexpr size_t kMaxQueriesPerPass = 256;
constexpr uint64_t kScratchBudget = uint64_t(256) << 20;  // scores + candidates of one pass
constexpr WGPUBufferUsageFlags kStorage = WGPUBufferUsage_Storage | WGPUBufferUsage_CopyDst | WGPUBufferUsage_CopySrc;

struct ScoresParams { uint32_t count, dim4, nq, zero; };
struct TopkParams { uint32_t n, chunks, k, mode, sort_n, p0, p1, p2; };

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint32_t pow2_at_least(uint64_t n) {
  uint32_t p = 2;
  while (p < n) p *= 2;
  return p;
}

// device.lost may resolve after its SearchDevice is gone: the callback finds the object by id.
std::unordered_map<uint32_t, SearchDevice*>& registry() {
  static std::unordered_map<uint32_t, SearchDevice*> r;
  return r;
}
uint32_t next_registry_id = 1;

// Per-query candidate counts of each top-k round: round 0 reads `count` scores, each round keeps k per chunk.
std::vector<uint64_t> round_inputs(uint64_t count, uint32_t k) {
  std::vector<uint64_t> n{count};
  while (n.back() > kChunk) n.push_back(ceil_div(n.back(), kChunk) * k);
  return n;
}
}  // namespace

SearchDevice::SearchDevice(const port::DeviceInfo& info, bool owned) : info_(info), device_(info.device), owned_(owned) {
  if (info.status != port::InitStatus::kOk || !device_) {
    throw Error(ErrorCode::kBackendUnavailable, "WebGPU device not available: " + info.message);
  }
  const char* names[2] = {"index_scores", "index_topk"};
  const char* sources[2] = {wgsl_source(names[0]), wgsl_source(names[1])};
  for (int i = 0; i < 2; ++i) {
    if (!sources[i]) throw Error(ErrorCode::kInternal, std::string("WGSL kernel not embedded: ") + names[i]);
  }
  queue_ = wgpuDeviceGetQueue(device_);
  registry_id_ = next_registry_id++;
  registry()[registry_id_] = this;
  port::set_lost_callback(device_, &SearchDevice::on_lost, reinterpret_cast<void*>(static_cast<uintptr_t>(registry_id_)));

  WGPUBindGroupLayoutEntry entries[4] = {};
  for (uint32_t b = 0; b < 4; ++b) {
    entries[b].binding = b;
    entries[b].visibility = WGPUShaderStage_Compute;
    entries[b].buffer.type = b == 0 ? WGPUBufferBindingType_Uniform
                             : b == 3 ? WGPUBufferBindingType_Storage
                                      : WGPUBufferBindingType_ReadOnlyStorage;
  }
  WGPUBindGroupLayoutDescriptor bgld = {};
  bgld.label = "gpuembed search";
  bgld.entryCount = 4;
  bgld.entries = entries;
  layout_ = wgpuDeviceCreateBindGroupLayout(device_, &bgld);
  WGPUPipelineLayoutDescriptor pld = {};
  pld.bindGroupLayoutCount = 1;
  pld.bindGroupLayouts = &layout_;
  WGPUPipelineLayout pl = wgpuDeviceCreatePipelineLayout(device_, &pld);
  for (int i = 0; i < 2; ++i) {
    WGPUShaderModule module = port::create_wgsl_module(device_, sources[i], names[i]);
    WGPUComputePipelineDescriptor cpd = {};
    cpd.label = names[i];
    cpd.layout = pl;
    cpd.compute.module = module;
    cpd.compute.entryPoint = "main";
    pipelines_[i] = wgpuDeviceCreateComputePipeline(device_, &cpd);
    wgpuShaderModuleRelease(module);
  }
  wgpuPipelineLayoutRelease(pl);
}

SearchDevice::~SearchDevice() {
  registry().erase(registry_id_);
  for (WGPUComputePipeline p : pipelines_) if (p) wgpuComputePipelineRelease(p);
  if (layout_) wgpuBindGroupLayoutRelease(layout_);
  if (owned_ && !lost_) port::destroy_device(device_);
  if (queue_) wgpuQueueRelease(queue_);
  wgpuDeviceRelease(device_);
}

void SearchDevice::on_lost(const char* reason, void* user) {
  auto it = registry().find(static_cast<uint32_t>(reinterpret_cast<uintptr_t>(user)));
  if (it == registry().end()) return;
  it->second->lost_ = true;
  it->second->lost_message_ = reason;
}

void SearchDevice::destroy() {
  if (!lost_) port::destroy_device(device_);
}

WGPUBuffer SearchDevice::create_buffer(uint64_t size, WGPUBufferUsageFlags usage, const char* label) {
  WGPUBufferDescriptor d = {};
  d.label = label;
  d.usage = usage;
  d.size = std::max<uint64_t>(4, (size + 3) & ~uint64_t(3));
  return wgpuDeviceCreateBuffer(device_, &d);
}

GpuIndex::GpuIndex(std::shared_ptr<SearchDevice> dev, uint32_t dim)
    : dev_(std::move(dev)), dim_(dim), dim4_((dim + 3) / 4) {
  if (dim == 0) throw Error(ErrorCode::kInvalidInput, "index dimension must be positive");
}

GpuIndex::~GpuIndex() {
  for (Buffer* b : {&rows_, &queries_, &scores_, &cand_a_, &cand_b_, &uniforms_, &readback_}) release(*b);
}

void GpuIndex::release(Buffer& b) {
  if (b.buffer) {
    wgpuBufferDestroy(b.buffer);
    wgpuBufferRelease(b.buffer);
  }
  b = Buffer{};
}

void GpuIndex::ensure(Buffer& b, uint64_t bytes, WGPUBufferUsageFlags usage, const char* label) {
  if (b.buffer && b.bytes >= bytes) return;
  release(b);
  b.buffer = dev_->create_buffer(bytes, usage, label);
  b.bytes = bytes;
}

uint64_t GpuIndex::buffer_bytes() const {
  uint64_t s = 0;
  for (const Buffer* b : {&rows_, &queries_, &scores_, &cand_a_, &cand_b_, &uniforms_, &readback_}) s += b->bytes;
  return s;
}

void GpuIndex::add(const float* rows, size_t n) {
  if (n == 0) return;
  if (dev_->lost()) throw Error(ErrorCode::kDeviceLost, dev_->lost_message());
  if (inflight_ && !inflight_->done()) throw Error(ErrorCode::kInternal, "index.add while a GPU search is in flight");
  const uint64_t row_bytes = uint64_t(dim4_) * 16;
  const uint64_t limit = std::min(dev_->info().max_storage_binding, dev_->info().max_buffer_size);
  if ((count_ + n) * row_bytes > limit) {
    throw Error(ErrorCode::kBackendUnavailable, "the corpus (" + std::to_string(count_ + n) + " rows of " +
                                                    std::to_string(dim_) + ") outgrows this device's buffers (" +
                                                    std::to_string(limit) + " bytes per binding)");
  }
  if (count_ + n > capacity_) {
    // Geometric growth (a stream of small adds copies each row O(1) times); the old rows move on the GPU.
    const size_t cap = std::min<uint64_t>(std::max({count_ + n, capacity_ * 2, size_t(64)}), limit / row_bytes);
    Buffer grown;
    grown.buffer = dev_->create_buffer(cap * row_bytes, kStorage, "gpuembed index rows");
    grown.bytes = cap * row_bytes;
    if (count_ > 0) {
      WGPUCommandEncoder enc = wgpuDeviceCreateCommandEncoder(dev_->device(), nullptr);
      wgpuCommandEncoderCopyBufferToBuffer(enc, rows_.buffer, 0, grown.buffer, 0, count_ * row_bytes);
      WGPUCommandBuffer cmd = wgpuCommandEncoderFinish(enc, nullptr);
      wgpuQueueSubmit(dev_->queue(), 1, &cmd);
      wgpuCommandBufferRelease(cmd);
      wgpuCommandEncoderRelease(enc);
    }
    release(rows_);  // destroy() waits for the copy already submitted
    rows_ = grown;
    capacity_ = cap;
  }
  std::vector<float> padded(n * dim4_ * 4, 0.0f);
  for (size_t i = 0; i < n; ++i) std::memcpy(&padded[i * dim4_ * 4], rows + i * dim_, dim_ * sizeof(float));
  wgpuQueueWriteBuffer(dev_->queue(), rows_.buffer, count_ * row_bytes, padded.data(), padded.size() * sizeof(float));
  count_ += n;
}

size_t GpuIndex::max_queries(uint32_t k) const {
  const auto rounds = round_inputs(std::max<size_t>(count_, 1), k);
  uint64_t widest = uint64_t(dim4_) * 16;
  uint64_t per_query = widest;
  widest = std::max<uint64_t>(widest, rounds[0] * 4);
  per_query += rounds[0] * 4;
  for (size_t r = 0; r < rounds.size(); ++r) {
    const uint64_t out = ceil_div(rounds[r], kChunk) * k * 8;
    widest = std::max(widest, out);
    if (r < 2) per_query += out;  // two ping-pong buffers, sized by rounds 0 and 1
  }
  const uint64_t limit = std::min(dev_->info().max_storage_binding, dev_->info().max_buffer_size);
  const uint64_t q = std::min(limit / widest, kScratchBudget / per_query);
  return static_cast<size_t>(std::clamp<uint64_t>(q, 1, kMaxQueriesPerPass));
}

void GpuIndex::submit(const float* queries, size_t nq, uint32_t k) {
  if (dev_->lost()) throw Error(ErrorCode::kDeviceLost, dev_->lost_message());
  if (inflight_ && !inflight_->done()) throw Error(ErrorCode::kInternal, "a GPU search is already in flight");
  inflight_.reset();
  if (k == 0 || k > kMaxK || k > count_) throw Error(ErrorCode::kInvalidInput, "GPU search needs 1 <= k <= min(256, size)");
  if (nq == 0 || nq > max_queries(k)) throw Error(ErrorCode::kInvalidInput, "GPU search: too many queries for one submit");
  const auto rounds = round_inputs(count_, k);
  const uint64_t qbytes = nq * uint64_t(dim4_) * 16, sbytes = nq * uint64_t(count_) * 4;
  const uint64_t a_bytes = nq * ceil_div(rounds[0], kChunk) * k * 8;
  const uint64_t b_bytes = nq * (rounds.size() > 1 ? ceil_div(rounds[1], kChunk) : 1) * k * 8;
  const uint64_t out_bytes = nq * uint64_t(k) * 8;
  const uint32_t slot = std::max<uint32_t>(256, dev_->info().min_uniform_offset_alignment);
  ensure(queries_, qbytes, kStorage, "gpuembed search queries");
  ensure(scores_, sbytes, kStorage, "gpuembed search scores");
  ensure(cand_a_, a_bytes, kStorage, "gpuembed search candidates a");
  ensure(cand_b_, b_bytes, kStorage, "gpuembed search candidates b");
  ensure(uniforms_, (rounds.size() + 1) * slot, WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst, "gpuembed search params");
  ensure(readback_, out_bytes, WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst, "gpuembed search readback");

  std::vector<float> padded(nq * dim4_ * 4, 0.0f);
  for (size_t i = 0; i < nq; ++i) std::memcpy(&padded[i * dim4_ * 4], queries + i * dim_, dim_ * sizeof(float));
  wgpuQueueWriteBuffer(dev_->queue(), queries_.buffer, 0, padded.data(), qbytes);

  std::vector<uint8_t> params((rounds.size() + 1) * slot, 0);
  const ScoresParams sp{static_cast<uint32_t>(count_), dim4_, static_cast<uint32_t>(nq), 0};
  std::memcpy(params.data(), &sp, sizeof sp);
  for (size_t r = 0; r < rounds.size(); ++r) {
    const uint64_t n = rounds[r];
    const TopkParams tp{static_cast<uint32_t>(n), static_cast<uint32_t>(ceil_div(n, kChunk)), k, r == 0 ? 0u : 1u,
                        pow2_at_least(std::min<uint64_t>(n, kChunk)), 0, 0, 0};
    std::memcpy(params.data() + (r + 1) * slot, &tp, sizeof tp);
  }
  wgpuQueueWriteBuffer(dev_->queue(), uniforms_.buffer, 0, params.data(), params.size());

  port::push_error_scopes(dev_->device());
  std::vector<WGPUBindGroup> groups;
  auto bind = [&](size_t slot_index, std::initializer_list<std::pair<WGPUBuffer, uint64_t>> storage) {
    WGPUBindGroupEntry e[4] = {};
    e[0].binding = 0;
    e[0].buffer = uniforms_.buffer;
    e[0].offset = slot_index * slot;
    e[0].size = 32;
    uint32_t b = 1;
    for (const auto& [buf, bytes] : storage) {
      e[b].binding = b;
      e[b].buffer = buf;
      e[b].size = std::max<uint64_t>(4, bytes);
      ++b;
    }
    WGPUBindGroupDescriptor d = {};
    d.layout = dev_->layout();
    d.entryCount = 4;
    d.entries = e;
    groups.push_back(wgpuDeviceCreateBindGroup(dev_->device(), &d));
    return groups.back();
  };
  const uint32_t maxdim = dev_->info().max_workgroups_per_dim;
  WGPUCommandEncoder enc = wgpuDeviceCreateCommandEncoder(dev_->device(), nullptr);
  WGPUComputePassEncoder pass = wgpuCommandEncoderBeginComputePass(enc, nullptr);
  wgpuComputePassEncoderSetPipeline(pass, dev_->scores_pipeline());
  wgpuComputePassEncoderSetBindGroup(
      pass, 0, bind(0, {{rows_.buffer, count_ * uint64_t(dim4_) * 16}, {queries_.buffer, qbytes}, {scores_.buffer, sbytes}}),
      0, nullptr);
  port::dispatch(pass, static_cast<uint32_t>(std::min<uint64_t>(ceil_div(count_, kTileRows), maxdim)),
                 static_cast<uint32_t>(ceil_div(nq, kQueryBlock)), 1);
  wgpuComputePassEncoderSetPipeline(pass, dev_->topk_pipeline());
  // Rounds alternate between the two candidate buffers (a binding may not be read and written in one dispatch);
  // round 0 reads the scores and binds the idle buffer as its unused candidate input.
  Buffer* out = &cand_a_;
  for (size_t r = 0; r < rounds.size(); ++r) {
    Buffer* in = out == &cand_a_ ? &cand_b_ : &cand_a_;
    const uint64_t chunks = ceil_div(rounds[r], kChunk);
    wgpuComputePassEncoderSetBindGroup(
        pass, 0,
        bind(r + 1, {{scores_.buffer, sbytes},
                     {in->buffer, r == 0 ? 8 : nq * rounds[r] * 8},
                     {out->buffer, nq * chunks * k * 8}}),
        0, nullptr);
    port::dispatch(pass, static_cast<uint32_t>(std::min<uint64_t>(chunks, maxdim)), static_cast<uint32_t>(nq), 1);
    if (r + 1 < rounds.size()) out = in;
  }
  wgpuComputePassEncoderEnd(pass);
  wgpuComputePassEncoderRelease(pass);
  wgpuCommandEncoderCopyBufferToBuffer(enc, out->buffer, 0, readback_.buffer, 0, out_bytes);
  WGPUCommandBuffer cmd = wgpuCommandEncoderFinish(enc, nullptr);
  wgpuQueueSubmit(dev_->queue(), 1, &cmd);
  wgpuCommandBufferRelease(cmd);
  wgpuCommandEncoderRelease(enc);
  for (WGPUBindGroup g : groups) wgpuBindGroupRelease(g);
  ++submits_;
  dispatches_ += 1 + rounds.size();

  inflight_ = start_readback(dev_->device(), readback_.buffer, out_bytes);
}

GpuIndex::State GpuIndex::poll() const {
  if (!inflight_) return State::kIdle;
  if (!inflight_->done()) return dev_->lost() ? State::kFailed : State::kPending;
  return inflight_->map_ok && inflight_->error.empty() && !dev_->lost() ? State::kReady : State::kFailed;
}

void GpuIndex::read(float* scores, uint32_t* ids) {
  const State s = poll();
  if (s == State::kIdle) throw Error(ErrorCode::kInternal, "no GPU search result to read");
  if (s == State::kPending) throw Error(ErrorCode::kInternal, "GPU search result read before it was ready");
  if (s == State::kFailed) {
    const std::string msg = dev_->lost() ? dev_->lost_message() : inflight_->error;
    if (inflight_->done()) {
      if (inflight_->map_ok) wgpuBufferUnmap(inflight_->readback);
      inflight_.reset();
    }
    if (dev_->lost()) throw Error(ErrorCode::kDeviceLost, msg);
    throw Error(ErrorCode::kInternal, msg.empty() ? "GPU search failed" : msg);
  }
  std::vector<uint32_t> pairs(inflight_->bytes / 4);
  port::read_mapped(inflight_->readback, inflight_->bytes, pairs.data());
  for (size_t i = 0; i < pairs.size() / 2; ++i) {
    std::memcpy(&scores[i], &pairs[2 * i], 4);
    ids[i] = pairs[2 * i + 1];
  }
  inflight_.reset();
}

}  // namespace gpuembed::webgpu
