#include "api/job.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "gpuembed/error.h"

namespace gpuembed {

Job::Job(std::vector<std::vector<int32_t>> ids, const JobShape& shape) : ids_(std::move(ids)), shape_(shape) {
  shape_.max_batch = std::max<size_t>(shape_.max_batch, 1);
  // Longest first, so each pass holds texts of similar length and padding stays small.
  order_.resize(ids_.size());
  std::iota(order_.begin(), order_.end(), size_t{0});
  std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) { return ids_[a].size() > ids_[b].size(); });
  offset_.resize(ids_.size() + 1, 0);
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i].empty()) {
      throw Error(ErrorCode::kInvalidInput, "text " + std::to_string(i) + " has no tokens (an empty text, and the "
                                            "tokenizer adds no special tokens): nothing to embed");
    }
    const size_t floats = shape_.rows                                 ? shape_.rows_floats
                          : shape_.output == BatchOutput::kEmbeddings ? shape_.dimension
                                                                      : ids_[i].size() * shape_.hidden;
    offset_[i + 1] = offset_[i] + floats;
  }
  result_.assign(offset_.back(), 0.0f);
}

void Job::abandon_pass() {
  in_flight_.clear();
  discard_ = 0;
  submitted_ = pass_end_ = next_;
}

bool Job::step(Backend& backend, PassLimit& limit) {
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
  while (true) {
    while (discard_ == 0 && in_flight_.size() < depth && submitted_ < order_.size()) submit_next(backend, limit);
    if (in_flight_.empty()) return true;
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
        next_ = order_.size();  // the job is over
        throw Error(ErrorCode::kOutOfMemory, backend.name() + " could not allocate the buffers of a forward pass of "
                                                              "one text (" + std::to_string(pass.seq) + " tokens): " +
                                                 e.what());
      }
      limit.tokens = (pass.n / 2) * pass.seq;
      ++oom_splits_;
      // next_ did not move: the same texts go again, half as many per pass, once the passes behind are drained
      discard_ = in_flight_.size();
      submitted_ = pass_end_ = next_;
    }
  }
}

size_t Job::pass_texts(const Backend& backend, const PassLimit& limit, size_t seq) {
  if (submitted_ >= pass_end_) {
    // The pass the job would run without overlap: the cut below only subdivides it, so no text lands in a pass of
    // another size class than it would without overlap (kernels may choose by a pass's token count).
    const size_t device_tokens = backend.max_tokens();
    const size_t tokens = limit.tokens ? std::min(limit.tokens, device_tokens) : device_tokens;
    pass_end_ = submitted_ + std::min({shape_.max_batch, std::max<size_t>(1, tokens / seq), order_.size() - submitted_});
    pass_full_ = pass_end_ - submitted_;
  }
  const size_t left = pass_end_ - submitted_;
  if (!overlap_ || backend.max_in_flight() < 2) return left;
  size_t n = std::min(left, std::max((pass_full_ + kOverlapChunks - 1) / kOverlapChunks,
                                     (min_pass_tokens_ + seq - 1) / seq));
  // The rest of the pass goes with this piece when it would be a piece below the minimum.
  if (n < left && (left - n) * ids_[order_[submitted_ + n]].size() < min_pass_tokens_) n = left;
  return n;
}

void Job::submit_next(Backend& backend, const PassLimit& limit) {
  const size_t seq = ids_[order_[submitted_]].size();
  const size_t n = pass_texts(backend, limit, seq);
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
  if (on_progress) on_progress(next_, order_.size());
}

}  // namespace gpuembed
