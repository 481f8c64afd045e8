// The C exports of gpuembed.mjs (documented in src/wasm/README.md; wrapped for JS by src/wasm/core.mjs).
// Conventions: functions return >= 0 on success and -1 (or 0 for a handle) on failure, and the failure is then
// in ge_last_error_code() (ErrorCode + 1: 1 MODEL_NOT_FOUND, 2 MODEL_INVALID, 3 INVALID_INPUT,
// 4 BACKEND_UNAVAILABLE, 5 DEVICE_LOST, 6 INTERNAL, 7 OUT_OF_MEMORY) and ge_last_error_message(). No C++ exception
// crosses into JS.
#include <emscripten.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/pipeline.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/webgpu/gpu_context.h"
#include "backend/webgpu/webgpu_model.h"
#include "gpuembed/error.h"
#include "model/safetensors.h"
#include "tokenizer/tokenizer.h"
#include "wasm/st_exports.h"

using namespace gpuembed;
using gpuembed::webgpu::GpuContext;
using gpuembed::webgpu::GpuPrecision;
using gpuembed::webgpu::WebGpuModel;
namespace port = gpuembed::webgpu::port;

namespace {

int g_error_code = 0;
std::string g_error_message;
// ge_last_error_code() beyond ErrorCode: the GPU could not allocate the buffers of a forward pass of one text (a
// larger batch is split instead; see ge_gpu_step). Not a gpuembed::ErrorCode: only the WebGPU job driver has it.
constexpr int kOutOfMemoryCode = 7;

void set_error(ErrorCode code, const std::string& message) {
  g_error_code = static_cast<int>(code) + 1;
  g_error_message = message;
}

template <class F>
auto guarded(F&& f, decltype(f()) on_error) -> decltype(f()) {
  try {
    g_error_code = 0;
    g_error_message.clear();
    return f();
  } catch (const Error& e) {
    set_error(e.code(), e.what());
  } catch (const std::bad_alloc&) {
    set_error(ErrorCode::kInternal, "out of memory (WebAssembly heap)");
  } catch (const std::exception& e) {
    set_error(ErrorCode::kInternal, e.what());
  }
  return on_error;
}

// The CPU backend packs its own copy of the weights; build it only when the CPU path is first used
// (a WebGPU-only session never pays for it, a session whose GPU was lost gets it on the fallback).
class LazyCpuBackend : public Backend {
 public:
  explicit LazyCpuBackend(const Pipeline** owner) : owner_(owner) {}
  std::string name() const override { return "cpu"; }
  void hidden_states(const TokenBatch& b, float* out) override { get().hidden_states(b, out); }
  void embed(const TokenBatch& b, float* out) override { get().embed(b, out); }

 private:
  Backend& get() {
    if (!impl_) impl_ = make_cpu_backend((*owner_)->spec(), (*owner_)->weights(), Precision::kFloat32);
    return *impl_;
  }
  const Pipeline** owner_;
  std::unique_ptr<Backend> impl_;
};

struct GpuJob {
  WebGpuModel::Output output = WebGpuModel::Output::kEmbeddings;
  bool sentence_rows = false;  // an embedding job (the GPU may give hidden states that are pooled here)
  PromptChoice prompt;
  std::vector<std::vector<int32_t>> ids;
  std::vector<size_t> order;
  size_t next = 0;           // index into order of the first text not yet submitted
  size_t cur_n = 0, cur_seq = 0;
  bool in_flight = false;
  bool done = false;
  std::vector<float> result;  // [texts, dim] in input order, or [tokens, hidden]
  std::vector<float> scratch;
};

struct Session {
  const Pipeline* self = nullptr;  // for LazyCpuBackend
  std::unique_ptr<Pipeline> pipeline;
  size_t max_batch = 32;
  std::string info_json;
  int gpu_state = 0;  // 0 none, 1 initialising, 2 ready, < 0 failed (-port::InitStatus, -5 lost, -6 other,
                      // -7 fp16 required but unavailable)
  int precision_request = 0;   // of ge_gpu_init: 0 fp32, 1 fp16 where available, 2 fp16 or fail
  std::string precision_note;  // why fp16 was asked for and fp32 runs ("" otherwise)
  std::string gpu_message;
  std::shared_ptr<GpuContext> ctx;
  std::unique_ptr<WebGpuModel> gpu;
  // After a forward pass ran out of GPU memory: later passes hold at most this many tokens (half of the one that
  // failed), so a device that could not take a batch once is not asked again. 0: no limit. Reset with the device.
  size_t oom_token_limit = 0;
  GpuJob job;
};

std::map<int, std::unique_ptr<Session>> g_sessions;
uint64_t g_jobs = 0;      // ge_gpu_embed_begin / ge_gpu_hidden_begin calls that started a job
uint64_t g_oom_splits = 0;  // forward passes that ran out of GPU memory and were redone as smaller batches
double g_begin_ms = 0;    // time spent in them (tokenizing, sorting by length)
int g_next_session = 1;

Session& session(int id) {
  auto it = g_sessions.find(id);
  if (it == g_sessions.end()) throw Error(ErrorCode::kInvalidInput, "no model loaded under handle " + std::to_string(id));
  return *it->second;
}

std::string str(const char* p) { return p ? std::string(p) : std::string(); }

std::vector<std::string_view> split_texts(const char* blob, const uint32_t* offsets, int n) {
  if (n < 0 || (n > 0 && (!blob || !offsets))) throw Error(ErrorCode::kInvalidInput, "bad text list");
  std::vector<std::string_view> texts;
  texts.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (offsets[i + 1] < offsets[i]) throw Error(ErrorCode::kInvalidInput, "bad text offsets");
    texts.emplace_back(blob + offsets[i], offsets[i + 1] - offsets[i]);
  }
  return texts;
}

