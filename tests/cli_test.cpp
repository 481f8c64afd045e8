// The gpuembed CLI as a user runs it: stdin/file input (lines and JSONL), JSONL and .npy output in input
// order, tokenize, info, and one-line errors with a non-zero exit status.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gpuembed/gpuembed.h"
#include "model_fixture.h"

namespace gpuembed {
namespace {

using namespace test;

struct RunResult {
  int status;
  std::string out;
};

// Runs the CLI through the shell; stderr goes to a file so messages can be checked too.
RunResult run(const std::string& args, const std::string& stdin_text = "", std::string* err = nullptr) {
  fs::path dir = temp_dir("cli");
  write_file(dir / "in.txt", stdin_text);
  const std::string cmd = std::string(GPUEMBED_CLI_PATH) + " " + args + " < " + (dir / "in.txt").string() + " 2> " +
                          (dir / "err.txt").string();
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  if (err) *err = read_file(dir / "err.txt");
  return {WEXITSTATUS(status), out};
}

const std::string& model() {
  static const std::string m = model_dir("minilm-l6-random").string();
  return m;
}

std::vector<std::vector<float>> parse_jsonl(const std::string& out) {
  std::vector<std::vector<float>> rows;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) rows.push_back(nlohmann::json::parse(line)["embedding"].get<std::vector<float>>());
  return rows;
}

TEST(Cli, EmbedLinesFromStdinMatchesLibraryExactly) {
  const std::vector<std::string> texts{"first text", "second, longer text with more words", "", "third"};
  std::string in;
  for (const auto& t : texts) in += t + "\n";
  const RunResult r = run("embed --model " + model() + " --batch 2", in);
  ASSERT_EQ(r.status, 0);
  const auto rows = parse_jsonl(r.out);
  ASSERT_EQ(rows.size(), texts.size());
  Embedder e = Embedder::load(model());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(rows[i], e.embed(texts[i])) << i;  // shortest round-trip text
}

TEST(Cli, EmbedJsonlAllowsNewlinesInTexts) {
  const RunResult r = run("embed --model " + model(), "{\"text\": \"line one\\nline two\"}\n{\"text\": \"x\"}\n");
  ASSERT_EQ(r.status, 0);
  const auto rows = parse_jsonl(r.out);
  ASSERT_EQ(rows.size(), 2u);
  Embedder e = Embedder::load(model());
  EXPECT_EQ(rows[0], e.embed("line one\nline two"));
}

TEST(Cli, NoNormalizeGivesUnnormalizedMeanPooling) {
  const RunResult r = run("embed --no-normalize --model " + model(), "hello world\n");
  ASSERT_EQ(r.status, 0);
  const auto rows = parse_jsonl(r.out);
  ASSERT_EQ(rows.size(), 1u);
  double norm = 0;
  for (float x : rows[0]) norm += double(x) * x;
  EXPECT_GT(std::abs(std::sqrt(norm) - 1.0), 1e-3);
  const auto normalized = Embedder::load(model()).embed("hello world");
  for (size_t k = 0; k < rows[0].size(); ++k) EXPECT_NEAR(rows[0][k] / std::sqrt(norm), normalized[k], 1e-6);
}

TEST(Cli, NpyOutput) {
  fs::path dir = temp_dir("npy");
  const std::string path = (dir / "out.npy").string();
  const RunResult r = run("embed --model " + model() + " --output " + path, "a\nb\nc\n");
  ASSERT_EQ(r.status, 0);
  const std::string f = read_file(path);
  ASSERT_EQ(f.size(), 128 + 3 * 384 * 4);
  EXPECT_EQ(f.substr(0, 6), "\x93NUMPY");
  EXPECT_NE(f.find("'shape': (3, 384)"), std::string::npos);
  std::vector<float> row(384);
  std::memcpy(row.data(), f.data() + 128 + 384 * 4, 384 * 4);
  EXPECT_EQ(row, Embedder::load(model()).embed("b"));
}

TEST(Cli, TokenizeAndInfo) {
  RunResult r = run("tokenize --model " + model(), "The quick brown fox jumps over the lazy dog.\n");
  ASSERT_EQ(r.status, 0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ids"].size(), 12u);
  EXPECT_EQ(j["tokens"][0], "[CLS]");
  r = run("info --model " + model());
  ASSERT_EQ(r.status, 0);
  const auto info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info["dimension"], 384);
  EXPECT_EQ(info["pooling"], "mean");
  EXPECT_EQ(info["max_seq_length"], 256);
}

TEST(Cli, ClearErrors) {
  std::string err;
  RunResult r = run("embed --model /nonexistent/dir", "x\n", &err);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(err.find("/nonexistent/dir: model folder not found"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  r = run("embed --model " + model() + " --bogus", "", &err);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(err.find("bogus"), std::string::npos) << err;
  fs::path broken = copy_model("tiny-bert-cls", "clibroken");
  write_file(broken / "model.safetensors", "not a model");
  r = run("embed --model " + broken.string(), "x\n", &err);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(err.find("model.safetensors"), std::string::npos) << err;
  r = run("embed --model " + model() + " --input-format jsonl", "{\"txt\": 1}\n", &err);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(err.find(":1: expected"), std::string::npos) << err;
}

}  // namespace
}  // namespace gpuembed

namespace gpuembed {
namespace {

TEST(Cli, SearchCorpusAndSavedIndexAgree) {
  fs::path dir = temp_dir("clisearch");
  write_file(dir / "corpus.txt", "Paris is the capital of France.\nThe cat sat on the mat.\nGPUs run compute shaders.\n");
  const std::string base = "search --model " + model() + " --corpus " + (dir / "corpus.txt").string();
  RunResult r = run(base + " -q 'The cat sat on the mat.' -k 2 --save-index " + (dir / "i.gpeidx").string());
  ASSERT_EQ(r.status, 0);
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["hits"].size(), 2u);
  EXPECT_EQ(j["hits"][0]["id"], 1);
  EXPECT_EQ(j["hits"][0]["text"], "The cat sat on the mat.");
  r = run(base + " --index " + (dir / "i.gpeidx").string() + " -q 'The cat sat on the mat.' -k 2");
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(nlohmann::json::parse(r.out), j);
}

}  // namespace
}  // namespace gpuembed

