#pragma once
// The op harness's shared parts (tests/op_harness_test.cpp, tests/op_harness_families_test.cpp): guarded outputs,
// the comparison against float64 references that records each op's worst error for the printed table, and the
// references used by more than one test.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/ops.h"

namespace gpuembed::op_harness {

using cpu::SimdLevel;


inline std::map<std::string, std::map<std::string, double>>& results() {
  static std::map<std::string, std::map<std::string, double>> r;
  return r;
}
inline void record(const std::string& op, const std::string& backend, double ratio) {
  double& worst = results()[op][backend];
  worst = std::max(worst, ratio);
}


constexpr size_t kGuard = 16;
constexpr float kGuardValue = -7.25e19f;

// An output buffer with guard values on both sides.
struct Guarded {
  std::vector<float> buf;
  explicit Guarded(size_t n) : buf(n + 2 * kGuard, kGuardValue) {}
  float* data() { return buf.data() + kGuard; }
  size_t size() const { return buf.size() - 2 * kGuard; }
  float operator[](size_t i) const { return buf[kGuard + i]; }
  bool guards_intact() const {
    for (size_t i = 0; i < kGuard; ++i) {
      if (buf[i] != kGuardValue || buf[buf.size() - 1 - i] != kGuardValue) return false;
    }
    return true;
  }
};

inline std::vector<float> random_values(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

inline std::vector<SimdLevel> simd_levels() {
  std::vector<SimdLevel> levels = {SimdLevel::kBaseline};
  const SimdLevel best = cpu::simd_level_for(cpu::cpu_features());
  if (best >= SimdLevel::kAvx2) levels.push_back(SimdLevel::kAvx2);
  if (best >= SimdLevel::kAvx512) levels.push_back(SimdLevel::kAvx512);
  return levels;
}

struct ForceLevel {
  explicit ForceLevel(SimdLevel l) { cpu::force_simd_level(l); }
  ~ForceLevel() { cpu::force_simd_level(cpu::simd_level_for(cpu::cpu_features())); }
};

// The table's columns. The WebAssembly build (cmake/wasm_op_harness.cmake) is one path, every file compiled with
// SIMD128 (cpu_features reports it as the baseline level), so all its ops share one column.
#if defined(__wasm_simd128__)
inline std::string backend_name(SimdLevel) { return "wasm-simd128"; }
inline const std::string kPlainPath = "wasm-simd128";
#else
inline std::string backend_name(SimdLevel l) { return std::string("cpu-") + cpu::simd_level_name(l); }
inline const std::string kPlainPath = "cpu (scalar)";
#endif

// Compares got with want (float64) under |got - want| <= tol; records the worst ratio, fails on the first miss.
// op names the table's row ("op precision"), backend its column.
inline void expect_close(const std::string& op, const std::string& backend, const Guarded& got, const std::vector<double>& want,
                  const std::vector<double>& tol, const std::string& shape) {
  ASSERT_TRUE(got.guards_intact()) << op << " " << backend << " " << shape << ": wrote outside its output";
  ASSERT_EQ(got.size(), want.size());
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double ratio = std::fabs(static_cast<double>(got[i]) - want[i]) / tol[i];
    ASSERT_FALSE(std::isnan(ratio)) << op << " " << backend << " " << shape << " at " << i;
    ASSERT_LE(ratio, 1.0) << op << " " << backend << " " << shape << " at " << i << ": " << got[i] << " vs " << want[i];
    worst = std::max(worst, ratio);
  }
  record(op, backend, worst);
}

inline void layer_norm_ref(const double* x, size_t h, const float* g, const float* b, double eps, double* out) {
  double mean = 0, var = 0;
  for (size_t i = 0; i < h; ++i) mean += x[i];
  mean /= static_cast<double>(h);
  for (size_t i = 0; i < h; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<double>(h);
  for (size_t i = 0; i < h; ++i) out[i] = (x[i] - mean) / std::sqrt(var + eps) * g[i] + b[i];
}

inline cpu::PackedRows rows_of(const std::vector<size_t>& lengths) {
  cpu::PackedRows r;
  r.offsets.push_back(0);
  for (size_t len : lengths) r.offsets.push_back(r.offsets.back() + len);
  return r;
}

inline const std::vector<std::vector<size_t>> kTextLengths = {{1}, {7}, {255}, {513}, {7, 1, 255}};

inline double gelu_ref(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

// The float64 reference of attention with a padding mask and, when `bias` is set, MPNet's relative position bias.
inline void attention_ref(const std::vector<float>& qkv, const cpu::PackedRows& rows, size_t heads, size_t hd,
                   const cpu::DistanceTerms& bias, std::vector<double>& want, std::vector<double>& tol,
                   size_t kv_heads = 0) {
  const size_t hidden = heads * hd;
  if (kv_heads == 0) kv_heads = heads;
  const size_t stride = (heads + 2 * kv_heads) * hd, group = heads / kv_heads;
  want.assign(rows.rows() * hidden, 0);
  tol.assign(want.size(), 0);
  const double scale = 1.0 / std::sqrt(double(hd));
  for (size_t b = 0; b < rows.texts(); ++b) {
    const size_t off = rows.offsets[b], len = rows.length(b);
    std::vector<double> s(len);
    for (size_t head = 0; head < heads; ++head) {
      for (size_t q = 0; q < len; ++q) {
        const float* qv = &qkv[(off + q) * stride + head * hd];
        double mx = -1e300;
        for (size_t k = 0; k < len; ++k) {
          const float* kv = &qkv[(off + k) * stride + hidden + (head / group) * hd];
          double dot = 0;
          for (size_t d = 0; d < hd; ++d) dot += double(qv[d]) * double(kv[d]);
          s[k] = dot * scale;
          if (bias.table) {
            const int bucket = cpu::relative_position_bucket(int(k) - int(q), int(bias.buckets), int(bias.max_distance));
            s[k] += bias.table[size_t(bucket) * heads + head];
          }
          if ((bias.window > 0 && size_t(std::abs(int(k) - int(q))) > bias.window) || (bias.causal && k > q)) s[k] = -1e300;
          mx = std::max(mx, s[k]);
        }
        double z = 0;
        for (double& v : s) z += (v = std::exp(v - mx));
        for (size_t d = 0; d < hd; ++d) {
          double acc = 0, mag = 0;
          for (size_t k = 0; k < len; ++k) {
            const double v = qkv[(off + k) * stride + hidden + kv_heads * hd + (head / group) * hd + d];
            acc += s[k] / z * v;
            mag += s[k] / z * std::fabs(v);
          }
          want[(off + q) * hidden + head * hd + d] = acc;
          tol[(off + q) * hidden + head * hd + d] = 1e-5 * mag + 1e-6;
        }
      }
    }
  }
}


}  // namespace gpuembed::op_harness
