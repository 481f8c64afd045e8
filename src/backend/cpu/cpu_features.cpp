#include "backend/cpu/cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <cstdint>
#endif

namespace gpuembed::cpu {
namespace {

#if defined(__x86_64__) || defined(__i386__)
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  const bool fma = (c >> 12) & 1;
  if (!osxsave) return f;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_os = (xcr0 & 0x6) == 0x6;             // SSE + AVX state
  const bool zmm_os = ymm_os && (xcr0 & 0xe0) == 0xe0;  // opmask + ZMM_Hi256 + Hi16_ZMM
  const bool amx_os = (xcr0 & 0x60000) == 0x60000;      // XTILECFG + XTILEDATA
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  const unsigned ebx7 = b, edx7 = d;
  f.fma = fma && ymm_os;
  f.avx2 = ymm_os && ((ebx7 >> 5) & 1);
  f.avx512f = zmm_os && ((ebx7 >> 16) & 1);
  f.avx512dq = f.avx512f && ((ebx7 >> 17) & 1);
  f.avx512bw = f.avx512f && ((ebx7 >> 30) & 1);
  f.avx512vl = f.avx512f && ((ebx7 >> 31) & 1);
  f.amx_bf16 = amx_os && ((edx7 >> 22) & 1);
  f.amx_tile = amx_os && ((edx7 >> 24) & 1);
  __cpuid_count(7, 1, a, b, c, d);
  f.avx512_bf16 = f.avx512f && ((a >> 5) & 1);
  return f;
}
#else
CpuFeatures detect() { return {}; }
#endif

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

std::string cpu_features_string() {
  const CpuFeatures& f = cpu_features();
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512vl, "avx512vl");
  add(f.avx512dq, "avx512dq");
  add(f.avx512_bf16, "avx512_bf16");
  add(f.amx_tile, "amx_tile");
  add(f.amx_bf16, "amx_bf16");
  return s.empty() ? "none" : s;
}

SimdLevel simd_level_for(const CpuFeatures& f) {
  if (f.avx512_core() && f.avx2 && f.fma) return SimdLevel::kAvx512;
  if (f.avx2 && f.fma) return SimdLevel::kAvx2;
  return SimdLevel::kBaseline;
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512: return "avx512";
    case SimdLevel::kAvx2: return "avx2";
    case SimdLevel::kBaseline: break;
  }
  return "baseline";
}

namespace {
SimdLevel clamp_to_cpu(SimdLevel level) {
  const SimdLevel best = simd_level_for(cpu_features());
  return static_cast<int>(level) < static_cast<int>(best) ? level : best;
}

SimdLevel initial_level() {
  SimdLevel level = SimdLevel::kAvx512;
  if (const char* env = std::getenv("GPUEMBED_CPU_SIMD")) {
    if (std::strcmp(env, "baseline") == 0) level = SimdLevel::kBaseline;
    if (std::strcmp(env, "avx2") == 0) level = SimdLevel::kAvx2;
  }
  return clamp_to_cpu(level);
}

std::atomic<SimdLevel>& level_slot() {
  static std::atomic<SimdLevel> level{initial_level()};
  return level;
}
}  // namespace

SimdLevel active_simd_level() { return level_slot().load(std::memory_order_relaxed); }
void force_simd_level(SimdLevel level) { level_slot().store(clamp_to_cpu(level), std::memory_order_relaxed); }

}  // namespace gpuembed::cpu
