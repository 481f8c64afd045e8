// The hot CPU loops are dispatched by CPU features, never by vendor or model (an AMD EPYC with AVX-512 used to run
// the SSE2 copy), and every compiled copy computes the same embedding.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "gpuembed/gpuembed.h"

using gpuembed::cpu::CpuFeatures;
using gpuembed::cpu::SimdLevel;

namespace {
CpuFeatures avx512_cpu() {  // what cpuid reports on an AMD EPYC (Zen 4) or an Intel Xeon since Skylake-SP
  CpuFeatures f;
  f.avx2 = f.fma = true;
  f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = true;
  return f;
}

struct ForceLevel {
  explicit ForceLevel(SimdLevel l) { gpuembed::cpu::force_simd_level(l); }
  ~ForceLevel() { gpuembed::cpu::force_simd_level(SimdLevel::kAvx512); }
};
}  // namespace

TEST(SimdDispatch, ChoosesByFeaturesAlone) {
  EXPECT_EQ(gpuembed::cpu::simd_level_for(avx512_cpu()), SimdLevel::kAvx512);
  CpuFeatures zen2;  // AVX2 + FMA, no AVX-512
  zen2.avx2 = zen2.fma = true;
  EXPECT_EQ(gpuembed::cpu::simd_level_for(zen2), SimdLevel::kAvx2);
  CpuFeatures no_fma = zen2;  // AVX2 without FMA is not enough for the AVX2 copy (it is compiled with FMA)
  no_fma.fma = false;
  EXPECT_EQ(gpuembed::cpu::simd_level_for(no_fma), SimdLevel::kBaseline);
  CpuFeatures partial = avx512_cpu();  // Knights Landing-style AVX-512F without BW/VL falls back to AVX2
  partial.avx512bw = partial.avx512vl = false;
  EXPECT_EQ(gpuembed::cpu::simd_level_for(partial), SimdLevel::kAvx2);
  EXPECT_EQ(gpuembed::cpu::simd_level_for(CpuFeatures{}), SimdLevel::kBaseline);
}

TEST(SimdDispatch, ThisCpuRunsTheBestCopyItHas) {
  const SimdLevel best = gpuembed::cpu::simd_level_for(gpuembed::cpu::cpu_features());
  if (std::getenv("GPUEMBED_CPU_SIMD") == nullptr) EXPECT_EQ(gpuembed::cpu::active_simd_level(), best);
#if defined(__x86_64__)
  // The build machines are x86-64 with at least AVX2; a baseline choice here would be the old bug.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) EXPECT_NE(best, SimdLevel::kBaseline);
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq")) {
    EXPECT_EQ(best, SimdLevel::kAvx512);
  }
#endif
  { ForceLevel f(SimdLevel::kBaseline); EXPECT_EQ(gpuembed::cpu::active_simd_level(), SimdLevel::kBaseline); }
}

TEST(SimdDispatch, EveryCopyGivesTheSameEmbedding) {
  const std::string dir = std::string(GPUEMBED_MODELS_DIR) + "/minilm-l6-random";
  auto e = gpuembed::Embedder::load(dir, {.threads = 1});
  if (std::getenv("GPUEMBED_CPU_SIMD") == nullptr) {
    const std::string want = std::string("+") + gpuembed::cpu::simd_level_name(
                                                     gpuembed::cpu::simd_level_for(gpuembed::cpu::cpu_features()));
    EXPECT_NE(e.info().backend.find(want), std::string::npos) << e.info().backend;
  }
  const std::vector<std::string> texts = {"a", "The quick brown fox jumps over the lazy dog, twice and again.",
                                          std::string(600, 'x') + " tail words here"};
  std::vector<float> ref;
  {
    ForceLevel f(SimdLevel::kBaseline);
    ref = e.embed_batch(texts);
  }
  const SimdLevel best = gpuembed::cpu::simd_level_for(gpuembed::cpu::cpu_features());
  for (SimdLevel l : {SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (static_cast<int>(l) > static_cast<int>(best)) continue;
    ForceLevel f(l);
    const std::vector<float> got = e.embed_batch(texts);
    ASSERT_EQ(got.size(), ref.size());
    float worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - ref[i]));
    // FMA contraction differs from the baseline copy, so bit equality is not expected; the golden bar is 1e-4.
    EXPECT_LT(worst, 2e-6f) << gpuembed::cpu::simd_level_name(l);
  }
}
