// The portable int8 engine (gemm_int8_portable.h: the WebAssembly build's, and native builds' without oneDNN)
// against a float64 reference of the same quantized arithmetic: the integer accumulators are exact, so only float
// rounding of the epilogue separates the two. Awkward shapes: m not a multiple of the 4-row tile, k not a multiple
// of 8 or 16, n not a multiple of the 4-column panel; with and without outlier channels, with and without GELU.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tuple>

#include "backend/cpu/gemm_int8.h"
#include "backend/cpu/gemm_int8_portable.h"
#include "backend/cpu/linear.h"
#include "test_util.h"

namespace gpuembed {
namespace {

using test::random_vec;

TEST(Int8Portable, EqualsItsQuantizedArithmetic) {
  int cases = 0;
  for (auto [m, n, k] : {std::tuple{1, 7, 13}, {7, 5, 37}, {33, 99, 100}, {1, 384, 384}, {7, 1536, 384},
                         {33, 384, 1536}, {5, 3, 1}, {33, 13, 23}}) {
    for (bool gelu : {false, true}) {
      for (bool outliers : {false, true}) {
        const auto w = random_vec(size_t(n) * k, 11 + m, -1, 1), b = random_vec(n, 12 + n, -1, 1);
        auto x = random_vec(size_t(m) * k, 13 + k, -3, 5);  // asymmetric rows: a non-trivial zero point
        if (outliers)  // channel 0 (and the last) above the threshold of 6 in one row: done in float32
          x[size_t(m / 2) * k] = 40.0f, x[size_t(m - 1) * k + k - 1] = -25.0f;
        const cpu::QuantizedWeights qw = cpu::quantize_per_channel(w.data(), n, k);
        const cpu::PortableInt8Matmul mm(qw.q.data(), qw.scale.data(), b.data(), n, k);
        std::vector<float> y(size_t(m) * n, NAN);
        mm.forward(x.data(), m, y.data(), gelu);

        // Reference: outlier channels zeroed, rows quantized as the engine must, integer sums in int64, the rest in
        // double, the outlier channels' float products added back.
        std::vector<size_t> out_cols;
        cpu::int8_outlier_columns(x.data(), m, k, out_cols);
        EXPECT_EQ(out_cols.size(), outliers ? (k == 1 ? 1u : 2u) : 0u);
        std::vector<float> xin = x;
        for (int i = 0; i < m; ++i)
          for (size_t c : out_cols) xin[size_t(i) * k + c] = 0.0f;
        std::vector<uint8_t> xq(size_t(m) * k);
        std::vector<float> xs(m);
        std::vector<int32_t> xz(m);
        cpu::quantize_rows(xin.data(), m, k, xq.data(), xs.data(), xz.data());
        double worst_rel = 0;
        for (int i = 0; i < m; ++i)
          for (int j = 0; j < n; ++j) {
            int64_t acc = 0;
            for (int c = 0; c < k; ++c) acc += (int64_t(xq[size_t(i) * k + c]) - xz[i]) * qw.q[size_t(j) * k + c];
            double v = double(acc) * xs[i] * qw.scale[j] + b[j];
            for (size_t c : out_cols) v += double(x[size_t(i) * k + c]) * qw.q[size_t(j) * k + c] * qw.scale[j];
            if (gelu) v = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
            const double got = y[size_t(i) * n + j];
            ASSERT_TRUE(std::isfinite(got)) << "m=" << m << " n=" << n << " k=" << k << " (" << i << ", " << j << ")";
            worst_rel = std::max(worst_rel, std::fabs(got - v) / (1.0 + std::fabs(v)));
          }
        // Float32 epilogue of exact integers: a few ulps (1 ulp ~ 6e-8 relative). The outlier channels add float32
        // products up to 40 · 127 · scale, larger than most outputs: their rounding is relative to those terms.
        EXPECT_LT(worst_rel, outliers ? 1e-5 : 2e-6) << "m=" << m << " n=" << n << " k=" << k << " gelu=" << gelu
                                   << " outliers=" << outliers;
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 32);
}

// Rows of one call are independent: a row gives the same output alone as inside a batch (its quantization is
// per row; only the outlier channel set depends on the batch, and there is none here).
TEST(Int8Portable, RowsAreIndependent) {
  const size_t m = 9, n = 10, k = 45;
  const auto w = random_vec(n * k, 21, -1, 1), x = random_vec(m * k, 22, -2, 2);
  const cpu::QuantizedWeights qw = cpu::quantize_per_channel(w.data(), n, k);
  const cpu::PortableInt8Matmul mm(qw.q.data(), qw.scale.data(), nullptr, n, k);
  std::vector<float> all(m * n), one(n);
  mm.forward(x.data(), m, all.data(), false);
  for (size_t r = 0; r < m; ++r) {
    mm.forward(x.data() + r * k, 1, one.data(), false);
    for (size_t j = 0; j < n; ++j) EXPECT_EQ(one[j], all[r * n + j]) << r << ", " << j;
  }
}

// int8 precision no longer needs oneDNN: a Linear builds in every build (it threw kBackendUnavailable without
// oneDNN) and names its engine.
TEST(Int8Portable, LinearBuildsInEveryBuild) {
  EXPECT_TRUE(cpu::int8_matmul_available());
  const auto w = random_vec(6 * 10, 31, -1, 1);
  const cpu::Linear lin(TensorView{w.data(), {6, 10}}, TensorView{}, Precision::kInt8);
  EXPECT_NE(lin.engine_name().find("int8"), std::string::npos) << lin.engine_name();
  const auto x = random_vec(3 * 10, 32, -1, 1);
  std::vector<float> y(3 * 6);
  lin.forward(x.data(), 3, y.data());
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 6; ++j) {
      double exact = 0;
      for (size_t c = 0; c < 10; ++c) exact += double(x[i * 10 + c]) * w[j * 10 + c];
      EXPECT_NEAR(y[i * 6 + j], exact, 0.05);
    }
}

}  // namespace
}  // namespace gpuembed
