#pragma once
// Hot loops are compiled for several ISAs and chosen at run time by CPU *features* (cpu::simd_level()), so the
// same binary runs AVX-512 code on any CPU that has it, Intel or AMD. (GCC's target_clones("arch=...") picks a
// clone by CPU model instead: AMD processors with AVX-512 ran the SSE2 clone.) A body marked GPUEMBED_HOT_BODY is
// inlined into each per-ISA wrapper, so it is compiled once per target.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GPUEMBED_X86_VARIANTS 1
#define GPUEMBED_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c,bmi,bmi2")))
#define GPUEMBED_TARGET_AVX2 __attribute__((target("avx2,fma,f16c,bmi,bmi2")))
#endif
#define GPUEMBED_HOT_BODY __attribute__((always_inline)) inline
