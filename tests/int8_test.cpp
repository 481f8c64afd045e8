// int8 precision (opt-in, native CPU with oneDNN): quantization itself, one Linear against a float64 reference of
// the same quantized arithmetic, and whole-model accuracy against the sentence-transformers golden embeddings.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "backend/cpu/gemm_int8.h"
#include "backend/cpu/gemm_packed.h"
#include "golden_util.h"
#include "test_util.h"
#include "gpuembed/gpuembed.h"

namespace gpuembed {
namespace {

using test::random_vec;

TEST(Int8, PerChannelQuantizationRoundTrips) {
  const size_t n = 5, k = 37;
  std::vector<float> w = random_vec(n * k, 1);
  for (size_t c = 0; c < k; ++c) w[2 * k + c] = 0.0f;  // an all-zero channel must not divide by zero
  const cpu::QuantizedWeights q = cpu::quantize_per_channel(w.data(), n, k);
  for (size_t r = 0; r < n; ++r) {
    int peak = 0;
    for (size_t c = 0; c < k; ++c) {
      const float back = q.q[r * k + c] * q.scale[r];
      EXPECT_LE(std::fabs(back - w[r * k + c]), 0.5f * q.scale[r] + 1e-7f);
      peak = std::max(peak, std::abs(static_cast<int>(q.q[r * k + c])));
    }
    EXPECT_EQ(peak, r == 2 ? 0 : 127) << "row " << r;
  }
}

TEST(Int8, MatmulEqualsItsQuantizedArithmetic) {
  if (!cpu::int8_matmul_available()) GTEST_SKIP() << "no oneDNN in this build";
  for (auto [m, n, k, gelu] : {std::tuple{1, 7, 13, false}, {3, 384, 384, false}, {37, 1536, 384, true},
                               {130, 384, 1536, false}}) {
    // Inputs within the outlier threshold (6): every channel goes through the integer product here.
    const auto w = random_vec(size_t(n) * k, 2), b = random_vec(n, 3), x = random_vec(size_t(m) * k, 4, -3, 5);
    const cpu::Int8Matmul mm(w.data(), b.data(), n, k);
    std::vector<float> y(size_t(m) * n);
    mm.forward(x.data(), m, y.data(), gelu);
    // Reference: the same quantization, integer products summed exactly, scales applied in double.
    const cpu::QuantizedWeights qw = cpu::quantize_per_channel(w.data(), n, k);
    std::vector<uint8_t> xq(size_t(m) * k);
    std::vector<float> xs(m);
    std::vector<int32_t> xz(m);
    cpu::quantize_rows(x.data(), m, k, xq.data(), xs.data(), xz.data());
    double worst = 0, worst_fp = 0, peak = 0;
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        int64_t acc = 0;
        double exact = b[j];
        for (int c = 0; c < k; ++c) {
          acc += (int64_t(xq[size_t(i) * k + c]) - xz[i]) * qw.q[size_t(j) * k + c];
          exact += double(x[size_t(i) * k + c]) * w[size_t(j) * k + c];
        }
        double v = double(acc) * xs[i] * qw.scale[j] + b[j];
        if (gelu) {
          v = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
          exact = 0.5 * exact * (1.0 + std::erf(exact / std::sqrt(2.0)));
        }
        worst = std::max(worst, std::fabs(v - y[size_t(i) * n + j]));
        worst_fp = std::max(worst_fp, std::fabs(exact - y[size_t(i) * n + j]));
        peak = std::max(peak, std::fabs(exact));
      }
    std::printf("[int8] m=%d n=%d k=%d gelu=%d: vs quantized reference %.2e, vs float reference %.2e (%.2f%% of the "
                "largest output)\n", m, n, k, gelu, worst, worst_fp, 100 * worst_fp / peak);
    EXPECT_LT(worst, 1e-4) << "the integer arithmetic itself must be exact up to float rounding";
    // Two roundings of at most half a step each (1/254 of a row's or channel's peak), summed over k terms with random
    // signs: a few percent of the largest output at most.
    EXPECT_LT(worst_fp, 0.03 * peak) << "quantization error out of the expected range";
  }
}

// The bar: min cosine >= 0.999 to the fp32 golden on every sentence.
TEST(Int8, GoldenCosineAtLeast0999) {
  if (!cpu::int8_matmul_available()) GTEST_SKIP() << "no oneDNN in this build";
  for (const char* model : {"minilm-l6-random", "tiny-bert-cls"}) {
    const auto& g = test::golden(model);
    Embedder e = Embedder::load(test::model_dir(model), {.precision = Precision::kInt8});
    EXPECT_EQ(e.info().precision, "int8");
    std::vector<std::string> texts;
    for (const auto& s : g.sentences) texts.push_back(s.text);
    const std::vector<float> out = e.embed_batch(texts);
    const size_t dim = e.dimension();
    double min_cos = 1;
    for (size_t i = 0; i < texts.size(); ++i) {
      double dot = 0, a2 = 0, b2 = 0;
      for (size_t c = 0; c < dim; ++c) {
        const double a = out[i * dim + c], b = g.sentences[i].embedding[c];
        dot += a * b;
        a2 += a * a;
        b2 += b * b;
      }
      min_cos = std::min(min_cos, dot / std::sqrt(a2 * b2));
    }
    std::printf("[int8 golden] %s: %zu sentences, min cosine %.6f\n", model, texts.size(), min_cos);
    EXPECT_GE(min_cos, 0.999);
  }
}

}  // namespace
}  // namespace gpuembed

