// Several std::threads calling one Embedder at once (embed, embed_batch, tokenize, token_embeddings): every result
// must equal its single-call value exactly. Run natively and under ThreadSanitizer (scripts/test_tsan.sh), where the
// CPU backend's parallel_for runs on its std::thread pool (GPUEMBED_STD_THREAD_POOL) so every access is instrumented.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "golden_util.h"
#include "gpuembed/gpuembed.h"
#include "test_paths.h"

namespace gpuembed {
namespace {

bool slow() {
  const char* s = std::getenv("GPUEMBED_SLOW");
  return s && std::string(s) == "1";
}

TEST(ReliabilityConcurrency, ConcurrentEmbedCallsMatchSingleCalls) {
  // threads = 3 so parallel_for splits work across pool threads even on a 2-core machine.
  Embedder e = Embedder::load(test::model_dir("minilm-l6-random"), Options{.threads = 3, .max_batch = 4});
  const auto& gold = test::golden("minilm-l6-random");
  const size_t n_texts = slow() ? gold.sentences.size() : 8;
  std::vector<std::string> texts;
  for (size_t i = 0; i < n_texts; ++i) texts.push_back(gold.sentences[i].text);

  std::vector<std::vector<float>> expected;
  std::vector<std::vector<int32_t>> expected_ids;
  for (const auto& t : texts) {
    expected.push_back(e.embed(t));
    expected_ids.push_back(e.tokenize(t).ids);
  }
  const std::vector<float> expected_tokens = e.token_embeddings(texts[0]);
  const std::vector<std::string> batch(texts.begin(), texts.begin() + 5);
  const std::vector<float> expected_batch = e.embed_batch(batch);
  // Single-call values also match the golden ids (a sanity check that the reference itself is right).
  for (size_t i = 0; i < n_texts; ++i) ASSERT_EQ(expected_ids[i], gold.sentences[i].ids) << i;

  const int n_threads = 4;
  const int rounds = slow() ? 6 : 2;
  std::atomic<int> mismatches{0}, errors{0}, calls{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < n_threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        for (int r = 0; r < rounds; ++r) {
          for (size_t k = 0; k < n_texts; ++k) {
            const size_t i = (k + static_cast<size_t>(t) * 3) % n_texts;  // threads start at different texts
            switch ((k + static_cast<size_t>(t)) % 4) {
              case 0:
              case 1:
                if (e.embed(texts[i]) != expected[i]) ++mismatches;
                break;
              case 2:
                if (e.tokenize(texts[i]).ids != expected_ids[i]) ++mismatches;
                break;
              default:
                if (t % 2 == 0) {
                  if (e.embed_batch(batch) != expected_batch) ++mismatches;
                } else if (e.token_embeddings(texts[0]) != expected_tokens) {
                  ++mismatches;
                }
            }
            ++calls;
          }
        }
      } catch (const std::exception& ex) {
        ++errors;
        ADD_FAILURE() << "thread " << t << ": " << ex.what();
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(calls.load(), n_threads * rounds * static_cast<int>(n_texts));
  std::printf("[concurrency] %d threads, %d calls on one Embedder, %d mismatches against single-call values\n",
              n_threads, calls.load(), mismatches.load());
}

TEST(ReliabilityConcurrency, SeparateEmbeddersInParallelThreads) {
  // Two Embedders (each with its own backend) used from two threads at once share only the global thread pool.
  const auto& gold = test::golden("tiny-bert-cls");
  Embedder a = Embedder::load(test::model_dir("tiny-bert-cls"), Options{.threads = 2});
  Embedder b = Embedder::load(test::model_dir("minilm-l6-random"), Options{.threads = 2});
  const std::string text = gold.sentences[1].text;
  const auto ea = a.embed(text), eb = b.embed(text);
  std::atomic<int> mismatches{0};
  const int rounds = slow() ? 12 : 3;
  std::thread ta([&] {
    for (int i = 0; i < rounds; ++i) mismatches += a.embed(text) != ea;
  });
  std::thread tb([&] {
    for (int i = 0; i < rounds; ++i) mismatches += b.embed(text) != eb;
  });
  ta.join();
  tb.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace gpuembed
