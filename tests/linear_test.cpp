// The CPU matmul engines (backend/cpu/linear.h) against a double-precision reference, and the parallel_for helper.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/gemm_onednn.h"
#include "backend/cpu/gemm_packed.h"
#include "backend/cpu/linear.h"
#include "backend/cpu/parallel.h"

namespace gpuembed::cpu {
namespace {

struct Problem {
  size_t m, in, out;
  std::vector<float> x, w, b;
};

Problem make_problem(size_t m, size_t in, size_t out, uint32_t seed) {
  Problem p{m, in, out, std::vector<float>(m * in), std::vector<float>(out * in), std::vector<float>(out)};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const float w_scale = 2.0f / std::sqrt(static_cast<float>(in));  // outputs of order 1, some in GELU's bend
  for (auto& v : p.x) v = dist(rng);
  for (auto& v : p.w) v = dist(rng) * w_scale;
  for (auto& v : p.b) v = dist(rng) * 0.5f;
  return p;
}

double gelu_exact(double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }

// Reference y (double) and, per element, Σ|x·w| (the scale of rounding errors in the inputs).
void reference(const Problem& p, bool gelu, std::vector<double>& y, std::vector<double>& magnitude) {
  y.assign(p.m * p.out, 0.0);
  magnitude.assign(p.m * p.out, 0.0);
  for (size_t i = 0; i < p.m; ++i)
    for (size_t j = 0; j < p.out; ++j) {
      double s = p.b[j], a = std::fabs(p.b[j]);
      const float* xr = &p.x[i * p.in];
      const float* wr = &p.w[j * p.in];
      for (size_t k = 0; k < p.in; ++k) {
        s += static_cast<double>(xr[k]) * wr[k];
        a += std::fabs(static_cast<double>(xr[k]) * wr[k]);
      }
      y[i * p.out + j] = gelu ? gelu_exact(s) : s;
      magnitude[i * p.out + j] = a;
    }
}

std::vector<float> run(const Linear& linear, const Problem& p, bool gelu) {
  std::vector<float> y(p.m * p.out, std::nanf(""));
  linear.forward(p.x.data(), p.m, y.data(), gelu ? Epilogue::kGelu : Epilogue::kNone);
  return y;
}

struct ThreadReset {
  ~ThreadReset() { set_cpu_threads(0); }
};

std::vector<std::pair<MatmulEngine, const char*>> fp32_engines() {
  std::vector<std::pair<MatmulEngine, const char*>> engines = {{MatmulEngine::kAuto, "auto"},
                                                               {MatmulEngine::kPortable, "portable"}};
  if (onednn_available()) engines.push_back({MatmulEngine::kOneDnn, "onednn"});
  if (avx512_gemm_kernel() != nullptr) engines.push_back({MatmulEngine::kAvx512, "avx512"});
  if (avx2_gemm_kernel() != nullptr) engines.push_back({MatmulEngine::kAvx2, "avx2"});
  return engines;
}

TensorView view(const std::vector<float>& v, std::vector<int64_t> shape) { return TensorView{v.data(), shape}; }

TEST(LinearTest, Fp32MatchesDoubleReference) {
  ThreadReset reset;
  struct Shape {
    size_t m, in, out;
  };
  const Shape shapes[] = {{1, 37, 53},    {7, 37, 53},    {12, 37, 53},    {255, 37, 53},  {4096, 37, 53},
                          {12, 384, 1152}, {255, 384, 384}, {7, 1536, 45},  {33, 384, 1536}, {4096, 70, 33},
                          {1, 1, 1},       {3, 5, 17}};
  for (const auto& [engine, engine_label] : fp32_engines()) {
    for (const Shape& s : shapes) {
      const Problem p = make_problem(s.m, s.in, s.out, static_cast<uint32_t>(s.m * 131 + s.in * 7 + s.out));
      const Linear linear(view(p.w, {int64_t(s.out), int64_t(s.in)}), view(p.b, {int64_t(s.out)}),
                          Precision::kFloat32, engine);
      EXPECT_EQ(linear.in_features(), s.in);
      EXPECT_EQ(linear.out_features(), s.out);
      for (bool gelu : {false, true}) {
        std::vector<double> ref, mag;
        reference(p, gelu, ref, mag);
        const std::vector<float> y = run(linear, p, gelu);
        double max_abs = 0, max_rel = 0;
        for (size_t e = 0; e < y.size(); ++e) {
          const double err = std::fabs(y[e] - ref[e]);
          max_abs = std::max(max_abs, err);
          max_rel = std::max(max_rel, err / (1.0 + std::fabs(ref[e])));
        }
        std::printf("[fp32 %-8s %-14s] m=%4zu in=%4zu out=%4zu gelu=%d max abs err %.2e, max err/(1+|y|) %.2e\n",
                    engine_label, linear.engine_name().c_str(), s.m, s.in, s.out, gelu, max_abs, max_rel);
        EXPECT_LE(max_rel, 1e-5) << engine_label << " m=" << s.m << " in=" << s.in << " out=" << s.out
                                 << " gelu=" << gelu;
      }
    }
  }
}

TEST(LinearTest, EmptyBiasMeansZero) {
  for (const auto& [engine, engine_label] : fp32_engines()) {
    Problem p = make_problem(9, 20, 19, 5);
    const Linear with_none(view(p.w, {19, 20}), TensorView{}, Precision::kFloat32, engine);
    std::fill(p.b.begin(), p.b.end(), 0.0f);
    const Linear with_zeros(view(p.w, {19, 20}), view(p.b, {19}), Precision::kFloat32, engine);
    EXPECT_EQ(run(with_none, p, true), run(with_zeros, p, true)) << engine_label;
  }
}

TEST(LinearTest, RejectsBadShapes) {
  std::vector<float> w(12), b(5);
  EXPECT_THROW(Linear(view(w, {3, 4}), view(b, {5}), Precision::kFloat32), Error);
  EXPECT_THROW(Linear(view(w, {12}), view(b, {12}), Precision::kFloat32), Error);
}

TEST(LinearTest, GeluErfApproximation) {
  double max_erf = 0, max_gelu = 0;
  for (double v = -12.0; v <= 12.0; v += 1.0 / 4096) {
    max_erf = std::max(max_erf, std::fabs(double(erf_approx(static_cast<float>(v))) - std::erf(v)));
    const float vf = static_cast<float>(v);
    max_gelu = std::max(max_gelu, std::fabs(gelu_erf(vf) - gelu_exact(vf)) / (1.0 + std::fabs(gelu_exact(vf))));
  }
  std::printf("erf approximation: max abs err %.2e; gelu: max err/(1+|y|) %.2e\n", max_erf, max_gelu);
  EXPECT_LE(max_erf, 1e-6);
  EXPECT_LE(max_gelu, 1e-6);
}

// gelu_inplace (the int8 engine's GELU) at every SIMD level this CPU has: as accurate as gelu_erf (the AVX2 form
// rounds its Horner steps once, with FMA; the others are gelu_erf bit for bit), and a value's result independent of
// its position and of the length (the vector body and the masked or scalar tail agree).
TEST(LinearTest, GeluInplaceAtEveryLevel) {
  std::vector<float> x;
  for (double v = -12.0; v <= 12.0; v += 1.0 / 1024) x.push_back(static_cast<float>(v));
  const SimdLevel before = active_simd_level();
  for (SimdLevel level : {SimdLevel::kBaseline, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    force_simd_level(level);
    if (active_simd_level() != level) continue;  // above this CPU
    std::vector<float> y = x;
    gelu_inplace(y.data(), y.size());
    double max_gelu = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double exact = gelu_exact(x[i]);
      max_gelu = std::max(max_gelu, std::fabs(y[i] - exact) / (1.0 + std::fabs(exact)));
      if (level == SimdLevel::kBaseline) ASSERT_EQ(y[i], gelu_erf(x[i])) << x[i];
    }
    EXPECT_LE(max_gelu, 1e-6) << simd_level_name(level);
    for (size_t offset = 0; offset < 9; ++offset) {
      for (size_t n = 0; n <= 19; ++n) {
        std::vector<float> part(x.begin() + 5000 + offset, x.begin() + 5000 + offset + n);
        gelu_inplace(part.data(), n);
        for (size_t i = 0; i < n; ++i)
          ASSERT_EQ(part[i], y[5000 + offset + i]) << simd_level_name(level) << " n=" << n << " i=" << i;
      }
    }
  }
  force_simd_level(before);
}

// bf16 (opt-in): where the CPU has bf16 hardware the activations and weights are rounded to bf16 (relative error
// ≤ 2^-9 each) and products are summed in f32: |y − ref| ≤ 1 % · Σ|x·w| (GELU's slope is ≤ 1.13) + 1e-5.
// Elsewhere bf16 runs the fp32 engine and must then meet the fp32 bound.
TEST(LinearTest, Bf16WithinTolerance) {
  ThreadReset reset;
  const bool native = onednn_available() && onednn_native_bf16();
  std::printf("bf16 engine: %s (native bf16 in oneDNN: %s)\n", matmul_engine_name(Precision::kBFloat16).c_str(),
              native ? "yes" : "no");
  if (!native) {
    EXPECT_EQ(matmul_engine_name(Precision::kBFloat16), matmul_engine_name(Precision::kFloat32));
  }
  struct Shape {
    size_t m, in, out;
  };
  for (const Shape& s : {Shape{1, 37, 53}, Shape{12, 384, 1152}, Shape{255, 1536, 45}, Shape{4096, 37, 53}}) {
    const Problem p = make_problem(s.m, s.in, s.out, 77);
    const Linear linear(view(p.w, {int64_t(s.out), int64_t(s.in)}), view(p.b, {int64_t(s.out)}),
                        Precision::kBFloat16);
    for (bool gelu : {false, true}) {
      std::vector<double> ref, mag;
      reference(p, gelu, ref, mag);
      const std::vector<float> y = run(linear, p, gelu);
      double worst = 0, max_abs = 0;
      for (size_t e = 0; e < y.size(); ++e) {
        const double err = std::fabs(y[e] - ref[e]);
        max_abs = std::max(max_abs, err);
        const double bound = native ? 1e-2 * mag[e] + 1e-5 : 1e-5 * (1.0 + std::fabs(ref[e]));
        worst = std::max(worst, err / bound);
      }
      std::printf("[bf16 %-22s] m=%4zu in=%4zu out=%4zu gelu=%d max abs err %.2e (%.0f%% of the bound)\n",
                  linear.engine_name().c_str(), s.m, s.in, s.out, gelu, max_abs, worst * 100);
      EXPECT_LE(worst, 1.0);
    }
  }
}

// The packed engines can keep their weights in bf16 (math in f32): error from the weights alone, ≤ 2^-9 relative.
TEST(LinearTest, PackedBf16WeightsWithinTolerance) {
  std::vector<const GemmKernel*> kernels = {&portable_gemm_kernel()};
  if (avx512_gemm_kernel() != nullptr) kernels.push_back(avx512_gemm_kernel());
  if (avx2_gemm_kernel() != nullptr) kernels.push_back(avx2_gemm_kernel());
  for (const GemmKernel* kernel : kernels) {
    const Problem p = make_problem(37, 385, 71, 3);
    const PackedLinear packed(*kernel, p.w.data(), p.b.data(), p.out, p.in, /*bf16_weights=*/true);
    std::vector<double> ref, mag;
    reference(p, false, ref, mag);
    std::vector<float> y(p.m * p.out);
    packed.forward(p.x.data(), p.m, y.data(), false);
    double worst = 0;
    for (size_t e = 0; e < y.size(); ++e)
      worst = std::max(worst, std::fabs(y[e] - ref[e]) / (std::ldexp(1.0, -8) * mag[e] + 1e-5));
    EXPECT_LE(worst, 1.0) << kernel->name;
  }
}

TEST(LinearTest, OneAndTwoThreadsAgree) {
  ThreadReset reset;
  for (const auto& [engine, engine_label] : fp32_engines()) {
    for (size_t m : {size_t{1}, size_t{12}, size_t{255}, size_t{700}}) {
      for (size_t in : {size_t{384}, size_t{1536}}) {
        const Problem p = make_problem(m, in, 385, 11);
        const Linear linear(view(p.w, {385, int64_t(in)}), view(p.b, {385}), Precision::kFloat32, engine);
        set_cpu_threads(1);
        EXPECT_EQ(cpu_threads(), 1);
        const std::vector<float> one = run(linear, p, true);
        set_cpu_threads(2);
        EXPECT_EQ(cpu_threads(), 2);
        const std::vector<float> two = run(linear, p, true);
        double max_diff = 0;
        for (size_t e = 0; e < one.size(); ++e)
          max_diff = std::max(max_diff, std::fabs(double(one[e]) - two[e]) / (1.0 + std::fabs(one[e])));
        if (linear.engine_name().rfind("packed-", 0) == 0) {
          EXPECT_EQ(one, two) << engine_label << " m=" << m << " in=" << in;  // same k order in every tile
        } else {
          EXPECT_LE(max_diff, 1e-6) << engine_label << " m=" << m << " in=" << in;
        }
      }
    }
  }
}

TEST(LinearTest, ConcurrentForwardCalls) {
  ThreadReset reset;
  set_cpu_threads(2);
  for (const auto& [engine, engine_label] : fp32_engines()) {
    const Problem p = make_problem(100, 384, 200, 21);
    const Linear linear(view(p.w, {200, 384}), view(p.b, {200}), Precision::kFloat32, engine);
    const std::vector<float> expected = run(linear, p, false);
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
      threads.emplace_back([&] {
        for (int r = 0; r < 5; ++r)
          if (run(linear, p, false) != expected) ++mismatches;
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatches.load(), 0) << engine_label;
  }
}

TEST(ParallelForTest, CoversEveryIndexOnce) {
  ThreadReset reset;
  for (int threads : {1, 2, 3, 0}) {
    set_cpu_threads(threads);
    for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{5}, size_t{1000}}) {
      std::vector<std::atomic<int>> hits(n);
      std::atomic<int> calls{0};
      parallel_for(n, [&](size_t begin, size_t end) {
        ++calls;
        EXPECT_LT(begin, end);
        for (size_t i = begin; i < end; ++i) ++hits[i];
      });
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
      EXPECT_LE(calls.load(), std::max(1, cpu_threads()));
    }
  }
}

TEST(ParallelForTest, GrainLimitsChunksAndNestingRunsSerially) {
  ThreadReset reset;
  set_cpu_threads(2);
  std::atomic<int> calls{0};
  parallel_for(10, 100, [&](size_t begin, size_t end) {
    ++calls;
    EXPECT_EQ(begin, 0u);
    EXPECT_EQ(end, 10u);
  });
  EXPECT_EQ(calls.load(), 1);
  std::atomic<int> inner{0};
  parallel_for(4, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i)
      parallel_for(8, [&](size_t b, size_t e) { inner += static_cast<int>(e - b); });
  });
  EXPECT_EQ(inner.load(), 32);
}

