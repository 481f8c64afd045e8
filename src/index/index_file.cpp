// Index files on disk (native builds; the WebAssembly module uses to_bytes / from_bytes).
#include <fstream>
#include <iterator>

#include "gpuembed/error.h"
#include "gpuembed/index.h"

namespace gpuembed {

void Index::save(const std::filesystem::path& path, IndexStorage storage) const {
  const std::string out = to_bytes(storage);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f || !f.write(out.data(), static_cast<std::streamsize>(out.size()))) {
    throw Error(ErrorCode::kInvalidInput, path.string() + ": cannot write index");
  }
}

Index Index::load(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::kModelNotFound, path.string() + ": cannot open index");
  const std::string in((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return from_bytes(in.data(), in.size(), path.string() + ": ");
}

}  // namespace gpuembed
