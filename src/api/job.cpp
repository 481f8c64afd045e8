#include "api/job.h"

#include <ctime>
#include <numeric>

#include "gpuembed/error.h"

namespace gpuembed {

namespace {

// Texts longest first by tokens or bytes, ties in the order they are in (one comparator type for every sort: one
// stable_sort in the module, whose size is budgeted).
struct Longer {
  const std::vector<std::vector<int32_t>>& ids;
  const std::vector<std::string_view>* texts;  // set: by bytes
  size_t size(size_t i) const { return texts ? (*texts)[i].size() : ids[i].size(); }
  bool operator()(size_t a, size_t b) const { return size(a) > size(b); }
};

double now_ms() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
}

Error no_tokens(size_t text) {
  return Error(ErrorCode::kInvalidInput, "text " + std::to_string(text) + " has no tokens (an empty text, and the "
                                         "tokenizer adds no special tokens): nothing to embed");
}

}  // namespace

Job::Job(std::vector<std::vector<int32_t>> ids, const JobShape& shape)
    : ids_(std::move(ids)), shape_(shape), texts_(ids_.size()) {
  shape_.max_batch = std::max<size_t>(shape_.max_batch, 1);
  arrange_all();
}

Job::Job(std::vector<std::string_view> texts, std::unique_ptr<const TextEncoder> encoder, const JobShape& shape,
         bool late)
    : ids_(texts.size()), shape_(shape), texts_(texts.size()), begun_(false), late_(late), encoder_(std::move(encoder)),
      texts_in_(std::move(texts)) {
  shape_.max_batch = std::max<size_t>(shape_.max_batch, 1);
}

// Every text tokenized: longest first, so each pass holds texts of similar length and padding stays small.
void Job::arrange_all() {
  order_.resize(ids_.size());
  std::iota(order_.begin(), order_.end(), size_t{0});
  std::stable_sort(order_.begin(), order_.end(), Longer{ids_, nullptr});
  offset_.resize(ids_.size() + 1, 0);
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i].empty()) throw no_tokens(i);
    const size_t floats = shape_.rows                                 ? shape_.rows_floats
                          : shape_.output == BatchOutput::kEmbeddings ? shape_.dimension
                                                                      : ids_[i].size() * shape_.hidden;
    offset_[i + 1] = offset_[i] + floats;
  }
  result_.assign(offset_.back(), 0.0f);
  segments_.push_back(order_.size());
  segments_.push_back(0);
}

void Job::begin(const Backend& backend, const PassLimit& limit) {
  if (begun_) return;
  begun_ = true;
  const bool fixed_rows = shape_.rows || shape_.output == BatchOutput::kEmbeddings;
  late_ = late_ && fixed_rows && overlap_ && backend.max_in_flight() >= 2 && texts_ > 1;
  if (!late_) {  // as the job made from ids: every text in input order, the first failure thrown
    for (size_t i = 0; i < texts_; ++i) ids_[i] = encoder_->encode(texts_in_[i]);
    arrange_all();
    return;
  }
  order_.resize(texts_);  // the queue (by bytes)
  std::iota(order_.begin(), order_.end(), size_t{0});
  std::stable_sort(order_.begin(), order_.end(), Longer{ids_, &texts_in_});
  queue_.swap(order_);
  const size_t width = shape_.rows ? shape_.rows_floats : shape_.dimension;
  offset_.resize(texts_ + 1, 0);
  for (size_t i = 0; i <= texts_; ++i) offset_[i] = i * width;
  result_.assign(offset_.back(), 0.0f);
  segments_.push_back(0);  // the pool
  segments_.push_back(0);
  tokenize_chunk(backend, limit);
}

// The texts one pass without overlap takes at `seq` tokens: max_batch, within the device's (or the out-of-memory
// limit's) tokens.
size_t Job::pass_cap(const Backend& backend, const PassLimit& limit, size_t seq) const {
  const size_t device_tokens = backend.max_tokens();
  const size_t tokens = limit.tokens ? std::min(limit.tokens, device_tokens) : device_tokens;
  return std::min(shape_.max_batch, std::max<size_t>(1, tokens / seq));
}

// A piece of the cut from a full pass at `seq` tokens: a kOverlapChunks-th of it, at least min_pass_tokens_.
size_t Job::piece_texts(const Backend& backend, const PassLimit& limit, size_t seq) const {
  const size_t cap = pass_cap(backend, limit, seq);
  return std::min(cap, std::max((cap + kOverlapChunks - 1) / kOverlapChunks, (min_pass_tokens_ + seq - 1) / seq));
}

