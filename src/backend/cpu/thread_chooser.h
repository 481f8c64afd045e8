#pragma once
// Picks, per forward pass, between all threads and one thread, by measuring both.
//
// Why: with OpenMP's default wait policy, a thread that reaches a barrier spins. When other processes keep the cores
// busy, the spinning thread takes CPU time from the very worker it waits for, and a pass has ~100 barriers: on the
// 2-core CI machine with a build running beside it, one short sentence took 344 ms on 2 threads and 16 ms on one
// (GOMP_SPINCOUNT=1000 gave 16.7 ms, but libgomp reads that only from the environment at start-up). On a quiet
// machine 2 threads are faster. So the backend keeps the time per token of both choices for each size class, runs
// the faster one, and now and then re-measures the other (less often the more it lost), so it follows the load.
#include <array>
#include <cstddef>
#include <mutex>

namespace gpuembed::cpu {

class ThreadChooser {
 public:
  // The thread count for a pass over `tokens` rows, given `all` available (>= 1).
  int pick(size_t tokens, int all);
  // The measured wall time of that pass.
  void record(size_t tokens, int all, int used, double ms);

  static constexpr int kMinInterval = 8, kMaxInterval = 256;

 private:
  struct Option {
    double ms_per_token = 0;
    int samples = 0;
  };
  struct SizeClass {
    Option all, one;
    int interval = kMinInterval;  // passes between re-measurements of the slower option
    int since = 0;                // passes since it was last measured
  };
  static size_t class_of(size_t tokens);
  std::mutex mutex_;
  std::array<SizeClass, 4> classes_{};
};

}  // namespace gpuembed::cpu
