#pragma once
// What JS hands over for the sentence-transformers features before ge_load / an embedding call (st_exports.cpp):
// the model's other files (config_sentence_transformers.json, Dense folders, shards) and truncate_dim for the next
// load; the prompt of the next embedding call of a model.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gpuembed/gpuembed.h"

namespace gpuembed::wasm {

struct StagedLoad {
  std::map<std::string, std::vector<uint8_t>> files;  // path in the model folder -> bytes
  size_t truncate_dim = 0;
};
// Takes (and clears) what ge_stage_file / ge_stage_truncate_dim staged.
StagedLoad take_staged_load();
// Takes (and clears) the options ge_stage_prompt set for model `id`'s next call (none: the model's default prompt).
EmbedOptions take_call_options(int id);

}  // namespace gpuembed::wasm
