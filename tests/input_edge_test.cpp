// Awkward texts through the whole pipeline: each gives a correct embedding (checked against a reference
// input that the tokenizer treats identically) or a clear error, never a crash.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "gpuembed/gpuembed.h"
#include "test_paths.h"

namespace gpuembed {
namespace {

Embedder& minilm() {
  static Embedder e = Embedder::load(test::model_dir("minilm-l6-random"));
  return e;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::abs(double(a[i]) - b[i]));
  return m;
}

TEST(InputEdges, EmptyStringIsClsSep) {
  const auto t = minilm().tokenize("");
  EXPECT_EQ(t.ids, (std::vector<int32_t>{101, 102}));
  const auto v = minilm().embed("");
  double norm = 0;
  for (float x : v) norm += double(x) * x;
  EXPECT_NEAR(norm, 1.0, 1e-5);
  EXPECT_LT(max_diff(v, minilm().embed(" \t\n ")), 1e-7);
}

TEST(InputEdges, InvalidUtf8IsReplacedNotFatal) {
  // Invalid bytes become U+FFFD, which BertNormalizer's clean_text drops: same as the valid remainder.
  const std::string bad = std::string("caf\xc3") + " na\xff\xfeve \xe2\x82 end\x80";
  const auto v = minilm().embed(bad);
  EXPECT_LT(max_diff(v, minilm().embed("caf nave  end")), 1e-6);
  // A truncated multi-byte sequence at the very end must not read past the buffer (ASan checks this).
  std::string tail = "abc\xe2\x82";
  EXPECT_NO_THROW(minilm().embed(std::string_view(tail.data(), tail.size())));
}

TEST(InputEdges, NulBytesAreRemovedLikeControlCharacters) {
  const std::string with_nul("hello\0world", 11);
  EXPECT_EQ(minilm().tokenize(with_nul).ids, minilm().tokenize("helloworld").ids);
  EXPECT_LT(max_diff(minilm().embed(with_nul), minilm().embed("helloworld")), 1e-7);
}

TEST(InputEdges, OneMegabyteTextIsTruncatedAtMaxSeqLength) {
  std::string big;
  while (big.size() < (1u << 20)) big += "the quick brown fox jumps over the lazy dog ";
  const auto t0 = std::chrono::steady_clock::now();
  const auto t = minilm().tokenize(big);
  const auto v = minilm().embed(big);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(t.ids.size(), 256u);
  EXPECT_EQ(t.ids.back(), 102);
  // Truncation keeps the first 254 word pieces, so any text with that prefix gives the same vector.
  EXPECT_LT(max_diff(v, minilm().embed(big.substr(0, 4000))), 1e-7);
  std::printf("[edges] 1 MB text: tokenize + embed in %.3f s\n", s);
  EXPECT_LT(s, 5.0);
}

TEST(InputEdges, EmptyBatchGivesNoRows) { EXPECT_TRUE(minilm().embed_batch({}).empty()); }

TEST(InputEdges, TooLongTextIsAClearError) {
  std::string huge((64u << 20) + 1, 'a');
  try {
    minilm().embed(huge);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("exceeds the limit"), std::string::npos);
  }
}

TEST(InputEdges, BatchOrderIsInputOrderAcrossBuckets) {
  // Lengths deliberately mixed so that bucketing reorders them internally.
  std::vector<std::string> texts{"a", std::string(300, 'b') + " c d e f g", "x y z", "", "one two three four five six"};
  for (int i = 0; i < 40; ++i) texts.push_back("sentence number " + std::to_string(i) + std::string(i % 7, '!'));
  Embedder e = Embedder::load(test::model_dir("minilm-l6-random"), Options{.max_batch = 4});
  const auto all = e.embed_batch(texts);
  const size_t d = e.dimension();
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto one = e.embed(texts[i]);
    EXPECT_LT(max_diff(one, std::vector<float>(all.begin() + long(i * d), all.begin() + long((i + 1) * d))), 1e-6)
        << "row " << i;
  }
}

TEST(InputEdges, ThreadCountDoesNotChangeResults) {
  Embedder one = Embedder::load(test::model_dir("minilm-l6-random"), Options{.threads = 1});
  const auto a = one.embed("Threads must not change the arithmetic's result beyond rounding.");
  Embedder two = Embedder::load(test::model_dir("minilm-l6-random"), Options{.threads = 2});
  const auto b = two.embed("Threads must not change the arithmetic's result beyond rounding.");
  EXPECT_LT(max_diff(a, b), 1e-6);
}

}  // namespace
}  // namespace gpuembed
