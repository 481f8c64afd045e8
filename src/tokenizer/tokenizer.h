#pragma once
// Tokenizer that reproduces Hugging Face `tokenizers` 0.23.2 exactly, for every tokenizer.json embedding models
// ship: the BERT shape (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] $A [SEP]) on a fast path of its own, and
// everything else through the general pipeline (pipeline.h): normalizers (Precompiled charsmap, NFC/NFD/NFKC/NFKD,
// Lowercase, Strip, StripAccents, Replace, Prepend, Sequence, BertNormalizer), pre-tokenizers (Metaspace, ByteLevel,
// Split, Whitespace, WhitespaceSplit, Punctuation, Digits, BertPreTokenizer, Sequence), models (Unigram, BPE,
// WordLevel, WordPiece) and post-processors (TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel,
// Sequence). Regex patterns run on Oniguruma, as in HF; Unicode properties come from tables generated off HF itself
// (hf_unicode.h), since HF's crates are of several Unicode versions. Knows nothing about the model.
//
// Text handling of the BERT shape, in HF's order:
//  * Bytes -> characters: invalid UTF-8 never throws; each ill-formed subsequence becomes one U+FFFD exactly as
//    Python's bytes.decode("utf-8", errors="replace") does (maximal subpart rule; see tokenizer/utf8.h).
//  * Added tokens (tokenizer.json "added_tokens": [PAD] [UNK] [CLS] [SEP] [MASK] for BERT) written literally in
//    the text are matched before normalization, leftmost-longest, case-sensitive: "a [SEP] b" encodes as
//    [CLS] a [SEP] b [SEP] with the [SEP] id, as HF does (split_special_tokens=false). "[sep]" is plain text.
//  * clean_text (on for BERT) removes NUL, U+FFFD (so invalid bytes vanish: "a\xFFb" -> "ab") and control /
//    format / private-use characters (Cc, Cf, Co; e.g. \x07, ESC, U+200B, U+FEFF, U+00AD) and turns every
//    whitespace character (incl. \t \n \r) into a space; NUL therefore joins its neighbours into one word.
//  * CJK ideographs are split one per character; accents are stripped after NFD when lowercasing (strip_accents
//    null); lowercasing is Rust's char::to_lowercase (U+0130 -> "i\u0307").
//  * Pre-tokenization splits on whitespace and isolates punctuation (ASCII punctuation plus Unicode P*).
//  * WordPiece: longest match first; a word of more than max_input_chars_per_word characters or one that cannot
//    be split completely is a single [UNK].
// Unassigned code points are kept (HF's is_other() has no Cn table), e.g. U+0378 inside a word makes it [UNK].
// The tokenizer.json "truncation" and "padding" blocks are ignored (padding's pad_token only names pad_id()):
// truncation is only the max_length argument, and there is never padding. Encoding is thread-safe (const, no shared mutable state).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gpuembed {

struct Encoding {
  std::vector<int32_t> ids;         // with the template's specials (e.g. [CLS] first and [SEP] last)
  std::vector<std::string> tokens;  // same length as ids
};

struct TokenizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  int strip_accents = -1;  // -1: follow lowercase (HF's None), 0: no, 1: yes
  bool lowercase = true;
  int max_input_chars_per_word = 100;
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
};

class Tokenizer {
 public:
  // tokenizer.json if present, else vocab.txt (+ tokenizer_config.json for do_lower_case etc.).
  static Tokenizer from_dir(const std::filesystem::path& dir);
  // The contents of a tokenizer.json; `origin` names it in error messages. With the folder's tokenizer_config.json,
  // a class that transformers 5 rebuilds (tokenizer/class_rebuild.h) tokenizes as that class does.
  static Tokenizer from_tokenizer_json(std::string_view json, const std::string& origin = "tokenizer.json",
                                       std::string_view tokenizer_config_json = {});
  // The contents of vocab.txt and (optionally empty) tokenizer_config.json, read as transformers' BertTokenizerFast
  // does: do_lower_case / tokenize_chinese_chars / strip_accents, the special tokens (matched in the text like
  // tokenizer.json's added tokens; one missing from vocab.txt gets the next free id, as HF assigns it), or
  // added_tokens_decoder when present. Lines end at \n, \r\n or \r (Python's universal newlines).
  static Tokenizer from_vocab(std::string_view vocab_txt, std::string_view tokenizer_config_json,
                              const std::string& origin = "vocab.txt");

  // Invalid UTF-8 byte sequences are replaced by U+FFFD (as Python's errors="replace" would),
  // never read past the end. max_length counts [CLS] and [SEP]; 0 means no truncation. Truncation keeps the
  // first max_length - 2 tokens of the text and still ends with [SEP] (HF "longest_first" on one sequence).
  // Throws Error(kInvalidInput) if 0 < max_length < 2 (the template's special tokens would not fit).
  Encoding encode(std::string_view text, size_t max_length) const;
  std::vector<int32_t> encode_ids(std::string_view text, size_t max_length) const;

  // Largest token id + 1 over the WordPiece vocabulary and the added tokens (30522 for all-MiniLM-L6-v2).
  size_t vocab_size() const;
  // Ids of the pad / [CLS] / [SEP] / unk tokens (-1 where the files have no such token, e.g. no [PAD]).
  // cls_id() is the first special token the template puts before the text (BOS: [CLS], <s>, <bos>), -1 when it
  // puts none (Qwen3's "$A <|endoftext|>"); sep_id() the last one after it (EOS: [SEP], </s>, <eos>,
  // <|endoftext|>). pad_id() comes from tokenizer.json's padding block, else <pad> / [PAD] where the vocabulary
  // has one.
  int32_t pad_id() const;
  int32_t cls_id() const;
  int32_t sep_id() const;
  int32_t unk_id() const;
  // How many ids the post-processor adds to one sequence (2 for [CLS] $A [SEP], 0 without a post-processor):
  // encode() with 0 < max_length < num_special_tokens() throws Error(kInvalidInput).
  size_t num_special_tokens() const;
  // tokenizer.json model.type: "WordPiece", "Unigram", "BPE" or "WordLevel" (vocab.txt folders: "WordPiece").
  const std::string& model_type() const;
  // Added tokens first (as HF), then the WordPiece vocabulary; throws Error(kInvalidInput) for an unknown id.
  const std::string& id_to_token(int32_t id) const;
  // The normalizer / model settings in effect (strip_accents as written in the file: -1 = follow lowercase).
  const TokenizerOptions& options() const;

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpuembed
