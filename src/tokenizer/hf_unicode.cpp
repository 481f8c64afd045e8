#include "tokenizer/hf_unicode.h"

#include <algorithm>
#include <iterator>

namespace gpuembed::tok::hf {

namespace {

#include "tokenizer/hf_unicode_tables.inc"

uint16_t prop_of(char32_t c) {
  auto it = std::upper_bound(std::begin(kPropStarts), std::end(kPropStarts), c);
  return kPropValues[(it - std::begin(kPropStarts)) - 1];  // kPropStarts starts at U+0000
}

template <size_t N, size_t P>
bool append_mapping(const uint32_t (&keys)[N], const uint16_t (&offsets)[N], const char32_t (&pool)[P], char32_t c,
                    std::u32string& out) {
  const uint32_t key = static_cast<uint32_t>(c) << 5;
  auto it = std::lower_bound(std::begin(keys), std::end(keys), key);
  if (it == std::end(keys) || (*it >> 5) != c) return false;
  out.append(pool + offsets[it - std::begin(keys)], *it & 31);
  return true;
}

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

bool append_hangul(char32_t c, std::u32string& out) {
  if (c < kSBase || c >= kSBase + kSCount) return false;
  const char32_t s = c - kSBase;
  out.push_back(kLBase + s / kNCount);
  out.push_back(kVBase + (s % kNCount) / kTCount);
  if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
  return true;
}

void canonical_order(std::u32string& s, size_t start) {
  size_t i = start;
  while (i < s.size()) {
    if (combining_class(s[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && combining_class(s[j]) != 0) ++j;
    if (j - i > 1) {
      std::stable_sort(s.begin() + static_cast<std::ptrdiff_t>(i), s.begin() + static_cast<std::ptrdiff_t>(j),
                       [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    }
    i = j;
  }
}

char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  // HF's crate takes T strictly above the base (U+11A7 itself is no trailing consonant).
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  const auto [lo, hi] = std::equal_range(std::begin(kComposeFirst), std::end(kComposeFirst), a);
  const auto* second = std::lower_bound(kComposeSecond + (lo - kComposeFirst), kComposeSecond + (hi - kComposeFirst), b);
  const auto k = static_cast<size_t>(second - kComposeSecond);
  return second != kComposeSecond + (hi - kComposeFirst) && *second == b ? kComposeResult[k] : 0;
}

}  // namespace

uint8_t flags(char32_t c) { return static_cast<uint8_t>(prop_of(c) & 0xFF); }
uint8_t combining_class(char32_t c) { return c < 0x300 ? 0 : static_cast<uint8_t>(prop_of(c) >> 8); }

void append_nfd(std::u32string_view in, std::u32string& out) {
  const size_t start = out.size();
  for (char32_t c : in) {
    if (c >= 0xC0 && (append_hangul(c, out) || append_mapping(kNfdKeys, kNfdOffsets, kNfdPool, c, out))) continue;
    out.push_back(c);  // Latin-1 below U+00C0 has no canonical decomposition
  }
  canonical_order(out, start);
}

void append_nfkd(std::u32string_view in, std::u32string& out) {
  const size_t start = out.size();
  for (char32_t c : in) {
    if (c < 0xA0) {
      out.push_back(c);
      continue;
    }
    if (append_hangul(c, out) || append_mapping(kNfkdKeys, kNfkdOffsets, kNfkdPool, c, out) || append_mapping(kNfdKeys, kNfdOffsets, kNfdPool, c, out)) {
      continue;
    }
    out.push_back(c);
  }
  canonical_order(out, start);
}

void compose(std::u32string& s) {
  if (s.empty()) return;
  size_t out = 0;
  int64_t starter = -1;
  int last_class = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    const char32_t c = s[i];
    const int cc = combining_class(c);
    if (starter >= 0) {
      const bool adjacent = out == static_cast<size_t>(starter) + 1;
      if (last_class < cc || (last_class == 0 && adjacent)) {
        if (const char32_t composite = compose_pair(s[static_cast<size_t>(starter)], c)) {
          s[static_cast<size_t>(starter)] = composite;
          continue;
        }
      }
    }
    if (cc == 0) {
      starter = static_cast<int64_t>(out);
      last_class = 0;
    } else {
      last_class = cc;
    }
    s[out++] = c;
  }
  s.resize(out);
}

void append_lowercase(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back((c >= 'A' && c <= 'Z') ? c + 32 : c);
    return;
  }
  if (!append_mapping(kLowerKeys, kLowerOffsets, kLowerPool, c, out)) out.push_back(c);
}

}  // namespace gpuembed::tok::hf
