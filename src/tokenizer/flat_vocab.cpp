#include "tokenizer/flat_vocab.h"

#include <cstring>

namespace gpuembed::tok {

namespace {
inline uint64_t mix(uint64_t h) {  // splitmix64's finalizer: every input bit reaches the low bits the index uses
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}
}  // namespace

uint64_t FlatVocab::hash(std::string_view s) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = mix(h ^ w);
  }
  uint64_t w = 0;
  std::memcpy(&w, s.data() + i, s.size() - i);
  return mix(h ^ w);
}

FlatVocab::FlatVocab(const std::vector<std::pair<std::string_view, int32_t>>& entries) {
  uint64_t size = 16;
  while (size < entries.size() * 2) size *= 2;
  slots_.assign(size, Slot{});
  mask_ = size - 1;
  size_t bytes = 0;
  for (const auto& e : entries) bytes += e.first.size();
  arena_.reserve(bytes);
  for (const auto& [key, id] : entries) {
    if (id < 0 || find(key) >= 0) continue;  // keys are unique in a VocabMap; ids are never negative
    const uint64_t h = hash(key);
    uint64_t i = h & mask_;
    while (slots_[i].id >= 0) i = (i + 1) & mask_;
    slots_[i] = Slot{static_cast<uint32_t>(h >> 32), static_cast<uint32_t>(arena_.size()),
                     static_cast<uint32_t>(key.size()), id};
    arena_.append(key);
  }
}

}  // namespace gpuembed::tok
