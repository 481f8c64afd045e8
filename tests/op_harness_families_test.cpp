// The op harness for the ops of the model families beyond BERT (op_harness.h; the table is printed by
// op_harness_test.cpp): embeddings with offset positions or without token types, MPNet's relative position bias,
// sliding-window and causal grouped-query attention, rotary positions, RMSNorm (also (1 + w)), gated activations
// (SwiGLU, GeGLU in both GELU forms) and the residual add.
#include <gtest/gtest.h>

#include "op_harness.h"

namespace gpuembed::op_harness {
namespace {

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

// Qwen3's attention: causal, 8 query heads over 4 key/value heads (groups of 2) and 4 over 1.
TEST(OpHarness, CausalGroupedQueryAttention) {
  const size_t hd = 64;
  for (auto [heads, kv] : {std::pair<size_t, size_t>{8, 4}, {4, 1}}) {
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
      expect_close("rms_norm fp32", kPlainPath, got, want, tol,
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
      expect_close("rms_norm (1 + w) fp32", kPlainPath, got_one, want_one, tol_one,
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
      expect_close("rotary fp32", kPlainPath, got, want, tol,
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
      expect_close("gated silu (SwiGLU) fp32", kPlainPath, out, want, tol,
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
      expect_close("gated gelu (GeGLU) fp32", kPlainPath, out, want, tol, std::to_string(n) + "x" + std::to_string(w));
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
      expect_close("gated gelu tanh (Gemma) fp32", kPlainPath, out_tanh, want_tanh, tol_tanh,
                   std::to_string(n) + "x" + std::to_string(w));
      std::vector<float> first_halves(n * w);
      for (size_t r = 0; r < n; ++r) std::copy_n(in.begin() + r * 2 * w, w, first_halves.begin() + r * w);
      Guarded sum(n * w);
      std::copy(x.begin(), x.end(), sum.data());
      cpu::add_rows(sum.data(), first_halves.data(), n, w);
      expect_close("add (residual) fp32", kPlainPath, sum, want_add, tol_add, std::to_string(n) + "x" + std::to_string(w));
    }
  }
}

}  // namespace
}  // namespace gpuembed::op_harness
