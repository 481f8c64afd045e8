#pragma once
// A flat vector index for semantic search: cosine similarity by brute force (exact), top-k.
//
//   gpuembed::Index index(e.dimension());
//   index.add(e.embed_batch(passages));                       // ids 0, 1, 2, ... in insertion order
//   auto hits = index.search(e.embed("my question"), 5);      // [{id, score}], best first
//   index.save("corpus.gpeidx");                              // compact binary, float32 or float16
//
// File format (little-endian): "GPEMBIDX", u32 version (1), u32 dtype (0 = f32, 1 = f16), u64 count, u64 dim,
// then count × dim values, row-major. The JS API reads and writes the same files.
//
// Scores are float32 sums in a fixed order (lane d % 4 in order of d, then (l0 + l1) + (l2 + l3)), the order of the
// WebGPU search kernel (index_scores.wgsl), so the CPU search here, the JS API's (this code compiled to WebAssembly)
// and the GPU search give the same scores bit for bit and so the same ids.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gpuembed {

struct SearchHit {
  size_t id;
  float score;  // cosine similarity
};

enum class IndexStorage { kFloat32, kFloat16 };

class Index {
 public:
  explicit Index(size_t dimension);
  // Appends vectors (rows of dimension() floats); they are stored L2-normalized.
  void add(const std::vector<float>& rows);
  void add(const float* rows, size_t count);
  std::vector<SearchHit> search(const std::vector<float>& query, size_t k) const;
  std::vector<SearchHit> search(const float* query, size_t k) const;

  size_t size() const { return count_; }
  size_t dimension() const { return dim_; }
  const float* row(size_t id) const { return data_.data() + id * dim_; }

  // Float16 halves the file; vectors are rounded to nearest even on save.
  void save(const std::filesystem::path& path, IndexStorage storage = IndexStorage::kFloat32) const;
  static Index load(const std::filesystem::path& path);
  // The same file in memory (the WebAssembly module has no file system). `where` prefixes error messages.
  std::string to_bytes(IndexStorage storage = IndexStorage::kFloat32) const;
  static Index from_bytes(const void* data, size_t size, const std::string& where = "index: ");

 private:
  size_t dim_;
  size_t count_ = 0;
  std::vector<float> data_;
};

}  // namespace gpuembed
