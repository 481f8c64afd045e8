// The job driver's overlap (api/job.h) on a backend that holds two passes, as WebGPU does: the next pass is
// submitted before the previous one is read, large buckets are cut into a few passes, and every text is read once,
// in input order, through an out-of-memory pass and a device lost with a pass in flight. The fake's "embedding" of
// a row is a function of that row's ids alone, so any cut must give the same rows as the job without overlap.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "api/job.h"
#include "fake_rows.h"
#include "gpuembed/error.h"
#include "pipelined_device.h"

namespace gpuembed {
namespace {

using test::expected_rows;
using test::job_shape;
using test::lengths_between;
using test::PipelinedDevice;
using test::texts_of_lengths;

void run_async(Job& job, Backend& backend, PassLimit& limit) {
  while (!job.step(backend, limit)) {
  }
}

// Every pass of `cut` lies inside one pass of `plain` (the same texts in the same order), and is either that whole
// pass or a piece of at least kOverlapMinPassTokens tokens: no text changes the size class of its pass.
void expect_cut_within_plain_passes(const PipelinedDevice& cut, const PipelinedDevice& plain, const std::string& at) {
  std::vector<size_t> plain_ends = {0}, cut_ends = {0};
  for (size_t n : plain.pass_sizes) plain_ends.push_back(plain_ends.back() + n);
  for (size_t n : cut.pass_sizes) cut_ends.push_back(cut_ends.back() + n);
  for (size_t end : plain_ends) {
    EXPECT_TRUE(std::binary_search(cut_ends.begin(), cut_ends.end(), end)) << at << ": a cut pass spans texts " << end;
  }
  for (size_t i = 0; i < cut.pass_sizes.size(); ++i) {
    const bool whole = std::binary_search(plain_ends.begin(), plain_ends.end(), cut_ends[i]) &&
                       std::binary_search(plain_ends.begin(), plain_ends.end(), cut_ends[i + 1]);
    if (!whole) EXPECT_GE(cut.pass_tokens[i], kOverlapMinPassTokens) << at << ": pass " << i;
  }
}

TEST(JobOverlap, AFullBucketIsCutIntoChunksAndTwoPassesAreInFlight) {
  const auto ids = texts_of_lengths(std::vector<size_t>(256, 128));
  PipelinedDevice dev;
  PassLimit limit;
  Job job(ids, job_shape(256));
  run_async(job, dev, limit);
  EXPECT_EQ(job.result(), expected_rows(ids));
  EXPECT_EQ(dev.pass_sizes, std::vector<size_t>(kOverlapChunks, 256 / kOverlapChunks));
  EXPECT_EQ(dev.most_in_flight, 2u);
  EXPECT_EQ(dev.texts_read, ids.size());

  // the same job without overlap: one pass, one at a time, the same rows
  PipelinedDevice plain;
  Job off(ids, job_shape(256));
  off.set_overlap(false);
  run_async(off, plain, limit);
  EXPECT_EQ(off.result(), job.result());
  EXPECT_EQ(plain.pass_sizes, std::vector<size_t>{256});
  EXPECT_EQ(plain.most_in_flight, 1u);
}

TEST(JobOverlap, PassesBelowTheMinimumAreNotCut) {
  const auto ids = texts_of_lengths(std::vector<size_t>(32, 10));
  PipelinedDevice dev;
  PassLimit limit;
  Job job(ids, job_shape(32));
  run_async(job, dev, limit);
  EXPECT_EQ(job.result(), expected_rows(ids));
  EXPECT_EQ(dev.pass_sizes, std::vector<size_t>{32});
}

TEST(JobOverlap, MixedLengthsGiveTheRowsOfTheJobWithoutOverlapAtManyChunkCounts) {
  size_t cut_jobs = 0;
  for (size_t texts : {1u, 2u, 7u, 33u, 100u, 257u, 600u, 1500u}) {
    for (size_t max_batch : {1u, 4u, 32u, 256u}) {
      for (size_t device_tokens : {size_t(300), size_t(9000), SIZE_MAX}) {
        const auto ids = texts_of_lengths(lengths_between(texts, 1, 260));
        PassLimit limit;
        PipelinedDevice dev;
        dev.device_max_tokens = device_tokens;
        Job job(ids, job_shape(max_batch));
        std::vector<size_t> progress;
        job.on_progress = [&](size_t done, size_t) { progress.push_back(done); };
        run_async(job, dev, limit);
        PipelinedDevice plain;
        plain.device_max_tokens = device_tokens;
        Job off(ids, job_shape(max_batch));
        off.set_overlap(false);
        run_async(off, plain, limit);
        const std::string at = std::to_string(texts) + " texts, max_batch " + std::to_string(max_batch) +
                               ", device tokens " + std::to_string(device_tokens);
        EXPECT_EQ(job.result(), off.result()) << at;
        EXPECT_EQ(job.result(), expected_rows(ids)) << at;
        EXPECT_EQ(dev.texts_read, ids.size()) << at;
        EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end())) << at;
        EXPECT_EQ(progress.back(), ids.size()) << at;
        expect_cut_within_plain_passes(dev, plain, at);
        if (dev.pass_sizes.size() > plain.pass_sizes.size()) ++cut_jobs;
      }
    }
  }
  EXPECT_GE(cut_jobs, 8u);  // the cut happened, in several of these shapes (9 with today's constants)
}

