#pragma once
// The general tokenizer.json pipeline of HF tokenizers, for every tokenizer that is not the BERT WordPiece shape
// (which tokenizer.cpp runs on its own fast path):
//   added tokens (tokenizer.cpp's matcher) -> normalizers -> pre-tokenizers -> model -> post-processor.
// Each stage works on UTF-8 strings exactly as HF's NormalizedString / PreTokenizedString do on their normalized
// text; offsets are not kept (gpuembed needs only ids), except whether a split starts at the original text's first
// character, which Metaspace's prepend_scheme "first" asks.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/bpe.h"
#include "tokenizer/precompiled.h"
#include "tokenizer/regex.h"
#include "tokenizer/unigram.h"
#include "tokenizer/wordpiece.h"

namespace gpuembed::tok {

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct NormalizerStep {
  enum class Kind { kBert, kPrecompiled, kNFC, kNFD, kNFKC, kNFKD, kLowercase, kStrip, kStripAccents, kReplace, kPrepend };
  Kind kind = Kind::kLowercase;
  // kBert (strip_accents resolved: HF's null follows lowercase)
  bool clean_text = true, handle_chinese_chars = true, strip_accents = true, lowercase = true;
  bool left = false, right = false;  // kStrip
  std::shared_ptr<const PrecompiledCharsmap> charsmap;
  std::shared_ptr<const Regex> regex;  // kReplace
  std::string content;                 // kReplace replacement, kPrepend prefix
};

struct PreTokenizerStep {
  enum class Kind { kBert, kWhitespace, kWhitespaceSplit, kPunctuation, kDigits, kMetaspace, kByteLevel, kSplit };
  enum class Prepend { kAlways, kFirst, kNever };
  Kind kind = Kind::kWhitespaceSplit;
  SplitBehavior behavior = SplitBehavior::kIsolated;  // kPunctuation, kSplit
  bool invert = false;                                // kSplit
  bool individual_digits = false;                     // kDigits
  bool add_prefix_space = false, use_regex = true;    // kByteLevel
  std::string replacement;                            // kMetaspace
  Prepend prepend = Prepend::kAlways;                 // kMetaspace
  bool split = true;                                  // kMetaspace
  std::shared_ptr<const Regex> regex;                 // kSplit, kWhitespace, kByteLevel (GPT-2 pattern)
};

// A pre-tokenized piece: its text and how many of its leading bytes come from the first character of the original
// input (HF aligns every character a normalizer makes out of that character, and every prepended one, to offset 0;
// Metaspace's prepend_scheme "first" asks whether a split starts there).
struct Piece {
  std::string text;
  size_t origin_len = 0;
  bool at_origin() const { return origin_len > 0; }
};

struct Pipeline {
  enum class Model { kWordPiece, kUnigram, kBpe, kWordLevel };

  std::vector<NormalizerStep> normalizers;
  std::vector<PreTokenizerStep> pre_tokenizers;
  Model model = Model::kUnigram;
  Unigram unigram;
  Bpe bpe;
  std::unordered_map<std::string, int32_t> word_level;  // kWordLevel
  int32_t word_level_unk = -1;
  const WordPiece* wordpiece = nullptr;                  // kWordPiece: the TokenizerData's model

  // The whole normalizer chain on `text` (in place).
  void normalize(std::string& text) const;
  // The pre-tokenizer chain on one normalized piece; appends the non-empty splits.
  void pre_tokenize(Piece piece, std::vector<Piece>& out) const;
  // The model on one split.
  void tokenize(std::string_view split, std::vector<int32_t>& ids) const;
};

}  // namespace gpuembed::tok
