#pragma once
// Copies of the generated models with one thing changed, in a temporary folder per test.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "test_paths.h"

namespace gpuembed::test {

namespace fs = std::filesystem;

inline fs::path temp_dir(const std::string& tag) {
  static std::mt19937_64 rng(std::random_device{}());
  fs::path p = fs::temp_directory_path() / ("gpuembed-test-" + tag + "-" + std::to_string(rng()));
  fs::create_directories(p);
  return p;
}

// A full copy of a generated model folder (model.safetensors is copied too, so it can be edited).
inline fs::path copy_model(const std::string& model, const std::string& tag) {
  fs::path dst = temp_dir(tag);
  fs::copy(model_dir(model), dst, fs::copy_options::recursive);
  return dst;
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
inline void write_file(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Splits a safetensors file into its header JSON and data section, and joins them back.
struct SafetensorsParts {
  nlohmann::json header;
  std::string data;
};
inline SafetensorsParts split_safetensors(const std::string& file) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(file[static_cast<size_t>(i)]);
  return {nlohmann::json::parse(file.substr(8, n)), file.substr(8 + n)};
}
inline std::string join_safetensors(const nlohmann::json& header, const std::string& data) {
  std::string h = header.dump();
  while ((8 + h.size()) % 8) h.push_back(' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((h.size() >> (8 * i)) & 0xff);
  return out + h + data;
}

}  // namespace gpuembed::test
