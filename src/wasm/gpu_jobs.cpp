// WebGPU jobs from JS: begin (texts in), step until done (JS awaits Module.gpuembedWait() between steps), result
// (floats out). The job itself, with its bucketing, splitting and out-of-memory halving, is Pipeline's (api/job.h);
// this file only converts. Conventions in c_abi.h.
#include <emscripten.h>

#include <algorithm>

#include "wasm/c_abi.h"
#include "wasm/sessions.h"
#include "wasm/st_exports.h"

using namespace gpuembed;
using namespace gpuembed::wasm;

namespace {

void require_gpu(Session& s) {
  s.check_device_lost();
  if (s.gpu_state == GpuState::kDeviceLost) throw Error(ErrorCode::kDeviceLost, s.gpu_message);
  if (s.gpu_state != GpuState::kReady || !s.gpu) {
    throw Error(ErrorCode::kBackendUnavailable, s.gpu_state == GpuState::kInitialising
                                                    ? "WebGPU still initialising"
                                                    : "WebGPU not available: " + s.gpu_message);
  }
  if (s.job && !s.job->finished()) throw Error(ErrorCode::kInternal, "a WebGPU request is already running on this model");
}

// embedding: texts with the call's prompt (ge_stage_prompt), rows after the modules that follow pooling (the GPU
// gives hidden states where the CPU must pool: Pipeline::start_job); else one text's last hidden state.
int begin(int id, const std::vector<std::string_view>& texts, bool embedding) {
  const double t0 = emscripten_get_now();
  const EmbedOptions options = embedding ? take_call_options(id) : EmbedOptions{};
  Session& s = session(id);
  require_gpu(s);
  s.job.reset();
  s.gpu->begin_pass_log();
  // Tokenized here (all texts, or the first chunk where the job tokenizes the rest behind the device: api/job.h);
  // the job reads the caller's bytes until it is done (core.mjs frees them after the last step). A job that fails to
  // begin is no job.
  Job job = embedding ? s.pipeline->start_job(texts, options) : s.pipeline->start_hidden_job(texts.at(0));
  job.set_overlap(s.gpu_overlap, s.gpu_overlap_min_tokens);
  job.begin(*s.gpu, s.gpu_limit);
  s.job.emplace(std::move(job));
  GpuJobCounters& c = gpu_job_counters();
  if (embedding) {
    ++c.jobs;
    c.begin_ms += emscripten_get_now() - t0;
  }
  return 0;
}

}  // namespace

extern "C" {

// WebGPU embedding of n texts: begin, then ge_gpu_step() until it returns 0 (awaiting Module.gpuembedWait() while
// it returns 1), then ge_gpu_result(out) copies [n, dimension] floats in input order. -1: failed (DEVICE_LOST when
// the device was lost: the caller can redo the request on the CPU path).
EMSCRIPTEN_KEEPALIVE int ge_gpu_embed_begin(int id, const char* blob, const uint32_t* offsets, int n) {
  return model_errors().guarded([&]() -> int { return begin(id, split_texts(blob, offsets, n), true); },
                                -1);
}

// The last hidden state of one text on WebGPU ([tokens, hidden] via ge_gpu_result after the steps).
EMSCRIPTEN_KEEPALIVE int ge_gpu_hidden_begin(int id, const char* text, size_t len) {
  return model_errors().guarded([&]() -> int { return begin(id, {view(text, len)}, false); }, -1);
}

// 1: pending (await Module.gpuembedWait(), call again), 0: done, -1: failed. A pass that runs out of GPU memory is
// redone with half as many texts, down to one text; only when one text does not fit does the job fail, with
// OUT_OF_MEMORY (the caller answers that request on the CPU path).
EMSCRIPTEN_KEEPALIVE int ge_gpu_step(int id) {
  Session* s = find_session(id);
  const Job* job = s && s->job ? &*s->job : nullptr;
  const size_t splits_before = job ? job->oom_splits() : 0;
  const double exposed_before = job ? job->tokenize_exposed_ms() : 0, hidden_before = job ? job->tokenize_hidden_ms() : 0;
  const int r = model_errors().guarded(
      [&]() -> int {
        Session& ss = session(id);
        if (!ss.job) throw Error(ErrorCode::kInternal, "no WebGPU job begun");
        if (ss.job->finished()) return 0;
        if (!ss.gpu) throw Error(ErrorCode::kBackendUnavailable, "WebGPU not initialised");
        return ss.job->step(*ss.gpu, ss.gpu_limit) ? 0 : 1;
      },
      -1);
  if (s && s->job) {
    // Chunks tokenized late (api/job.h): with no pass on the device they were on the critical path, as begin's.
    GpuJobCounters& c = gpu_job_counters();
    c.oom_splits += s->job->oom_splits() - splits_before;
    c.begin_ms += s->job->tokenize_exposed_ms() - exposed_before;
    c.tokenize_overlap_ms += s->job->tokenize_hidden_ms() - hidden_before;
  }
  if (r < 0 && s) {
    s->job.reset();
    if (model_errors().is(ErrorCode::kDeviceLost)) {
      s->gpu_state = GpuState::kDeviceLost;
      s->gpu_message = model_errors().message();
    }
  }
  return r;
}

// on 1: passes overlap where the job allows it (the default); 0: one pass at a time. min_pass_tokens: the cut's
// minimum (0: kOverlapMinPassTokens).
EMSCRIPTEN_KEEPALIVE int ge_gpu_set_overlap(int id, int on, int min_pass_tokens) {
  return model_errors().guarded(
      [&]() -> int {
        Session& s = session(id);
        s.gpu_overlap = on != 0;
        s.gpu_overlap_min_tokens = min_pass_tokens > 0 ? static_cast<size_t>(min_pass_tokens) : kOverlapMinPassTokens;
        return 0;
      },
      -1);
}

// Kernel profiling (WebGpuModel::set_profile; ge_gpu_stats_json's kernel_profile): on 1 starts it (clearing the sums),
// 0 stops it. -1 (no error recorded): no WebGPU model, or its device has no timestamps.
EMSCRIPTEN_KEEPALIVE int ge_gpu_set_profile(int id, int on) {
  Session* s = find_session(id);
  return s && s->gpu && s->gpu->set_profile(on != 0) ? 0 : -1;
}

// Copies the finished job's floats (returns how many; call with out = NULL to ask).
EMSCRIPTEN_KEEPALIVE int ge_gpu_result(int id, float* out) {
  return model_errors().guarded(
      [&]() -> int {
        Session& s = session(id);
        if (!s.job || !s.job->finished()) throw Error(ErrorCode::kInternal, "WebGPU result not ready");
        const auto& result = s.job->result();
        if (out) std::copy(result.begin(), result.end(), out);
        return static_cast<int>(result.size());
      },
      -1);
}

}  // extern "C"
