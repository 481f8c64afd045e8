#pragma once
// The one thread pool of the CPU backend. Natively it is OpenMP's (libgomp), the same pool oneDNN runs on,
// so matmuls and the other ops never compete with a second pool. In a WebAssembly build with pthreads
// (__EMSCRIPTEN_PTHREADS__) and no OpenMP it is a small persistent std::thread pool; without either it runs serially.
// The thread count is set by set_cpu_threads() (backend/cpu/linear.h); 0 means all cores.
#include <cstddef>
#include <functional>

namespace gpuembed::cpu {

// Threads a parallel_for uses (>= 1): the set_cpu_threads() value or, for 0, the cores this process may run on.
int parallel_threads();

// Splits [0, n) into at most parallel_threads() contiguous chunks of nearly equal size and runs fn(begin, end)
// once per non-empty chunk, on different threads; returns when all are done. Chunks hold at least `grain` items
// (so small n runs on fewer threads). Called from inside a parallel_for (or another OpenMP region) it runs serially
// on the calling thread. An exception thrown by fn is rethrown on the caller (the first one, if several).
void parallel_for(size_t n, size_t grain, const std::function<void(size_t begin, size_t end)>& fn);
inline void parallel_for(size_t n, const std::function<void(size_t begin, size_t end)>& fn) {
  parallel_for(n, 1, fn);
}

// Makes the calling thread's OpenMP setting match parallel_threads() (oneDNN reads it per calling thread).
void sync_openmp_threads();

// True when the thread count was left to the library (set_cpu_threads(0), the default, and no ScopedThreads).
bool cpu_threads_automatic();

// Sets the thread count for the calling thread while it lives, over set_cpu_threads() (each CPU backend runs its
// passes under its own count, so two models in one process keep theirs). 0: no change.
class ScopedThreads {
 public:
  explicit ScopedThreads(int threads);
  ~ScopedThreads();
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int previous_;
};

// Caps parallel_threads() on the calling thread while it lives (for one forward pass; see thread_chooser.h).
class ThreadCap {
 public:
  explicit ThreadCap(int threads);
  ~ThreadCap();
  ThreadCap(const ThreadCap&) = delete;
  ThreadCap& operator=(const ThreadCap&) = delete;

 private:
  int previous_;
};

}  // namespace gpuembed::cpu
