#pragma once
// A fake device for the job driver's tests (api/job.h) that holds passes as WebGPU does: up to `depth` in flight,
// read in submit order, with an out-of-memory pass and a lost device on demand. Its "embedding" of a row is
// test::expected_row of that row's ids alone; with mark_small_passes, a pass of fewer than kSmallPassTokens tokens
// adds kSmallMark to each row's first float, as the WebGPU kernels round such a pass differently, so a text that
// changes size class changes its row.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "api/job.h"
#include "backend/backend.h"
#include "fake_rows.h"
#include "gpuembed/error.h"

namespace gpuembed::test {

constexpr float kSmallMark = 1000.0f;

// Holds up to `depth` passes; the oldest is ready one poll() after it reached the front. Passes are numbered from 0
// in submit order: `oom_pass` runs out of memory, and the passes submitted while it is unread fail with it (they
// bound its invalid buffers); `lost_at_read` loses the device at that read (counted from 0).
class PipelinedDevice final : public Backend {
 public:
  size_t depth = 2, device_max_tokens = SIZE_MAX;
  size_t oom_pass = SIZE_MAX, lost_at_read = SIZE_MAX;
  std::vector<size_t> pass_sizes;   // texts per submitted pass
  std::vector<size_t> pass_tokens;  // batch * seq per submitted pass
  size_t most_in_flight = 0, reads = 0, cancels = 0, texts_read = 0;
  bool mark_small_passes = false;

  std::string name() const override { return "pipelined-fake"; }
  size_t max_tokens() const override { return device_max_tokens; }
  size_t max_in_flight() const override { return depth; }
  void submit(const TokenBatch& b) override {
    if (queue_.size() >= depth) throw Error(ErrorCode::kInternal, "submit beyond max_in_flight");
    if (lost_) throw Error(ErrorCode::kDeviceLost, "fake device lost");
    EXPECT_LE(b.batch * b.seq, device_max_tokens);
    const size_t number = pass_sizes.size();
    pass_sizes.push_back(b.batch);
    pass_tokens.push_back(b.batch * b.seq);
    const bool poisoned = std::any_of(queue_.begin(), queue_.end(), [](const Pass& p) { return p.oom; });
    queue_.push_back(Pass{b, number == oom_pass, poisoned});
    most_in_flight = std::max(most_in_flight, queue_.size());
    seen_ = false;
  }
  bool poll() override {
    if (queue_.empty()) return false;
    if (!seen_) {  // the first poll only sees the pass on its way
      seen_ = true;
      return false;
    }
    return true;
  }
  void read(float* out) override {
    if (queue_.empty() || !seen_) throw Error(ErrorCode::kInternal, "read before ready");
    const Pass p = queue_.front();
    queue_.pop_front();
    seen_ = false;
    if (reads++ == lost_at_read) lost_ = true;
    if (lost_) throw Error(ErrorCode::kDeviceLost, "fake device lost");
    if (p.oom) throw Error(ErrorCode::kOutOfMemory, "Fake out of memory: buffer refused");
    if (p.poisoned) throw Error(ErrorCode::kInternal, "Fake validation error: invalid buffer");
    texts_read += p.batch.batch;
    for (size_t b = 0; b < p.batch.batch; ++b) {
      const auto first = p.batch.ids.begin() + static_cast<ptrdiff_t>(b * p.batch.seq);
      const auto row = expected_row(std::vector<int32_t>(first, first + p.batch.lengths[b]));
      std::copy(row.begin(), row.end(), out + b * kFakeDim);
      if (mark_small_passes && p.batch.batch * p.batch.seq < kSmallPassTokens) out[b * kFakeDim] += kSmallMark;
    }
  }
  size_t in_flight() const { return queue_.size(); }
  void cancel() override {
    ++cancels;
    queue_.clear();
  }

 private:
  struct Pass {
    TokenBatch batch;
    bool oom, poisoned;
  };
  std::deque<Pass> queue_;
  bool seen_ = false, lost_ = false;
};

}  // namespace gpuembed::test
