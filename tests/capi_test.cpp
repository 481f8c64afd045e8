// The C ABI (include/gpuembed/gpuembed_c.h) that the Rust crate uses: the same embeddings as the C++ Embedder,
// statuses equal to ErrorCode + 1 with the message, NULL arguments refused, the index round trip. Runs in the
// sanitizer builds too, so ownership across the ABI is checked there.
#include "gpuembed/gpuembed_c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "gpuembed/gpuembed.h"
#include "test_paths.h"

namespace gpuembed {
namespace {

TEST(CApi, EmbeddingsEqualTheCppEmbedder) {
  const std::string dir = test::model_dir("minilm-l6-random").string();
  gpuembed_embedder* e = nullptr;
  ASSERT_EQ(gpuembed_load(dir.c_str(), nullptr, &e), GPUEMBED_OK) << gpuembed_last_error_message();
  const size_t dim = gpuembed_dimension(e);
  ASSERT_EQ(dim, 384u);

  // Texts with explicit lengths, not NUL-terminated: "hello" is taken from "hello world".
  const char* texts[] = {"The quick brown fox", "hello world", ""};
  const size_t lengths[] = {std::strlen(texts[0]), 5, 0};
  std::vector<float> out(3 * dim);
  ASSERT_EQ(gpuembed_embed_batch(e, texts, lengths, 3, out.data()), GPUEMBED_OK);

  Embedder cpp = Embedder::load(dir);
  const std::vector<float> want = cpp.embed_batch({"The quick brown fox", "hello", ""});
  ASSERT_EQ(want.size(), out.size());
  for (size_t i = 0; i < out.size(); ++i) ASSERT_FLOAT_EQ(out[i], want[i]) << "value " << i;

  size_t count = 0;
  std::vector<int32_t> ids(2);
  ASSERT_EQ(gpuembed_tokenize(e, "hello world", 11, ids.data(), ids.size(), &count), GPUEMBED_OK);
  EXPECT_EQ(count, 4u);  // [CLS] hello world [SEP]: more than the buffer, which got the first two
  EXPECT_EQ(ids, (std::vector<int32_t>{101, 7592}));
  gpuembed_free(e);
}

TEST(CApi, StatusIsErrorCodePlusOneWithMessage) {
  gpuembed_embedder* e = reinterpret_cast<gpuembed_embedder*>(1);
  EXPECT_EQ(gpuembed_load("/no/such/model", nullptr, &e), GPUEMBED_MODEL_NOT_FOUND);
  EXPECT_EQ(e, nullptr);
  EXPECT_NE(std::string(gpuembed_last_error_message()).find("/no/such/model"), std::string::npos);
  EXPECT_EQ(static_cast<int>(GPUEMBED_MODEL_NOT_FOUND), static_cast<int>(ErrorCode::kModelNotFound) + 1);

  gpuembed_options o = gpuembed_default_options();
  o.precision = 7;
  const std::string dir = test::model_dir("minilm-l6-random").string();
  EXPECT_EQ(gpuembed_load(dir.c_str(), &o, &e), GPUEMBED_INVALID_INPUT);
  EXPECT_NE(std::string(gpuembed_last_error_message()).find("precision"), std::string::npos);
  EXPECT_EQ(gpuembed_load(nullptr, nullptr, &e), GPUEMBED_INVALID_INPUT);
  EXPECT_EQ(gpuembed_load(dir.c_str(), nullptr, nullptr), GPUEMBED_INVALID_INPUT);

  ASSERT_EQ(gpuembed_load(dir.c_str(), nullptr, &e), GPUEMBED_OK);
  const char* texts[] = {nullptr};
  const size_t lengths[] = {3};
  float out[384];
  EXPECT_EQ(gpuembed_embed_batch(e, texts, lengths, 1, out), GPUEMBED_INVALID_INPUT);
  EXPECT_EQ(gpuembed_embed_batch(nullptr, texts, lengths, 1, out), GPUEMBED_INVALID_INPUT);
  gpuembed_free(e);
  gpuembed_free(nullptr);
}

TEST(CApi, IndexRoundTrip) {
  gpuembed_index* index = nullptr;
  EXPECT_EQ(gpuembed_index_new(0, &index), GPUEMBED_INVALID_INPUT);
  ASSERT_EQ(gpuembed_index_new(2, &index), GPUEMBED_OK);
  const float rows[] = {1, 0, 0, 3, 1, 1};
  ASSERT_EQ(gpuembed_index_add(index, rows, 3), GPUEMBED_OK);
  EXPECT_EQ(gpuembed_index_size(index), 3u);
  EXPECT_EQ(gpuembed_index_dimension(index), 2u);
  const float query[] = {0, 2};
  gpuembed_hit hits[2];
  size_t found = 0;
  ASSERT_EQ(gpuembed_index_search(index, query, 2, hits, &found), GPUEMBED_OK);
  ASSERT_EQ(found, 2u);
  EXPECT_EQ(hits[0].id, 1u);
  EXPECT_FLOAT_EQ(hits[0].score, 1.0f);
  EXPECT_EQ(hits[1].id, 2u);
  EXPECT_NEAR(hits[1].score, 0.70710678f, 1e-6);

  const std::string path = (std::filesystem::temp_directory_path() / "gpuembed_capi_test.gpeidx").string();
  ASSERT_EQ(gpuembed_index_save(index, path.c_str(), 0), GPUEMBED_OK);
  gpuembed_index* loaded = nullptr;
  ASSERT_EQ(gpuembed_index_load(path.c_str(), &loaded), GPUEMBED_OK);
  EXPECT_EQ(gpuembed_index_size(loaded), 3u);
  gpuembed_index_free(loaded);
  EXPECT_EQ(gpuembed_index_load("/no/such.gpeidx", &loaded), GPUEMBED_MODEL_NOT_FOUND);
  EXPECT_EQ(loaded, nullptr);
  std::filesystem::remove(path);
  gpuembed_index_free(index);
}

}  // namespace
}  // namespace gpuembed
