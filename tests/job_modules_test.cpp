// Pipeline's job with the sentence-transformers modules (prompts, CPU pooling of the device's hidden states, Dense,
// Normalize, truncate_dim), stepped as the WASM WebGPU caller steps it: on a backend that answers later than submit()
// and holds few tokens per pass, it must give embed()'s rows in input order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "api/job.h"
#include "api/pipeline.h"
#include "backend/cpu/cpu_backend.h"
#include "model/model_source.h"
#include "model_fixture.h"

namespace gpuembed {
namespace {

// The CPU backend behind a device's manners: the pass is ready one poll() after submit(), and at most `tokens`
// batch * seq go into one pass. Records what each pass asked for.
class AsyncCpu final : public Backend {
 public:
  AsyncCpu(std::unique_ptr<Backend> cpu, size_t tokens) : cpu_(std::move(cpu)), tokens_(tokens) {}
  std::vector<BatchOutput> outputs;

  std::string name() const override { return "async-" + cpu_->name(); }
  size_t max_tokens() const override { return tokens_; }
  void submit(const TokenBatch& b) override {
    EXPECT_LE(b.batch * b.seq, tokens_);
    outputs.push_back(b.output);
    cpu_->submit(b);
    waiting_ = true;
  }
  bool poll() override {
    if (waiting_) {
      waiting_ = false;
      return false;
    }
    return cpu_->poll();
  }
  void read(float* out) override { cpu_->read(out); }

 private:
  std::unique_ptr<Backend> cpu_;
  size_t tokens_;
  bool waiting_ = false;
};

// A generated sentence-transformers folder loaded into the core with its modules (as the WASM build's ge_load does
// with the staged files).
LoadedModel load_st_model(const std::string& name, size_t truncate_dim = 0) {
  const auto dir = test::model_dir(name);
  const auto source = folder_source(dir);
  ModelFiles files;
  files.origin = dir.string();
  files.config_json = test::read_file(dir / "config.json");
  files.modules_json = test::read_file(dir / "modules.json");
  files.pooling_config_json = test::read_file(dir / "1_Pooling" / "config.json");
  files.sentence_bert_config_json = test::read_file(dir / "sentence_bert_config.json");
  return assemble_model(files, Tokenizer::from_dir(dir), open_model_weights(*source), -1, 0, source.get(),
                        truncate_dim);
}

struct Case {
  const char* model;
  EmbedOptions options;
  size_t truncate_dim;
  BatchOutput output;  // what the passes must ask the device for
};

TEST(JobModules, PassByPassRowsOnAnAsynchronousDeviceEqualEmbed) {
  const std::vector<std::string_view> texts = {
      "a short one", "the longest text of this request, so that it comes first and fills a pass of its own",
      "x", "three words here", "a text of middling length about pooling on the CPU", "y z", "the last"};
  const Case cases[] = {
      {"st-prompts-wmean", {}, 0, BatchOutput::kHiddenStates},  // weightedmean, default prompt left out of pooling
      {"st-prompts-wmean", {.prompt_name = "none"}, 0, BatchOutput::kEmbeddings},  // weightedmean on the device
      {"st-lasttoken-dense", {.prompt_name = "query"}, 0, BatchOutput::kEmbeddings},  // two Dense + Normalize
      {"st-dense-bin", {}, 16, BatchOutput::kEmbeddings},          // mean on the device, Dense + truncate_dim after
      {"st-sharded-cls", {}, 0, BatchOutput::kHiddenStates},        // cls after the default prompt's tokens
      {"st-sharded-cls", {.prompt = ""}, 0, BatchOutput::kEmbeddings},  // no prompt: the device pools
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.model);
    LoadedModel sync_model = load_st_model(c.model, c.truncate_dim);
    auto cpu = make_cpu_backend(sync_model.spec, sync_model.weights, Precision::kFloat32);
    Pipeline sync(std::move(sync_model), std::move(cpu), 4);
    const auto want = sync.embed(texts, {}, c.options);

    LoadedModel model = load_st_model(c.model, c.truncate_dim);
    auto dev = std::make_unique<AsyncCpu>(make_cpu_backend(model.spec, model.weights, Precision::kFloat32), 48);
    AsyncCpu* device = dev.get();
    Pipeline p(std::move(model), std::move(dev), 4);
    Job job = p.start_job(texts, c.options);
    PassLimit limit;
    size_t waits = 0;
    while (!job.step(p.backend(), limit)) ++waits;

    EXPECT_GT(device->outputs.size(), 2u);  // several passes, each awaited
    EXPECT_EQ(waits, device->outputs.size());
    for (BatchOutput o : device->outputs) EXPECT_EQ(o, c.output);
    ASSERT_EQ(job.result().size(), texts.size() * p.dimension());
    ASSERT_EQ(want.size(), job.result().size());
    float worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(want[i] - job.result()[i]));
    EXPECT_LT(worst, 1e-5f);  // other passes than embed()'s: the matmuls may round differently
    std::printf("[job-modules] %s: %zu passes, dimension %zu, max abs difference to embed() %.2e\n", c.model,
                device->outputs.size(), p.dimension(), static_cast<double>(worst));
  }
}

