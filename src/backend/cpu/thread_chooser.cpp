#include "backend/cpu/thread_chooser.h"

#include <algorithm>

namespace gpuembed::cpu {

size_t ThreadChooser::class_of(size_t tokens) {
  if (tokens < 32) return 0;    // a sentence or two: barrier- and memory-bound
  if (tokens < 256) return 1;
  if (tokens < 2048) return 2;
  return 3;                     // large batches: compute-bound
}

int ThreadChooser::pick(size_t tokens, int all) {
  if (all <= 1) return 1;
  std::lock_guard<std::mutex> lock(mutex_);
  SizeClass& c = classes_[class_of(tokens)];
  if (c.all.samples == 0) return all;
  if (c.one.samples == 0) return 1;
  const bool one_faster = c.one.ms_per_token < c.all.ms_per_token;
  if (++c.since >= c.interval) {
    c.since = 0;
    return one_faster ? all : 1;  // re-measure the slower option
  }
  return one_faster ? 1 : all;
}

void ThreadChooser::record(size_t tokens, int all, int used, double ms) {
  if (all <= 1 || tokens == 0 || !(ms >= 0)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  SizeClass& c = classes_[class_of(tokens)];
  const bool was_one_faster = c.one.ms_per_token < c.all.ms_per_token;
  const bool both_known = c.one.samples > 0 && c.all.samples > 0;
  const bool measured_slower = both_known && (used == 1) != was_one_faster;
  Option& o = used == 1 ? c.one : c.all;
  const double x = ms / static_cast<double>(tokens);
  // The option in use is smoothed over passes; a re-measurement of the other replaces its value, which is old.
  o.ms_per_token = o.samples == 0 || measured_slower ? x : 0.5 * o.ms_per_token + 0.5 * x;
  ++o.samples;
  if (!measured_slower) return;
  const bool one_faster = c.one.ms_per_token < c.all.ms_per_token;
  // A re-measurement that confirms the order backs off; one that overturns it starts watching closely again.
  c.interval = one_faster == was_one_faster ? std::min(c.interval * 2, kMaxInterval) : kMinInterval;
}

}  // namespace gpuembed::cpu
