// The thread count belongs to each Embedder (its CPU backend runs its passes under cpu::ScopedThreads), not to the
// process: loading a model with Options::threads leaves other models and the process-wide setting alone.
#include <gtest/gtest.h>

#include <atomic>

#include "backend/cpu/linear.h"
#include "backend/cpu/parallel.h"
#include "gpuembed/gpuembed.h"
#include "test_paths.h"

namespace gpuembed {
namespace {

int chunks_of_parallel_for() {
  std::atomic<int> chunks{0};
  cpu::parallel_for(64, [&](size_t, size_t) { ++chunks; });
  return chunks.load();
}

TEST(ScopedThreads, OverridesTheProcessSettingOnThisThreadOnly) {
  cpu::set_cpu_threads(1);
  EXPECT_EQ(cpu::parallel_threads(), 1);
  {
    cpu::ScopedThreads scoped(3);
    EXPECT_EQ(cpu::parallel_threads(), 3);
    EXPECT_FALSE(cpu::cpu_threads_automatic());
    EXPECT_LE(chunks_of_parallel_for(), 3);
    {
      cpu::ThreadCap cap(2);  // a cap still applies under it (the thread chooser's)
      EXPECT_EQ(cpu::parallel_threads(), 2);
    }
    cpu::ScopedThreads none(0);  // 0 changes nothing
    EXPECT_EQ(cpu::parallel_threads(), 3);
  }
  EXPECT_EQ(cpu::parallel_threads(), 1);
  cpu::set_cpu_threads(0);
  EXPECT_TRUE(cpu::cpu_threads_automatic());
}

TEST(ScopedThreads, LoadingAnEmbedderLeavesTheProcessSettingAlone) {
  cpu::set_cpu_threads(0);
  const int all = cpu::cpu_threads();
  Embedder one = Embedder::load(test::model_dir("tiny-bert-cls"), Options{.threads = 1});
  EXPECT_EQ(cpu::cpu_threads(), all);
  EXPECT_TRUE(cpu::cpu_threads_automatic());
  Embedder three = Embedder::load(test::model_dir("tiny-bert-cls"), Options{.threads = 3});
  const auto a = one.embed("each model keeps its own thread count");
  const auto b = three.embed("each model keeps its own thread count");
  EXPECT_EQ(a.size(), b.size());
  EXPECT_EQ(cpu::cpu_threads(), all);
}

}  // namespace
}  // namespace gpuembed