namespace gpuembed {
namespace {

// --prompt / --prompt-text / --truncate-dim give what the library gives for the same options (the library is checked
// against sentence-transformers in st_features_test.cpp).
TEST(Cli, PromptAndTruncateDimOptionsMatchTheLibrary) {
  const std::vector<std::string> texts{"first text", "", "a third, longer text"};
  std::string in;
  for (const auto& t : texts) in += t + "\n";
  const std::string wmean = model_dir("st-prompts-wmean").string(), dense = model_dir("st-lasttoken-dense").string();
  struct Case {
    std::string model, args;
    Options load;
    EmbedOptions call;
  };
  const std::vector<Case> cases{{wmean, "", {}, {}},
                                {wmean, "--prompt passage", {}, {.prompt_name = "passage"}},
                                {wmean, "--prompt-text 'Represent: '", {}, {.prompt = "Represent: "}},
                                {wmean, "--prompt-text ''", {}, {.prompt = ""}},
                                {dense, "--truncate-dim 32 --normalize", {.normalize = 1, .truncate_dim = 32}, {}},
                                {dense, "--prompt query --truncate-dim 16", {.truncate_dim = 16}, {.prompt_name = "query"}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const RunResult r = run("embed --model " + c.model + " " + c.args, in);
    ASSERT_EQ(r.status, 0);
    const auto rows = parse_jsonl(r.out);
    Embedder e = Embedder::load(c.model, c.load);
    const auto want = e.embed_batch(texts, c.call);
    ASSERT_EQ(rows.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      ASSERT_EQ(rows[i].size(), e.dimension());
      for (size_t k = 0; k < e.dimension(); ++k) EXPECT_FLOAT_EQ(rows[i][k], want[i * e.dimension() + k]);
    }
  }
}

TEST(Cli, UnknownPromptIsAOneLineErrorNamingThePrompts) {
  std::string err;
  const RunResult r = run("embed --model " + model_dir("st-prompts-wmean").string() + " --prompt nope", "x\n", &err);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(err.find("prompt name 'nope'"), std::string::npos) << err;
  EXPECT_NE(err.find("'passage'"), std::string::npos) << err;
}

TEST(Cli, InfoListsPromptsAndDenseModules) {
  const RunResult r = run("info --model " + model_dir("st-lasttoken-dense").string());
  ASSERT_EQ(r.status, 0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dimension"], 64);
  EXPECT_EQ(j["dense"][0], "2_Dense 256->96 tanh");
  EXPECT_EQ(j["prompts"]["query"], "Instruct: find the passage\nQuery: ");
  EXPECT_TRUE(j["default_prompt_name"].is_null());
}

}  // namespace
}  // namespace gpuembed