namespace gpuembed {
namespace {

// `gpuembed quantize`: a quarter of the bytes, read by the ordinary loader, accurate at fp32 and int8 precision.
TEST(Int8, QuantizedModelFolder) {
  const std::filesystem::path out = std::filesystem::temp_directory_path() / "gpuembed-int8-test-model";
  std::filesystem::remove_all(out);
  const std::string src = test::model_dir("minilm-l6-random").string();
  const std::string cmd = std::string(GPUEMBED_CLI_PATH) + " quantize " + src + " " + out.string() + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const double ratio = double(std::filesystem::file_size(out / "model.safetensors")) /
                       double(std::filesystem::file_size(src + "/model.safetensors"));
  std::printf("[int8 file] %.1f%% of the float32 bytes\n", 100 * ratio);
  EXPECT_LT(ratio, 0.27);
  EXPECT_TRUE(std::filesystem::exists(out / "1_Pooling/config.json"));
  // Quantizing again, or into a non-empty folder, is refused.
  EXPECT_NE(std::system((std::string(GPUEMBED_CLI_PATH) + " quantize " + out.string() + " " + out.string() +
                         "-again 2>/dev/null").c_str()), 0);
  EXPECT_NE(std::system(cmd.c_str()), 0);

  const auto& g = test::golden("minilm-l6-random");
  std::vector<std::string> texts;
  for (const auto& s : g.sentences) texts.push_back(s.text);
  for (Precision p : {Precision::kFloat32, Precision::kInt8}) {
    if (p == Precision::kInt8 && !cpu::int8_matmul_available()) continue;
    Embedder e = Embedder::load(out, {.precision = p});
    const std::vector<float> v = e.embed_batch(texts);
    double min_cos = 1;
    for (size_t i = 0; i < texts.size(); ++i) {
      double dot = 0, a2 = 0, b2 = 0;
      for (size_t c = 0; c < e.dimension(); ++c) {
        const double a = v[i * e.dimension() + c], b = g.sentences[i].embedding[c];
        dot += a * b, a2 += a * a, b2 += b * b;
      }
      min_cos = std::min(min_cos, dot / std::sqrt(a2 * b2));
    }
    std::printf("[int8 file] precision %s: min cosine to the fp32 golden %.6f\n", e.info().precision.c_str(), min_cos);
    EXPECT_GE(min_cos, 0.999);
  }
  std::filesystem::remove_all(out);
}

}  // namespace
}  // namespace gpuembed
