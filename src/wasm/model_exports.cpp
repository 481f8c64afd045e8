// The model exports of gpuembed.mjs: load from in-memory files, describe, tokenize, and the synchronous CPU path.
// Conversion only: the work is Pipeline's (src/api). Conventions in c_abi.h.
#include <emscripten.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "api/model_loader.h"
#include "backend/cpu/cpu_backend.h"
#include "model/model_source.h"
#include "model/safetensors.h"
#include "wasm/c_abi.h"
#include "wasm/sessions.h"
#include "wasm/st_exports.h"

using namespace gpuembed;
using namespace gpuembed::wasm;

namespace {

// The CPU backend packs its own copy of the weights; build it only when the CPU path is first used
// (a WebGPU-only session never pays for it, a session whose GPU was lost gets it on the fallback).
// Its precision is the session's cpu_precision (ge_cpu_precision): a change rebuilds it at the next pass.
class LazyCpuBackend final : public Backend {
 public:
  LazyCpuBackend(const std::unique_ptr<Pipeline>* owner, const Precision* precision)
      : owner_(owner), precision_(precision) {}
  std::string name() const override { return "cpu"; }
  size_t max_tokens() const override { return SIZE_MAX; }
  void submit(const TokenBatch& b) override {
    if (impl_ && built_ != *precision_) impl_.reset();
    get().submit(b);
  }
  bool poll() override { return get().poll(); }
  void read(float* out) override { get().read(out); }

 private:
  Backend& get() {
    if (!impl_) impl_ = make_cpu_backend((*owner_)->spec(), (*owner_)->weights(), built_ = *precision_);
    return *impl_;
  }
  const std::unique_ptr<Pipeline>* owner_;
  const Precision* precision_;
  Precision built_ = Precision::kFloat32;
  std::unique_ptr<Backend> impl_;
};

// ge_info_json: the encoder's shape, and the output's (dimension after the Dense modules and truncate_dim) with the
// sentence-transformers modules: prompts, Dense modules, truncate_dim.
std::string info_json(const Pipeline& p) {
  const ModelSpec& sp = p.spec();
  const SentenceModules& m = p.modules();
  std::string pooling;
  for (PoolingMode mode : sp.pooling) pooling += (pooling.empty() ? "" : "+") + std::string(pooling_mode_name(mode));
  nlohmann::json info{{"hidden_size", sp.config.hidden_size},
                      {"num_layers", sp.config.num_hidden_layers},
                      {"num_heads", sp.config.num_attention_heads},
                      {"intermediate_size", sp.config.intermediate_size},
                      {"vocab_size", sp.config.vocab_size},
                      {"max_seq_length", sp.max_seq_length},
                      {"dimension", p.dimension()},
                      {"pooling", pooling},
                      {"normalize", m.normalizes()}};
  info["prompts"] = m.prompts();
  info["default_prompt_name"] = m.default_prompt_name().empty() ? nlohmann::json() : nlohmann::json(m.default_prompt_name());
  info["truncate_dim"] = m.truncate_dim();
  nlohmann::json dense = nlohmann::json::array();
  for (const DenseModule& d : m.dense()) {
    dense.push_back({{"path", d.path}, {"in", d.in_features}, {"out", d.out_features},
                     {"activation", dense_activation_name(d.activation)}});
  }
  info["dense"] = dense;
  return info.dump();
}

}  // namespace

