#pragma once
// A byte trie over token strings for common-prefix search (what HF's Unigram walks from each position). Built once
// from all keys: nodes in breadth-first order with each node's children contiguous and sorted by byte, so a
// 250k-piece vocabulary (XLM-R) takes a few bytes per node instead of a hash-map entry per edge.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gpuembed::tok {

class ByteTrie {
 public:
  ByteTrie() = default;
  // keys: (token, id) pairs with distinct tokens.
  explicit ByteTrie(std::vector<std::pair<std::string, int32_t>> keys);

  // Calls f(length, id) for every key that is a prefix of `text`, shortest first.
  template <class F>
  void prefixes(std::string_view text, F&& f) const {
    if (nodes_.empty()) return;
    uint32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const Node& n = nodes_[node];
      const auto c = static_cast<uint8_t>(text[i]);
      const uint8_t* first = labels_.data() + n.first_child;
      const uint8_t* last = first + n.n_children;
      const uint8_t* it = std::lower_bound(first, last, c);
      if (it == last || *it != c) return;
      node = n.first_child + static_cast<uint32_t>(it - first);
      if (nodes_[node].id >= 0) f(i + 1, nodes_[node].id);
    }
  }

 private:
  struct Node {
    int32_t id = -1;           // key ending here, -1 for none
    uint32_t first_child = 0;  // index of the first child (children are contiguous)
    uint32_t n_children = 0;
  };
  std::vector<Node> nodes_;     // nodes_[0] is the root
  std::vector<uint8_t> labels_;  // labels_[k]: the byte leading into node k
};

}  // namespace gpuembed::tok
