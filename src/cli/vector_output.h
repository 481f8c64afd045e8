#pragma once
// Writes embeddings as they are computed: JSON Lines ({"embedding": [...]} per input, shortest float
// text that reads back to the same float32) or a NumPy .npy file (float32, shape [n, dim]).
#include <cstdio>
#include <string>

namespace gpuembed::cli {

class VectorWriter {
 public:
  virtual ~VectorWriter() = default;
  virtual void write(const float* rows, size_t n, size_t dim) = 0;
  virtual void finish() = 0;
};

std::unique_ptr<VectorWriter> make_jsonl_writer(std::FILE* out);
// .npy needs the row count in its header, so it is rewritten in place at finish(): `out` must be seekable.
std::unique_ptr<VectorWriter> make_npy_writer(std::FILE* out, const std::string& path);

}  // namespace gpuembed::cli
