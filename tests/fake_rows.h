#pragma once
// The "embedding" the job-driver tests' fake backends give a text: [sum of ids, position-weighted sum, length], so a
// row shows which ids in which order it came from.
#include <cstdint>
#include <vector>

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

}  // namespace gpuembed::test
