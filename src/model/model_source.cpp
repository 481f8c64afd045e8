#include "model/model_source.h"

#include <nlohmann/json.hpp>
#include <set>

#include "gpuembed/error.h"
#include "model/json_text.h"

namespace gpuembed {

void check_text_size(const std::string& where, uintmax_t size, TextFile kind) {
  const bool config = kind == TextFile::kConfig;
  const uintmax_t limit = config ? kMaxConfigFileBytes : kMaxTokenizerFileBytes;
  if (size > limit) {
    throw Error(ErrorCode::kModelInvalid, where + ": " + std::to_string(size) + " bytes exceeds the limit of " +
                                              std::to_string(limit) + " bytes for a " +
                                              (config ? "configuration" : "tokenizer") + " file");
  }
}

namespace {

class MemorySource final : public ModelSource {
 public:
  MemorySource(std::map<std::string, std::vector<uint8_t>> files, std::string origin)
      : files_(std::move(files)), origin_(std::move(origin)) {}
  const std::string& origin() const override { return origin_; }
  bool exists(const std::string& rel) const override { return files_.count(rel) != 0; }
  std::string text(const std::string& rel, TextFile kind) const override {
    auto it = files_.find(rel);
    if (it == files_.end()) return {};
    check_text_size(origin_ + "/" + rel, it->second.size(), kind);
    // (libc++'s compiled (pointer, size) constructor: the iterator-range one copied byte by byte in the -Oz WASM build)
    return std::string(reinterpret_cast<const char*>(it->second.data()), it->second.size());
  }
  std::vector<uint8_t> read_binary(const std::string& rel) const override {
    auto it = files_.find(rel);
    return it == files_.end() ? std::vector<uint8_t>{} : it->second;
  }
  std::shared_ptr<const SafeTensors> open_safetensors(const std::string& rel) const override {
    auto it = files_.find(rel);
    return it == files_.end() ? nullptr : SafeTensors::from_bytes(it->second, origin_ + "/" + rel);
  }

 private:
  std::map<std::string, std::vector<uint8_t>> files_;
  std::string origin_;
};

std::shared_ptr<const SafeTensors> open_shards(const ModelSource& src, const std::string& index_text) {
  const std::string where = src.origin() + "/model.safetensors.index.json";
  const nlohmann::json index = parse_json(index_text, where);
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    throw Error(ErrorCode::kModelInvalid, where + ": expected an object with a 'weight_map' object");
  }
  std::set<std::string> files;
  for (const auto& [name, file] : index["weight_map"].items()) {
    if (!file.is_string()) throw Error(ErrorCode::kModelInvalid, where + ": weight_map['" + name + "'] is not a file name");
    const std::string f = file.get<std::string>();
    // Shards sit beside the index: a name that climbs out of the folder is not one of them.
    if (f.empty() || f.find("..") != std::string::npos || f.front() == '/') {
      throw Error(ErrorCode::kModelInvalid, where + ": shard name '" + f + "' is not a file of the model folder");
    }
    files.insert(f);
  }
  if (files.empty()) throw Error(ErrorCode::kModelInvalid, where + ": weight_map is empty");
  std::vector<std::shared_ptr<const SafeTensors>> shards;
  for (const std::string& f : files) {
    auto st = src.open_safetensors(f);
    if (!st) throw Error(ErrorCode::kModelNotFound, src.origin() + "/" + f + ": missing (a shard named by " + where + ")");
    shards.push_back(std::move(st));
  }
  auto merged = SafeTensors::merge(std::move(shards), src.origin() + "/" + *files.begin() + " (+" +
                                                          std::to_string(files.size() - 1) + " more shards)");
  // The index and the shards must agree, or a tensor would silently come from the wrong file.
  for (const auto& [name, file] : index["weight_map"].items()) {
    if (!merged->find(name)) {
      throw Error(ErrorCode::kModelInvalid, where + ": tensor '" + name + "' is not in " + file.get<std::string>());
    }
  }
  return merged;
}

}  // namespace

std::unique_ptr<ModelSource> memory_source(std::map<std::string, std::vector<uint8_t>> files, std::string origin) {
  return std::make_unique<MemorySource>(std::move(files), std::move(origin));
}

std::shared_ptr<const SafeTensors> open_model_weights(const ModelSource& src) {
  if (auto st = src.open_safetensors("model.safetensors")) return st;
  const std::string index = src.read_text("model.safetensors.index.json");
  if (!index.empty()) return open_shards(src, index);
  const bool has_bin = src.exists("pytorch_model.bin");
  throw Error(ErrorCode::kModelNotFound,
              src.origin() + "/model.safetensors: missing" +
                  (has_bin ? " (only pytorch_model.bin is present; convert it to safetensors first)"
                           : " (nor is there a model.safetensors.index.json of a sharded checkpoint)"));
}

}  // namespace gpuembed