// A chunk is what one piece of the cut needs (sized by its first text, the longest by bytes): the least that gives
// the device a pass of the cut's size (at least min_pass_tokens_, where the request has them) to run while the next
// chunk is tokenized; more would only lengthen the critical path (the first chunk) or delay the reads behind it (the
// others). Texts a chunk leaves in the pool join the next chunk's; the last pass may be a smaller one.
void Job::tokenize_chunk(const Backend& backend, const PassLimit& limit) {
  size_t count = 0, want = 1;
  while (tokenizing() && count < want) {
    const size_t t = queue_[queued_++];
    try {
      ids_[t] = encoder_->encode(texts_in_[t]);
    } catch (...) {
      fail_tokenizing();
    }
    const size_t len = ids_[t].size();
    if (len == 0) fail_tokenizing();
    if (count++ == 0) want = piece_texts(backend, limit, len);
    // Short texts wait for the passes the job without overlap gives them (plan_short_texts).
    if (len >= kSmallPassTokens) order_.push_back(t);
  }
  ++chunks_;
  // The pool (order_ from submitted_ on) sorted again with this chunk in it.
  std::stable_sort(order_.begin() + static_cast<ptrdiff_t>(submitted_), order_.end(), Longer{ids_, nullptr});
  segments_[0] = order_.size();
  if (!tokenizing()) plan_short_texts(backend, limit);
}

// The texts below kSmallPassTokens go in the passes the job without overlap would run (all texts sorted, cut by
// pass_cap, as now): a pass of only such texts as it is (the same tokens, so the same size class, and the cut then
// subdivides it as it would without late tokenizing); the short texts of a pass that also held longer ones padded
// to that pass's length, at least kSmallPassTokens, so they stay in the larger class as they were.
void Job::plan_short_texts(const Backend& backend, const PassLimit& limit) {
  std::vector<size_t> all(texts_);
  std::iota(all.begin(), all.end(), size_t{0});
  std::stable_sort(all.begin(), all.end(), Longer{ids_, nullptr});
  for (size_t pos = 0, n = 0; pos < texts_; pos += n) {
    const size_t seq = ids_[all[pos]].size();
    n = std::min(pass_cap(backend, limit, seq), texts_ - pos);
    size_t first_short = pos;
    while (first_short < pos + n && ids_[all[first_short]].size() >= kSmallPassTokens) ++first_short;
    if (first_short == pos + n) continue;
    for (size_t k = first_short; k < pos + n; ++k) order_.push_back(all[k]);
    segments_.push_back(order_.size());
    segments_.push_back(first_short == pos ? 0 : seq);
  }
}

// The error of tokenizing every text first, in input order: the texts not tokenized yet are, in that order, so the
// first that throws throws (the failing text too: its tokens depend on it alone), else the first without tokens
// fails. The job is over.
void Job::fail_tokenizing() {
  queued_ = queue_.size();
  over_ = true;
  for (size_t i = 0; i < texts_; ++i) {
    if (ids_[i].empty()) ids_[i] = encoder_->encode(texts_in_[i]);
  }
  size_t first = 0;
  while (first + 1 < texts_ && !ids_[first].empty()) ++first;
  throw no_tokens(first);
}

void Job::tokenize_timed(const Backend& backend, const PassLimit& limit) {
  const double t0 = now_ms();
  const bool hidden = !in_flight_.empty();
  tokenize_chunk(backend, limit);
  tokenize_ms_[hidden] += now_ms() - t0;
}

void Job::abandon_pass() {
  in_flight_.clear();
  discard_ = 0;
  rewind();
}

// The texts from the first unread one on are submitted again. Those back in the pool are sorted again: a chunk
// tokenized after their passes were submitted may have brought longer texts, which must not follow them into a
// pass padded to their length.
void Job::rewind() {
  submitted_ = pass_end_ = next_;
  if (late_ && next_ < segments_[0]) {
    std::stable_sort(order_.begin() + static_cast<ptrdiff_t>(next_), order_.begin() + static_cast<ptrdiff_t>(segments_[0]),
                     Longer{ids_, nullptr});
  }
}

bool Job::step(Backend& backend, PassLimit& limit) {
  begin(backend, limit);
  if (over_) return true;
  try {
    return step_passes(backend, limit);
  } catch (const Error&) {
    if (!in_flight_.empty()) backend.cancel();
    abandon_pass();
    throw;
  }
}

