#pragma once
// erf(x) ≈ x·P(x²)/Q(x²) on [-kErfClamp, kErfClamp] (±1 beyond, where float erf rounds to ±1): the rational
// approximation used by Eigen / XLA for float erf. One copy of the coefficients for the GELU of the hand-written
// matmul engines (erf_approx and the WebAssembly SIMD128 erf in gemm_packed.cpp, erf8 in gemm_avx2.cpp, erf16 in
// gemm_avx512.cpp), which must agree: each evaluates them as Horner loops with its own operations.
namespace gpuembed::cpu {

inline constexpr float kErfClamp = 4.0f;
inline constexpr int kErfPTerms = 7, kErfQTerms = 5;
// Highest power of x² first; P(x²) is multiplied by x after the loop.
inline constexpr float kErfP[kErfPTerms] = {-2.72614225801306e-10f, 2.77068142495902e-08f, -2.10102402082508e-06f,
                                            -5.69250639462346e-05f, -7.34990630326855e-04f, -2.95459980854025e-03f,
                                            -1.60960333262415e-02f};
inline constexpr float kErfQ[kErfQTerms] = {-1.45660718464996e-05f, -2.13374055278905e-04f, -1.68282697438203e-03f,
                                            -7.37332916720468e-03f, -1.42647390514189e-02f};
// GELU(x) = 0.5·x·(1 + erf(x / √2)).
inline constexpr float kInvSqrt2 = 0.70710678118654752f;

}  // namespace gpuembed::cpu
