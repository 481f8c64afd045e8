#pragma once
// What the job-driver tests share: the "embedding" their fake backends give a text ([sum of ids, position-weighted
// sum, length], so a row shows which ids in which order it came from), and the texts and job shapes they run.
#include <cstdint>
#include <vector>

#include "api/job.h"

namespace gpuembed::test {

constexpr size_t kFakeDim = 3;

inline std::vector<float> expected_row(const std::vector<int32_t>& ids) {
  float sum = 0, weighted = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    sum += static_cast<float>(ids[i]);
    weighted += static_cast<float>(ids[i]) * static_cast<float>(i + 1);
  }
  return {sum, weighted, static_cast<float>(ids.size())};
}

// The rows of a job over `ids`, in input order.
inline std::vector<float> expected_rows(const std::vector<std::vector<int32_t>>& ids) {
  std::vector<float> want;
  for (const auto& row : ids) {
    const auto r = expected_row(row);
    want.insert(want.end(), r.begin(), r.end());
  }
  return want;
}

// Token ids of texts of the given lengths, different per text and position.
inline std::vector<std::vector<int32_t>> texts_of_lengths(const std::vector<size_t>& lengths) {
  std::vector<std::vector<int32_t>> ids;
  for (size_t i = 0; i < lengths.size(); ++i) {
    std::vector<int32_t> row(lengths[i]);
    for (size_t k = 0; k < row.size(); ++k) row[k] = static_cast<int32_t>(1 + (i * 7 + k * 3) % 50);
    ids.push_back(row);
  }
  return ids;
}

// n lengths in [shortest, longest], in an order unlike the sorted one.
inline std::vector<size_t> lengths_between(size_t n, size_t shortest, size_t longest) {
  std::vector<size_t> lengths(n);
  for (size_t i = 0; i < n; ++i) lengths[i] = shortest + (i * 37 + 11) % (longest - shortest + 1);
  return lengths;
}

inline JobShape job_shape(size_t max_batch) {
  JobShape s;
  s.dimension = kFakeDim;
  s.max_batch = max_batch;
  return s;
}

}  // namespace gpuembed::test
