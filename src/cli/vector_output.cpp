#include <charconv>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cli/vector_output.h"
#include "gpuembed/error.h"

namespace gpuembed::cli {
namespace {

void write_all(std::FILE* out, const void* data, size_t n, const std::string& what) {
  if (n && std::fwrite(data, 1, n, out) != n) {
    throw Error(ErrorCode::kInvalidInput, what + ": write failed (" + std::strerror(errno) + ")");
  }
}

class JsonlWriter final : public VectorWriter {
 public:
  explicit JsonlWriter(std::FILE* out) : out_(out) {}
  void write(const float* rows, size_t n, size_t dim) override {
    std::string line;
    char buf[32];
    for (size_t i = 0; i < n; ++i) {
      line.assign("{\"embedding\": [");
      for (size_t k = 0; k < dim; ++k) {
        if (k) line += ", ";
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, rows[i * dim + k]);
        line.append(buf, end);
      }
      line += "]}\n";
      write_all(out_, line.data(), line.size(), "output");
    }
  }
  void finish() override { std::fflush(out_); }

 private:
  std::FILE* out_;
};

class NpyWriter final : public VectorWriter {
 public:
  NpyWriter(std::FILE* out, std::string path) : out_(out), path_(std::move(path)) { write_header(); }
  void write(const float* rows, size_t n, size_t dim) override {
    dim_ = dim;
    write_all(out_, rows, n * dim * sizeof(float), path_);
    rows_ += n;
  }
  void finish() override {
    if (std::fseek(out_, 0, SEEK_SET) != 0) throw Error(ErrorCode::kInvalidInput, path_ + ": .npy output must be a file");
    write_header();
    std::fflush(out_);
  }

 private:
  // Fixed 128-byte header (magic, version 1.0, dict padded with spaces) so it can be rewritten in place.
  void write_header() {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows_) + ", " +
                       std::to_string(dim_) + "), }";
    const size_t total = 128;
    std::string header("\x93NUMPY\x01\x00", 8);
    const uint16_t len = static_cast<uint16_t>(total - 10);
    header.push_back(static_cast<char>(len & 0xff));
    header.push_back(static_cast<char>(len >> 8));
    dict.resize(total - 10 - 1, ' ');
    header += dict + "\n";
    write_all(out_, header.data(), header.size(), path_);
  }
  std::FILE* out_;
  std::string path_;
  size_t rows_ = 0, dim_ = 0;
};

}  // namespace

std::unique_ptr<VectorWriter> make_jsonl_writer(std::FILE* out) { return std::make_unique<JsonlWriter>(out); }
std::unique_ptr<VectorWriter> make_npy_writer(std::FILE* out, const std::string& path) {
  return std::make_unique<NpyWriter>(out, path);
}

}  // namespace gpuembed::cli
