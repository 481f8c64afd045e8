// Matmul engines of the CPU backend, shape by shape: median wall ms, GFLOP/s, and CPU-time GFLOP/s per core
// (process CPU seconds, which excludes time the threads were descheduled: steadier on a shared machine).
//
//   gemm_bench [--threads 1,2] [--reps 9] [--engines sgemm,onednn,onednn-bf16,avx512,avx512-bf16w,avx2,portable]
//              [--model-only] [--rows 4096,12 (the model rows' M)]
//
// Engines: sgemm = dnnl_sgemm on the row-major weights (+ bias/GELU pass); onednn = oneDNN matmul primitive, blocked
// weights, fused bias/GELU; onednn-bf16 = the same in bf16 (activations converted per call); avx512 / portable = the
// packed GEMM with the AVX-512 / portable micro-kernel; "-bf16w" = packed weights stored as bf16, math in fp32.
// "model" rows run the 24 Linear layers of a 6-layer MiniLM (fused QKV 1152×384, out 384×384, FFN 1536×384 + GELU,
// FFN 384×1536) with distinct weights one after another, as a forward pass does (42 MB of fp32 weights: for a
// 12-token sentence this is a memory/cache-bound test).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/gemm_onednn.h"
#include "backend/cpu/gemm_packed.h"
#include "backend/cpu/linear.h"
#include "backend/cpu/parallel.h"
#include "split_list.h"

using namespace gpuembed;
using namespace gpuembed::cpu;

