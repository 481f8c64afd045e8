#pragma once
// The WGSL kernels of kernels/*.wgsl, embedded at build time (cmake/wasm.cmake writes the definitions).
#include <string_view>

namespace gpuembed::webgpu {
// The source of kernels/<name>.wgsl, or nullptr.
const char* wgsl_source(std::string_view name);
}  // namespace gpuembed::webgpu
