#pragma once
// Locations of the shared golden files and generated models (scripts/gen_models.sh makes them).
#include <filesystem>
#include <string>

namespace gpuembed::test {
inline std::filesystem::path shared_dir() { return GPUEMBED_SHARED_DIR; }
inline std::filesystem::path models_dir() { return GPUEMBED_MODELS_DIR; }
inline std::filesystem::path model_dir(const std::string& name) { return models_dir() / name; }
inline std::filesystem::path golden_file(const std::string& model) {
  return shared_dir() / "golden" / (model + ".shared.json");
}
}  // namespace gpuembed::test
