// Op-by-op harness (in the spirit of ggml's test-backend-ops): every op of the CPU backend, on every compiled SIMD
// path this CPU has and every matmul engine, against a scalar float64 reference, at awkward shapes (sequences of
// 1, 7, 255 and 513 tokens; head dims 32, 64, 80, 128; widths that are no multiple of any tile), with guard values
// around every output to catch out-of-bounds writes. Prints a table ops x backends x precisions. The ops the model
// families beyond BERT add are in op_harness_families_test.cpp.
#include <gtest/gtest.h>

#include <set>

#include "backend/cpu/linear.h"
#include "op_harness.h"
#include "pooling/pooling.h"

namespace gpuembed::op_harness {
namespace {

class PrintTable : public ::testing::Environment {
 public:
  void TearDown() override {
    if (results().empty()) return;
    std::vector<std::string> cols;
    for (const auto& [op, row] : results()) {
      for (const auto& [col, v] : row) {
        if (std::find(cols.begin(), cols.end(), col) == cols.end()) cols.push_back(col);
      }
    }
    std::sort(cols.begin(), cols.end());
    std::printf("\nop harness: worst |error| / tolerance per op and backend (pass <= 1; - = not on that path)\n| op |");
    for (const auto& c : cols) std::printf(" %s |", c.c_str());
    std::printf("\n| --- |");
    for (size_t i = 0; i < cols.size(); ++i) std::printf(" --- |");
    std::printf("\n");
    for (const auto& [op, row] : results()) {
      std::printf("| %s |", op.c_str());
      for (const auto& c : cols) {
        auto it = row.find(c);
        if (it == row.end()) std::printf(" - |");
        else std::printf(" %.3f |", it->second);
      }
      std::printf("\n");
    }
  }
};
const auto* const kTable = ::testing::AddGlobalTestEnvironment(new PrintTable);

TEST(OpHarness, EmbedLayerNorm) {
  const size_t h = 100, vocab = 50, positions = 520;
  const auto word = random_values(vocab * h, 1), pos = random_values(positions * h, 2), type = random_values(2 * h, 3);
  const auto gamma = random_values(h, 4), beta = random_values(h, 5);
  for (SimdLevel level : simd_levels()) {
    ForceLevel force(level);
    for (const auto& lengths : kTextLengths) {
      const cpu::PackedRows rows = rows_of(lengths);
      std::vector<int32_t> ids(rows.rows());
      for (size_t r = 0; r < ids.size(); ++r) ids[r] = static_cast<int32_t>((r * 17 + 3) % vocab);
      Guarded out(rows.rows() * h);
      cpu::embed_tokens({word.data(), pos.data(), type.data(), gamma.data(), beta.data()}, ids.data(), rows, h, 1e-12f,
                        out.data());
      std::vector<double> want(rows.rows() * h), tol(want.size()), sum(h);
      for (size_t b = 0; b < rows.texts(); ++b) {
        for (size_t t = 0; t < rows.length(b); ++t) {
          const size_t r = rows.offsets[b] + t;
          for (size_t i = 0; i < h; ++i) {
            sum[i] = double(word[size_t(ids[r]) * h + i]) + double(pos[t * h + i]) + double(type[i]);
          }
          layer_norm_ref(sum.data(), h, gamma.data(), beta.data(), 1e-12, want.data() + r * h);
          for (size_t i = 0; i < h; ++i) tol[r * h + i] = 2e-5 * (std::fabs(gamma[i]) * 4 + std::fabs(beta[i]) + 1e-3);
        }
      }
      expect_close("embed_layernorm fp32", backend_name(level), out, want, tol, "rows " + std::to_string(rows.rows()));
    }
  }
}

TEST(OpHarness, LayerNormAndAddLayerNorm) {
  for (size_t h : {32u, 100u, 384u, 385u}) {
    const auto gamma = random_values(h, 6), beta = random_values(h, 7);
    for (size_t n : {1u, 7u, 255u, 513u}) {
      const auto x = random_values(n * h, 8, 3.0f), delta = random_values(n * h, 9);
      std::vector<double> want_ln(n * h), want_add(n * h), tol(n * h), row(h);
      for (size_t r = 0; r < n; ++r) {
        for (size_t i = 0; i < h; ++i) row[i] = x[r * h + i];
        layer_norm_ref(row.data(), h, gamma.data(), beta.data(), 1e-12, want_ln.data() + r * h);
        for (size_t i = 0; i < h; ++i) row[i] = double(x[r * h + i]) + double(delta[r * h + i]);
        layer_norm_ref(row.data(), h, gamma.data(), beta.data(), 1e-12, want_add.data() + r * h);
        for (size_t i = 0; i < h; ++i) tol[r * h + i] = 2e-5 * (std::fabs(gamma[i]) * 5 + std::fabs(beta[i]) + 1e-3);
      }
      for (SimdLevel level : simd_levels()) {
        ForceLevel force(level);
        const std::string shape = std::to_string(n) + "x" + std::to_string(h);
        Guarded ln(n * h);
        std::copy(x.begin(), x.end(), ln.data());
        cpu::layer_norm(ln.data(), n, h, gamma.data(), beta.data(), 1e-12f);
        expect_close("layernorm fp32", backend_name(level), ln, want_ln, tol, shape);
        Guarded add(n * h);
        std::copy(x.begin(), x.end(), add.data());
        cpu::add_layer_norm(add.data(), delta.data(), n, h, gamma.data(), beta.data(), 1e-12f);
        expect_close("layernorm+residual fp32", backend_name(level), add, want_add, tol, shape);
      }
    }
  }
}

TEST(OpHarness, Linear) {
  struct Engine {
    cpu::MatmulEngine engine;
    const char* name;
  };
  const std::vector<Engine> engines = {{cpu::MatmulEngine::kOneDnn, "onednn"},
                                       {cpu::MatmulEngine::kAvx512, "packed-avx512"},
                                       {cpu::MatmulEngine::kAvx2, "packed-avx2"},
                                       {cpu::MatmulEngine::kPortable, "packed-portable"}};
  for (auto [in, out] : {std::pair<size_t, size_t>{100, 77}, {384, 1152}, {37, 5}}) {
    const auto w = random_values(out * in, 10, 0.1f), b = random_values(out, 11);
    const TensorView wv{w.data(), {int64_t(out), int64_t(in)}}, bv{b.data(), {int64_t(out)}};
    for (size_t m : {1u, 7u, 255u, 513u}) {
      const auto x = random_values(m * in, 12);
      std::vector<double> want(m * out), want_gelu(m * out), tol(m * out), tol_bf16(m * out);
      for (size_t r = 0; r < m; ++r) {
        for (size_t o = 0; o < out; ++o) {
          double acc = b[o], mag = std::fabs(b[o]);
          for (size_t k = 0; k < in; ++k) {
            acc += double(x[r * in + k]) * double(w[o * in + k]);
            mag += std::fabs(double(x[r * in + k]) * double(w[o * in + k]));
          }
          want[r * out + o] = acc;
          want_gelu[r * out + o] = gelu_ref(acc);
          tol[r * out + o] = 1e-6 * mag + 1e-6;
          tol_bf16[r * out + o] = 1.6e-2 * mag + 1e-3;  // bf16 rounds x and w to 8 bits of mantissa
        }
      }
      for (Precision precision : {Precision::kFloat32, Precision::kBFloat16}) {
        std::set<std::string> ran;  // an engine this build lacks resolves to one that is there: run that one once
        for (const Engine& e : engines) {  // the matmul engines dispatch by CPU features themselves, not by SimdLevel
          const cpu::Linear lin(wv, bv, precision, e.engine);
          const bool bf16 = precision == Precision::kBFloat16;
          if (bf16 && lin.engine_name().find("bf16") == std::string::npos) continue;  // no bf16 path here: fp32 runs
          if (!ran.insert(lin.engine_name()).second) continue;
          const std::string backend = lin.engine_name(), prec = bf16 ? " bf16" : " fp32";
          const std::string shape = std::to_string(m) + "x" + std::to_string(in) + "->" + std::to_string(out);
          Guarded y(m * out);
          lin.forward(x.data(), m, y.data());
          expect_close("linear+bias" + prec, backend, y, want, bf16 ? tol_bf16 : tol, shape);
          Guarded g(m * out);
          lin.forward(x.data(), m, g.data(), cpu::Epilogue::kGelu);
          expect_close("linear+bias+gelu" + prec, backend, g, want_gelu, bf16 ? tol_bf16 : tol, shape);
        }
      }
    }
  }
}

TEST(OpHarness, Attention) {
  for (size_t hd : {32u, 64u, 80u, 128u}) {
    const size_t heads = 2, hidden = heads * hd;
    for (const auto& lengths : kTextLengths) {
      const cpu::PackedRows rows = rows_of(lengths);
      const auto qkv = random_values(rows.rows() * 3 * hidden, 13);
      std::vector<double> want, tol;
      attention_ref(qkv, rows, heads, hd, {}, want, tol);
      for (SimdLevel level : simd_levels()) {
        ForceLevel force(level);
        Guarded ctx(rows.rows() * hidden);
        cpu::attention(qkv.data(), rows, heads, hd, ctx.data());
        expect_close("attention (padding mask) fp32", backend_name(level), ctx, want, tol,
                     "head_dim " + std::to_string(hd) + ", rows " + std::to_string(rows.rows()));
      }
    }
  }
}

TEST(OpHarness, PoolingAndNormalize) {
  const size_t h = 77;
  for (size_t len : {1u, 7u, 255u, 513u}) {
    const auto x = random_values(len * h, 14);
    for (PoolingMode mode : {PoolingMode::kCls, PoolingMode::kMean, PoolingMode::kMax, PoolingMode::kMeanSqrtLen}) {
      std::vector<double> want(h), tol(h);
      for (size_t i = 0; i < h; ++i) {
        double sum = 0, mx = -1e300, mag = 0;
        for (size_t t = 0; t < len; ++t) {
          sum += x[t * h + i];
          mag += std::fabs(x[t * h + i]);
          mx = std::max(mx, double(x[t * h + i]));
        }
        want[i] = mode == PoolingMode::kCls ? x[i]
                  : mode == PoolingMode::kMax ? mx
                  : mode == PoolingMode::kMean ? sum / double(len)
                                               : sum / std::sqrt(double(len));
        tol[i] = 1e-6 * mag / (mode == PoolingMode::kMean ? double(len) : 1.0) + 1e-7;
      }
      Guarded out(h);
      pool_tokens(x.data(), len, h, {mode}, out.data());
      expect_close(std::string("pool ") + pooling_mode_name(mode) + " fp32", kPlainPath, out, want, tol, "len " + std::to_string(len));
    }
  }
  for (size_t n : {1u, 7u, 385u}) {
    const auto v = random_values(n, 15);
    double norm = 0;
    for (float f : v) norm += double(f) * double(f);
    norm = std::sqrt(norm);
    std::vector<double> want(n), tol(n, 1e-6);
    for (size_t i = 0; i < n; ++i) want[i] = v[i] / norm;
    Guarded out(n);
    std::copy(v.begin(), v.end(), out.data());
    l2_normalize(out.data(), n);
    expect_close("l2_normalize fp32", kPlainPath, out, want, tol, "n " + std::to_string(n));
  }
}

}  // namespace
}  // namespace gpuembed::op_harness
