#pragma once
// The one job driver, for every backend and build: a request's token ids are sorted longest first and cut into
// passes of at most max_batch texts and the backend's max_tokens(); each pass is submitted, polled and read through
// the Backend contract, and its rows are put back in input order. A pass that runs out of device memory is redone
// with half as many texts (and later passes on that backend keep to that size), down to one text.
//
// step() never blocks: with the CPU backend (finished inside submit) one call runs the whole job; with WebGPU in
// WASM it returns false while a pass is on the device, and the JS caller awaits the device before calling again.
//
// Overlap: on a backend that holds two passes (Backend::max_in_flight), the next pass is submitted (tokens packed,
// recorded) before the previous one is awaited, and a pass is read while the next one runs on the device. A large
// bucket is then cut into a few passes, or nothing would overlap (kOverlapChunks, kOverlapMinPassTokens). The cut
// only subdivides the passes the job would run without overlap, into pieces of at least kOverlapMinPassTokens
// tokens, so every text stays in a pass of the same size class (the WebGPU kernels choose a matmul for passes of a
// few tokens); a text's row then depends on that text alone, and the cut changes when rows are computed, not
// their values.
//
// Late tokenizing: a job made from texts (not ids) tokenizes them when it begins. With the overlap on a backend
// that holds two passes, it tokenizes only a first chunk there and the rest in step(), chunk by chunk while passes
// run on the device, so only the first chunk's tokenizing is on the request's critical path. Chunks go longest first
// by bytes (a cheap guess of the token count, so a chunk's passes hold texts of similar length, as the sort of all
// texts would give), each sorted by tokens into a pool from which passes of the cut's size are taken. Only texts of
// at least kSmallPassTokens tokens go through the pool: whatever pass holds them has that many tokens, so they stay
// in the larger size class. Shorter texts wait until every text is tokenized and then run in the passes the job
// without overlap would have put them in (the same texts, padded to the same length where that pass also held
// longer texts), so their size class is kept too. A text the tokenizer fails on in a later chunk fails the job with
// the error (code and message) that tokenizing all texts first would have given, but after the passes before it
// ran (Pipeline::start_job tokenizes every text first where it can see such an error coming: a text over the size
// limit, or a tokenizer that adds no special tokens and so may give a text no tokens).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "backend/backend.h"

namespace gpuembed {

// Per backend, kept across jobs: after an out-of-memory failure, passes hold at most `tokens` (half of the pass that
// failed), so a device that could not take a batch once is not asked again. 0: no limit. Reset with the backend.
struct PassLimit {
  size_t tokens = 0;
};

// The overlap's cut, where the backend holds more than one pass: a full pass (max_batch texts or the device's
// tokens) is cut into kOverlapChunks passes, but never into passes of fewer than kOverlapMinPassTokens tokens.
// Each pass costs a fixed host time to record (its dispatches, bind groups and parameters, whatever its size), and
// the device's efficiency drops with small passes; a pass of kOverlapMinPassTokens keeps that fixed cost a small
// part of the pass's device time, so a request small enough to be one such pass is not cut at all. With four
// passes all host work but the first pass's recording and the last pass's read hides behind the device; more
// passes would add fixed costs to save little.
constexpr size_t kOverlapChunks = 4;
constexpr size_t kOverlapMinPassTokens = 4096;
// The WebGPU kernels' size class (kSmallMatmulRows in backend/webgpu/webgpu_graph.cpp): a pass of fewer tokens
// multiplies with matmul_small, which sums in another order, so its rows differ in the last bits. No other choice
// of the kernels depends on a pass's size or padding.
constexpr size_t kSmallPassTokens = 32;

// Turns one pass's backend output (`output` of JobShape: [n, dimension] or [n, seq, hidden]) into [n, rows floats]
// rows; lengths: tokens per text of the pass. Pipeline's are the sentence-transformers modules after pooling
// (SentenceModules::rows_from_backend), with the CPU pooling the hidden states where the backend cannot.
using PassRows = std::function<void(const float* out, size_t n, size_t seq, const int32_t* lengths, float* rows)>;

struct JobShape {
  BatchOutput output = BatchOutput::kEmbeddings;
  size_t dimension = 0;  // floats per text of kEmbeddings
  size_t hidden = 0;     // floats per token of kHiddenStates
  int32_t pad_id = 0;
  size_t max_batch = 32;  // texts per pass
  // When set, each pass goes through `rows` and every text's result is `rows_floats` floats, whatever `output` is.
  PassRows rows;
  size_t rows_floats = 0;
};

// One text's token ids (Pipeline: with the call's prompt, truncated); throws gpuembed::Error as tokenizing does.
// (An interface rather than a std::function: the WASM module's size budget.)
class TextEncoder {
 public:
  virtual ~TextEncoder() = default;
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
};

class Job {
 public:
  // ids: one row of token ids per text; a text without tokens is kInvalidInput.
  Job(std::vector<std::vector<int32_t>> ids, const JobShape& shape);
  // Texts that begin() tokenizes with `encoder`: all of them, in input order, as the constructor above has them,
  // unless `late` allows late tokenizing and begin() finds the overlap on (see above; a job whose rows have no fixed
  // width, JobShape::rows or kEmbeddings, tokenizes all). The texts' bytes must live until the job is finished or
  // dropped.
  Job(std::vector<std::string_view> texts, std::unique_ptr<const TextEncoder> encoder, const JobShape& shape, bool late);

