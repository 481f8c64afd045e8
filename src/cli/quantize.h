#pragma once
#include <filesystem>

namespace gpuembed::cli {
// `gpuembed quantize`: writes a copy of a model folder whose encoder matrices are int8 (see quantize.cpp).
void quantize_model(const std::filesystem::path& in_dir, const std::filesystem::path& out_dir);
}  // namespace gpuembed::cli
