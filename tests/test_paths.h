#pragma once
// Locations of the golden files (tests/golden) and the models in .cache/models (scripts/gen_models.sh generates the
// random-weight ones, scripts/get_models.sh installs the real ones).
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
