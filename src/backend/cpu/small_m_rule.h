#pragma once
// The small-M rule: how many threads a forward pass of m rows may use when its matmuls run oneDNN's bf16 or int8
// kernels (cpu_backend.cpp applies it to the whole pass).
//
// Why: oneDNN's low-precision kernels (AMX brgemm, AVX512-BF16, VNNI) work on 16-row tiles. A matmul with fewer rows
// than 16 per thread is split over the output columns instead, into slices so thin that each thread's fixed cost per
// call (tile configuration, kernel setup, its share of the barriers) exceeds its work: on the GPU machine's 16-vCPU
// Sapphire Rapids host one 12-token sentence took 16 ms in bf16 and 34 ms in int8 on 16 threads, against 2.8 ms in
// fp32 and 1.45 ms in bf16 on 2 threads (bench/RESULTS.md, "Native CPU, session 3"). So such a pass uses
// at most ceil(m / 16) threads, but not fewer than 2 where 2 are available (on 2 threads 12 rows in bf16 measured
// 1.6x faster than fp32 there, so the floor keeps what was known to work). fp32 matmuls are not capped: they showed
// no such collapse.
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
