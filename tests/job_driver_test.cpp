// The job driver (api/job.h) on backends that behave as a device may: answering later than submit(), holding few
// tokens per pass, running out of memory, losing the device. The fake backend's "embedding" of a row is a function
// of that row's ids alone, so any batching must give the same rows in input order.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "api/job.h"
#include "api/pipeline.h"
#include "backend/cpu/cpu_backend.h"
#include "fake_rows.h"
#include "loaded_model.h"

namespace gpuembed {
namespace {

constexpr size_t kDim = test::kFakeDim;
using test::expected_row;
using test::job_shape;
using test::texts_of_lengths;

// Answers one poll() after submit(); refuses passes of more than `memory_tokens` batch*seq with kOutOfMemory.
class FakeDevice final : public Backend {
 public:
  size_t memory_tokens = SIZE_MAX, device_max_tokens = SIZE_MAX;
  bool lose_device = false;
  std::vector<size_t> pass_sizes;  // texts per submitted pass
  size_t oom_passes = 0;

  std::string name() const override { return "fake"; }
  size_t max_tokens() const override { return device_max_tokens; }
  void submit(const TokenBatch& b) override {
    if (pending_ || ready_) throw Error(ErrorCode::kInternal, "submit during a pass");
    if (lose_device) throw Error(ErrorCode::kDeviceLost, "fake device lost");
    EXPECT_LE(b.batch * b.seq, device_max_tokens);
    pass_sizes.push_back(b.batch);
    batch_ = b;
    pending_ = true;
  }
  bool poll() override {
    if (pending_) {  // the first poll only sees the pass on its way
      pending_ = false;
      ready_ = true;
      return false;
    }
    return ready_;
  }
  void read(float* out) override {
    if (!ready_) throw Error(ErrorCode::kInternal, "read before ready");
    ready_ = false;
    if (batch_.batch * batch_.seq > memory_tokens) {
      ++oom_passes;
      throw Error(ErrorCode::kOutOfMemory, "Fake out of memory: buffer refused");
    }
    for (size_t b = 0; b < batch_.batch; ++b) {
      const auto first = batch_.ids.begin() + static_cast<ptrdiff_t>(b * batch_.seq);
      const auto row = expected_row(std::vector<int32_t>(first, first + batch_.lengths[b]));
      std::copy(row.begin(), row.end(), out + b * kDim);
    }
  }

 private:
  TokenBatch batch_;
  bool pending_ = false, ready_ = false;
};

// Steps the job as the WASM caller does, counting the waits for the device.
size_t run_async(Job& job, Backend& backend, PassLimit& limit) {
  size_t waits = 0;
  while (!job.step(backend, limit)) ++waits;
  return waits;
}

void expect_rows_in_order(const Job& job, const std::vector<std::vector<int32_t>>& ids) {
  ASSERT_EQ(job.result().size(), ids.size() * kDim);
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto want = expected_row(ids[i]);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), job.result().begin() + static_cast<ptrdiff_t>(i * kDim))) << i;
  }
}

TEST(JobDriver, SplitsByBatchAndDeviceTokensAndKeepsInputOrder) {
  const auto ids = texts_of_lengths({3, 9, 1, 9, 5, 2, 7, 4, 8, 6});
  FakeDevice dev;
  dev.device_max_tokens = 20;  // two texts of 9 tokens per pass at most
  PassLimit limit;
  Job job(ids, job_shape(4));
  std::vector<size_t> progress;
  job.on_progress = [&](size_t done, size_t total) {
    EXPECT_EQ(total, ids.size());
    progress.push_back(done);
  };
  const size_t waits = run_async(job, dev, limit);
  EXPECT_EQ(waits, dev.pass_sizes.size());  // one wait per pass: step() never blocks
  expect_rows_in_order(job, ids);
  // longest first: 9,9 | 8,7 | 6,5,4 | 3,2,1 (tokens/seq and max_batch both bound a pass)
  EXPECT_EQ(dev.pass_sizes, (std::vector<size_t>{2, 2, 3, 3}));
  EXPECT_EQ(progress, (std::vector<size_t>{2, 4, 7, 10}));
}

TEST(JobDriver, OutOfMemoryHalvesThePassAndTheLimitStays) {
  const auto ids = texts_of_lengths(std::vector<size_t>(16, 10));
  FakeDevice dev;
  dev.memory_tokens = 45;  // 4 texts of 10 tokens fit, 8 and 16 do not
  PassLimit limit;
  Job job(ids, job_shape(16));
  run_async(job, dev, limit);
  expect_rows_in_order(job, ids);
  EXPECT_EQ(dev.oom_passes, 2u);
  EXPECT_EQ(job.oom_splits(), 2u);
  EXPECT_EQ(limit.tokens, 40u);
  EXPECT_EQ(dev.pass_sizes, (std::vector<size_t>{16, 8, 4, 4, 4, 4}));
  // the next job on this backend keeps to the smaller passes: no pass fails again
  Job again(ids, job_shape(16));
  run_async(again, dev, limit);
  expect_rows_in_order(again, ids);
  EXPECT_EQ(dev.oom_passes, 2u);
}

TEST(JobDriver, OneTextThatDoesNotFitIsOutOfMemory) {
  const auto ids = texts_of_lengths({30, 2});
  FakeDevice dev;
  dev.memory_tokens = 20;
  PassLimit limit;
  Job job(ids, job_shape(1));
  try {
    run_async(job, dev, limit);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOutOfMemory);
    EXPECT_NE(std::string(e.what()).find("one text (30 tokens)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("buffer refused"), std::string::npos) << e.what();
  }
  EXPECT_EQ(limit.tokens, 0u);  // memory may come back: a one-text failure sets no limit
}

TEST(JobDriver, ATextWithoutTokensIsInvalidInput) {
  try {
    Job job({{5, 6}, {}}, job_shape(4));
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("text 1 has no tokens"), std::string::npos) << e.what();
  }
}

// A backend whose device is lost: the pipeline redoes the work on the fallback (the CPU), bit for bit the CPU's.
TEST(JobDriver, DeviceLostFallsBackToTheCpuBackend) {
  auto load = [] { return test::load_model("tiny-bert-cls"); };
  LoadedModel plain_model = load();
  auto cpu = make_cpu_backend(plain_model.spec, plain_model.weights, Precision::kFloat32);
  Pipeline plain(std::move(plain_model), std::move(cpu), 4);
  const std::vector<std::string_view> texts = {"a lost device", "is answered on the CPU", "in input order", "x", "y z"};
  const auto want = plain.embed(texts);

  auto lost = std::make_unique<FakeDevice>();
  lost->lose_device = true;
  Pipeline p(load(), std::move(lost), 4);
  EXPECT_THROW(p.embed(texts), Error);  // without a fallback the loss reaches the caller
  p.set_fallback([&p] { return make_cpu_backend(p.spec(), p.weights(), Precision::kFloat32); });
  EXPECT_EQ(p.embed(texts), want);
  EXPECT_NE(p.backend().name().find("cpu"), std::string::npos);

  // hidden states through the same driver: [tokens, hidden] of the one text
  const auto h = p.token_embeddings("in input order");
  EXPECT_EQ(h, plain.token_embeddings("in input order"));
  EXPECT_EQ(h.size(), p.tokenize("in input order").ids.size() * static_cast<size_t>(p.spec().config.hidden_size));
}

}  // namespace
}  // namespace gpuembed