namespace {

double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Timing {
  double wall_ms, cpu_ms;
};

Timing measure(const std::function<void()>& fn, int reps) {
  fn();  // warm-up (primitive creation, page faults)
  std::vector<double> walls, cpus;
  for (int r = 0; r < reps; ++r) {
    const double w0 = wall_now(), c0 = cpu_now();
    fn();
    walls.push_back(wall_now() - w0);
    cpus.push_back(cpu_now() - c0);
  }
  std::sort(walls.begin(), walls.end());
  std::sort(cpus.begin(), cpus.end());
  return {walls[walls.size() / 2] * 1e3, cpus[cpus.size() / 2] * 1e3};
}

struct Layer {
  size_t n, k;
  bool gelu;
  std::vector<float> w, b;
};

// One engine's forward over a set of layers.
struct EngineRun {
  std::vector<std::function<void(const float*, size_t, float*)>> fns;
};

EngineRun build(const std::string& engine, std::vector<Layer>& layers) {
  EngineRun run;
  for (Layer& l : layers) {
    const float* w = l.w.data();
    const float* b = l.b.data();
    const size_t n = l.n, k = l.k;
    const bool gelu = l.gelu;
    if (engine == "sgemm") {
      run.fns.push_back([=](const float* x, size_t m, float* y) { onednn_sgemm_linear(x, m, w, b, n, k, y, gelu); });
    } else if (engine == "onednn" || engine == "onednn-bf16") {
      auto mm = std::make_shared<OneDnnMatmul>(w, b, n, k, engine == "onednn-bf16");
      run.fns.push_back([=](const float* x, size_t m, float* y) { mm->forward(x, m, y, gelu); });
    } else {
      const bool bf16w = engine.size() > 6 && engine.compare(engine.size() - 6, 6, "-bf16w") == 0;
      const GemmKernel* kernel = engine.rfind("avx512", 0) == 0 ? avx512_gemm_kernel()
                                 : engine.rfind("avx2", 0) == 0  ? avx2_gemm_kernel()
                                                                 : &portable_gemm_kernel();
      auto pl = std::make_shared<PackedLinear>(*kernel, w, b, n, k, bf16w);
      run.fns.push_back([=](const float* x, size_t m, float* y) { pl->forward(x, m, y, gelu); });
    }
  }
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts = {1, 2};
  std::vector<std::string> engines = {"sgemm", "onednn", "onednn-bf16", "avx512", "avx512-bf16w", "avx2", "portable"};
  int reps = 9;
  bool model_only = false;
  std::vector<size_t> model_rows = {4096, 12};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      thread_counts.clear();
      for (auto& t : split_list(argv[++i])) thread_counts.push_back(std::atoi(t.c_str()));
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--engines" && i + 1 < argc) {
      engines = split_list(argv[++i]);
    } else if (a == "--model-only") {
      model_only = true;
    } else if (a == "--rows" && i + 1 < argc) {
      model_rows.clear();
      for (auto& r : split_list(argv[++i])) model_rows.push_back(std::strtoull(r.c_str(), nullptr, 10));
    } else {
      std::fprintf(stderr, "usage: %s [--threads 1,2] [--reps N] [--engines a,b,...] [--model-only] [--rows 4096,12]\n", argv[0]);
      return 2;
    }
  }
  engines.erase(std::remove_if(engines.begin(), engines.end(),
                               [](const std::string& e) {
                                 if ((e == "sgemm" || e == "onednn" || e == "onednn-bf16") && !onednn_available())
                                   return true;
                                 if (e.rfind("avx2", 0) == 0 && avx2_gemm_kernel() == nullptr) return true;
                                 return e.rfind("avx512", 0) == 0 && avx512_gemm_kernel() == nullptr;
                               }),
                engines.end());
  std::printf("cpu features: %s\n", cpu_features_string().c_str());
  if (onednn_available())
    std::printf("oneDNN isa: %s, native bf16: %s\n", onednn_isa_name().c_str(), onednn_native_bf16() ? "yes" : "no");
  std::printf("auto engine: fp32 %s, bf16 %s\n", matmul_engine_name(Precision::kFloat32).c_str(),
              matmul_engine_name(Precision::kBFloat16).c_str());
  std::printf("median of %d runs after a warm-up; GF/s = GFLOP/s on wall time; cpuGF/s/core = GFLOP per CPU-second\n\n",
              reps);

  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto random_layer = [&](size_t n, size_t k, bool gelu) {
    Layer l{n, k, gelu, std::vector<float>(n * k), std::vector<float>(n)};
    for (auto& v : l.w) v = dist(rng) * 0.05f;
    for (auto& v : l.b) v = dist(rng) * 0.1f;
    return l;
  };
  const size_t max_m = 4096;
  std::vector<float> x(max_m * 1536), y(max_m * 1536);
  for (auto& v : x) v = dist(rng);

  struct Shape {
    size_t n, k;
    bool gelu;
    const char* what;
  };
  const Shape shapes[] = {{1152, 384, false, "QKV fused"},
                          {384, 384, false, "attn out"},
                          {1536, 384, true, "FFN in+GELU"},
                          {384, 1536, false, "FFN out"}};
  if (!model_only) {
    std::printf("%-12s %5s %5s %5s %-12s %3s %10s %9s %14s\n", "engine", "M", "N", "K", "op", "thr", "ms", "GF/s",
                "cpuGF/s/core");
    for (size_t m : {size_t{4096}, size_t{12}}) {
      for (const Shape& sh : shapes) {
        std::vector<Layer> layer;
        layer.push_back(random_layer(sh.n, sh.k, sh.gelu));
        const double flops = 2.0 * m * sh.n * sh.k;
        for (const std::string& engine : engines) {
          EngineRun run = build(engine, layer);
          for (int t : thread_counts) {
            set_cpu_threads(t);
            int r = m >= 1024 ? (engine == "portable" ? std::max(1, reps / 3) : reps) : reps * 30;
            Timing tm = measure([&] { run.fns[0](x.data(), m, y.data()); }, r);
            std::printf("%-12s %5zu %5zu %5zu %-12s %3d %10.3f %9.1f %14.1f\n", engine.c_str(), m, sh.n, sh.k, sh.what,
                        t, tm.wall_ms, flops / tm.wall_ms / 1e6, flops / tm.cpu_ms / 1e6);
            std::fflush(stdout);
          }
        }
      }
    }
    std::printf("\n");
  }

  // A whole 6-layer MiniLM's matmuls with distinct weights.
  std::vector<Layer> model;
  for (int l = 0; l < 6; ++l) {
    model.push_back(random_layer(1152, 384, false));
    model.push_back(random_layer(384, 384, false));
    model.push_back(random_layer(1536, 384, true));
    model.push_back(random_layer(384, 1536, false));
  }
  double model_flops_per_row = 0;
  for (const Layer& l : model) model_flops_per_row += 2.0 * l.n * l.k;
  std::printf("%-12s %5s %3s %10s %9s %14s  (model: 24 Linear layers, %.1f MB fp32 weights)\n", "engine", "M", "thr",
              "ms", "GF/s", "cpuGF/s/core", model_flops_per_row / 2 * 4 / 1e6);
  std::vector<float> h(max_m * 1536);
  for (size_t& m : model_rows) m = std::clamp<size_t>(m, 1, max_m);
  for (size_t m : model_rows) {
    for (const std::string& engine : engines) {
      if (engine == "portable" && m >= 1024) continue;  // seconds per run; shown per shape above
      EngineRun run = build(engine, model);
      for (int t : thread_counts) {
        set_cpu_threads(t);
        auto forward = [&] {
          for (size_t i = 0; i < run.fns.size(); ++i) {
            const float* in = (i % 4 == 3) ? h.data() : x.data();
            float* out = (i % 4 == 2) ? h.data() : y.data();
            run.fns[i](in, m, out);
          }
        };
        Timing tm = measure(forward, m >= 1024 ? std::max(3, reps / 2) : reps * 5);
        const double flops = model_flops_per_row * m;
        std::printf("%-12s %5zu %3d %10.3f %9.1f %14.1f\n", engine.c_str(), m, t, tm.wall_ms, flops / tm.wall_ms / 1e6,
                    flops / tm.cpu_ms / 1e6);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
