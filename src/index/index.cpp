#include "gpuembed/index.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "gpuembed/error.h"
#include "model/half.h"
#include "pooling/pooling.h"    // l2_normalize

namespace gpuembed {
namespace {

constexpr char kMagic[8] = {'G', 'P', 'E', 'M', 'B', 'I', 'D', 'X'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8 + 8;

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <typename T>
T get(const unsigned char* in, size_t at) {
  T v;
  std::memcpy(&v, in + at, sizeof v);
  return v;
}

// The summation order of index_scores.wgsl (see index.h). Built with -ffp-contract=off (CMakeLists.txt,
// cmake/wasm.cmake): a fused multiply-add would round differently from the GPU's separate product and sum.
float dot_in_lanes(const float* r, const float* q, size_t dim) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t d = 0;
  for (; d + 4 <= dim; d += 4) {
    s0 += r[d] * q[d];
    s1 += r[d + 1] * q[d + 1];
    s2 += r[d + 2] * q[d + 2];
    s3 += r[d + 3] * q[d + 3];
  }
  if (d < dim) s0 += r[d] * q[d];
  if (d + 1 < dim) s1 += r[d + 1] * q[d + 1];
  if (d + 2 < dim) s2 += r[d + 2] * q[d + 2];
  return (s0 + s1) + (s2 + s3);
}

}  // namespace

Index::Index(size_t dimension) : dim_(dimension) {
  if (dimension == 0) throw Error(ErrorCode::kInvalidInput, "index dimension must be positive");
}

void Index::add(const std::vector<float>& rows) {
  if (rows.size() % dim_) {
    throw Error(ErrorCode::kInvalidInput, "index add: " + std::to_string(rows.size()) +
                                              " values are not a whole number of " + std::to_string(dim_) + "-d rows");
  }
  add(rows.data(), rows.size() / dim_);
}

void Index::add(const float* rows, size_t count) {
  const size_t start = data_.size();
  data_.insert(data_.end(), rows, rows + count * dim_);
  for (size_t i = 0; i < count; ++i) l2_normalize(data_.data() + start + i * dim_, dim_);
  count_ += count;
}

std::vector<SearchHit> Index::search(const std::vector<float>& query, size_t k) const {
  if (query.size() != dim_) {
    throw Error(ErrorCode::kInvalidInput, "query has " + std::to_string(query.size()) + " values, index dimension is " +
                                              std::to_string(dim_));
  }
  return search(query.data(), k);
}

std::vector<SearchHit> Index::search(const float* query, size_t k) const {
  std::vector<float> q(query, query + dim_);
  l2_normalize(q.data(), dim_);
  std::vector<SearchHit> hits(count_);
  for (size_t i = 0; i < count_; ++i) hits[i] = {i, dot_in_lanes(row(i), q.data(), dim_)};
  k = std::min(k, hits.size());
  // Ties keep the lower id first, so results are deterministic.
  auto better = [](const SearchHit& a, const SearchHit& b) { return a.score > b.score || (a.score == b.score && a.id < b.id); };
  std::partial_sort(hits.begin(), hits.begin() + static_cast<ptrdiff_t>(k), hits.end(), better);
  hits.resize(k);
  return hits;
}

std::string Index::to_bytes(IndexStorage storage) const {
  std::string out(kMagic, 8);
  put<uint32_t>(out, kVersion);
  put<uint32_t>(out, storage == IndexStorage::kFloat16 ? 1u : 0u);
  put<uint64_t>(out, count_);
  put<uint64_t>(out, dim_);
  if (storage == IndexStorage::kFloat16) {
    for (float f : data_) put<uint16_t>(out, float_to_half(f));
  } else {
    out.append(reinterpret_cast<const char*>(data_.data()), data_.size() * sizeof(float));
  }
  return out;
}

Index Index::from_bytes(const void* data, size_t size, const std::string& where) {
  const auto* in = static_cast<const unsigned char*>(data);
  if (size < kHeaderBytes || std::memcmp(in, kMagic, 8) != 0) {
    throw Error(ErrorCode::kModelInvalid, where + "not a gpuembed index file");
  }
  const auto version = get<uint32_t>(in, 8), dtype = get<uint32_t>(in, 12);
  const auto count = get<uint64_t>(in, 16), dim = get<uint64_t>(in, 24);
  if (version != kVersion) throw Error(ErrorCode::kModelInvalid, where + "index version " + std::to_string(version) + " is not supported");
  if (dtype > 1) throw Error(ErrorCode::kModelInvalid, where + "unknown index dtype " + std::to_string(dtype));
  const size_t width = dtype == 1 ? 2 : 4;
  if (dim == 0 || dim > (1u << 20) || count > (size - kHeaderBytes) / (dim * width) ||
      size - kHeaderBytes != count * dim * width) {
    throw Error(ErrorCode::kModelInvalid, where + "size does not match its header (truncated?)");
  }
  Index index(dim);
  index.count_ = count;
  index.data_.resize(count * dim);
  for (size_t i = 0; i < count * dim; ++i) {
    index.data_[i] = dtype == 1 ? half_to_float(get<uint16_t>(in, kHeaderBytes + 2 * i)) : get<float>(in, kHeaderBytes + 4 * i);
  }
  return index;
}

}  // namespace gpuembed