std::vector<int32_t> encode(const Session& s, std::string_view text) {
  if (text.size() > kMaxTextBytes) {
    throw Error(ErrorCode::kInvalidInput, "text of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                              std::to_string(kMaxTextBytes) + " bytes");
  }
  return s.pipeline->tokenizer().encode_ids(text, s.pipeline->spec().max_seq_length);
}

// Prompts, Dense modules and truncate_dim for ge_info_json.
void add_sentence_modules_info(const SentenceModules& m, nlohmann::json& info) {
  info["prompts"] = m.prompts();
  info["default_prompt_name"] = m.default_prompt_name().empty() ? nlohmann::json() : nlohmann::json(m.default_prompt_name());
  info["truncate_dim"] = m.truncate_dim();
  nlohmann::json dense = nlohmann::json::array();
  for (const DenseModule& d : m.dense()) {
    dense.push_back({{"path", d.path}, {"in", d.in_features}, {"out", d.out_features},
                     {"activation", dense_activation_name(d.activation)}});
  }
  info["dense"] = dense;
}

void on_gpu_model_checked(int error_type, const char* message, void* user) {
  const int id = static_cast<int>(reinterpret_cast<intptr_t>(user));
  auto it = g_sessions.find(id);
  if (it != g_sessions.end() && it->second->gpu_state == 1) {
    Session& s = *it->second;
    if (error_type != 0 || (s.ctx && s.ctx->lost())) {
      s.gpu_message = s.ctx && s.ctx->lost() ? s.ctx->lost_message()
                                             : std::string("WebGPU error while preparing the model: ") + message;
      s.gpu_state = s.ctx && s.ctx->lost() ? -5 : -6;
      s.gpu.reset();
      s.ctx.reset();
    } else {
      s.gpu_state = 2;
    }
  }
  port::notify_host();
}

void on_gpu_device(const port::DeviceInfo& info, void* user) {
  const int id = static_cast<int>(reinterpret_cast<intptr_t>(user));
  auto it = g_sessions.find(id);
  if (it == g_sessions.end()) {  // the model was freed meanwhile: drop the device
    if (info.device) {
      port::destroy_device(info.device);
      wgpuDeviceRelease(info.device);
    }
    port::notify_host();
    return;
  }
  Session& s = *it->second;
  // fp16 needs the device feature and weights that f16 can hold; without them fp32 runs, with the reason kept.
  std::string f16_why;
  if (info.status == port::InitStatus::kOk && s.precision_request > 0) {
    if (!info.shader_f16) {
      f16_why = info.f16_note.empty() ? "the WebGPU device has no 'shader-f16' feature" : info.f16_note;
    } else {
      f16_why = WebGpuModel::f16_unsuitable(s.pipeline->weights());
    }
  }
  if (info.status != port::InitStatus::kOk) {
    s.gpu_state = -static_cast<int>(info.status);
    s.gpu_message = info.message;
  } else if (s.precision_request == 2 && !f16_why.empty()) {
    port::destroy_device(info.device);
    wgpuDeviceRelease(info.device);
    s.gpu_state = -7;
    s.gpu_message = "fp16 was required but is not available: " + f16_why;
  } else {
    try {
      s.ctx = std::make_shared<GpuContext>(info);
      s.gpu_message = info.message;
      const GpuPrecision precision =
          s.precision_request > 0 && f16_why.empty() ? GpuPrecision::kF16 : GpuPrecision::kF32;
      s.precision_note = f16_why;
      // Shader compilation and the weight upload report their errors asynchronously: the state turns 2 (ready)
      // only once the error scopes around them came back clean (on_gpu_model_checked).
      port::push_error_scopes(s.ctx->device());
      try {
        s.gpu = std::make_unique<WebGpuModel>(s.ctx, s.pipeline->spec(), s.pipeline->weights(), precision);
      } catch (...) {
        port::pop_error_scopes(s.ctx->device(), [](int, const char*, void*) {}, nullptr);
        throw;
      }
      port::pop_error_scopes(s.ctx->device(), on_gpu_model_checked, user);
    } catch (const Error& e) {
      s.gpu.reset();
      s.ctx.reset();
      s.gpu_state = e.code() == ErrorCode::kDeviceLost ? -5 : -6;
      s.gpu_message = e.what();
    } catch (const std::exception& e) {
      s.gpu.reset();
      s.ctx.reset();
      s.gpu_state = -6;
      s.gpu_message = e.what();
    }
  }
  port::notify_host();
}

// Submits the next bucket of the job (longest texts first, at most max_batch texts and the device's token limit).
void submit_next(Session& s) {
  GpuJob& j = s.job;
  const size_t total = j.order.size();
  const size_t seq = j.ids[j.order[j.next]].size();
  const size_t limit = s.oom_token_limit ? std::min(s.oom_token_limit, s.gpu->max_tokens()) : s.gpu->max_tokens();
  const size_t by_tokens = std::max<size_t>(1, limit / std::max<size_t>(seq, 1));
  const size_t n = std::min({s.max_batch, total - j.next, by_tokens});
  TokenBatch batch;
  batch.batch = n;
  batch.seq = seq;
  batch.ids.assign(n * seq, s.pipeline->tokenizer().pad_id());
  for (size_t k = 0; k < n; ++k) {
    const auto& row = j.ids[j.order[j.next + k]];
    std::copy(row.begin(), row.end(), batch.ids.begin() + static_cast<ptrdiff_t>(k * seq));
    batch.lengths.push_back(static_cast<int32_t>(row.size()));
  }
  s.gpu->submit(batch, j.output);
  j.cur_n = n;
  j.cur_seq = seq;
  j.in_flight = true;
}

void require_gpu(Session& s) {
  if (s.gpu_state == 2 && s.ctx && s.ctx->lost()) {
    s.gpu_state = -5;
    s.gpu_message = s.ctx->lost_message();
  }
  if (s.gpu_state == -5) throw Error(ErrorCode::kDeviceLost, s.gpu_message);
  if (s.gpu_state != 2 || !s.gpu) {
    throw Error(ErrorCode::kBackendUnavailable,
                s.gpu_state == 1 ? "WebGPU still initialising" : "WebGPU not available: " + s.gpu_message);
  }
  if (s.job.in_flight) throw Error(ErrorCode::kInternal, "a WebGPU request is already running on this model");
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE int ge_last_error_code() { return g_error_code; }
EMSCRIPTEN_KEEPALIVE const char* ge_last_error_message() { return g_error_message.c_str(); }

// Loads a model from in-memory files (NUL-terminated UTF-8 strings; absent optional files as "" or NULL).
// Either tokenizer_json or vocab_txt (+ tokenizer_config_json) must be given. The safetensors bytes are copied.
// normalize: -1 as modules.json says, 0 never, 1 always. Returns a handle > 0, or 0 on error.
EMSCRIPTEN_KEEPALIVE int ge_load(const char* config_json, const char* modules_json, const char* pooling_json,
                                 const char* sentence_bert_json, const char* tokenizer_json, const char* vocab_txt,
                                 const char* tokenizer_config_json, const uint8_t* safetensors, size_t safetensors_len,
                                 int normalize, int max_batch, const char* origin) {
  return guarded(
      [&]() -> int {
        // config_sentence_transformers.json, the Dense folders and the shards of a sharded checkpoint come staged
        // (taken first, so a failed load leaves nothing for the next one).
        wasm::StagedLoad staged = wasm::take_staged_load();
        ModelFiles files;
        files.config_json = str(config_json);
        files.modules_json = str(modules_json);
        files.pooling_config_json = str(pooling_json);
        files.sentence_bert_config_json = str(sentence_bert_json);
        files.origin = origin && *origin ? origin : "model";
        if (files.config_json.empty()) throw Error(ErrorCode::kModelNotFound, files.origin + ": config.json missing");
        const auto source = memory_source(std::move(staged.files), files.origin);
        if ((!safetensors || safetensors_len == 0) && !source->exists("model.safetensors.index.json")) {
          throw Error(ErrorCode::kModelNotFound, files.origin + ": model.safetensors missing");
        }
        Tokenizer tok = tokenizer_json && *tokenizer_json
                            ? Tokenizer::from_tokenizer_json(tokenizer_json, files.origin + "/tokenizer.json")
                        : vocab_txt && *vocab_txt
                            ? Tokenizer::from_vocab(vocab_txt, str(tokenizer_config_json), files.origin + "/vocab.txt")
                            : throw Error(ErrorCode::kModelNotFound,
                                          files.origin + ": neither tokenizer.json nor vocab.txt given");
        std::shared_ptr<const SafeTensors> st =
            safetensors && safetensors_len
                ? SafeTensors::from_bytes(std::vector<uint8_t>(safetensors, safetensors + safetensors_len),
                                          files.origin + "/model.safetensors")
                : open_model_weights(*source);
        LoadedModel model = assemble_model(files, std::move(tok), st, normalize, 0, source.get(), staged.truncate_dim);
        auto s = std::make_unique<Session>();
        s->max_batch = static_cast<size_t>(std::max(1, max_batch));
        s->pipeline = std::make_unique<Pipeline>(std::move(model), std::make_unique<LazyCpuBackend>(&s->self),
                                                 s->max_batch);
        s->self = s->pipeline.get();
        const ModelSpec& sp = s->pipeline->spec();
        std::string pooling;
        for (PoolingMode m : sp.pooling) pooling += (pooling.empty() ? "" : "+") + std::string(pooling_mode_name(m));
        nlohmann::json info = {{"hidden_size", sp.config.hidden_size},
                               {"num_layers", sp.config.num_hidden_layers},
                               {"num_heads", sp.config.num_attention_heads},
                               {"intermediate_size", sp.config.intermediate_size},
                               {"vocab_size", sp.config.vocab_size},
                               {"max_seq_length", sp.max_seq_length},
                               {"dimension", s->pipeline->dimension()},
                               {"pooling", pooling},
                               {"normalize", s->pipeline->modules().normalizes()}};
        add_sentence_modules_info(s->pipeline->modules(), info);
        s->info_json = info.dump();
        const int id = g_next_session++;
        g_sessions[id] = std::move(s);
        return id;
      },
      0);
}

EMSCRIPTEN_KEEPALIVE void ge_free(int id) {
  auto it = g_sessions.find(id);
  if (it == g_sessions.end()) return;
  g_sessions.erase(it);  // GPU buffers destroyed, device destroyed (in-flight callbacks hold their own state)
}

EMSCRIPTEN_KEEPALIVE const char* ge_info_json(int id) {
  return guarded([&]() -> const char* { return session(id).info_json.c_str(); }, "");
}
EMSCRIPTEN_KEEPALIVE int ge_dimension(int id) {
  return guarded([&]() -> int { return static_cast<int>(session(id).pipeline->dimension()); }, -1);
}
EMSCRIPTEN_KEEPALIVE int ge_hidden_size(int id) {
  return guarded([&]() -> int { return session(id).pipeline->spec().config.hidden_size; }, -1);
}

// Token ids of one text ([CLS] ... [SEP], truncated to max_seq_length) into out (cap entries); returns the count.
EMSCRIPTEN_KEEPALIVE int ge_tokenize(int id, const char* text, size_t len, int32_t* out, int cap) {
  return guarded(
      [&]() -> int {
        const auto ids = encode(session(id), std::string_view(text ? text : "", text ? len : 0));
        if (static_cast<int>(ids.size()) > cap) throw Error(ErrorCode::kInvalidInput, "token buffer too small");
        std::copy(ids.begin(), ids.end(), out);
        return static_cast<int>(ids.size());
      },
      -1);
}

// CPU path (synchronous): n texts (blob + n+1 byte offsets) -> out [n, dimension] in input order.
EMSCRIPTEN_KEEPALIVE int ge_embed_cpu(int id, const char* blob, const uint32_t* offsets, int n, float* out) {
  return guarded(
      [&]() -> int {
        Session& s = session(id);
        const auto v = s.pipeline->embed(split_texts(blob, offsets, n), {}, wasm::take_call_options(id));
        std::copy(v.begin(), v.end(), out);
        return 0;
      },
      -1);
}

// CPU path: the last hidden state of one text, [tokens, hidden] into out (cap floats); returns tokens.
EMSCRIPTEN_KEEPALIVE int ge_hidden_cpu(int id, const char* text, size_t len, float* out, size_t cap) {
  return guarded(
      [&]() -> int {
        Session& s = session(id);
        const auto v = s.pipeline->token_embeddings(std::string_view(text ? text : "", text ? len : 0));
        if (v.size() > cap) throw Error(ErrorCode::kInvalidInput, "output buffer too small");
        std::copy(v.begin(), v.end(), out);
        return static_cast<int>(v.size() / static_cast<size_t>(s.pipeline->spec().config.hidden_size));
      },
      -1);
}

// WebGPU: starts the adapter/device request and, once it is there, uploads the weights. Poll ge_gpu_state():
// 1 initialising (await Module.gpuembedWait()), 2 ready, < 0 failed: -1 no WebGPU, -2 no adapter, -3 limits too
// small, -4 device refused, -5 device lost, -6 other, -7 fp16 required but unavailable (see ge_gpu_message()).
// precision: 0 fp32 (the default, also when JS passes nothing); 1 fp16 where the adapter has 'shader-f16' (else
// fp32, and ge_gpu_stats_json's precision_note says why); 2 fp16 or fail with -7. It holds until ge_gpu_release.
EMSCRIPTEN_KEEPALIVE int ge_gpu_init(int id, int precision) {
  return guarded(
      [&]() -> int {
        Session& s = session(id);
        if (precision < 0 || precision > 2) {
          throw Error(ErrorCode::kInvalidInput, "precision must be 0 (fp32), 1 (fp16) or 2 (fp16, strict)");
        }
        if (s.gpu_state == 1 || s.gpu_state == 2) return 0;
        s.gpu.reset();
        s.ctx.reset();
        s.job = GpuJob{};
        s.oom_token_limit = 0;
        s.gpu_state = 1;
        s.gpu_message.clear();
        s.precision_request = precision;
        s.precision_note.clear();
        const BertConfig& c = s.pipeline->spec().config;
        port::DeviceRequest req;
        req.min_storage_binding = uint64_t(c.vocab_size) * c.hidden_size * 4;
        req.want_shader_f16 = precision > 0;
        port::request_device(req, on_gpu_device, reinterpret_cast<void*>(static_cast<intptr_t>(id)));
        return 0;
      },
      -1);
}

EMSCRIPTEN_KEEPALIVE int ge_gpu_state(int id) {
  return guarded(
      [&]() -> int {
        Session& s = session(id);
        if (s.gpu_state == 2 && s.ctx && s.ctx->lost()) {
          s.gpu_state = -5;
          s.gpu_message = s.ctx->lost_message();
        }
        return s.gpu_state;
      },
      -6);
}

EMSCRIPTEN_KEEPALIVE const char* ge_gpu_message(int id) {
  return guarded([&]() -> const char* { return session(id).gpu_message.c_str(); }, "");
}

// {"adapter": ..., "weight_bytes": ..., "activation_bytes": ..., "max_tokens": ...}
EMSCRIPTEN_KEEPALIVE const char* ge_gpu_stats_json(int id) {
  static std::string out;
  return guarded(
      [&]() -> const char* {
        Session& s = session(id);
        const auto buffers = port::buffer_stats();
        nlohmann::json j = {{"state", s.gpu_state},
                            {"adapter", s.gpu_message},
                            {"live_buffers", buffers.live},
                            {"live_buffer_bytes", buffers.bytes}};
        if (s.gpu) {
          j["weight_bytes"] = s.gpu->weight_bytes();
          j["activation_bytes"] = s.gpu->activation_bytes();
          j["max_tokens"] = s.gpu->max_tokens();
          j["precision"] = gpuembed::webgpu::precision_name(s.gpu->precision());
          j["precision_note"] = s.precision_note;
          j["oom_token_limit"] = s.oom_token_limit;
          // Counters since the GPU model was made (cheap; for profiling the host side of a request):
          const auto& ph = s.gpu->phase_stats();
          const auto& rec = s.gpu->recorder();
          j["counters"] = {{"jobs", g_jobs},
                           {"passes", ph.passes},
                           {"submits", rec.submits()},
                           {"dispatches", rec.dispatches()},
                           {"bind_groups_created", rec.bind_groups_created()},
                           {"oom_splits", g_oom_splits},
                           {"begin_ms", g_begin_ms},
                           {"record_ms", ph.record_ms},
                           {"gpu_wait_ms", ph.gpu_wait_ms},
                           {"read_ms", ph.read_ms}};
          j["last_pass_ms"] = {{"record", ph.last_record_ms}, {"gpu_wait", ph.last_gpu_wait_ms}, {"read", ph.last_read_ms}};
        }
        out = j.dump();
        return out.c_str();
      },
      "");
}

// WebGPU embedding of n texts: begin, then ge_gpu_step() until it returns 0 (awaiting Module.gpuembedWait() while
// it returns 1), then ge_gpu_result(out) copies [n, dimension] floats in input order. -1: failed (DEVICE_LOST when
// the device was lost: the caller can redo the request on the CPU path).
EMSCRIPTEN_KEEPALIVE int ge_gpu_embed_begin(int id, const char* blob, const uint32_t* offsets, int n) {
  return guarded(
      [&]() -> int {
        const double t0 = emscripten_get_now();
        Session& s = session(id);
        require_gpu(s);
        const auto texts = split_texts(blob, offsets, n);
        if (texts.size() > kMaxBatchTexts) throw Error(ErrorCode::kInvalidInput, "too many texts in one call");
        GpuJob j;
        j.sentence_rows = true;
        j.prompt = s.pipeline->choose_prompt(wasm::take_call_options(id));
        // Pooling modes beyond the GPU kernel's, or prompt tokens left out of pooling: the GPU gives the hidden
        // states and the CPU pools them (SentenceModules::rows_from_backend).
        j.output = s.pipeline->modules().backend_pools(j.prompt) ? WebGpuModel::Output::kEmbeddings
                                                                 : WebGpuModel::Output::kHiddenStates;
        j.ids.reserve(texts.size());
        for (auto t : texts) j.ids.push_back(s.pipeline->encode_with_prompt(t, j.prompt));
        j.order.resize(texts.size());
        std::iota(j.order.begin(), j.order.end(), size_t{0});
        std::stable_sort(j.order.begin(), j.order.end(),
                         [&](size_t a, size_t b) { return j.ids[a].size() > j.ids[b].size(); });
        j.result.assign(texts.size() * s.pipeline->dimension(), 0.0f);
        s.job = std::move(j);
        if (s.job.order.empty()) s.job.done = true;
        ++g_jobs;
        g_begin_ms += emscripten_get_now() - t0;
        return 0;
      },
      -1);
}

// The last hidden state of one text on WebGPU ([tokens, hidden] via ge_gpu_result after the steps).
EMSCRIPTEN_KEEPALIVE int ge_gpu_hidden_begin(int id, const char* text, size_t len) {
  return guarded(
      [&]() -> int {
        Session& s = session(id);
        require_gpu(s);
        GpuJob j;
        j.output = WebGpuModel::Output::kHiddenStates;
        j.ids.push_back(encode(s, std::string_view(text ? text : "", text ? len : 0)));
        j.order = {0};
        j.result.assign(j.ids[0].size() * static_cast<size_t>(s.pipeline->spec().config.hidden_size), 0.0f);
        s.job = std::move(j);
        return 0;
      },
      -1);
}

// 1: pending (await Module.gpuembedWait(), call again), 0: done, -1: failed.
// A forward pass that runs out of GPU memory is redone with half as many texts (and later passes keep to that
// size), down to one text; only when one text does not fit does the job fail, with OUT_OF_MEMORY.
EMSCRIPTEN_KEEPALIVE int ge_gpu_step(int id) {
  Session* sp = nullptr;
  bool oom_failure = false;
  const int r = guarded(
      [&]() -> int {
        Session& s = session(id);
        sp = &s;
        GpuJob& j = s.job;
        if (j.done) return 0;
        if (!s.gpu) throw Error(ErrorCode::kBackendUnavailable, "WebGPU not initialised");
        if (j.in_flight) {
          const auto st = s.gpu->poll();
          if (st == WebGpuModel::State::kPending) return 1;
          j.in_flight = false;  // read() throws on failure
          if (st == WebGpuModel::State::kFailed && s.gpu->out_of_memory()) {
            try {
              s.gpu->read(nullptr);  // frees the pass's activation buffers and throws its message
            } catch (const Error& e) {
              if (e.code() == ErrorCode::kDeviceLost) throw;
              if (j.cur_n <= 1) {
                oom_failure = true;
                const std::string prefix = "WebGPU out of memory: ", why = e.what();
                const std::string detail = why.rfind(prefix, 0) == 0 ? why.substr(prefix.size()) : why;
                throw Error(ErrorCode::kInternal,
                            "WebGPU out of memory: the device could not allocate the buffers of a forward pass of one "
                            "text (" + std::to_string(j.cur_seq) + " tokens)" + (detail.empty() ? "" : ": " + detail));
              }
              s.oom_token_limit = (j.cur_n / 2) * j.cur_seq;
              ++g_oom_splits;
              submit_next(s);  // the same texts (j.next did not move), half as many per pass
              return 1;
            }
          }
          if (!j.sentence_rows) {
            s.gpu->read(j.result.data());
            j.done = true;
            return 0;
          }
          const size_t dim = s.pipeline->dimension();
          j.scratch.resize(s.gpu->result_floats());
          s.gpu->read(j.scratch.data());
          std::vector<int32_t> lengths(j.cur_n);
          for (size_t k = 0; k < j.cur_n; ++k) lengths[k] = static_cast<int32_t>(j.ids[j.order[j.next + k]].size());
          std::vector<float> rows(j.cur_n * dim);
          s.pipeline->modules().rows_from_backend(j.scratch.data(), j.output == WebGpuModel::Output::kEmbeddings,
                                                  s.pipeline->spec().normalize, j.cur_n, j.cur_seq, lengths.data(),
                                                  j.prompt.pool_skip, rows.data());
          j.scratch.swap(rows);
          for (size_t k = 0; k < j.cur_n; ++k) {
            std::copy_n(j.scratch.begin() + static_cast<ptrdiff_t>(k * dim), dim,
                        j.result.begin() + static_cast<ptrdiff_t>(j.order[j.next + k] * dim));
          }
          j.next += j.cur_n;
          if (j.next >= j.order.size()) {
            j.done = true;
            return 0;
          }
        }
        submit_next(s);
        return 1;
      },
      -1);
  if (r < 0 && sp) {
    sp->job.in_flight = false;
    sp->job.done = true;
    if (g_error_code == static_cast<int>(ErrorCode::kDeviceLost) + 1) {
      sp->gpu_state = -5;
      sp->gpu_message = g_error_message;
    } else if (oom_failure) {
      g_error_code = kOutOfMemoryCode;
    }
  }
  return r;
}

// Copies the finished job's floats (returns how many; call with out = NULL to ask).
EMSCRIPTEN_KEEPALIVE int ge_gpu_result(int id, float* out) {
  return guarded(
      [&]() -> int {
        Session& s = session(id);
        if (!s.job.done) throw Error(ErrorCode::kInternal, "WebGPU result not ready");
        if (out) std::copy(s.job.result.begin(), s.job.result.end(), out);
        return static_cast<int>(s.job.result.size());
      },
      -1);
}

// Destroys the GPU device as a driver reset would lose it (tests of the DEVICE_LOST path).
EMSCRIPTEN_KEEPALIVE void ge_gpu_destroy_device(int id) {
  auto it = g_sessions.find(id);
  if (it != g_sessions.end() && it->second->ctx) it->second->ctx->destroy();
}

// Frees the GPU buffers and the device (the CPU path stays usable).
EMSCRIPTEN_KEEPALIVE void ge_gpu_release(int id) {
  auto it = g_sessions.find(id);
  if (it == g_sessions.end()) return;
  Session& s = *it->second;
  s.job = GpuJob{};
  s.gpu.reset();
  s.ctx.reset();
  s.oom_token_limit = 0;
  s.gpu_state = 0;
}

}  // extern "C"