TEST(ParallelForTest, RethrowsExceptions) {
  ThreadReset reset;
  set_cpu_threads(2);
  EXPECT_THROW(parallel_for(100,
                            [](size_t begin, size_t) {
                              if (begin > 0) throw std::runtime_error("chunk failed");
                            }),
               std::runtime_error);
  set_cpu_threads(1);
  EXPECT_THROW(parallel_for(3, [](size_t, size_t) { throw std::runtime_error("serial failed"); }),
               std::runtime_error);
}

TEST(LinearTest, EngineNames) {
  const std::string fp32 = matmul_engine_name(Precision::kFloat32);
  std::printf("matmul engine: fp32 %s, bf16 %s\n", fp32.c_str(), matmul_engine_name(Precision::kBFloat16).c_str());
  EXPECT_FALSE(fp32.empty());
  if (onednn_available() && avx512_gemm_kernel() != nullptr) {
    EXPECT_EQ(fp32.rfind("onednn-", 0), 0u) << fp32;
  } else if (avx512_gemm_kernel() != nullptr) {
    EXPECT_EQ(fp32, "packed-avx512");
  } else if (avx2_gemm_kernel() != nullptr) {
    EXPECT_EQ(fp32, "packed-avx2");  // not oneDNN's AVX2 sgemm: its sums change with the rows and threads
  }
}

}  // namespace
}  // namespace gpuembed::cpu