TEST(JobOverlap, OutOfMemoryInTheSecondChunkDrainsThePassBehindAndRedoesBoth) {
  const auto ids = texts_of_lengths(std::vector<size_t>(256, 128));
  PipelinedDevice dev;
  dev.oom_pass = 1;  // the second chunk; the third, submitted behind it, fails with it
  PassLimit limit;
  Job job(ids, job_shape(256));
  std::vector<size_t> progress;
  job.on_progress = [&](size_t done, size_t) { progress.push_back(done); };
  run_async(job, dev, limit);
  EXPECT_EQ(job.result(), expected_rows(ids));
  EXPECT_EQ(job.oom_splits(), 1u);
  EXPECT_EQ(limit.tokens, 32u * 128u);
  // 64 read | 64 out of memory, 64 thrown away | then passes of 32: 4096 tokens, not cut further
  EXPECT_EQ(dev.pass_sizes, (std::vector<size_t>{64, 64, 64, 32, 32, 32, 32, 32, 32}));
  EXPECT_EQ(dev.texts_read, ids.size());  // nothing read twice
  EXPECT_EQ(progress, (std::vector<size_t>{64, 96, 128, 160, 192, 224, 256}));
  EXPECT_EQ(dev.cancels, 0u);
}

TEST(JobOverlap, DeviceLostWithAChunkInFlightRedoesTheUnreadTextsOnTheFallback) {
  const auto ids = texts_of_lengths(lengths_between(300, 1, 128));
  PipelinedDevice dev;
  dev.lost_at_read = 1;  // the second read; the third chunk is in flight then
  PassLimit limit;
  Job job(ids, job_shape(128));
  size_t done_at_loss = 0;
  try {
    run_async(job, dev, limit);
    FAIL() << "no device loss";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kDeviceLost);
    done_at_loss = job.texts_done();
  }
  EXPECT_EQ(dev.cancels, 1u);  // the chunk still in flight was dropped
  EXPECT_EQ(done_at_loss, dev.texts_read);
  EXPECT_FALSE(job.finished());
  // as Pipeline::run does: the unread texts on the fallback, one pass at a time
  job.abandon_pass();
  PipelinedDevice fallback;
  fallback.depth = 1;
  run_async(job, fallback, limit);
  EXPECT_EQ(job.result(), expected_rows(ids));
  EXPECT_EQ(done_at_loss + fallback.texts_read, ids.size());  // nothing lost, nothing twice
}

}  // namespace
}  // namespace gpuembed
