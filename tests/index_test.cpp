// Vector search: exact cosine top-k against a brute-force reference, save/load round trips, bad files.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "gpuembed/error.h"
#include "gpuembed/gpuembed.h"
#include "gpuembed/index.h"
#include "model/half.h"
#include "model_fixture.h"

namespace gpuembed {
namespace {

using namespace test;

std::vector<float> random_rows(size_t n, size_t d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist;
  std::vector<float> v(n * d);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(Index, TopKMatchesBruteForceCosine) {
  const size_t n = 500, d = 37;
  const auto rows = random_rows(n, d, 1);
  Index index(d);
  index.add(rows);
  const auto q = random_rows(1, d, 2);
  std::vector<std::pair<double, size_t>> ref;
  for (size_t i = 0; i < n; ++i) {
    double dot = 0, nr = 0, nq = 0;
    for (size_t k = 0; k < d; ++k) {
      dot += double(rows[i * d + k]) * q[k];
      nr += double(rows[i * d + k]) * rows[i * d + k];
      nq += double(q[k]) * q[k];
    }
    ref.push_back({dot / std::sqrt(nr * nq), i});
  }
  std::sort(ref.begin(), ref.end(), std::greater<>());
  const auto hits = index.search(q, 10);
  ASSERT_EQ(hits.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(hits[i].id, ref[i].second);
    EXPECT_NEAR(hits[i].score, ref[i].first, 1e-5);
  }
  EXPECT_EQ(index.search(q, 1000).size(), n);
}

TEST(Index, SaveLoadRoundTripsF32ExactlyAndF16Closely) {
  const size_t d = 384;
  Index index(d);
  index.add(random_rows(50, d, 3));
  const fs::path dir = temp_dir("index");
  index.save(dir / "a.gpeidx");
  Index a = Index::load(dir / "a.gpeidx");
  ASSERT_EQ(a.size(), 50u);
  for (size_t i = 0; i < 50 * d; ++i) ASSERT_EQ(a.row(0)[i], index.row(0)[i]);
  index.save(dir / "b.gpeidx", IndexStorage::kFloat16);
  EXPECT_EQ(fs::file_size(dir / "b.gpeidx"), 32 + 50 * d * 2);
  Index b = Index::load(dir / "b.gpeidx");
  for (size_t i = 0; i < 50 * d; ++i) ASSERT_NEAR(b.row(0)[i], index.row(0)[i], 1e-3);
  const auto q = random_rows(1, d, 4);
  EXPECT_EQ(b.search(q, 1)[0].id, index.search(q, 1)[0].id);
}

// The float16 files' rounding (model/half.h), which the JS API's files share now that js/index.mjs wraps Index.
TEST(Index, Float16StorageRoundsToNearestEven) {
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00) << "a tie rounds to even";
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02) << "a tie rounds to even (up)";
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(half_to_float(0x3555), 0.333251953125f);
  for (uint32_t bits = 0; bits < 0x7c00; bits += 7) ASSERT_EQ(float_to_half(half_to_float(uint16_t(bits))), bits);
}

// Scores are summed as the WebGPU kernel sums them (index.h): four lanes by d % 4, then (l0 + l1) + (l2 + l3).
TEST(Index, ScoresAreSummedInTheGpuKernelsOrder) {
  for (size_t d : {1u, 3u, 4u, 37u, 384u}) {
    Index index(d);
    const auto rows = random_rows(20, d, 6), q = random_rows(1, d, 7);
    index.add(rows);
    std::vector<float> qn = q;
    float ss = 0;
    double dss = 0;
    for (float x : q) dss += double(x) * x;
    ss = std::max(float(std::sqrt(dss)), 1e-12f);
    for (float& x : qn) x /= ss;
    const auto hits = index.search(q, 20);
    for (const SearchHit& h : hits) {
      float lane[4] = {0, 0, 0, 0};
      for (size_t k = 0; k < d; ++k) {
        const float p = index.row(h.id)[k] * qn[k];
        lane[k % 4] += p;
      }
      const float want = (lane[0] + lane[1]) + (lane[2] + lane[3]);
      ASSERT_EQ(h.score, want) << "d " << d << " id " << h.id;
    }
  }
}

TEST(Index, BadFilesAreClearErrors) {
  const fs::path dir = temp_dir("indexbad");
  write_file(dir / "x", "not an index at all, no");
  EXPECT_THROW(Index::load(dir / "x"), Error);
  Index index(8);
  index.add(random_rows(3, 8, 5));
  index.save(dir / "ok");
  std::string f = read_file(dir / "ok");
  write_file(dir / "trunc", f.substr(0, f.size() - 4));
  try {
    Index::load(dir / "trunc");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos);
  }
  EXPECT_THROW(index.search(std::vector<float>(7), 1), Error);
}

TEST(Index, SemanticSearchFindsTheExactPassage) {
  // Random weights carry no meaning, but a passage's own text is always its best match (cosine 1).
  Embedder e = Embedder::load(model_dir("minilm-l6-random"));
  const std::vector<std::string> passages{"Paris is the capital of France.", "The cat sat on the mat.",
                                          "GPUs run compute shaders.", "Bread is baked in an oven."};
  Index index(e.dimension());
  index.add(e.embed_batch(passages));
  for (size_t i = 0; i < passages.size(); ++i) {
    const auto hits = index.search(e.embed(passages[i]), 2);
    EXPECT_EQ(hits[0].id, i);
    EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
  }
}

}  // namespace
}  // namespace gpuembed