  // Tokenizes what the job needs before its first pass (nothing for a job made from ids); step() calls it when the
  // caller has not. Throws what tokenizing throws (kInvalidInput for a text without tokens).
  void begin(const Backend& backend, const PassLimit& limit);

  // Reads a finished pass and submits the next, as far as the backend lets it without waiting. True: every text is
  // done (result() holds them); false: a pass is in flight, call again once the device has called back. Throws
  // gpuembed::Error (kOutOfMemory when even a pass of one text does not fit; the job is then over).
  bool step(Backend& backend, PassLimit& limit);
  // Drops the passes in flight (their device was lost) so that the texts not yet read can run on another backend.
  void abandon_pass();
  // Off: one pass at a time and no cut, whatever the backend holds (the reference the overlap is tested against).
  // min_pass_tokens replaces kOverlapMinPassTokens (tests on slow adapters; above the few tokens at which the WebGPU
  // kernels choose another matmul, or a cut text may change its pass's size class).
  void set_overlap(bool on, size_t min_pass_tokens = kOverlapMinPassTokens) {
    overlap_ = on;
    min_pass_tokens_ = std::max<size_t>(min_pass_tokens, 1);
  }

  bool finished() const { return begun_ && (over_ || next_ == texts_) && in_flight_.empty(); }
  size_t texts() const { return texts_; }
  size_t texts_done() const { return next_; }
  size_t passes() const { return passes_; }
  size_t oom_splits() const { return oom_splits_; }
  // Late tokenizing: chunks tokenized, and the milliseconds step() spent tokenizing with no pass on the device (on
  // the critical path, like begin()'s) and with passes on it (hidden behind the device).
  size_t chunks() const { return chunks_; }
  double tokenize_exposed_ms() const { return tokenize_ms_[0]; }
  double tokenize_hidden_ms() const { return tokenize_ms_[1]; }
  // kEmbeddings: [texts, dimension] in input order; kHiddenStates: each text's [tokens, hidden], in input order;
  // with JobShape::rows: [texts, rows_floats] in input order.
  const std::vector<float>& result() const { return result_; }
  std::vector<float> take_result() { return std::move(result_); }
  // Called after each pass that was read: (texts done, texts).
  std::function<void(size_t, size_t)> on_progress;

 private:
  struct Pass {
    size_t first, n, seq;  // texts order_[first, first + n), padded to seq tokens
  };
  void arrange_all();
  void rewind();
  void tokenize_chunk(const Backend& backend, const PassLimit& limit);
  void tokenize_timed(const Backend& backend, const PassLimit& limit);
  [[noreturn]] void fail_tokenizing();
  void plan_short_texts(const Backend& backend, const PassLimit& limit);
  size_t pass_cap(const Backend& backend, const PassLimit& limit, size_t seq) const;
  size_t piece_texts(const Backend& backend, const PassLimit& limit, size_t seq) const;
  size_t pass_texts(const Backend& backend, const PassLimit& limit, size_t& seq);
  void submit_pass(Backend& backend, size_t n, size_t seq);
  void read_pass(Backend& backend, const Pass& pass);
  bool step_passes(Backend& backend, PassLimit& limit);
  bool tokenizing() const { return queued_ < queue_.size(); }

  std::vector<std::vector<int32_t>> ids_;  // by text; empty until tokenized
  JobShape shape_;
  size_t texts_ = 0;
  bool begun_ = true, late_ = false, over_ = false;  // over_: failed
  std::unique_ptr<const TextEncoder> encoder_;
  std::vector<std::string_view> texts_in_;  // the caller's texts
  std::vector<size_t> queue_;  // late tokenizing: texts by bytes, longest first; queued_ of them tokenized
  size_t queued_ = 0, chunks_ = 0;
  double tokenize_ms_[2] = {0, 0};
  std::vector<size_t> order_;   // text indices in the order they are submitted
  // Runs of order_ that no pass crosses, as (end, seq_floor) pairs: the pool of texts tokenized late (the first run
  // of a late job, sorted by tokens as chunks come in), or the texts of one pass of the job without overlap, padded
  // to at least seq_floor tokens (late tokenizing's short texts: that pass's length where it also held longer texts).
  std::vector<size_t> segments_;
  std::vector<size_t> offset_;  // where each text's floats start in result_
  size_t next_ = 0;             // index into order_ of the first text not yet read
  size_t submitted_ = 0;        // index into order_ of the first text not yet submitted
  size_t pass_end_ = 0;         // end of the pass without overlap that submitted_ is in (the cut subdivides it)
  size_t pass_full_ = 0;        // its texts (the pool: a full pass's)
  std::vector<Pass> in_flight_;  // submitted, not yet read, oldest first
  // Passes submitted after one that ran out of memory: read and thrown away (they may have failed with it), then
  // their texts are submitted again.
  size_t discard_ = 0;
  bool overlap_ = true;
  size_t min_pass_tokens_ = kOverlapMinPassTokens;
  size_t passes_ = 0, oom_splits_ = 0;
  std::vector<float> result_, scratch_, rows_;
  std::vector<int32_t> lengths_;
};

}  // namespace gpuembed
