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

bool Job::step(Backend& backend, PassLimit& limit) {
  while (true) {
    if (in_flight_) {
      if (!backend.poll()) return false;
      try {
        read_pass(backend);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kOutOfMemory) {
          in_flight_ = false;
          throw;
        }
        in_flight_ = false;
        if (cur_n_ <= 1) {
          next_ = order_.size();  // the job is over
          throw Error(ErrorCode::kOutOfMemory, backend.name() + " could not allocate the buffers of a forward pass of "
                                                                "one text (" + std::to_string(cur_seq_) + " tokens): " +
                                                   e.what());
        }
        limit.tokens = (cur_n_ / 2) * cur_seq_;
        ++oom_splits_;
        // next_ did not move: the same texts go again, half as many per pass
      }
    }
    if (next_ >= order_.size()) return true;
    submit_next(backend, limit);
  }
}

void Job::submit_next(Backend& backend, const PassLimit& limit) {
  const size_t seq = ids_[order_[next_]].size();
  const size_t device_tokens = backend.max_tokens();
  const size_t tokens = limit.tokens ? std::min(limit.tokens, device_tokens) : device_tokens;
  const size_t by_tokens = std::max<size_t>(1, tokens / seq);
  const size_t n = std::min({shape_.max_batch, order_.size() - next_, by_tokens});
  TokenBatch batch;
  batch.batch = n;
  batch.seq = seq;
  batch.output = shape_.output;
  batch.ids.assign(n * seq, shape_.pad_id);
  batch.lengths.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    const auto& row = ids_[order_[next_ + k]];
    std::copy(row.begin(), row.end(), batch.ids.begin() + static_cast<ptrdiff_t>(k * seq));
    batch.lengths.push_back(static_cast<int32_t>(row.size()));
  }
  backend.submit(batch);
  cur_n_ = n;
  cur_seq_ = seq;
  in_flight_ = true;
}

void Job::read_pass(Backend& backend) {
  const bool embeddings = shape_.output == BatchOutput::kEmbeddings;
  const size_t row_floats = embeddings ? shape_.dimension : cur_seq_ * shape_.hidden;
  scratch_.resize(cur_n_ * row_floats);
  backend.read(scratch_.data());
  in_flight_ = false;
  const float* rows = scratch_.data();
  size_t stride = row_floats;
  if (shape_.rows) {
    lengths_.resize(cur_n_);
    for (size_t k = 0; k < cur_n_; ++k) lengths_[k] = static_cast<int32_t>(ids_[order_[next_ + k]].size());
    rows_.resize(cur_n_ * shape_.rows_floats);
    shape_.rows(scratch_.data(), cur_n_, cur_seq_, lengths_.data(), rows_.data());
    rows = rows_.data();
    stride = shape_.rows_floats;
  }
  for (size_t k = 0; k < cur_n_; ++k) {
    const size_t text = order_[next_ + k];
    std::copy_n(rows + k * stride, offset_[text + 1] - offset_[text], result_.begin() + static_cast<ptrdiff_t>(offset_[text]));
  }
  next_ += cur_n_;
  ++passes_;
  if (on_progress) on_progress(next_, order_.size());
}

}  // namespace gpuembed
