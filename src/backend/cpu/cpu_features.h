#pragma once
// x86 CPU features read with cpuid/xgetbv (all false on other architectures, e.g. WebAssembly).
#include <string>

namespace gpuembed::cpu {

struct CpuFeatures {
  bool avx2 = false, fma = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512_bf16 = false;             // vdpbf16ps (Cooper Lake, Sapphire Rapids, Zen 4)
  bool amx_tile = false, amx_bf16 = false;  // Sapphire Rapids and later (OS support checked via XCR0)
  // The AVX-512 subset the hand-written fp32 kernel needs, with OS support for the zmm state.
  bool avx512_core() const { return avx512f && avx512bw && avx512vl && avx512dq; }
};

const CpuFeatures& cpu_features();

// Which compiled copy of the hot loops runs. Chosen by features alone (never by vendor or CPU model), so every
// x86 CPU with AVX-512 or AVX2 gets those paths.
enum class SimdLevel { kBaseline, kAvx2, kAvx512 };
SimdLevel simd_level_for(const CpuFeatures& f);
const char* simd_level_name(SimdLevel level);
// The level in use: the best this CPU allows, lowered by GPUEMBED_CPU_SIMD=baseline|avx2 or force_simd_level()
// (tests run every path this way); a request above what the CPU has is clamped to it.
SimdLevel active_simd_level();
void force_simd_level(SimdLevel level);
// e.g. "avx2 fma avx512f avx512bw avx512vl avx512dq" (for logs and the benchmark).
std::string cpu_features_string();

}  // namespace gpuembed::cpu
