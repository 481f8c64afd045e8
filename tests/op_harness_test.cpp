// Op-by-op harness (in the spirit of ggml's test-backend-ops): every op of the CPU backend, on every compiled SIMD
// path this CPU has and every matmul engine, against a scalar float64 reference, at awkward shapes (sequences of
// 1, 7, 255 and 513 tokens; head dims 32, 64, 80, 128; widths that are no multiple of any tile), with guard values
// around every output to catch out-of-bounds writes. Prints a table ops x backends x precisions.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/linear.h"
#include "backend/cpu/ops.h"
#include "pooling/pooling.h"

namespace gpuembed {
namespace {

using cpu::SimdLevel;

// Worst |error| / tolerance per (op, backend, precision): the table printed at the end.
std::map<std::string, std::map<std::string, double>>& results() {
  static std::map<std::string, std::map<std::string, double>> r;
  return r;
}
void record(const std::string& op, const std::string& backend, double ratio) {
  double& worst = results()[op][backend];
  worst = std::max(worst, ratio);
}

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

std::vector<float> random_values(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

std::vector<SimdLevel> simd_levels() {
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

std::string backend_name(SimdLevel l) { return std::string("cpu-") + cpu::simd_level_name(l); }

// Compares got with want (float64) under |got - want| <= tol; records the worst ratio, fails on the first miss.
// op names the table's row ("op precision"), backend its column.
void expect_close(const std::string& op, const std::string& backend, const Guarded& got, const std::vector<double>& want,
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

void layer_norm_ref(const double* x, size_t h, const float* g, const float* b, double eps, double* out) {
  double mean = 0, var = 0;
  for (size_t i = 0; i < h; ++i) mean += x[i];
  mean /= static_cast<double>(h);
  for (size_t i = 0; i < h; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<double>(h);
  for (size_t i = 0; i < h; ++i) out[i] = (x[i] - mean) / std::sqrt(var + eps) * g[i] + b[i];
}

cpu::PackedRows rows_of(const std::vector<size_t>& lengths) {
  cpu::PackedRows r;
  r.offsets.push_back(0);
  for (size_t len : lengths) r.offsets.push_back(r.offsets.back() + len);
  return r;
}

const std::vector<std::vector<size_t>> kTextLengths = {{1}, {7}, {255}, {513}, {7, 1, 255}};

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

// XLM-R numbers positions from pad_token_id + 1; MPNet has no token-type table.
TEST(OpHarness, EmbedLayerNormOffsetPositionsWithoutTokenTypes) {
  const size_t h = 96, vocab = 40, positions = 520, offset = 2;
  const auto word = random_values(vocab * h, 21), pos = random_values(positions * h, 22);
  const auto gamma = random_values(h, 23), beta = random_values(h, 24);
  for (SimdLevel level : simd_levels()) {
    ForceLevel force(level);
    for (const auto& lengths : kTextLengths) {
      const cpu::PackedRows rows = rows_of(lengths);
      std::vector<int32_t> ids(rows.rows());
      for (size_t r = 0; r < ids.size(); ++r) ids[r] = static_cast<int32_t>((r * 13 + 5) % vocab);
      Guarded out(rows.rows() * h);
      cpu::embed_tokens({word.data(), pos.data(), nullptr, gamma.data(), beta.data(), offset}, ids.data(), rows, h,
                        1e-5f, out.data());
      std::vector<double> want(rows.rows() * h), tol(want.size()), sum(h);
      for (size_t b = 0; b < rows.texts(); ++b) {
        for (size_t t = 0; t < rows.length(b); ++t) {
          const size_t r = rows.offsets[b] + t;
          for (size_t i = 0; i < h; ++i) sum[i] = double(word[size_t(ids[r]) * h + i]) + double(pos[(t + offset) * h + i]);
          layer_norm_ref(sum.data(), h, gamma.data(), beta.data(), 1e-5, want.data() + r * h);
          for (size_t i = 0; i < h; ++i) tol[r * h + i] = 2e-5 * (std::fabs(gamma[i]) * 4 + std::fabs(beta[i]) + 1e-3);
        }
      }
      expect_close("embed_layernorm (position offset, no token types) fp32", backend_name(level), out, want, tol,
                   "rows " + std::to_string(rows.rows()));
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

double gelu_ref(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

TEST(OpHarness, Linear) {
  struct Engine {
    cpu::MatmulEngine engine;
    const char* name;
  };
  const std::vector<Engine> engines = {{cpu::MatmulEngine::kOneDnn, "onednn"},
                                       {cpu::MatmulEngine::kAvx512, "packed-avx512"},
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
        for (const Engine& e : engines) {  // the matmul engines dispatch by CPU features themselves, not by SimdLevel
          const cpu::Linear lin(wv, bv, precision, e.engine);
          const bool bf16 = precision == Precision::kBFloat16;
          if (bf16 && lin.engine_name().find("bf16") == std::string::npos) continue;  // no bf16 path here: fp32 runs
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

// The float64 reference of attention with a padding mask and, when `bias` is set, MPNet's relative position bias.
void attention_ref(const std::vector<float>& qkv, const cpu::PackedRows& rows, size_t heads, size_t hd,
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

TEST(OpHarness, AttentionWithRelativePositionBias) {
  const size_t heads = 3, buckets = 32;
  const auto table = random_values(buckets * heads, 25, 2.0f);  // large enough to reorder the softmax
  const cpu::DistanceTerms bias{table.data(), buckets, 128};
  for (size_t hd : {32u, 64u}) {
    const size_t hidden = heads * hd;
    for (const auto& lengths : kTextLengths) {
      const cpu::PackedRows rows = rows_of(lengths);
      const auto qkv = random_values(rows.rows() * 3 * hidden, 26);
      std::vector<double> want, tol;
      attention_ref(qkv, rows, heads, hd, bias, want, tol);
      for (SimdLevel level : simd_levels()) {
        ForceLevel force(level);
        Guarded ctx(rows.rows() * hidden);
        cpu::attention(qkv.data(), rows, heads, hd, ctx.data(), bias);
        expect_close("attention (relative position bias) fp32", backend_name(level), ctx, want, tol,
                     "head_dim " + std::to_string(hd) + ", rows " + std::to_string(rows.rows()));
      }
    }
  }
}

// ModernBERT's local layers: keys more than `window` positions away are masked (texts longer and shorter than it).
TEST(OpHarness, AttentionWithSlidingWindow) {
  const size_t heads = 2, hd = 64, hidden = heads * hd;
  for (size_t window : {3u, 64u}) {
    const cpu::DistanceTerms mask{nullptr, 0, 128, window};
    for (const auto& lengths : kTextLengths) {
      const cpu::PackedRows rows = rows_of(lengths);
      const auto qkv = random_values(rows.rows() * 3 * hidden, 29);
      std::vector<double> want, tol;
      attention_ref(qkv, rows, heads, hd, mask, want, tol);
      for (SimdLevel level : simd_levels()) {
        ForceLevel force(level);
        Guarded ctx(rows.rows() * hidden);
        cpu::attention(qkv.data(), rows, heads, hd, ctx.data(), mask);
        expect_close("attention (sliding window) fp32", backend_name(level), ctx, want, tol,
                     "window " + std::to_string(window) + ", rows " + std::to_string(rows.rows()));
      }
    }
  }
}

// Qwen3's attention: causal, 16 query heads over 8 key/value heads (groups of 2) and 4 over 1.
TEST(OpHarness, CausalGroupedQueryAttention) {
  const size_t hd = 64;
  for (auto [heads, kv] : {std::pair<size_t, size_t>{16, 8}, {4, 1}}) {
    const cpu::DistanceTerms causal{nullptr, 0, 128, 0, true};
    for (const auto& lengths : kTextLengths) {
      const cpu::PackedRows rows = rows_of(lengths);
      const auto qkv = random_values(rows.rows() * (heads + 2 * kv) * hd, 32);
      std::vector<double> want, tol;
      attention_ref(qkv, rows, heads, hd, causal, want, tol, kv);
      for (SimdLevel level : simd_levels()) {
        ForceLevel force(level);
        Guarded ctx(rows.rows() * heads * hd);
        cpu::attention(qkv.data(), rows, heads, hd, ctx.data(), causal, kv);
        expect_close("attention (causal, grouped query) fp32", backend_name(level), ctx, want, tol,
                     std::to_string(heads) + "/" + std::to_string(kv) + " heads, rows " + std::to_string(rows.rows()));
      }
    }
  }
}

TEST(OpHarness, RmsNormOverRowsAndHeads) {
  for (auto [width, groups, first, stride] : {std::array<size_t, 4>{1024, 1, 0, 1024}, {128, 16, 0, 4096},
                                             {128, 8, 16, 4096}, {77, 1, 0, 77}}) {
    const auto gamma = random_values(width, 33);
    for (size_t n : {1u, 7u, 255u}) {
      const auto x = random_values(n * stride, 34, 2.0f);
      std::vector<double> want(x.begin(), x.end()), tol(x.size(), 1e-30);
      for (size_t r = 0; r < n; ++r) {
        for (size_t g = 0; g < groups; ++g) {
          const size_t at = r * stride + first + g * width;
          double ss = 0;
          for (size_t i = 0; i < width; ++i) ss += double(x[at + i]) * x[at + i];
          const double inv = 1.0 / std::sqrt(ss / double(width) + 1e-6);
          for (size_t i = 0; i < width; ++i) {
            want[at + i] = gamma[i] * x[at + i] * inv;
            tol[at + i] = 2e-6 * std::fabs(want[at + i]) + 1e-7;
          }
        }
      }
      Guarded got(x.size());
      std::copy(x.begin(), x.end(), got.data());
      cpu::rms_norm(got.data(), n, stride, first, width, groups, gamma.data(), 1e-6f);
      expect_close("rms_norm fp32", "cpu (scalar)", got, want, tol,
                   std::to_string(n) + " rows, " + std::to_string(groups) + " x " + std::to_string(width));
      // Gemma's (1 + w): the same normalized values times 1 + gamma instead of gamma
      std::vector<double> want_one(x.begin(), x.end()), tol_one(x.size(), 1e-30);
      for (size_t i = 0; i < x.size(); ++i) {
        const size_t c = (i % stride) < first ? stride : (i % stride - first) % width;
        if (c < width && (i % stride) < first + groups * width && want[i] != double(x[i])) {
          want_one[i] = want[i] / gamma[c] * (1.0 + double(gamma[c]));
          tol_one[i] = 2e-6 * std::fabs(want_one[i]) + 1e-7;
        }
      }
      Guarded got_one(x.size());
      std::copy(x.begin(), x.end(), got_one.data());
      cpu::rms_norm(got_one.data(), n, stride, first, width, groups, gamma.data(), 1e-6f, true);
      expect_close("rms_norm (1 + w) fp32", "cpu (scalar)", got_one, want_one, tol_one,
                   std::to_string(n) + " rows, " + std::to_string(groups) + " x " + std::to_string(width));
    }
  }
}

// HF MPNet's buckets (32 buckets, max_distance 128) written out: exact below 8, logarithmic to 128, capped at 15;
// keys after the query use buckets 16-31.
TEST(OpHarness, RelativePositionBucketsMatchMpnet) {
  const std::pair<int, int> kWant[] = {{0, 0},    {-1, 1},   {-7, 7},   {-8, 8},   {-11, 8},  {-12, 9},  {-15, 9},
                                       {-16, 10}, {-22, 10}, {-23, 11}, {-31, 11}, {-32, 12}, {-45, 12}, {-46, 13},
                                       {-63, 13}, {-64, 14}, {-90, 14}, {-91, 15}, {-1000, 15}, {1, 17},  {7, 23},
                                       {8, 24},   {16, 26},  {64, 30},  {91, 31},  {5000, 31}};
  for (const auto& [rel, bucket] : kWant) EXPECT_EQ(cpu::relative_position_bucket(rel, 32, 128), bucket) << rel;
}

// NomicBERT's rotary positions (GPT-NeoX halves; partial rotary leaves the channels past rotary_dim alone); V is
// never touched. The angles are exact here, so the tolerance carries float32's angle rounding at position 512.
TEST(OpHarness, RotaryPositions) {
  const size_t heads = 2;
  for (auto [hd, rd] : {std::pair<size_t, size_t>{64, 64}, {80, 32}, {128, 128}}) {
    const size_t hidden = heads * hd;
    for (const auto& lengths : kTextLengths) {
      const cpu::PackedRows rows = rows_of(lengths);
      const auto qkv = random_values(rows.rows() * 3 * hidden, 27);
      std::vector<double> want(qkv.begin(), qkv.end()), tol(qkv.size(), 0.0);
      for (size_t b = 0; b < rows.texts(); ++b) {
        for (size_t t = 0; t < rows.length(b); ++t) {
          const size_t r = rows.offsets[b] + t;
          for (size_t h = 0; h < 2 * heads; ++h) {
            for (size_t i = 0; i < rd / 2; ++i) {
              const double angle = double(t) * std::pow(1000.0, -double(2 * i) / double(rd));
              const size_t a = r * 3 * hidden + h * hd + i, c = a + rd / 2;
              want[a] = qkv[a] * std::cos(angle) - qkv[c] * std::sin(angle);
              want[c] = qkv[c] * std::cos(angle) + qkv[a] * std::sin(angle);
              tol[a] = tol[c] = 1e-6 + 4e-7 * double(t) * (std::fabs(qkv[a]) + std::fabs(qkv[c]));
            }
          }
        }
      }
      for (size_t i = 0; i < tol.size(); ++i) tol[i] = std::max(tol[i], 1e-7);
      Guarded got(qkv.size());
      std::copy(qkv.begin(), qkv.end(), got.data());
      cpu::rotary(got.data(), rows, heads, hd, rd, 1000.0f);
      expect_close("rotary fp32", "cpu (scalar)", got, want, tol,
                   "head_dim " + std::to_string(hd) + " rotary " + std::to_string(rd) + ", rows " + std::to_string(rows.rows()));
    }
  }
}

TEST(OpHarness, GatedSilu) {
  for (size_t w : {1u, 77u, 1536u}) {
    for (size_t n : {1u, 7u, 255u}) {
      const auto in = random_values(n * 2 * w, 28, 3.0f);
      std::vector<double> want(n * w), tol(n * w);
      for (size_t r = 0; r < n; ++r) {
        for (size_t i = 0; i < w; ++i) {
          const double g = in[r * 2 * w + i], v = in[r * 2 * w + w + i];
          want[r * w + i] = v * g / (1.0 + std::exp(-g));
          tol[r * w + i] = 1e-6 * (std::fabs(want[r * w + i]) + 1e-3);
        }
      }
      Guarded out(n * w);
      cpu::gated_activation_silu(in.data(), n, w, out.data());
      expect_close("gated silu (SwiGLU) fp32", "cpu (scalar)", out, want, tol,
                   std::to_string(n) + "x" + std::to_string(w));
    }
  }
}

TEST(OpHarness, GatedGeluAndResidualAdd) {
  for (size_t w : {1u, 77u, 1152u}) {
    for (size_t n : {1u, 7u, 255u}) {
      const auto in = random_values(n * 2 * w, 30, 3.0f), x = random_values(n * w, 31);
      std::vector<double> want(n * w), tol(n * w), want_add(n * w), tol_add(n * w);
      for (size_t r = 0; r < n; ++r) {
        for (size_t i = 0; i < w; ++i) {
          const double a = in[r * 2 * w + i], b = in[r * 2 * w + w + i];
          want[r * w + i] = gelu_ref(a) * b;
          // float32's 1 + erf(a/√2) is rounded at 2^-24 of 1, which for negative a is most of the (small) sum
          tol[r * w + i] = 1e-6 * std::fabs(want[r * w + i]) + 2e-7 * std::fabs(a * b) + 1e-12;
          want_add[r * w + i] = double(x[r * w + i]) + a;
          tol_add[r * w + i] = 1e-7 * (std::fabs(x[r * w + i]) + std::fabs(a)) + 1e-12;
        }
      }
      Guarded out(n * w);
      cpu::gated_activation_gelu(in.data(), n, w, out.data());
      expect_close("gated gelu (GeGLU) fp32", "cpu (scalar)", out, want, tol, std::to_string(n) + "x" + std::to_string(w));
      // Gemma's tanh form: x/2 (1 + tanh(√(2/π)(x + 0.044715 x³)))
      std::vector<double> want_tanh(n * w), tol_tanh(n * w);
      for (size_t r = 0; r < n; ++r) {
        for (size_t i = 0; i < w; ++i) {
          const double a = in[r * 2 * w + i], b = in[r * 2 * w + w + i];
          want_tanh[r * w + i] = 0.5 * a * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (a + 0.044715 * a * a * a))) * b;
          tol_tanh[r * w + i] = 1e-6 * std::fabs(want_tanh[r * w + i]) + 2e-7 * std::fabs(a * b) + 1e-12;
        }
      }
      Guarded out_tanh(n * w);
      cpu::gated_activation_gelu_tanh(in.data(), n, w, out_tanh.data());
      expect_close("gated gelu tanh (Gemma) fp32", "cpu (scalar)", out_tanh, want_tanh, tol_tanh,
                   std::to_string(n) + "x" + std::to_string(w));
      std::vector<float> first_halves(n * w);
      for (size_t r = 0; r < n; ++r) std::copy_n(in.begin() + r * 2 * w, w, first_halves.begin() + r * w);
      Guarded sum(n * w);
      std::copy(x.begin(), x.end(), sum.data());
      cpu::add_rows(sum.data(), first_halves.data(), n, w);
      expect_close("add (residual) fp32", "cpu (scalar)", sum, want_add, tol_add, std::to_string(n) + "x" + std::to_string(w));
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
      expect_close(std::string("pool ") + pooling_mode_name(mode) + " fp32", "cpu (scalar)", out, want, tol, "len " + std::to_string(len));
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
    expect_close("l2_normalize fp32", "cpu (scalar)", out, want, tol, "n " + std::to_string(n));
  }
}

}  // namespace
}  // namespace gpuembed