bool Job::step_passes(Backend& backend, PassLimit& limit) {
  const size_t depth = overlap_ ? std::max<size_t>(1, backend.max_in_flight()) : 1;
  // A backend that holds one pass (the CPU after a lost device, or the overlap turned off): nothing to hide behind.
  while (depth < 2 && tokenizing()) tokenize_timed(backend, limit);
  while (true) {
    size_t seq = 0;
    while (discard_ == 0 && in_flight_.size() < depth) {
      if (const size_t n = pass_texts(backend, limit, seq)) {
        submit_pass(backend, n, seq);
      } else if (tokenizing()) {
        tokenize_timed(backend, limit);  // no pass ready: the next chunk, behind the device where a pass is on it
      } else {
        break;
      }
    }
    if (in_flight_.empty()) return true;
    // The device is full: the next chunk now, while it runs, unless the pool already holds the next pass.
    if (tokenizing() && (discard_ > 0 || pass_texts(backend, limit, seq) == 0)) tokenize_timed(backend, limit);
    if (!backend.poll()) return false;
    const Pass pass = in_flight_.front();
    in_flight_.erase(in_flight_.begin());
    if (discard_ > 0) {
      --discard_;
      scratch_.resize(pass.n * (shape_.output == BatchOutput::kEmbeddings ? shape_.dimension : pass.seq * shape_.hidden));
      try {
        backend.read(scratch_.data());
      } catch (const Error& e) {
        if (e.code() == ErrorCode::kDeviceLost) throw;
      }
      continue;
    }
    try {
      read_pass(backend, pass);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kOutOfMemory) throw;
      if (pass.n <= 1) {
        over_ = true;
        throw Error(ErrorCode::kOutOfMemory, backend.name() + " could not allocate the buffers of a forward pass of "
                                                              "one text (" + std::to_string(pass.seq) + " tokens): " +
                                                 e.what());
      }
      limit.tokens = (pass.n / 2) * pass.seq;
      ++oom_splits_;
      // next_ did not move: the same texts go again, half as many per pass, once the passes behind are drained
      discard_ = in_flight_.size();
      rewind();
    }
  }
}

// Texts of the next pass (0: none ready), from order_[submitted_], padded to `seq` tokens.
size_t Job::pass_texts(const Backend& backend, const PassLimit& limit, size_t& seq) {
  size_t segment = 0;
  while (segment < segments_.size() && segments_[segment] <= submitted_) segment += 2;
  if (segment == segments_.size()) return 0;
  const size_t left = segments_[segment] - submitted_, seq_floor = segments_[segment + 1];
  const bool pool = late_ && segment == 0;
  const auto tokens_of = [&](size_t k) { return std::max(ids_[order_[k]].size(), seq_floor); };
  seq = tokens_of(submitted_);
  if (pool && tokenizing()) {
    // A piece of the cut once the pool holds one; less only to start an idle device (the next chunk is then
    // tokenized behind it).
    const size_t piece = piece_texts(backend, limit, seq);
    return left >= piece || in_flight_.empty() ? std::min(left, piece) : 0;
  }
  if (submitted_ >= pass_end_) {
    // The pass the job would run without overlap: the cut below only subdivides it, so no text lands in a pass of
    // another size class than it would without overlap (kernels may choose by a pass's token count).
    const size_t cap = pass_cap(backend, limit, seq);
    pass_end_ = submitted_ + std::min(cap, left);
    pass_full_ = pool ? cap : pass_end_ - submitted_;
  }
  const size_t in_pass = pass_end_ - submitted_;
  if (!overlap_ || backend.max_in_flight() < 2) return in_pass;
  size_t n = std::min(in_pass, std::max((pass_full_ + kOverlapChunks - 1) / kOverlapChunks,
                                        (min_pass_tokens_ + seq - 1) / seq));
  // The rest of the pass goes with this piece when it would be a piece below the minimum.
  if (n < in_pass && (in_pass - n) * tokens_of(submitted_ + n) < min_pass_tokens_) n = in_pass;
  return n;
}

void Job::submit_pass(Backend& backend, size_t n, size_t seq) {
  TokenBatch batch;
  batch.batch = n;
  batch.seq = seq;
  batch.output = shape_.output;
  batch.ids.assign(n * seq, shape_.pad_id);
  batch.lengths.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    const auto& row = ids_[order_[submitted_ + k]];
    std::copy(row.begin(), row.end(), batch.ids.begin() + static_cast<ptrdiff_t>(k * seq));
    batch.lengths.push_back(static_cast<int32_t>(row.size()));
  }
  backend.submit(batch);
  in_flight_.push_back(Pass{submitted_, n, seq});
  submitted_ += n;
}

void Job::read_pass(Backend& backend, const Pass& pass) {
  const bool embeddings = shape_.output == BatchOutput::kEmbeddings;
  const size_t row_floats = embeddings ? shape_.dimension : pass.seq * shape_.hidden;
  const size_t n = pass.n, first = pass.first;
  scratch_.resize(n * row_floats);
  backend.read(scratch_.data());
  const float* rows = scratch_.data();
  size_t stride = row_floats;
  if (shape_.rows) {
    lengths_.resize(n);
    for (size_t k = 0; k < n; ++k) lengths_[k] = static_cast<int32_t>(ids_[order_[first + k]].size());
    rows_.resize(n * shape_.rows_floats);
    shape_.rows(scratch_.data(), n, pass.seq, lengths_.data(), rows_.data());
    rows = rows_.data();
    stride = shape_.rows_floats;
  }
  for (size_t k = 0; k < n; ++k) {
    const size_t text = order_[first + k];
    std::copy_n(rows + k * stride, offset_[text + 1] - offset_[text], result_.begin() + static_cast<ptrdiff_t>(offset_[text]));
  }
  next_ += n;
  ++passes_;
  if (on_progress) on_progress(next_, texts_);
}

}  // namespace gpuembed
