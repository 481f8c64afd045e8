#pragma once
// Where a model's files come from: a folder natively, files handed over in memory in the WASM build. Paths are
// relative to the model root ("2_Dense/config.json").
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/safetensors.h"

namespace gpuembed {

class ModelSource {
 public:
  virtual ~ModelSource() = default;
  virtual const std::string& origin() const = 0;
  virtual bool exists(const std::string& rel) const = 0;
  // A small text file (a JSON config; over 16 MiB is rejected with kModelInvalid); "" when absent.
  virtual std::string read_text(const std::string& rel) const = 0;
  // A whole binary file (up to kMaxModelFileBytes, else kModelInvalid); empty when absent.
  virtual std::vector<uint8_t> read_binary(const std::string& rel) const = 0;
  // A safetensors file (memory-mapped natively); nullptr when absent.
  virtual std::shared_ptr<const SafeTensors> open_safetensors(const std::string& rel) const = 0;
};

// Configuration files are a few hundred bytes (an index of shards a few hundred KiB): anything over 16 MiB is not
// one of them and is rejected (kModelInvalid, naming `where`) before it is read.
constexpr uintmax_t kMaxConfigFileBytes = 16u << 20;
void check_config_size(const std::string& where, uintmax_t size);

// model_folder_source.cpp: native only (the WASM build has no filesystem).
std::unique_ptr<ModelSource> folder_source(const std::filesystem::path& dir);
std::unique_ptr<ModelSource> memory_source(std::map<std::string, std::vector<uint8_t>> files, std::string origin);

// The encoder's weights: model.safetensors, or else the shards that model.safetensors.index.json's weight_map names
// (one view over all of them). Neither present: kModelNotFound (naming pytorch_model.bin when only that exists).
std::shared_ptr<const SafeTensors> open_model_weights(const ModelSource& source);

}  // namespace gpuembed
