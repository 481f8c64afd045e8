#pragma once
// The safetensors format: 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the data.
// Everything in the header is validated before any tensor is touched: offsets inside the file,
// sizes matching dtype × shape, no two tensors overlapping.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/weights.h"

namespace gpuembed {

enum class DType { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool };
size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);

struct TensorInfo {
  DType dtype;
  std::vector<int64_t> shape;
  size_t begin = 0, end = 0;  // byte range within the data section
};

// The largest model.safetensors accepted (4 GiB, about 3x BERT-large in float32; also what wasm32 can address):
// a larger file is rejected with kModelInvalid before it is mapped or read.
constexpr uint64_t kMaxModelFileBytes = 4ull << 30;

class SafeTensors {
 public:
  // Memory-maps the file (natively); files over kMaxModelFileBytes are rejected.
  static std::shared_ptr<SafeTensors> open(const std::filesystem::path& path);
  // Takes ownership of bytes already in memory (WASM, tests).
  static std::shared_ptr<SafeTensors> from_bytes(std::vector<uint8_t> bytes, const std::string& origin);
  // Takes ownership of `size` bytes from malloc() (the WASM module's JS stages the file there) and frees them with
  // free(), also when the bytes are rejected: no second copy of a model that may be most of the heap.
  static std::shared_ptr<SafeTensors> adopt_malloced(uint8_t* bytes, size_t size, const std::string& origin);
  // One view over the shards of a sharded checkpoint (model.safetensors.index.json): find() and f32() look a name up
  // in its shard. A name in two shards is rejected (kModelInvalid). tensors() lists every tensor; offsets there are
  // relative to the tensor's own shard.
  static std::shared_ptr<SafeTensors> merge(std::vector<std::shared_ptr<const SafeTensors>> shards,
                                            const std::string& origin);
  ~SafeTensors();

  const std::string& origin() const { return origin_; }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(const std::string& name) const;
  // A float32 view of a floating-point tensor: in place for aligned F32 data, otherwise converted
  // once and kept for the lifetime of this object. An I8 matrix with a "<name>_scale" tensor (one scale per row,
  // as `gpuembed quantize` writes) is dequantized. Throws kModelInvalid for other non-float dtypes.
  TensorView f32(const std::string& name) const;
  // A copy of a tensor's bytes as stored (any dtype).
  std::vector<uint8_t> raw_bytes(const std::string& name) const;

 private:
  SafeTensors(std::string origin);
  void parse();

  std::string origin_;
  const uint8_t* bytes_ = nullptr;
  size_t size_ = 0;
  const uint8_t* data_ = nullptr;  // start of the data section
  std::vector<uint8_t> owned_;
  std::unique_ptr<uint8_t, void (*)(void*)> malloced_{nullptr, &std::free};  // adopt_malloced()
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  std::map<std::string, TensorInfo> tensors_;
  mutable std::mutex convert_mutex_;
  mutable std::map<std::string, std::unique_ptr<float[]>> converted_;
  std::vector<std::shared_ptr<const SafeTensors>> shards_;  // merge(): the shards, and which one holds each name
  std::map<std::string, size_t> shard_of_;
};

// IEEE half / bfloat16 → float32 (exact).

}  // namespace gpuembed
