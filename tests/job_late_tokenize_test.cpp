// Late tokenizing (api/job.h): with the overlap on a device that holds two passes, a job made from texts tokenizes
// only a first chunk before its first pass and the rest while passes run, and still gives the rows of the job that
// tokenizes every text first and runs one pass at a time: the same floats, every text in a pass of the same size
// class (the fake device marks the rows of passes below kSmallPassTokens tokens), the same error for a text the
// tokenizer fails on, through an out-of-memory pass and a lost device.
#include <gtest/gtest.h>

#include <string>

#include "api/job.h"
#include "fake_rows.h"
#include "gpuembed/error.h"
#include "pipelined_device.h"

namespace gpuembed {
namespace {

using test::expected_row;
using test::job_shape;
using test::lengths_between;
using test::PipelinedDevice;

// The fake tokenizer: a letter is one token, a space none, and '!' a character it has no token for. Counts its
// calls, and those made while the device held a pass.
struct Tokenizing {
  const PipelinedDevice* device = nullptr;
  size_t calls = 0, behind_device = 0;
};
class FakeTokenizer final : public TextEncoder {
 public:
  explicit FakeTokenizer(Tokenizing* stats) : stats_(stats) {}
  std::vector<int32_t> encode(std::string_view text) const override {
    ++stats_->calls;
    if (stats_->device && stats_->device->in_flight() > 0) ++stats_->behind_device;
    std::vector<int32_t> ids;
    for (char c : text) {
      if (c == '!') throw Error(ErrorCode::kInvalidInput, "fake tokenizer: no token for '!' in \"" + std::string(text) + "\"");
      if (c != ' ') ids.push_back(1 + (c - 'a'));
    }
    return ids;
  }

