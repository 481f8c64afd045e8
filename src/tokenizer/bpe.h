#pragma once
// HF tokenizers' BPE model: characters (with continuing_subword_prefix / end_of_word_suffix) looked up in the
// vocabulary, byte_fallback to <0xXX>, unk fused when fuse_unk, then merges applied lowest rank first (leftmost on
// ties) exactly as HF's Word::merge_all; ignore_merges returns a word found whole in the vocabulary as one token.
// dropout is ignored (inference).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gpuembed::tok {

struct BpeOptions {
  std::string unk_token;  // empty: none
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

class Bpe {
 public:
  Bpe() = default;
  // merges: pairs in rank order. Throws Error(kModelInvalid) naming `origin` for a merge whose parts or result
  // are not in the vocabulary, or an unk_token missing from it.
  Bpe(std::unordered_map<std::string, int32_t> vocab, const std::vector<std::pair<std::string, std::string>>& merges,
      BpeOptions options, const std::string& origin);

  void tokenize(std::string_view word, std::vector<int32_t>& ids) const;
  const std::unordered_map<std::string, int32_t>& vocab() const { return vocab_; }
  int32_t unk_id() const { return unk_id_; }

 private:
  struct Merge {
    uint32_t rank;
    int32_t new_id;
  };
  static uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  BpeOptions options_;
  int32_t unk_id_ = -1;
  int32_t byte_ids_[256];
};

}  // namespace gpuembed::tok
