#include "tokenizer/unigram.h"

#include <algorithm>
#include <deque>
#include <cstdio>
#include <limits>

#include "gpuembed/error.h"

namespace gpuembed::tok {

ByteTrie::ByteTrie(std::vector<std::pair<std::string, int32_t>> keys) {
  std::sort(keys.begin(), keys.end());
  struct Pending {
    uint32_t node;
    size_t lo, hi, depth;  // keys[lo, hi) share the node's prefix of `depth` bytes
  };
  nodes_.emplace_back();
  labels_.push_back(0);
  std::deque<Pending> queue{{0, 0, keys.size(), 0}};
  while (!queue.empty()) {  // breadth-first: each node's children get consecutive indices
    const Pending p = queue.front();
    queue.pop_front();
    size_t i = p.lo;
    if (i < p.hi && keys[i].first.size() == p.depth) nodes_[p.node].id = keys[i++].second;  // sorted: shortest first
    nodes_[p.node].first_child = static_cast<uint32_t>(nodes_.size());
    while (i < p.hi) {
      const char c = keys[i].first[p.depth];
      size_t j = i;
      while (j < p.hi && keys[j].first[p.depth] == c) ++j;
      queue.push_back({static_cast<uint32_t>(nodes_.size()), i, j, p.depth + 1});
      nodes_.emplace_back();
      labels_.push_back(static_cast<uint8_t>(c));
      i = j;
    }
    nodes_[p.node].n_children = static_cast<uint32_t>(nodes_.size()) - nodes_[p.node].first_child;
  }
}

Unigram::Unigram(std::vector<std::pair<std::string, double>> pieces, int32_t unk_id, bool byte_fallback)
    : unk_id_(unk_id), byte_fallback_(byte_fallback) {
  double min_score = std::numeric_limits<double>::infinity();
  scores_.reserve(pieces.size());
  for (size_t i = 0; i < pieces.size(); ++i) {
    scores_.push_back(pieces[i].second);
    min_score = std::min(min_score, pieces[i].second);
    // HF builds token -> id with later duplicates winning and inserts every piece into the trie.
    token_to_id_[pieces[i].first] = static_cast<int32_t>(i);
  }
  trie_ = ByteTrie(std::vector<std::pair<std::string, int32_t>>(token_to_id_.begin(), token_to_id_.end()));
  unk_score_ = min_score - 10.0;  // HF's K_UNK_PENALTY
  have_all_bytes_ = true;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    auto it = token_to_id_.find(name);
    byte_ids_[b] = it == token_to_id_.end() ? -1 : it->second;
    have_all_bytes_ = have_all_bytes_ && byte_ids_[b] >= 0;
  }
}

void Unigram::emit(std::string_view piece, std::vector<int32_t>& ids) const {
  auto it = token_to_id_.find(std::string(piece));
  if (it != token_to_id_.end()) {
    ids.push_back(it->second);
    return;
  }
  if (byte_fallback_) {
    bool all = true;
    for (unsigned char b : piece) all = all && byte_ids_[b] >= 0;
    if (all) {
      for (unsigned char b : piece) ids.push_back(byte_ids_[b]);
      return;
    }
  }
  if (unk_id_ < 0) throw Error(ErrorCode::kInvalidInput, "tokenizer: Unigram model without unk met an unknown piece");
  ids.push_back(unk_id_);
}

void Unigram::tokenize(std::string_view s, std::vector<int32_t>& ids) const {
  if (s.empty()) return;
  struct Node {
    int32_t id = -1;
    double score = 0;
    int64_t start = -1;
  };
  const size_t n = s.size();
  std::vector<Node> best(n + 1);
  size_t start = 0;
  while (start < n) {
    const double base = best[start].score;
    const auto lead = static_cast<unsigned char>(s[start]);
    size_t mblen = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    mblen = std::min(mblen, n - start);
    bool single = false;
    trie_.prefixes(s.substr(start), [&](size_t len, int32_t id) {
      Node& t = best[start + len];
      const double cand = scores_[static_cast<size_t>(id)] + base;
      if (t.start < 0 || cand > t.score) {
        t.score = cand;
        t.start = static_cast<int64_t>(start);
        t.id = id;
      }
      if (len == mblen) single = true;
    });
    if (!single) {
      if (unk_id_ < 0) throw Error(ErrorCode::kInvalidInput, "tokenizer: Unigram model without unk met an unknown character");
      Node& t = best[start + mblen];
      const double cand = unk_score_ + base;
      if (t.start < 0 || cand > t.score) {
        t.score = cand;
        t.start = static_cast<int64_t>(start);
        t.id = unk_id_;
      }
    }
    start += mblen;
  }
  // Walk back; consecutive unk nodes fuse into one piece (fuse_unk is always on for HF's Unigram).
  std::vector<std::pair<size_t, size_t>> pieces;  // reversed
  size_t end = n;
  size_t unk_end = 0;
  bool in_unk = false;
  while (end > 0) {
    const Node& node = best[end];
    const auto b = static_cast<size_t>(node.start);
    if (node.id == unk_id_) {
      if (!in_unk) unk_end = end;
      in_unk = true;
    } else {
      if (in_unk) pieces.emplace_back(end, unk_end);
      in_unk = false;
      pieces.emplace_back(b, end);
    }
    end = b;
  }
  if (in_unk) pieces.emplace_back(0, unk_end);
  for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) emit(s.substr(it->first, it->second - it->first), ids);
}

}  // namespace gpuembed::tok