 private:
  Tokenizing* stats_;
};
std::unique_ptr<const TextEncoder> fake_tokenizer(Tokenizing* stats) { return std::make_unique<FakeTokenizer>(stats); }

// Text i of `tokens` tokens, with spaces among the letters in some texts: bytes are not tokens, so the chunks (by
// bytes) hold texts in another order than the sort by tokens.
std::string make_text(size_t i, size_t tokens) {
  std::string s;
  for (size_t k = 0; k < tokens; ++k) {
    if (i % 3 != 0 && k > 0 && k % (2 + i % 5) == 0) s += ' ';
    s += static_cast<char>('a' + (i * 7 + k * 3) % 26);
  }
  return s;
}

std::vector<std::string> make_texts(const std::vector<size_t>& lengths) {
  std::vector<std::string> texts;
  for (size_t i = 0; i < lengths.size(); ++i) texts.push_back(make_text(i, lengths[i]));
  return texts;
}

std::vector<float> reference(const std::vector<std::string>& texts) {
  Tokenizing stats;
  const FakeTokenizer encoder(&stats);
  std::vector<float> want;
  for (const auto& t : texts) {
    const auto r = expected_row(encoder.encode(t));
    want.insert(want.end(), r.begin(), r.end());
  }
  return want;
}

struct RunSetup {
  size_t max_batch = 256, device_tokens = SIZE_MAX, min_pass_tokens = kOverlapMinPassTokens;
  bool overlap = true;
};

struct Run {
  std::vector<float> rows;
  PipelinedDevice device;
  Tokenizing tokenizing;
  size_t chunks = 0, tokenized_at_begin = 0;
  std::vector<size_t> progress;
};

// Runs the texts as the WASM caller does (begin, then step until done) and returns what it saw.
std::unique_ptr<Run> run(const std::vector<std::string>& texts, const RunSetup& setup) {
  auto r = std::make_unique<Run>();
  r->device.device_max_tokens = setup.device_tokens;
  r->device.mark_small_passes = true;
  r->tokenizing.device = &r->device;
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  Job job(views, fake_tokenizer(&r->tokenizing), job_shape(setup.max_batch), true);
  job.set_overlap(setup.overlap, setup.min_pass_tokens);
  job.on_progress = [&](size_t done, size_t total) {
    EXPECT_EQ(total, texts.size());
    r->progress.push_back(done);
  };
  PassLimit limit;
  job.begin(r->device, limit);
  r->tokenized_at_begin = r->tokenizing.calls;
  while (!job.step(r->device, limit)) {
  }
  r->rows = job.take_result();
  r->chunks = job.chunks();
  return r;
}

TEST(JobLateTokenize, TheFirstChunkIsTokenizedBeforeTheFirstPassAndTheRestWhilePassesRun) {
  const auto texts = make_texts(std::vector<size_t>(256, 128));
  const auto late = run(texts, {});
  EXPECT_EQ(late->tokenized_at_begin, 64u);  // a piece of the cut: a quarter of a full pass of 256 texts
  EXPECT_EQ(late->tokenizing.calls, 256u);
  EXPECT_EQ(late->tokenizing.behind_device, 192u);
  EXPECT_EQ(late->chunks, 4u);
  EXPECT_EQ(late->device.pass_sizes, std::vector<size_t>(4, 64));
  EXPECT_EQ(late->device.most_in_flight, 2u);
  EXPECT_EQ(late->rows, reference(texts));
  EXPECT_EQ(late->progress, (std::vector<size_t>{64, 128, 192, 256}));

  // overlap off, or a device of one pass: every text tokenized before the first pass, one pass of 256
  const auto off = run(texts, {.overlap = false});
  EXPECT_EQ(off->tokenized_at_begin, 256u);
  EXPECT_EQ(off->chunks, 0u);
  EXPECT_EQ(off->device.pass_sizes, std::vector<size_t>{256});
  EXPECT_EQ(off->rows, late->rows);
}

TEST(JobLateTokenize, TheTimeTokenizingBehindTheDeviceIsCountedApart) {
  const auto texts = make_texts(std::vector<size_t>(256, 128));
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  Tokenizing stats;
  PipelinedDevice device;
  Job job(views, fake_tokenizer(&stats), job_shape(256), true);
  PassLimit limit;
  while (!job.step(device, limit)) {
  }
  EXPECT_EQ(job.tokenize_exposed_ms(), 0.0);  // every later chunk had a pass on the device
  EXPECT_GT(job.tokenize_hidden_ms(), 0.0);
  EXPECT_TRUE(job.finished());
}

// The rows, and each text's size class, of the job that tokenizes first and runs one pass at a time, for many
// shapes: texts of mixed lengths, mostly short ones, only short ones (below kSmallPassTokens: they wait for the
// passes without overlap), small and large passes, devices of few tokens, cuts of small pieces (many chunks).
TEST(JobLateTokenize, RowsAndSizeClassesOfTheJobWithoutOverlapAtManyShapes) {
  size_t late_jobs = 0, small_class_jobs = 0, jobs = 0;
  for (size_t texts_n : {2u, 7u, 33u, 100u, 257u, 600u}) {
    for (const auto& [shortest, longest] : {std::pair<size_t, size_t>{1, 260}, {1, 40}, {1, 20}, {30, 34}}) {
      const auto texts = make_texts(lengths_between(texts_n, shortest, longest));
      const auto want = reference(texts);
      for (size_t max_batch : {1u, 4u, 32u, 256u}) {
        for (size_t device_tokens : {size_t(300), size_t(9000), SIZE_MAX}) {
          const RunSetup off_setup{max_batch, device_tokens, kOverlapMinPassTokens, false};
          const auto off = run(texts, off_setup);
          for (size_t min_pass : {kOverlapMinPassTokens, size_t(64)}) {
            const auto late = run(texts, {max_batch, device_tokens, min_pass, true});
            const std::string at = std::to_string(texts_n) + " texts of " + std::to_string(shortest) + "-" +
                                   std::to_string(longest) + " tokens, max_batch " + std::to_string(max_batch) +
                                   ", device tokens " + std::to_string(device_tokens) + ", min pass " +
                                   std::to_string(min_pass);
            ++jobs;
            EXPECT_EQ(late->rows, off->rows) << at;
            EXPECT_EQ(late->device.texts_read, texts_n) << at;
            EXPECT_EQ(late->tokenizing.calls, texts_n) << at;  // each text tokenized once
            EXPECT_LE(late->device.most_in_flight, 2u) << at;
            EXPECT_TRUE(std::is_sorted(late->progress.begin(), late->progress.end())) << at;
            EXPECT_EQ(late->progress.back(), texts_n) << at;
            if (late->chunks > 1) ++late_jobs;
            if (late->rows != want) ++small_class_jobs;  // some rows marked: passes below kSmallPassTokens
          }
        }
      }
    }
  }
  std::printf("[late-tokenize] %zu jobs, %zu tokenized in several chunks, %zu with passes below %zu tokens\n", jobs,
              late_jobs, small_class_jobs, kSmallPassTokens);
  EXPECT_GE(late_jobs, jobs / 3);
  EXPECT_GE(small_class_jobs, 20u);
}

// What tokenizing first gives: the error of the first text (input order) the tokenizer throws on, else of the
// first text without tokens; thrown before any pass.
std::string error_of_tokenizing_first(const std::vector<std::string>& texts) {
  try {
    run(texts, {.overlap = false});
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(JobLateTokenize, ATextTheTokenizerFailsOnInALaterChunkGivesTheSameErrorAfterThePassesBefore) {
  struct Bad {
    const char* what;
    std::vector<std::pair<size_t, std::string>> texts;  // replaced texts of 256 of 128 tokens
  };
  const Bad cases[] = {
      {"'!' in a short text (the last chunk)", {{10, "ab!"}}},
      {"'!' in a long text (the first chunk) after one in a short text", {{10, "ab!"}, {200, make_text(200, 400) + "!"}}},
      {"'!' in a long text after an empty one", {{50, ""}, {120, make_text(120, 400) + "!"}}},
      {"two empty texts", {{70, ""}, {30, ""}}},
      {"an empty text", {{90, ""}}},
  };
  for (const Bad& c : cases) {
    auto texts = make_texts(std::vector<size_t>(256, 128));
    for (const auto& [i, t] : c.texts) texts[i] = t;
    const std::string want = error_of_tokenizing_first(texts);
    PipelinedDevice device;
    const std::vector<std::string_view> views(texts.begin(), texts.end());
    Tokenizing stats;
    Job job(views, fake_tokenizer(&stats), job_shape(256), true);
    PassLimit limit;
    std::string got;
    try {
      while (!job.step(device, limit)) {
      }
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidInput) << c.what;
      got = e.what();
    }
    EXPECT_EQ(got, want) << c.what;
    EXPECT_TRUE(job.finished()) << c.what;
    const bool first_chunk = c.texts.back().first == 200 || c.texts.back().first == 120;
    // a failure in the first chunk comes before any pass; a later one after the passes before it, those still on
    // the device dropped
    EXPECT_EQ(device.pass_sizes.empty(), first_chunk) << c.what;
    if (!first_chunk) EXPECT_EQ(device.cancels, 1u) << c.what;
    std::printf("[late-tokenize] %s: \"%.60s\" after %zu passes\n", c.what, got.c_str(), device.pass_sizes.size());
  }
}

TEST(JobLateTokenize, OutOfMemoryInALaterChunksPassRedoesItsTextsInSmallerPasses) {
  const auto texts = make_texts(lengths_between(300, 20, 200));
  const auto off = run(texts, {.overlap = false});
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  Tokenizing stats;
  PipelinedDevice device;
  device.mark_small_passes = true;
  device.oom_pass = 2;
  Job job(views, fake_tokenizer(&stats), job_shape(256), true);
  std::vector<size_t> progress;
  job.on_progress = [&](size_t done, size_t) { progress.push_back(done); };
  PassLimit limit;
  while (!job.step(device, limit)) {
  }
  EXPECT_EQ(job.result(), off->rows);
  EXPECT_EQ(job.oom_splits(), 1u);
  EXPECT_GT(limit.tokens, 0u);
  EXPECT_GT(job.chunks(), 2u);
  EXPECT_EQ(device.texts_read, texts.size());  // nothing read twice
  EXPECT_EQ(stats.calls, texts.size());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.back(), texts.size());
}

// Chunks go by bytes, so a later chunk may bring texts of more tokens than a pass already submitted: after an
// out-of-memory failure the texts of the passes redone must still be padded to the longest of each pass.
TEST(JobLateTokenize, OutOfMemoryAfterALaterChunkBroughtLongerTextsRedoesThemSorted) {
  std::vector<std::string> texts;
  for (size_t i = 0; i < 88; ++i) {
    std::string t;  // 78 texts of 40 tokens in 440 bytes (ten spaces a letter), then 10 of 120 tokens and bytes
    for (size_t k = 0; k < (i < 78 ? 40u : 120u); ++k) t += std::string(i < 78 ? 10 : 0, ' ') + char('a' + (i + k) % 26);
    texts.push_back(t);
  }
  const auto want = run(texts, {.overlap = false});
  for (size_t oom_pass : {0u, 1u, 2u, 3u}) {
    const std::vector<std::string_view> views(texts.begin(), texts.end());
    Tokenizing stats;
    PipelinedDevice device;
    device.oom_pass = oom_pass;
    device.mark_small_passes = true;
    Job job(views, fake_tokenizer(&stats), job_shape(64), true);
    job.set_overlap(true, 1024);
    PassLimit limit;
    while (!job.step(device, limit)) {
    }
    EXPECT_EQ(job.result(), want->rows) << "out of memory at pass " << oom_pass;
    EXPECT_EQ(job.oom_splits(), 1u);
    EXPECT_EQ(device.texts_read, texts.size());
  }
  // the same after a lost device, the rest on a fallback of one pass at a time (full passes, uncut)
  for (size_t lost_at : {0u, 1u, 2u, 3u}) {
    const std::vector<std::string_view> views(texts.begin(), texts.end());
    Tokenizing stats;
    PipelinedDevice device;
    device.lost_at_read = lost_at;
    device.mark_small_passes = true;
    Job job(views, fake_tokenizer(&stats), job_shape(64), true);
    job.set_overlap(true, 1024);
    PassLimit limit;
    EXPECT_THROW(
        while (!job.step(device, limit)) {}, Error);
    if (lost_at > 0) EXPECT_EQ(stats.calls, texts.size()) << "lost at read " << lost_at;  // the long texts came
    job.abandon_pass();
    PipelinedDevice fallback;
    fallback.depth = 1;
    fallback.mark_small_passes = true;
    while (!job.step(fallback, limit)) {
    }
    EXPECT_EQ(job.result(), want->rows) << "lost at read " << lost_at;
    EXPECT_EQ(device.texts_read + fallback.texts_read, texts.size());
  }
}

TEST(JobLateTokenize, DeviceLostWithChunksLeftRunsTheRestOnTheFallback) {
  const auto texts = make_texts(lengths_between(300, 1, 200));
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  Tokenizing stats;
  PipelinedDevice device;
  device.lost_at_read = 0;
  Job job(views, fake_tokenizer(&stats), job_shape(64), true);
  job.set_overlap(true, 256);
  PassLimit limit;
  try {
    while (!job.step(device, limit)) {
    }
    FAIL() << "no device loss";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kDeviceLost);
  }
  EXPECT_LT(stats.calls, texts.size());  // chunks were left
  EXPECT_EQ(job.texts_done(), 0u);
  // as Pipeline::run does: the unread texts on the fallback, one pass at a time
  job.abandon_pass();
  PipelinedDevice fallback;
  fallback.depth = 1;
  while (!job.step(fallback, limit)) {
  }
  EXPECT_EQ(job.result(), reference(texts));
  EXPECT_EQ(fallback.texts_read, texts.size());
  EXPECT_EQ(stats.calls, texts.size());
  EXPECT_EQ(fallback.most_in_flight, 1u);
}

}  // namespace
}  // namespace gpuembed
