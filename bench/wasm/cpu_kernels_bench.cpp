// Per-op timing of the CPU backend's encoder layer (the WASM fallback path) without the tokenizer or the JS
// binding: the four Linear shapes of MiniLM-L6 (portable packed GEMM), attention, residual + LayerNorm.
// Build (WASM, as the module is compiled):
//   em++ -O3 -msimd128 -std=c++17 -Isrc -Iinclude bench/wasm/cpu_kernels_bench.cpp src/backend/cpu/gemm_packed.cpp \
//        src/backend/cpu/ops.cpp src/backend/cpu/attention_wasm.cpp src/backend/cpu/layer_norm.cpp \
//        -o build-wasm-cpu-bench/kb.js && node build-wasm-cpu-bench/kb.js [texts] [len] [reps]
//   (bench/wasm/build_kernels_bench.sh does this)
// Build natively (no AVX, same portable kernel): g++ -O3 -std=c++17 -Isrc -Iinclude ... -o kb && ./kb 32 128 3
// parallel_for is stubbed as serial (serial_parallel_for.h): this is the 1-thread profile. GELU is fused into the
// FFN-in GEMM's epilogue, so its cost is shown as that GEMM with the epilogue minus the same GEMM without it (run
// apart).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "backend/cpu/gemm_packed.h"
#include "backend/cpu/ops.h"
#include "serial_parallel_for.h"

using namespace gpuembed::cpu;
using clk = std::chrono::steady_clock;

static std::vector<float> rnd(size_t n, float s, std::mt19937& g) {
  std::normal_distribution<float> d(0.0f, s);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

int main(int argc, char** argv) {
  const size_t texts = argc > 1 ? std::atoi(argv[1]) : 32, len = argc > 2 ? std::atoi(argv[2]) : 128;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 3;
  const size_t H = 384, I = 1536, heads = 12, hd = 32, n = texts * len;
  std::mt19937 g(1);
  auto wqkv = rnd(3 * H * H, 0.05f, g), bqkv = rnd(3 * H, 0.02f, g);
  auto wo = rnd(H * H, 0.05f, g), bo = rnd(H, 0.02f, g);
  auto wi = rnd(I * H, 0.05f, g), bi = rnd(I, 0.02f, g);
  auto wf = rnd(H * I, 0.03f, g), bf = rnd(H, 0.02f, g);
  auto gamma = rnd(H, 0.1f, g), beta = rnd(H, 0.1f, g);
  for (auto& x : gamma) x += 1.0f;
  const GemmKernel& K = portable_gemm_kernel();
  PackedLinear lqkv(K, wqkv.data(), bqkv.data(), 3 * H, H), lo(K, wo.data(), bo.data(), H, H),
      li(K, wi.data(), bi.data(), I, H), lf(K, wf.data(), bf.data(), H, I);
  PackedRows rows;
  rows.offsets.push_back(0);
  for (size_t b = 0; b < texts; ++b) rows.offsets.push_back(rows.offsets.back() + len);
  auto x = rnd(n * H, 1.0f, g);
  std::vector<float> qkv(n * 3 * H), ctx(n * H), tmp(n * H), inter(n * I);
  double t_qkv = 0, t_att = 0, t_o = 0, t_ln = 0, t_i = 0, t_f = 0, t_i_plain = 0;
  auto ms = [](clk::time_point a, clk::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  for (int r = 0; r < reps + 1; ++r) {
    double s[8] = {};
    for (int layer = 0; layer < 6; ++layer) {
      auto t0 = clk::now();
      lqkv.forward(x.data(), n, qkv.data(), false);
      auto t1 = clk::now();
      attention(qkv.data(), rows, heads, hd, ctx.data());
      auto t2 = clk::now();
      lo.forward(ctx.data(), n, tmp.data(), false);
      auto t3 = clk::now();
      add_layer_norm(x.data(), tmp.data(), n, H, gamma.data(), beta.data(), 1e-12f);
      auto t4 = clk::now();
      li.forward(x.data(), n, inter.data(), true);
      auto t5 = clk::now();
      lf.forward(inter.data(), n, tmp.data(), false);
      auto t6 = clk::now();
      add_layer_norm(x.data(), tmp.data(), n, H, gamma.data(), beta.data(), 1e-12f);
      auto t7 = clk::now();
      li.forward(x.data(), n, inter.data(), false);  // FFN-in without GELU (timed apart, not part of the total)
      s[7] += ms(t7, clk::now());
      s[0] += ms(t0, t1); s[1] += ms(t1, t2); s[2] += ms(t2, t3); s[3] += ms(t3, t4); s[4] += ms(t4, t5);
      s[5] += ms(t5, t6); s[6] += ms(t6, t7);
    }
    if (r == 0) continue;  // warm-up
    t_qkv += s[0]; t_att += s[1]; t_o += s[2]; t_ln += s[3] + s[6]; t_i += s[4]; t_f += s[5]; t_i_plain += s[7];
  }
  const double tot = t_qkv + t_att + t_o + t_ln + t_i + t_f;
  auto gf = [&](double t, size_t nn, size_t kk) { return 2.0 * n * nn * kk * 6 * reps / (t * 1e6); };
  std::printf("texts %zu len %zu rows %zu, per forward (6 layers), mean of %d:\n", texts, len, n, reps);
  std::printf("  qkv      %9.2f ms  %5.1f GFLOP/s\n", t_qkv / reps, gf(t_qkv, 3 * H, H));
  std::printf("  attn     %9.2f ms\n", t_att / reps);
  std::printf("  out      %9.2f ms  %5.1f GFLOP/s\n", t_o / reps, gf(t_o, H, H));
  std::printf("  ffn_in   %9.2f ms  %5.1f GFLOP/s (incl GELU)\n", t_i / reps, gf(t_i, I, H));
  std::printf("    of it GELU %5.2f ms (FFN-in without the GELU epilogue: %.2f ms)\n", (t_i - t_i_plain) / reps,
              t_i_plain / reps);
  std::printf("  ffn_out  %9.2f ms  %5.1f GFLOP/s\n", t_f / reps, gf(t_f, H, I));
  std::printf("  add+LN   %9.2f ms\n", t_ln / reps);
  std::printf("  total    %9.2f ms   checksum %.6g\n", tot / reps, (double)x[123] + x[n * H - 1]);
  return 0;
}
