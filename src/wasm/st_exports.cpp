// Exports that stage the sentence-transformers inputs (see st_exports.h). Staging keeps ge_load's and the embedding
// calls' signatures as they are: JS stages, then calls them synchronously, so nothing else runs in between.
#include "wasm/st_exports.h"

#include <emscripten.h>

namespace gpuembed::wasm {
namespace {

StagedLoad g_load;
std::map<int, EmbedOptions> g_call;

}  // namespace

StagedLoad take_staged_load() {
  StagedLoad out = std::move(g_load);
  g_load = StagedLoad{};
  return out;
}

EmbedOptions take_call_options(int id) {
  auto it = g_call.find(id);
  if (it == g_call.end()) return {};
  EmbedOptions o = std::move(it->second);
  g_call.erase(it);
  return o;
}

}  // namespace gpuembed::wasm

using namespace gpuembed::wasm;

extern "C" {

// A file of the model folder for the next ge_load, by its path there ("2_Dense/model.safetensors"); the bytes are
// copied. Returns 0, or -1 for a missing name.
EMSCRIPTEN_KEEPALIVE int ge_stage_file(const char* name, const uint8_t* bytes, size_t len) {
  if (!name || !*name || (len && !bytes)) return -1;
  g_load.files[name] = std::vector<uint8_t>(bytes, bytes + len);
  return 0;
}

// Options::truncate_dim for the next ge_load (0: the full dimension).
EMSCRIPTEN_KEEPALIVE void ge_stage_truncate_dim(int dim) { g_load.truncate_dim = dim > 0 ? static_cast<size_t>(dim) : 0; }

// The prompt of model `id`'s next embedding call (ge_embed_cpu / ge_gpu_embed_begin). kind 0: the model's default;
// 1: the prompt named `text`; 2: `text` itself ("" for none).
EMSCRIPTEN_KEEPALIVE int ge_stage_prompt(int id, int kind, const char* text) {
  gpuembed::EmbedOptions o;
  if (kind == 1) o.prompt_name = text ? text : "";
  else if (kind == 2) o.prompt = text ? text : "";
  else if (kind != 0) return -1;
  g_call[id] = std::move(o);
  return 0;
}

}  // extern "C"