extern "C" {

// Loads a model from in-memory files (NUL-terminated UTF-8 strings; absent optional files as "" or NULL).
// Either tokenizer_json or vocab_txt (+ tokenizer_config_json) must be given. `safetensors` is a malloc() buffer that
// this call takes over (frees it, on error too): the weights stay where JS wrote them, with no second copy.
// normalize: -1 as modules.json says, 0 never, 1 always. config_sentence_transformers.json, the Dense folders, the
// shards of a sharded checkpoint (then safetensors may be NULL) and truncate_dim come staged (st_exports.h).
// The files become the folder that Embedder::load_from_memory reads, through the same loader (api/model_loader.h).
// Returns a handle > 0, or 0 on error.
EMSCRIPTEN_KEEPALIVE int ge_load(const char* config_json, const char* modules_json, const char* pooling_json,
                                 const char* sentence_bert_json, const char* tokenizer_json, const char* vocab_txt,
                                 const char* tokenizer_config_json, uint8_t* safetensors, size_t safetensors_len,
                                 int normalize, int max_batch, const char* origin) {
  // The weights' buffer is ours from here on, whatever happens (core.mjs does not free it).
  std::unique_ptr<uint8_t, void (*)(void*)> weight_bytes(safetensors, &std::free);
  return model_errors().guarded(
      [&]() -> int {
        // Taken first, so a failed load leaves nothing staged for the next one.
        StagedLoad staged = take_staged_load();
        const std::string where = origin && *origin ? origin : "model";
        auto files = std::move(staged.files);
        const auto put = [&](const std::string& rel, const char* text) {
          // (from uint8_t pointers: libc++ then copies with memcpy, where a char range went byte by byte at -Oz)
          const auto* p = reinterpret_cast<const uint8_t*>(text);
          if (text && *text) files[rel] = std::vector<uint8_t>(p, p + std::strlen(text));
        };
        put("config.json", config_json);
        put("modules.json", modules_json);
        put(pooling_dir_from_modules(str(modules_json), where) + "/config.json", pooling_json);
        put("sentence_bert_config.json", sentence_bert_json);
        put("tokenizer.json", tokenizer_json);
        put("vocab.txt", vocab_txt);
        put("tokenizer_config.json", tokenizer_config_json);
        OpenWeights weights;
        if (weight_bytes && safetensors_len) {
          weights = [&] {
            return SafeTensors::adopt_malloced(weight_bytes.release(), safetensors_len, where + "/model.safetensors");
          };
        }
        Options options;
        options.normalize = normalize;
        options.truncate_dim = staged.truncate_dim;
        LoadedModel model = load_model(*memory_source(std::move(files), where), options, weights);
        auto s = std::make_unique<Session>();
        s->pipeline = std::make_unique<Pipeline>(std::move(model), std::make_unique<LazyCpuBackend>(&s->pipeline, &s->cpu_precision),
                                                 static_cast<size_t>(std::max(1, max_batch)));
        s->info_json = info_json(*s->pipeline);
        return add_session(std::move(s));
      },
      0);
}

EMSCRIPTEN_KEEPALIVE void ge_free(int id) { erase_session(id); }

// The CPU path's precision: 0 fp32 (the default), 1 int8 (backend/cpu/gemm_int8_portable.h: weights per output
// channel, activations per row, int32 sums; the FFN's output matmul stays fp32). Returns 0, or -1 on error.
EMSCRIPTEN_KEEPALIVE int ge_cpu_precision(int id, int precision) {
  return model_errors().guarded(
      [&]() -> int {
        if (precision < 0 || precision > 1)
          throw Error(ErrorCode::kInvalidInput, "CPU precision must be 0 (fp32) or 1 (int8)");
        session(id).cpu_precision = precision == 1 ? Precision::kInt8 : Precision::kFloat32;
        return 0;
      },
      -1);
}

EMSCRIPTEN_KEEPALIVE const char* ge_info_json(int id) {
  return model_errors().guarded([&]() -> const char* { return session(id).info_json.c_str(); }, "");
}
EMSCRIPTEN_KEEPALIVE int ge_dimension(int id) {
  return model_errors().guarded([&]() -> int { return static_cast<int>(session(id).pipeline->dimension()); }, -1);
}
EMSCRIPTEN_KEEPALIVE int ge_hidden_size(int id) {
  return model_errors().guarded([&]() -> int { return session(id).pipeline->spec().config.hidden_size; }, -1);
}

// Token ids of one text ([CLS] ... [SEP], truncated to max_seq_length) into out (cap entries); returns the count.
EMSCRIPTEN_KEEPALIVE int ge_tokenize(int id, const char* text, size_t len, int32_t* out, int cap) {
  return model_errors().guarded(
      [&]() -> int {
        const auto ids = session(id).pipeline->encode_ids(view(text, len));
        if (static_cast<int>(ids.size()) > cap) throw Error(ErrorCode::kInvalidInput, "token buffer too small");
        std::copy(ids.begin(), ids.end(), out);
        return static_cast<int>(ids.size());
      },
      -1);
}

// CPU path (synchronous): n texts (blob + n+1 byte offsets) -> out [n, dimension] in input order, with the prompt
// ge_stage_prompt staged for this call.
EMSCRIPTEN_KEEPALIVE int ge_embed_cpu(int id, const char* blob, const uint32_t* offsets, int n, float* out) {
  return model_errors().guarded(
      [&]() -> int {
        const EmbedOptions options = take_call_options(id);
        const auto v = session(id).pipeline->embed(split_texts(blob, offsets, n), {}, options);
        std::copy(v.begin(), v.end(), out);
        return 0;
      },
      -1);
}

// CPU path: the last hidden state of one text, [tokens, hidden] into out (cap floats); returns tokens.
EMSCRIPTEN_KEEPALIVE int ge_hidden_cpu(int id, const char* text, size_t len, float* out, size_t cap) {
  return model_errors().guarded(
      [&]() -> int {
        Session& s = session(id);
        const auto v = s.pipeline->token_embeddings(view(text, len));
        if (v.size() > cap) throw Error(ErrorCode::kInvalidInput, "output buffer too small");
        std::copy(v.begin(), v.end(), out);
        return static_cast<int>(v.size() / static_cast<size_t>(s.pipeline->spec().config.hidden_size));
      },
      -1);
}

}  // extern "C"
