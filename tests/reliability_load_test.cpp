// Load / embed / destroy an Embedder many times in one process: the heap in use (mallinfo2) and the resident set
// (/proc/self/status VmRSS) must stay flat. 100 cycles of tiny-bert-cls by default, plus 100 of minilm-l6-random
// with GPUEMBED_SLOW=1.
#include <gtest/gtest.h>
#include <malloc.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "gpuembed/gpuembed.h"
#include "test_paths.h"

namespace gpuembed {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long v = 0;
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

size_t heap_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  return mallinfo2().uordblks + mallinfo2().hblkhd;
#else
  return 0;
#endif
}

void load_cycles(const std::string& model, int cycles) {
  const auto dir = test::model_dir(model);
  auto cycle = [&] {
    Embedder e = Embedder::load(dir, Options{.threads = 2});
    const auto v = e.embed("Load, embed and destroy, again and again.");
    ASSERT_EQ(v.size(), e.dimension());
  };
  for (int i = 0; i < 5; ++i) cycle();  // warm-up: thread pool, allocator arenas, static caches
  const long rss0 = rss_kib();
  const size_t heap0 = heap_in_use();
  long rss_max = rss0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < cycles; ++i) {
    cycle();
    rss_max = std::max(rss_max, rss_kib());
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long rss1 = rss_kib();
  const size_t heap1 = heap_in_use();
  const double heap_growth_kib = (static_cast<double>(heap1) - static_cast<double>(heap0)) / 1024.0;
  std::printf("[load] %s: %d load/embed/destroy cycles in %.1f s; RSS %ld -> %ld KiB (max %ld), heap in use "
              "%+.1f KiB\n",
              model.c_str(), cycles, s, rss0, rss1, rss_max, heap_growth_kib);
  // A leak of even 1 KiB per cycle would show as 100 KiB of heap; weights leaked would be megabytes of RSS.
  // (Under ASan, malloc statistics come from ASan's allocator; mallinfo2 then reports nothing useful.)
  // Under ASan freed blocks wait in a quarantine (up to 256 MiB), so RSS and mallinfo say nothing there; LeakSanitizer
  // checks the same cycles for leaks at exit instead.
  if (kSanitized) return;
  if (heap0 > 0) EXPECT_LT(heap_growth_kib, 64.0);
  EXPECT_LT(rss1 - rss0, 8 * 1024) << "RSS grew by " << (rss1 - rss0) << " KiB";
}

// Under ASan/UBSan (where only LeakSanitizer's verdict counts) 20 cycles keep the sanitizer step quick.
TEST(ReliabilityLoad, LoadDestroy100TimesTinyBert) { load_cycles("tiny-bert-cls", kSanitized ? 20 : 100); }

TEST(ReliabilityLoad, LoadDestroy100TimesMiniLMSlow) {
  const char* slow = std::getenv("GPUEMBED_SLOW");
  if (!slow || std::string(slow) != "1") GTEST_SKIP() << "GPUEMBED_SLOW=1 runs it";
  load_cycles("minilm-l6-random", 100);
}

}  // namespace
}  // namespace gpuembed