// The CPU backend holding two passes, as WebGPU does: each pass is computed at submit() and read in order later, so
// a job on it tokenizes late (api/job.h).
class TwoPassCpu final : public Backend {
 public:
  TwoPassCpu(std::unique_ptr<Backend> cpu, const ModelSpec& spec) : cpu_(std::move(cpu)), spec_(spec) {}
  size_t submits = 0;

  std::string name() const override { return "two-pass-" + cpu_->name(); }
  size_t max_tokens() const override { return cpu_->max_tokens(); }
  size_t max_in_flight() const override { return 2; }
  void submit(const TokenBatch& b) override {
    EXPECT_LT(done_.size(), 2u);
    ++submits;
    cpu_->submit(b);
    EXPECT_TRUE(cpu_->poll());
    done_.emplace_back(batch_output_floats(spec_, b));
    cpu_->read(done_.back().data());
  }
  bool poll() override { return !done_.empty(); }
  void read(float* out) override {
    std::copy(done_.front().begin(), done_.front().end(), out);
    done_.erase(done_.begin());
  }
  void cancel() override { done_.clear(); }

 private:
  std::unique_ptr<Backend> cpu_;
  ModelSpec spec_;
  std::vector<std::vector<float>> done_;
};

// Pipeline's job on a device of two passes: the texts (with the call's prompt) tokenized in chunks behind the passes
// give embed()'s rows; a text over kMaxTextBytes fails the job with embed()'s error before any pass.
TEST(JobModules, LateTokenizingGivesEmbedsRowsAndTheSizeErrorComesFirst) {
  std::vector<std::string> owned;
  for (size_t i = 0; i < 40; ++i) {
    std::string t = "text " + std::to_string(i);
    for (size_t k = 0; k < (i * 7) % 23; ++k) t += " word" + std::to_string(k * i % 11);
    owned.push_back(t);
  }
  const std::vector<std::string_view> texts(owned.begin(), owned.end());
  LoadedModel sync_model = load_st_model("st-prompts-wmean");
  auto cpu = make_cpu_backend(sync_model.spec, sync_model.weights, Precision::kFloat32);
  Pipeline sync(std::move(sync_model), std::move(cpu), 4);
  const auto want = sync.embed(texts);

  LoadedModel model = load_st_model("st-prompts-wmean");
  const ModelSpec spec = model.spec;
  auto cpu2 = make_cpu_backend(model.spec, model.weights, Precision::kFloat32);
  Pipeline p(std::move(model), std::make_unique<TwoPassCpu>(std::move(cpu2), spec), 4);
  Job job = p.start_job(texts);
  job.set_overlap(true, 64);  // pieces of a few texts: several chunks
  PassLimit limit;
  while (!job.step(p.backend(), limit)) {
  }
  EXPECT_GT(job.chunks(), 2u);
  ASSERT_EQ(job.result().size(), want.size());
  float worst = 0;
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(want[i] - job.result()[i]));
  EXPECT_LT(worst, 1e-5f);
  std::printf("[job-modules] late tokenizing: %zu chunks, %zu passes, max abs difference to embed() %.2e\n",
              job.chunks(), job.passes(), static_cast<double>(worst));

  owned[25] = std::string(kMaxTextBytes + 1, 'a');
  const std::vector<std::string_view> with_huge(owned.begin(), owned.end());
  std::string sync_error;
  try {
    sync.embed(with_huge);
  } catch (const Error& e) {
    sync_error = e.what();
  }
  Job failing = p.start_job(with_huge);
  auto& device = static_cast<TwoPassCpu&>(p.backend());
  const size_t submits = device.submits;
  try {
    failing.begin(device, limit);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    EXPECT_EQ(std::string(e.what()), sync_error);
  }
  EXPECT_EQ(device.submits, submits);
  EXPECT_FALSE(sync_error.empty());
}

}  // namespace
}  // namespace gpuembed
