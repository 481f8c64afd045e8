#include "backend/cpu/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "backend/cpu/linear.h"

#if defined(_OPENMP)
#include <omp.h>
#elif defined(__EMSCRIPTEN_PTHREADS__) || defined(GPUEMBED_STD_THREAD_POOL)
// GPUEMBED_STD_THREAD_POOL=1 (with OpenMP off) also selects this pool natively: the TSan build uses it, since libgomp
// is not ThreadSanitizer-instrumented (scripts/test_tsan.sh).
#undef GPUEMBED_STD_THREAD_POOL
#define GPUEMBED_STD_THREAD_POOL 1
#include <condition_variable>
#include <vector>
#endif

namespace gpuembed::cpu {
namespace {

std::atomic<int> g_requested_threads{0};
thread_local int t_thread_cap = 0;  // ThreadCap on this thread (0: none)
thread_local int t_thread_request = 0;  // ScopedThreads on this thread (0: none)

int hardware_threads() {
#if defined(_OPENMP)
  return std::max(1, omp_get_num_procs());  // respects the affinity mask
#else
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
#endif
}

#if defined(GPUEMBED_STD_THREAD_POOL)
// A persistent pool: workers sleep on a condition variable between jobs; the caller runs chunk 0 itself.
class ThreadPool {
 public:
  static ThreadPool& instance() {
    static ThreadPool* pool = new ThreadPool();  // never destroyed: workers may outlive static destruction
    return *pool;
  }
  void run(int chunks, const std::function<void(int)>& job) {
    std::lock_guard<std::mutex> serial(run_mutex_);
    ensure_workers(chunks - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      chunks_ = chunks;
      next_ = 1;
      pending_ = chunks - 1;
      ++generation_;
    }
    cv_.notify_all();
    job(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
  }
  static thread_local bool in_worker;

 private:
  void ensure_workers(int count) {
    while (static_cast<int>(workers_.size()) < count) {
      workers_.emplace_back([this] { loop(); });
      workers_.back().detach();
    }
  }
  void loop() {
    in_worker = true;
    uint64_t seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return generation_ != seen && next_ < chunks_; });
      seen = generation_;
      while (next_ < chunks_) {
        const int chunk = next_++;
        const std::function<void(int)>* job = job_;
        lock.unlock();
        (*job)(chunk);
        lock.lock();
        if (--pending_ == 0) done_cv_.notify_all();
      }
    }
  }
  std::mutex run_mutex_, mutex_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  int chunks_ = 0, next_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
};
thread_local bool ThreadPool::in_worker = false;
thread_local bool g_in_parallel_for = false;
#endif

}  // namespace

void set_cpu_threads(int threads) {
  g_requested_threads.store(std::max(0, threads));
  sync_openmp_threads();
}

int cpu_threads() { return parallel_threads(); }

int parallel_threads() {
  const int requested = t_thread_request > 0 ? t_thread_request : g_requested_threads.load(std::memory_order_relaxed);
  const int threads = requested > 0 ? requested : hardware_threads();
  return t_thread_cap > 0 ? std::min(threads, t_thread_cap) : threads;
}

bool cpu_threads_automatic() {
  return t_thread_request == 0 && g_requested_threads.load(std::memory_order_relaxed) == 0;
}

ScopedThreads::ScopedThreads(int threads) : previous_(t_thread_request) {
  if (threads <= 0) return;
  t_thread_request = threads;
  sync_openmp_threads();
}

ScopedThreads::~ScopedThreads() {
  if (t_thread_request == previous_) return;
  t_thread_request = previous_;
  sync_openmp_threads();
}

ThreadCap::ThreadCap(int threads) : previous_(t_thread_cap) {
  t_thread_cap = std::max(0, threads);
  sync_openmp_threads();
}

ThreadCap::~ThreadCap() {
  t_thread_cap = previous_;
  sync_openmp_threads();
}

void sync_openmp_threads() {
#if defined(_OPENMP)
  const int threads = parallel_threads();
  if (!omp_in_parallel() && omp_get_max_threads() != threads) omp_set_num_threads(threads);
#endif
}

void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  size_t chunks = std::min<size_t>(static_cast<size_t>(parallel_threads()), (n + grain - 1) / grain);
#if defined(_OPENMP)
  if (omp_in_parallel()) chunks = 1;
#elif defined(GPUEMBED_STD_THREAD_POOL)
  if (g_in_parallel_for || ThreadPool::in_worker) chunks = 1;
#else
  chunks = 1;
#endif
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  auto chunk_range = [n, chunks](size_t c, size_t& begin, size_t& end) {
    const size_t base = n / chunks, extra = n % chunks;
    begin = c * base + std::min(c, extra);
    end = begin + base + (c < extra ? 1 : 0);
  };
  std::exception_ptr error;
  std::mutex error_mutex;
  auto run_chunk = [&](size_t c) {
    size_t begin = 0, end = 0;
    chunk_range(c, begin, end);
    if (begin >= end) return;
    try {
      fn(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
#if defined(_OPENMP)
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static, 1)
  for (long c = 0; c < static_cast<long>(chunks); ++c) run_chunk(static_cast<size_t>(c));
#elif defined(GPUEMBED_STD_THREAD_POOL)
  g_in_parallel_for = true;
  ThreadPool::instance().run(static_cast<int>(chunks), [&](int c) { run_chunk(static_cast<size_t>(c)); });
  g_in_parallel_for = false;
#endif
  if (error) std::rethrow_exception(error);
}

}  // namespace gpuembed::cpu
