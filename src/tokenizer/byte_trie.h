#pragma once
// A byte trie over token strings for common-prefix search (what HF's Unigram walks from each position).
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gpuembed::tok {

class ByteTrie {
 public:
  void insert(std::string_view key, int32_t id);
  // Calls f(length, id) for every key that is a prefix of `text`, shortest first.
  template <class F>
  void prefixes(std::string_view text, F&& f) const {
    uint32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      auto it = edges_.find(edge_key(node, static_cast<unsigned char>(text[i])));
      if (it == edges_.end()) return;
      node = it->second;
      if (ids_[node] >= 0) f(i + 1, ids_[node]);
    }
  }

 private:
  static uint64_t edge_key(uint32_t node, unsigned char c) { return (static_cast<uint64_t>(node) << 8) | c; }
  std::unordered_map<uint64_t, uint32_t> edges_;
  std::vector<int32_t> ids_{-1};  // node -> id of the key ending there, -1 for none; node 0 is the root
};

}  // namespace gpuembed::tok
