// The per-pass choice between all threads and one (backend/cpu/thread_chooser.h), on synthetic timings, and the
// thread cap it is applied with.
#include <gtest/gtest.h>

#include <cstdlib>

#include "backend/cpu/parallel.h"
#include "backend/cpu/small_m_rule.h"
#include "backend/cpu/thread_chooser.h"

using gpuembed::cpu::ThreadChooser;

namespace {
// Runs `passes` passes of `tokens` rows where a pass costs ms_all on all threads and ms_one on one; returns how many
// ran on one thread.
int simulate(ThreadChooser& c, int passes, size_t tokens, double ms_all, double ms_one) {
  int on_one = 0;
  for (int i = 0; i < passes; ++i) {
    const int used = c.pick(tokens, 2);
    on_one += used == 1;
    c.record(tokens, 2, used, used == 1 ? ms_one : ms_all);
  }
  return on_one;
}
}  // namespace

TEST(ThreadChooser, MeasuresBothThenRunsTheFasterAndBacksOff) {
  ThreadChooser c;
  EXPECT_EQ(c.pick(12, 2), 2);  // first pass: all threads
  c.record(12, 2, 2, 8.0);
  EXPECT_EQ(c.pick(12, 2), 1);  // second: one thread, to compare
  c.record(12, 2, 1, 11.0);
  // Quiet machine: all threads are faster; one thread is re-measured ever more rarely (8, 16, ... 256 passes).
  const int on_one = simulate(c, 2000, 12, 8.0, 11.0);
  EXPECT_GE(on_one, 5);
  EXPECT_LE(on_one, 14);
}

TEST(ThreadChooser, FollowsTheLoad) {
  ThreadChooser c;
  simulate(c, 600, 12, 8.0, 11.0);  // quiet: settled on all threads, re-measuring one every 256 passes
  // Busy machine (spinning barriers): all threads 344 ms, one thread 16 ms. Within one back-off interval it switches.
  int first_one = -1;
  for (int i = 0; i < 300 && first_one < 0; ++i) {
    const int used = c.pick(12, 2);
    if (used == 1) first_one = i;
    c.record(12, 2, used, used == 1 ? 16.0 : 344.0);
  }
  ASSERT_GE(first_one, 0);
  EXPECT_LE(first_one, ThreadChooser::kMaxInterval);
  const int on_one = simulate(c, 1000, 12, 344.0, 16.0);
  EXPECT_GE(on_one, 960);  // the slow choice is re-measured rarely
  // Quiet again: back to all threads.
  const int later = simulate(c, 1000, 12, 8.0, 11.0);
  EXPECT_LE(later, ThreadChooser::kMaxInterval + 20);
  EXPECT_LE(simulate(c, 100, 12, 8.0, 11.0), 14);
}

TEST(ThreadChooser, SizeClassesAreIndependentAndOneCoreNeverAsks) {
  ThreadChooser c;
  simulate(c, 100, 12, 344.0, 16.0);        // short passes: one thread wins
  EXPECT_LE(simulate(c, 100, 4096, 100.0, 190.0), 12);  // big batches: all threads still win
  EXPECT_EQ(c.pick(12, 1), 1);
}

TEST(ThreadCap, CapsParallelThreadsOnThisThreadOnly) {
  const int all = gpuembed::cpu::parallel_threads();
  {
    gpuembed::cpu::ThreadCap cap(1);
    EXPECT_EQ(gpuembed::cpu::parallel_threads(), 1);
  }
  EXPECT_EQ(gpuembed::cpu::parallel_threads(), all);
}

// The small-M rule (backend/cpu/small_m_rule.h): bf16/int8 matmuls of few rows run on few threads.
TEST(SmallMRule, FewRowsFewThreadsManyRowsAll) {
  using gpuembed::cpu::small_m_threads;
  EXPECT_EQ(small_m_threads(12, 16), 2);     // a short sentence: the floor of 2
  EXPECT_EQ(small_m_threads(12, 2), 2);      // 2 threads: unchanged
  EXPECT_EQ(small_m_threads(12, 1), 1);
  EXPECT_EQ(small_m_threads(1, 16), 2);
  EXPECT_EQ(small_m_threads(32, 16), 2);
  EXPECT_EQ(small_m_threads(33, 16), 3);     // ceil(33 / 16)
  EXPECT_EQ(small_m_threads(128, 16), 8);    // one 128-token text
  EXPECT_EQ(small_m_threads(256, 16), 16);
  EXPECT_EQ(small_m_threads(4096, 16), 16);  // 32 x 128: all threads
  EXPECT_EQ(small_m_threads(4096, 2), 2);
  EXPECT_EQ(small_m_threads(12, 16, 0), 16);  // rows per thread 0: the rule is off
  EXPECT_EQ(small_m_threads(12, 16, 4), 3);
  if (std::getenv("GPUEMBED_SMALL_M_ROWS") == nullptr)
    EXPECT_EQ(gpuembed::cpu::small_m_rows_per_thread(), gpuembed::cpu::kSmallMRowsPerThread);
}

// Never more threads than the caller's cap, and the pass's own cap survives a matmul (linear.cpp applies the rule
// with a ThreadCap only when it lowers the count).
TEST(SmallMRule, NeverRaisesTheCount) {
  for (int all = 1; all <= 64; ++all)
    for (size_t m : {size_t{0}, size_t{1}, size_t{12}, size_t{100}, size_t{5000}}) {
      const int t = gpuembed::cpu::small_m_threads(m, all);
      EXPECT_GE(t, 1);
      EXPECT_LE(t, all);
    }
}
