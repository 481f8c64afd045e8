// Per-Linear timing of the int8 path as the WASM module compiles it (-O3 -msimd128), against the fp32 packed GEMM:
// the four Linear shapes of MiniLM-L6 at `rows` rows, and what the int8 forward spends outside the integer kernel
// (outlier scan, row quantization). Build and run:
//   mkdir -p build-wasm-cpu-bench && NODE_PATH=/usr/share/nodejs em++ -O3 -msimd128 -fwasm-exceptions -std=c++20 -Isrc -Iinclude \
//     -sALLOW_MEMORY_GROWTH=1 -sENVIRONMENT=node bench/wasm/int8_kernels_bench.cpp src/backend/cpu/gemm_int8_portable.cpp \
//     src/backend/cpu/gemm_int8.cpp src/backend/cpu/gemm_packed.cpp src/backend/cpu/parallel.cpp src/backend/cpu/cpu_features.cpp \
//     -o build-wasm-cpu-bench/i8.js && mv build-wasm-cpu-bench/i8.js build-wasm-cpu-bench/i8.cjs &&
//     node --no-experimental-fetch build-wasm-cpu-bench/i8.cjs 4096 3
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "backend/cpu/gemm_int8.h"
#include "backend/cpu/gemm_int8_portable.h"
#include "backend/cpu/gemm_packed.h"

using namespace gpuembed::cpu;

static double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main(int argc, char** argv) {
  const size_t rows = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 4096;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  struct Shape { const char* name; size_t n, k; bool gelu; };
  const Shape shapes[] = {{"qkv", 1152, 384, false}, {"out", 384, 384, false}, {"ffn_in", 1536, 384, true},
                          {"ffn_out", 384, 1536, false}};
  double tot32 = 0, tot8 = 0;
  std::printf("rows %zu, per forward (6 layers), mean of %d; int8 engine %s\n", rows, reps, PortableInt8Matmul::name());
  for (const Shape& s : shapes) {
    std::vector<float> w(s.n * s.k), b(s.n), x(rows * s.k), y(rows * s.n);
    for (auto& v : w) v = d(rng) * 0.1f;
    for (auto& v : b) v = d(rng);
    for (auto& v : x) v = d(rng) * 3.0f;
    PackedLinear f32(portable_gemm_kernel(), w.data(), b.data(), s.n, s.k);
    const QuantizedWeights qw = quantize_per_channel(w.data(), s.n, s.k);
    PortableInt8Matmul i8(qw.q.data(), qw.scale.data(), b.data(), s.n, s.k);
    std::vector<uint8_t> xq(rows * s.k);
    std::vector<float> xs(rows);
    std::vector<int32_t> xz(rows);
    std::vector<size_t> outl;
    double t32 = 0, t8 = 0, tq = 0, to = 0;
    for (int r = 0; r < reps + 1; ++r) {  // the first round warms up
      double t0 = now_ms();
      for (int l = 0; l < 6; ++l) f32.forward(x.data(), rows, y.data(), s.gelu);
      double t1 = now_ms();
      for (int l = 0; l < 6; ++l) i8.forward(x.data(), rows, y.data(), s.gelu);
      double t2 = now_ms();
      for (int l = 0; l < 6; ++l) quantize_rows(x.data(), rows, s.k, xq.data(), xs.data(), xz.data());
      double t3 = now_ms();
      for (int l = 0; l < 6; ++l) int8_outlier_columns(x.data(), rows, s.k, outl);
      double t4 = now_ms();
      if (r > 0) t32 += t1 - t0, t8 += t2 - t1, tq += t3 - t2, to += t4 - t3;
    }
    const double gops = 2.0 * rows * s.n * s.k * 6 / 1e6;
    std::printf("  %-8s fp32 %8.2f ms (%5.1f GFLOP/s)  int8 %8.2f ms (%5.1f GOP/s, %.2fx fp32); of it quantize_rows %.2f ms, "
                "outlier scan %.2f ms\n", s.name, t32 / reps, gops / (t32 / reps), t8 / reps, gops / (t8 / reps),
                t32 / t8, tq / reps, to / reps);
    tot32 += t32 / reps, tot8 += t8 / reps;
  }
  std::printf("  total    fp32 %8.2f ms  int8 %8.2f ms  (int8 with ffn_out in fp32, as the model runs it: see above)\n", tot32,
              tot8);
}
