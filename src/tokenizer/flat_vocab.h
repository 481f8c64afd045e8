#pragma once
// The vocabulary lookup of WordPiece's inner loop: an open-addressing table (linear probing, load ≤ 1/2) over one
// contiguous key arena. std::unordered_map took about half of tokenization time in pointer chasing through its
// node lists (perf on bench/inputs.json's 256 × 128 batch); here a lookup touches one slot line and one key.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gpuembed::tok {

class FlatVocab {
 public:
  FlatVocab() = default;
  explicit FlatVocab(const std::vector<std::pair<std::string_view, int32_t>>& entries);

  // The id of `key`, or -1.
  int32_t find(std::string_view key) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash(key);
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.tag == tag && s.length == key.size() && arena_.compare(s.offset, s.length, key) == 0) return s.id;
    }
  }

  static uint64_t hash(std::string_view s);

 private:
  struct Slot {
    uint32_t tag = 0;     // high half of the hash: most mismatches end here without touching the arena
    uint32_t offset = 0;  // key = arena_[offset, offset + length)
    uint32_t length = 0;
    int32_t id = -1;      // -1: empty
  };
  std::vector<Slot> slots_;
  std::string arena_;
  uint64_t mask_ = 0;
};

}  // namespace gpuembed::tok
