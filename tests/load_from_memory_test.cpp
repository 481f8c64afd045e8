// Embedder::load_from_memory: a model folder handed over as {path -> bytes} loads as the folder does (the same
// loader, api/model_loader.h, that the WebAssembly module's ge_load goes through), and missing files are the same
// errors, naming the origin given.
#include <gtest/gtest.h>

#include "gpuembed/gpuembed.h"
#include "model_fixture.h"

namespace gpuembed {
namespace {

using namespace test;

std::map<std::string, std::vector<uint8_t>> folder_files(const fs::path& dir) {
  std::map<std::string, std::vector<uint8_t>> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string text = read_file(entry.path());
    files[fs::relative(entry.path(), dir).generic_string()] = std::vector<uint8_t>(text.begin(), text.end());
  }
  return files;
}

const std::vector<std::string> kTexts = {"The quick brown fox", "A lazy dog sleeps in the sun.", "x"};

// Folders with Dense modules and prompts, a sharded checkpoint, CLS pooling and other families.
TEST(LoadFromMemory, SameEmbeddingsAsTheFolderBitForBit) {
  for (const char* name : {"tiny-bert-cls", "st-dense-bin", "st-prompts-wmean", "st-sharded-cls", "xlmr-random",
                           "qwen3-random"}) {
    const Options options{.threads = 1};
    Embedder from_dir = Embedder::load(model_dir(name), options);
    Embedder from_memory = Embedder::load_from_memory(folder_files(model_dir(name)), options, name);
    EXPECT_EQ(from_memory.info().path, name);
    EXPECT_EQ(from_memory.info().prompts, from_dir.info().prompts) << name;
    EXPECT_EQ(from_memory.info().dense, from_dir.info().dense) << name;
    ASSERT_EQ(from_memory.dimension(), from_dir.dimension()) << name;
    EXPECT_EQ(from_memory.embed_batch(kTexts), from_dir.embed_batch(kTexts)) << name;
    EXPECT_EQ(from_memory.tokenize(kTexts[1]).ids, from_dir.tokenize(kTexts[1]).ids) << name;
  }
}

TEST(LoadFromMemory, OptionsApplyAsToAFolder) {
  const Options options{.threads = 1, .normalize = 1, .truncate_dim = 16};
  Embedder from_dir = Embedder::load(model_dir("minilm-l6-random"), options);
  Embedder from_memory = Embedder::load_from_memory(folder_files(model_dir("minilm-l6-random")), options);
  EXPECT_EQ(from_memory.dimension(), 16u);
  EXPECT_EQ(from_memory.embed_batch(kTexts), from_dir.embed_batch(kTexts));
}

TEST(LoadFromMemory, MissingFilesAreErrorsNamingTheOrigin) {
  const auto all = folder_files(model_dir("tiny-bert-cls"));
  const auto without = [&](std::initializer_list<const char*> names) {
    auto files = all;
    for (const char* n : names) files.erase(n);
    return files;
  };
  const auto code_and_message = [](std::map<std::string, std::vector<uint8_t>> files) {
    try {
      Embedder::load_from_memory(std::move(files), {}, "bucket/model");
    } catch (const Error& e) {
      return std::pair<ErrorCode, std::string>(e.code(), e.what());
    }
    return std::pair<ErrorCode, std::string>(ErrorCode::kInternal, "loaded");
  };
  auto [code, message] = code_and_message(without({"config.json"}));
  EXPECT_EQ(code, ErrorCode::kModelNotFound);
  EXPECT_NE(message.find("bucket/model/config.json"), std::string::npos) << message;
  std::tie(code, message) = code_and_message(without({"model.safetensors"}));
  EXPECT_EQ(code, ErrorCode::kModelNotFound);
  EXPECT_NE(message.find("bucket/model/model.safetensors"), std::string::npos) << message;
  std::tie(code, message) = code_and_message(without({"tokenizer.json", "vocab.txt"}));
  EXPECT_EQ(code, ErrorCode::kModelNotFound);
  EXPECT_NE(message.find("neither tokenizer.json nor vocab.txt"), std::string::npos) << message;
  auto broken = all;
  broken["config.json"] = {'{', 'x'};
  std::tie(code, message) = code_and_message(std::move(broken));
  EXPECT_EQ(code, ErrorCode::kModelInvalid) << message;
  EXPECT_THROW(Embedder::load_from_memory(all, {.backend = "webgpu"}), Error);
}

}  // namespace
}  // namespace gpuembed
