#pragma once
// BERT WordPiece tokenizer that reproduces Hugging Face `tokenizers` exactly (BertNormalizer,
// BertPreTokenizer, WordPiece, TemplateProcessing with [CLS]/[SEP]). Knows nothing about the model.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gpuembed {

struct Encoding {
  std::vector<int32_t> ids;         // with [CLS] first and [SEP] last
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
  // The contents of a tokenizer.json; `origin` names it in error messages.
  static Tokenizer from_tokenizer_json(std::string_view json, const std::string& origin = "tokenizer.json");
  // The contents of vocab.txt and (optionally empty) tokenizer_config.json.
  static Tokenizer from_vocab(std::string_view vocab_txt, std::string_view tokenizer_config_json,
                              const std::string& origin = "vocab.txt");

  // Invalid UTF-8 byte sequences are replaced by U+FFFD (as Python's errors="replace" would),
  // never read past the end. max_length counts [CLS] and [SEP]; 0 means no truncation.
  Encoding encode(std::string_view text, size_t max_length) const;
  std::vector<int32_t> encode_ids(std::string_view text, size_t max_length) const;

  size_t vocab_size() const;
  int32_t pad_id() const;
  int32_t cls_id() const;
  int32_t sep_id() const;
  int32_t unk_id() const;
  const std::string& id_to_token(int32_t id) const;

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpuembed
