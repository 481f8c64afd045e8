// The input limits of README.md / RELIABILITY.md, each enforced with a clear gpuembed::Error:
//  - a text holds at most kMaxTextBytes (64 MiB) on every path (embed, embed_batch, tokenize, token_embeddings);
//  - one embed_batch call takes at most kMaxBatchTexts (1,048,576) texts;
//  - every text is truncated at max_seq_length tokens (counting [CLS] and [SEP]);
//  - model.safetensors at most kMaxModelFileBytes (4 GiB), config JSON files at most 16 MiB, tokenizer files at most
//    256 MiB (checked from the file size, before anything is read: the tests use sparse files);
//  - the CLI rejects an input line over the text limit while reading it (memory stays bounded on endless lines).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "api/pipeline.h"
#include "gpuembed/gpuembed.h"
#include "model/safetensors.h"
#include "model_fixture.h"
#include "test_paths.h"

namespace gpuembed {
namespace {

namespace fs = std::filesystem;

Embedder& minilm() {
  static Embedder e = Embedder::load(test::model_dir("minilm-l6-random"));
  return e;
}

template <class F>
void expect_error(F&& f, ErrorCode code, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error (expected one containing '" << needle << "')";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ReliabilityLimits, TextLimitOnEveryPath) {
  EXPECT_EQ(kMaxTextBytes, 64u << 20);
  const std::string at_limit(kMaxTextBytes, 'a');  // exactly at the limit: accepted (one 64 MiB word -> [UNK])
  const TokenizedText t = minilm().tokenize(at_limit);
  EXPECT_EQ(t.ids.size(), 3u);
  const std::string over(kMaxTextBytes + 1, 'a');
  expect_error([&] { minilm().embed(over); }, ErrorCode::kInvalidInput, "exceeds the limit");
  expect_error([&] { minilm().tokenize(over); }, ErrorCode::kInvalidInput, "exceeds the limit");
  expect_error([&] { minilm().token_embeddings(over); }, ErrorCode::kInvalidInput, "exceeds the limit");
  expect_error([&] { minilm().embed_batch({"fine", over}); }, ErrorCode::kInvalidInput, "exceeds the limit");
}

TEST(ReliabilityLimits, BatchLimit) {
  EXPECT_EQ(kMaxBatchTexts, 1u << 20);
  std::vector<std::string> texts(kMaxBatchTexts + 1);  // empty strings: the count is checked before any work
  expect_error([&] { minilm().embed_batch(texts); }, ErrorCode::kInvalidInput, "1048577 texts exceed the limit");
}

TEST(ReliabilityLimits, TruncationAtMaxSeqLength) {
  std::string long_text;
  for (int i = 0; i < 2000; ++i) long_text += "word ";
  EXPECT_EQ(minilm().tokenize(long_text).ids.size(), minilm().info().max_seq_length);  // 256 for this model
  Embedder short_seq = Embedder::load(test::model_dir("minilm-l6-random"), Options{.max_seq_length = 16});
  EXPECT_EQ(short_seq.tokenize(long_text).ids.size(), 16u);
  expect_error([] { Embedder::load(test::model_dir("minilm-l6-random"), Options{.max_seq_length = 1}); },
               ErrorCode::kInvalidInput, "max_seq_length");
}

void extend_sparse(const fs::path& p, uintmax_t size) { fs::resize_file(p, size); }

TEST(ReliabilityLimits, ModelFileSizeLimit) {
  EXPECT_EQ(kMaxModelFileBytes, 4ull << 30);
  const fs::path dir = test::copy_model("tiny-bert-cls", "limit-st");
  // A sparse model.safetensors one byte over the limit: rejected from its size, before mapping.
  extend_sparse(dir / "model.safetensors", kMaxModelFileBytes + 1);
  expect_error([&] { SafeTensors::open(dir / "model.safetensors"); }, ErrorCode::kModelInvalid,
               "exceeds the model file size limit");
  expect_error([&] { Embedder::load(dir); }, ErrorCode::kModelInvalid, "exceeds the model file size limit");
  fs::remove_all(dir);
}

TEST(ReliabilityLimits, ConfigAndTokenizerFileSizeLimits) {
  const fs::path dir = test::copy_model("tiny-bert-cls", "limit-json");
  const std::string config = test::read_file(dir / "config.json");
  extend_sparse(dir / "config.json", (16u << 20) + 1);
  expect_error([&] { Embedder::load(dir); }, ErrorCode::kModelInvalid, "for a configuration file");
  test::write_file(dir / "config.json", config);
  extend_sparse(dir / "tokenizer.json", (256u << 20) + 1);
  expect_error([&] { Embedder::load(dir); }, ErrorCode::kModelInvalid, "for a tokenizer file");
  fs::remove(dir / "tokenizer.json");
  extend_sparse(dir / "vocab.txt", (256u << 20) + 1);
  expect_error([&] { Embedder::load(dir); }, ErrorCode::kModelInvalid, "for a tokenizer file");
  fs::remove_all(dir);
}

#ifdef GPUEMBED_CLI_PATH
TEST(ReliabilityLimits, CliRejectsOverlongLineWhileReading) {
  // 80 MiB without a newline: the reader stops at 64 MiB + 1 with exit status 2 and one error line.
  const fs::path dir = test::temp_dir("limit-cli");
  const std::string cmd = "head -c 83886080 /dev/zero | tr '\\0' 'a' | " + std::string(GPUEMBED_CLI_PATH) +
                          " embed --model " + test::model_dir("tiny-bert-cls").string() + " --input - > " +
                          (dir / "out").string() + " 2> " + (dir / "err").string();
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  const std::string err = test::read_file(dir / "err");
  EXPECT_NE(err.find("line longer than"), std::string::npos) << err;
  fs::remove_all(dir);
}
#endif

}  // namespace
}  // namespace gpuembed
