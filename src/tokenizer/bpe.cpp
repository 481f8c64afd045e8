#include "tokenizer/bpe.h"

#include <cstdio>
#include <queue>

#include "gpuembed/error.h"

namespace gpuembed::tok {

Bpe::Bpe(std::unordered_map<std::string, int32_t> vocab,
         const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
         const std::string& origin)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  auto id_of = [&](const std::string& t) {
    auto it = vocab_.find(t);
    if (it == vocab_.end()) {
      throw Error(ErrorCode::kModelInvalid, origin + ": model.merges names \"" + t + "\", which is not in model.vocab");
    }
    return it->second;
  };
  const size_t prefix_len = options_.continuing_subword_prefix.size();
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    if (b.size() < prefix_len) {
      throw Error(ErrorCode::kModelInvalid, origin + ": model.merges entry \"" + b + "\" is shorter than the prefix");
    }
    merges_[pair_key(id_of(a), id_of(b))] = Merge{static_cast<uint32_t>(rank), id_of(a + b.substr(prefix_len))};
  }
  if (!options_.unk_token.empty()) {
    auto it = vocab_.find(options_.unk_token);
    // HF accepts an unk_token missing from the vocabulary and fails only when it is needed; so does tokenize().
    unk_id_ = it == vocab_.end() ? -1 : it->second;
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    auto it = vocab_.find(name);
    byte_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
}

void Bpe::tokenize(std::string_view w, std::vector<int32_t>& ids) const {
  if (w.empty()) return;
  if (options_.ignore_merges) {
    auto it = vocab_.find(std::string(w));
    if (it != vocab_.end()) {
      ids.push_back(it->second);
      return;
    }
  }
  struct Symbol {
    int32_t id;
    int32_t prev, next;
    uint32_t len;
  };
  std::vector<Symbol> symbols;
  auto add = [&](int32_t id, uint32_t len) {
    const auto n = static_cast<int32_t>(symbols.size());
    if (n > 0) symbols.back().next = n;
    symbols.push_back(Symbol{id, n - 1, -1, len});
  };
  bool have_unk = false;
  uint32_t unk_len = 0;
  std::string s;
  for (size_t i = 0; i < w.size();) {
    const auto lead = static_cast<unsigned char>(w[i]);
    size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (i + n > w.size()) n = w.size() - i;
    const bool first = i == 0, last = i + n == w.size();
    s.clear();
    if (!first) s += options_.continuing_subword_prefix;
    s.append(w.substr(i, n));
    if (last) s += options_.end_of_word_suffix;
    i += n;
    auto it = vocab_.find(s);
    if (it != vocab_.end()) {
      if (have_unk) add(unk_id_, unk_len);
      have_unk = false;
      add(it->second, static_cast<uint32_t>(n));
      continue;
    }
    if (options_.byte_fallback) {
      bool all = true;
      for (unsigned char b : s) all = all && byte_ids_[b] >= 0;
      if (all) {  // HF leaves a pending unk pending here
        for (unsigned char b : s) add(byte_ids_[b], 1);
        continue;
      }
    }
    if (!options_.unk_token.empty()) {
      if (unk_id_ < 0) {
        throw Error(ErrorCode::kInvalidInput,
                    "tokenizer: BPE unk_token \"" + options_.unk_token + "\" is not in the vocabulary");
      }
      if (have_unk && options_.fuse_unk) {
        unk_len += static_cast<uint32_t>(n);
      } else {
        if (have_unk) add(unk_id_, unk_len);
        have_unk = true;
        unk_len = static_cast<uint32_t>(n);
      }
    }
    // Without an unk_token HF drops the character.
  }
  if (have_unk) add(unk_id_, unk_len);

  struct Candidate {
    uint32_t rank;
    int32_t pos;
    int32_t new_id;
    bool operator<(const Candidate& o) const {  // max-heap: lowest rank, then lowest position on top
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate> queue;
  for (size_t k = 0; k + 1 < symbols.size(); ++k) {
    auto it = merges_.find(pair_key(symbols[k].id, symbols[k + 1].id));
    if (it != merges_.end()) queue.push({it->second.rank, static_cast<int32_t>(k), it->second.new_id});
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    const auto pos = static_cast<size_t>(top.pos);
    Symbol& cur = symbols[pos];
    if (cur.len == 0 || cur.next < 0) continue;
    const auto right_pos = static_cast<size_t>(cur.next);
    const Symbol right = symbols[right_pos];
    auto it = merges_.find(pair_key(cur.id, right.id));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;  // an expired entry
    cur.id = top.new_id;
    cur.len += right.len;
    cur.next = right.next;
    symbols[right_pos].len = 0;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.pos;
    if (cur.prev >= 0) {
      auto p = merges_.find(pair_key(symbols[static_cast<size_t>(cur.prev)].id, cur.id));
      if (p != merges_.end()) queue.push({p->second.rank, cur.prev, p->second.new_id});
    }
    if (cur.next >= 0) {
      auto q = merges_.find(pair_key(cur.id, symbols[static_cast<size_t>(cur.next)].id));
      if (q != merges_.end()) queue.push({q->second.rank, top.pos, q->second.new_id});
    }
  }
  for (const Symbol& sym : symbols) {
    if (sym.len != 0) ids.push_back(sym.id);
  }
}

}  // namespace gpuembed::tok
