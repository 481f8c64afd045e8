// The native ModelSource: files of a folder on disk (not part of the WASM build, which has no filesystem).
#include <fstream>
#include <sstream>

#include "gpuembed/error.h"
#include "model/model_source.h"

namespace gpuembed {
namespace {

namespace fs = std::filesystem;

class FolderSource final : public ModelSource {
 public:
  explicit FolderSource(fs::path dir) : dir_(std::move(dir)), origin_(dir_.string()) {}
  const std::string& origin() const override { return origin_; }
  bool exists(const std::string& rel) const override {
    std::error_code ec;
    return fs::is_regular_file(dir_ / rel, ec);
  }
  std::string text(const std::string& rel, TextFile kind) const override {
    const fs::path path = dir_ / rel;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return {};
    const uintmax_t size = fs::file_size(path, ec);
    if (!ec) check_text_size(path.string(), size, kind);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::kModelInvalid, path.string() + ": cannot be read");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<uint8_t> read_binary(const std::string& rel) const override {
    const fs::path path = dir_ / rel;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return {};
    const uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > kMaxModelFileBytes) {
      throw Error(ErrorCode::kModelInvalid, path.string() + ": " + std::to_string(size) +
                                                " bytes exceeds the model file size limit of " +
                                                std::to_string(kMaxModelFileBytes) + " bytes");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::kModelInvalid, path.string() + ": cannot be read");
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::shared_ptr<const SafeTensors> open_safetensors(const std::string& rel) const override {
    return exists(rel) ? SafeTensors::open(dir_ / rel) : nullptr;
  }

 private:
  fs::path dir_;
  std::string origin_;
};

}  // namespace

std::unique_ptr<ModelSource> folder_source(const fs::path& dir) { return std::make_unique<FolderSource>(dir); }

}  // namespace gpuembed
