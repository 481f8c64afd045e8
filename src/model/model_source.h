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

// A text file's kind sets its size limit: configuration files are a few hundred bytes (an index of shards a few
// hundred KiB); all-MiniLM-L6-v2's tokenizer.json is 466 KB, Gemma's 33 MB, the largest multilingual BERT
// vocabularies under 20 MB. A file over its limit is rejected (kModelInvalid, naming it) before it is read.
enum class TextFile { kConfig, kTokenizer };
constexpr uintmax_t kMaxConfigFileBytes = 16u << 20;
constexpr uintmax_t kMaxTokenizerFileBytes = 256u << 20;
void check_text_size(const std::string& where, uintmax_t size, TextFile kind);

class ModelSource {
 public:
  virtual ~ModelSource() = default;
  virtual const std::string& origin() const = 0;
  virtual bool exists(const std::string& rel) const = 0;
  // A text file up to its kind's limit; "" when absent.
  std::string read_text(const std::string& rel, TextFile kind = TextFile::kConfig) const { return text(rel, kind); }
  // A whole binary file (up to kMaxModelFileBytes, else kModelInvalid); empty when absent.
  virtual std::vector<uint8_t> read_binary(const std::string& rel) const = 0;
  // A safetensors file (memory-mapped natively); nullptr when absent.
  virtual std::shared_ptr<const SafeTensors> open_safetensors(const std::string& rel) const = 0;

 protected:
  virtual std::string text(const std::string& rel, TextFile kind) const = 0;
};

// model_folder_source.cpp: native only (the WASM build has no filesystem).
std::unique_ptr<ModelSource> folder_source(const std::filesystem::path& dir);
std::unique_ptr<ModelSource> memory_source(std::map<std::string, std::vector<uint8_t>> files, std::string origin);

// The encoder's weights: model.safetensors, or else the shards that model.safetensors.index.json's weight_map names
// (one view over all of them). Neither present: kModelNotFound (naming pytorch_model.bin when only that exists).
std::shared_ptr<const SafeTensors> open_model_weights(const ModelSource& source);

}  // namespace gpuembed
