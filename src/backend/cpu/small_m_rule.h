#pragma once
// The small-M rule: how many threads a forward pass of m rows may use when its matmuls run oneDNN's bf16 or int8
// kernels (cpu_backend.cpp applies it to the whole pass).
//
// Why: on the GPU machine's 16-vCPU Sapphire Rapids host (AMX) one 12-token sentence on 16 threads ran several times
// slower in bf16 and int8 than in fp32, while on 2 threads bf16 was the faster one (bench/RESULTS.md, "Native CPU,
// session 3": oneDNN's own time inside the bf16 matmuls grew, not ours). AMX works on tiles of 16 rows; with fewer
// rows than threads x 16 the work is cut into slices whose fixed cost per thread and call (tile configuration, kernel
// setup, barriers) exceeds their share of the arithmetic. So such a pass uses at most ceil(m / 16) threads, and not
// fewer than 2 where 2 are available (the floor keeps the 2-thread case, which was measured to work). fp32 is not
// capped: it showed no such collapse. Applied per pass, not per matmul: changing OpenMP's team size around every
// matmul measured far slower on an oversubscribed machine (bench/RESULTS.md, "Session 4").
//
// GPUEMBED_SMALL_M_ROWS=<rows per thread> changes the 16 (0 turns the rule off), for calibration on other hosts.
#include <cstddef>

namespace gpuembed::cpu {

inline constexpr size_t kSmallMRowsPerThread = 16;
inline constexpr int kSmallMMinThreads = 2;

// Threads for a bf16/int8 pass of m rows when `all` are available (>= 1); rows_per_thread 0: `all`.
int small_m_threads(size_t m, int all, size_t rows_per_thread = kSmallMRowsPerThread);
// The rows per thread in effect: GPUEMBED_SMALL_M_ROWS when set (read once), else kSmallMRowsPerThread.
size_t small_m_rows_per_thread();

}  // namespace gpuembed::cpu
