// Tokenizer tests: the golden token ids of both shared files (via tokenizer.json and via the vocab.txt fallback),
// HF edge cases, invalid UTF-8, speed, and malformed files. Expected ids either come from the golden files or were
// derived by hand from HF's algorithm (greedy WordPiece over all-MiniLM-L6-v2's vocab.txt; see comments).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gpuembed/error.h"
#include "test_paths.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace fs = std::filesystem;
using gpuembed::Encoding;
using gpuembed::Error;
using gpuembed::ErrorCode;
using gpuembed::Tokenizer;
using nlohmann::json;

namespace {

using gpuembed::test::read_text;

// A fresh, empty temporary folder that is removed on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    static const unsigned salt = std::random_device{}();
    path_ = fs::temp_directory_path() /
            ("gpuembed_tok_" + std::to_string(salt) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const fs::path& minilm_dir() {
  static const fs::path p = gpuembed::test::model_dir("minilm-l6-random");
  return p;
}

const Tokenizer& minilm() {
  static const Tokenizer t = Tokenizer::from_dir(minilm_dir());
  return t;
}

const json& minilm_tokenizer_json() {
  static const json j = json::parse(read_text(minilm_dir() / "tokenizer.json"));
  return j;
}

// tokenizer.json of all-MiniLM-L6-v2 with `edit` applied.
template <class F>
Tokenizer edited_minilm(F edit) {
  json j = minilm_tokenizer_json();
  edit(j);
  return Tokenizer::from_tokenizer_json(j.dump());
}

std::vector<int32_t> ids(std::initializer_list<int32_t> l) { return std::vector<int32_t>(l); }

// ---- golden files ----

struct GoldenRow {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
};

std::vector<GoldenRow> load_golden(const std::string& model, size_t* max_seq_length) {
  const json j = json::parse(read_text(gpuembed::test::golden_file(model)));
  *max_seq_length = j.at("max_seq_length").get<size_t>();
  std::vector<GoldenRow> rows;
  for (const json& s : j.at("sentences")) {
    rows.push_back({s.at("text").get<std::string>(), s.at("input_ids").get<std::vector<int32_t>>(),
                    s.at("tokens").get<std::vector<std::string>>()});
  }
  return rows;
}

// Returns the number of sentences whose ids and tokens are identical to the golden ones.
size_t check_golden(const Tokenizer& tok, const std::string& model, const std::string& path_name) {
  size_t max_len = 0;
  const auto rows = load_golden(model, &max_len);
  EXPECT_EQ(rows.size(), 80u);
  size_t same = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Encoding e = tok.encode(rows[i].text, max_len);
    const bool ok = e.ids == rows[i].ids && e.tokens == rows[i].tokens;
    EXPECT_EQ(e.ids, rows[i].ids) << model << " (" << path_name << ") sentence " << i << ": " << rows[i].text;
    EXPECT_EQ(e.tokens, rows[i].tokens) << model << " (" << path_name << ") sentence " << i;
    EXPECT_EQ(tok.encode_ids(rows[i].text, max_len), rows[i].ids) << "encode_ids, sentence " << i;
    same += ok ? 1 : 0;
  }
  std::printf("[golden] %s via %s: %zu/%zu sentences identical (max_length %zu)\n", model.c_str(),
              path_name.c_str(), same, rows.size(), max_len);
  return same;
}

}  // namespace

TEST(TokenizerGolden, MiniLmViaTokenizerJson) {
  EXPECT_EQ(check_golden(minilm(), "minilm-l6-random", "tokenizer.json"), 80u);
}

TEST(TokenizerGolden, TinyBertViaTokenizerJson) {
  const Tokenizer t = Tokenizer::from_dir(gpuembed::test::model_dir("tiny-bert-cls"));
  EXPECT_EQ(check_golden(t, "tiny-bert-cls", "tokenizer.json"), 80u);
}

TEST(TokenizerGolden, BothModelsViaVocabTxtFallback) {
  for (const std::string model : {"minilm-l6-random", "tiny-bert-cls"}) {
    TempDir dir;
    fs::copy_file(gpuembed::test::model_dir(model) / "vocab.txt", dir.path() / "vocab.txt");
    fs::copy_file(gpuembed::test::model_dir(model) / "tokenizer_config.json", dir.path() / "tokenizer_config.json");
    const Tokenizer t = Tokenizer::from_dir(dir.path());
    EXPECT_EQ(check_golden(t, model, "vocab.txt"), 80u);
  }
}

TEST(TokenizerGolden, VocabTxtWithoutConfigUsesBertDefaults) {
  // No tokenizer_config.json: BertTokenizer's defaults (do_lower_case true, ...) give the same ids.
  TempDir dir;
  fs::copy_file(minilm_dir() / "vocab.txt", dir.path() / "vocab.txt");
  const Tokenizer t = Tokenizer::from_dir(dir.path());
  EXPECT_EQ(check_golden(t, "minilm-l6-random", "vocab.txt without tokenizer_config.json"), 80u);
}

TEST(TokenizerBasics, SpecialIdsAndVocab) {
  const Tokenizer& t = minilm();
  EXPECT_EQ(t.vocab_size(), 30522u);
  EXPECT_EQ(t.cls_id(), 101);
  EXPECT_EQ(t.sep_id(), 102);
  EXPECT_EQ(t.pad_id(), 0);
  EXPECT_EQ(t.unk_id(), 100);
  EXPECT_EQ(t.id_to_token(101), "[CLS]");
  EXPECT_EQ(t.id_to_token(7592), "hello");
  EXPECT_EQ(t.id_to_token(2015), "##s");
  EXPECT_THROW(t.id_to_token(30522), Error);
  EXPECT_THROW(t.id_to_token(-1), Error);
  // The file's truncation (128) and padding (Fixed 128) blocks are ignored.
  EXPECT_EQ(t.encode_ids("hello", 0), ids({101, 7592, 102}));
  EXPECT_EQ(t.encode_ids("hello", 512), ids({101, 7592, 102}));
}

TEST(TokenizerEdge, EmptyAndWhitespaceOnly) {
  const Tokenizer& t = minilm();
  for (const std::string s : {"", " ", "   ", "\t\n\r\n", "\xC2\xA0\xE2\x80\x83\xE3\x80\x80", "\xE2\x80\xA8"}) {
    const Encoding e = t.encode(s, 256);
    EXPECT_EQ(e.ids, ids({101, 102})) << s;
    EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "[SEP]"}));
  }
}

TEST(TokenizerEdge, Utf8DecoderMatchesPythonReplace) {
  // Expected code points from Python: bytes.decode("utf-8", errors="replace").
  const std::vector<std::pair<std::string, std::u32string>> cases = {
      {"a\x80" "b", U"a\uFFFDb"},
      {"\xE2\x82", U"\uFFFD"},  // truncated 3-byte sequence at the end: one U+FFFD
      {"abc\xE2\x82", U"abc\uFFFD"},
      {"\xC0\x80", U"\uFFFD\uFFFD"},              // overlong NUL
      {"\xC1\xBF", U"\uFFFD\uFFFD"},              // overlong
      {"\xE0\x80\x80", U"\uFFFD\uFFFD\uFFFD"},    // overlong 3-byte
      {"\xED\xA0\x80", U"\uFFFD\uFFFD\uFFFD"},    // UTF-8-encoded surrogate U+D800
      {"\xF4\x90\x80\x80", U"\uFFFD\uFFFD\uFFFD\uFFFD"},  // above U+10FFFF
      {"\xF5\xFF\xFE", U"\uFFFD\uFFFD\uFFFD"},
      {"\xF0\x9F\x98", U"\uFFFD"},
      {"\xF0\x9F\x98\x80", U"\U0001F600"},
      {"\xE2\x82\xAC", U"\u20AC"},
      {"\xC2", U"\uFFFD"},
      {"\xE2\x28\xA1", U"\uFFFD(\uFFFD"},
      {"\xF0\x28\x8C\xBC", U"\uFFFD(\uFFFD\uFFFD"},
      {"\xED\x9F\xBF", U"\uD7FF"},
      {"\xEE\x80\x80", U"\uE000"},
      {"\xF1\x80\x80" "A", U"\uFFFDA"},
      {std::string("a\0b", 3), std::u32string(U"a\0b", 3)},
  };
  for (const auto& [in, want] : cases) {
    std::u32string got;
    gpuembed::tok::decode_utf8_replace(in, got);
    EXPECT_EQ(got, want) << "input bytes: " << in.size();
  }
}

TEST(TokenizerEdge, InvalidUtf8IsReplacedThenRemovedByCleanText) {
  // clean_text drops U+FFFD, so the invalid bytes vanish and their neighbours join: "a\xFFb" -> "ab" (11113).
  const Tokenizer& t = minilm();
  const auto ab = ids({101, 11113, 102});
  EXPECT_EQ(t.encode_ids("a\xFF" "b", 0), ab);
  EXPECT_EQ(t.encode_ids("a\x80" "b", 0), ab);                // lone continuation byte
  EXPECT_EQ(t.encode_ids("a\xC0\x80" "b", 0), ab);            // overlong
  EXPECT_EQ(t.encode_ids("a\xED\xA0\x80" "b", 0), ab);        // surrogate
  EXPECT_EQ(t.encode_ids("a\xF5\xF6\xF7\xFF\xFE" "b", 0), ab);  // bytes that never occur in UTF-8
  EXPECT_EQ(t.encode_ids("ab\xE2\x82", 0), ab);               // truncated 3-byte sequence at the end
  EXPECT_EQ(t.encode_ids("ab\xF0\x9F\x98", 0), ab);           // truncated 4-byte sequence at the end
  EXPECT_EQ(t.encode_ids("\xFF", 0), ids({101, 102}));
  // "hello\xFFworld" -> "helloworld" -> hello ##world.
  EXPECT_EQ(t.encode("hello\xFFworld", 0).tokens, (std::vector<std::string>{"[CLS]", "hello", "##world", "[SEP]"}));
  // A literal U+FFFD is removed too.
  EXPECT_EQ(t.encode_ids("a\xEF\xBF\xBD" "b", 0), ab);
}

TEST(TokenizerEdge, NulAndControlCharacters) {
  const Tokenizer& t = minilm();
  const auto ab = ids({101, 11113, 102});
  EXPECT_EQ(t.encode_ids(std::string_view("a\0b", 3), 0), ab);  // NUL removed, not a separator
  EXPECT_EQ(t.encode_ids(std::string_view("\0\0\0", 3), 0), ids({101, 102}));
  EXPECT_EQ(t.encode_ids("a\x07" "b", 0), ab);  // BEL (Cc)
  // \x0B, \x0C and U+0085 are whitespace for Rust but also Cc: clean_text's filter runs first and removes them.
  EXPECT_EQ(t.encode_ids("a\x0B" "b", 0), ab);
  EXPECT_EQ(t.encode_ids("a\x0C" "b", 0), ab);
  EXPECT_EQ(t.encode_ids("a\xC2\x85" "b", 0), ab);
  EXPECT_EQ(t.encode_ids("a\xE2\x80\x8B" "b", 0), ab);  // U+200B (Cf)
  EXPECT_EQ(t.encode_ids("a\xEE\x80\x80" "b", 0), ab);  // U+E000 private use (Co)
  // \t \n \r and Unicode spaces separate words.
  const auto a_b = ids({101, 1037, 1038, 102});
  EXPECT_EQ(t.encode_ids("a\tb", 0), a_b);
  EXPECT_EQ(t.encode_ids("a\r\nb", 0), a_b);
  EXPECT_EQ(t.encode_ids("a\xC2\xA0" "b", 0), a_b);      // NBSP
  EXPECT_EQ(t.encode_ids("a\xE2\x80\xA8" "b", 0), a_b);  // LINE SEPARATOR
  EXPECT_EQ(t.encode_ids("a\xE3\x80\x80" "b", 0), a_b);  // IDEOGRAPHIC SPACE
  // An unassigned code point (U+0378) is kept: HF's is_other() has no Cn table. The word is then [UNK].
  EXPECT_EQ(t.encode_ids("a\xCD\xB8" "b", 0), ids({101, 100, 102}));
}

TEST(TokenizerEdge, LongWords) {
  const Tokenizer& t = minilm();
  // 101 characters > max_input_chars_per_word (100): one [UNK].
  EXPECT_EQ(t.encode_ids(std::string(101, 'a'), 0), ids({101, 100, 102}));
  EXPECT_EQ(t.encode_ids(std::string(5000, 'a') + " hello", 0), ids({101, 100, 7592, 102}));
  // Exactly 100 characters are split: "aaa" (13360), 48 x "##aa" (11057), "##a" (2050).
  std::vector<int32_t> want = {101, 13360};
  for (int i = 0; i < 48; ++i) want.push_back(11057);
  want.push_back(2050);
  want.push_back(102);
  EXPECT_EQ(t.encode_ids(std::string(100, 'a'), 0), want);
  // The limit counts characters, not bytes: 60 x U+00E9 (120 bytes) -> "e" x 60 after accent stripping, split.
  std::string e60;
  for (int i = 0; i < 60; ++i) e60 += "\xC3\xA9";
  EXPECT_NE(t.encode_ids(e60, 0), ids({101, 100, 102}));
  EXPECT_EQ(t.encode_ids(e60, 0), t.encode_ids(std::string(60, 'e'), 0));
}

TEST(TokenizerEdge, SpecialTokensWrittenInTheText) {
  // HF matches added tokens ([PAD] [UNK] [CLS] [SEP] [MASK]) in the raw text before normalization.
  const Tokenizer& t = minilm();
  EXPECT_EQ(t.encode_ids("hello [SEP] world", 0), ids({101, 7592, 102, 2088, 102}));
  const Encoding e = t.encode("[CLS]hello[MASK]", 0);
  EXPECT_EQ(e.ids, ids({101, 101, 7592, 103, 102}));
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "[CLS]", "hello", "[MASK]", "[SEP]"}));
  // A special token splits a word: "foo[SEP]bar" -> foo [SEP] bar (not ##bar).
  EXPECT_EQ(t.encode_ids("foo[SEP]bar", 0), ids({101, 29379, 102, 3347, 102}));
  // Matching is case-sensitive (normalized: false): "[sep]" is punctuation + word.
  EXPECT_EQ(t.encode_ids("[sep]", 0), ids({101, 1031, 19802, 1033, 102}));
  EXPECT_EQ(t.encode_ids("[UNK]", 0), ids({101, 100, 102}));
  EXPECT_EQ(t.encode_ids("[PAD]", 0), ids({101, 0, 102}));
  // Same in the vocab.txt fallback (transformers registers the special tokens as added tokens).
  TempDir dir;
  fs::copy_file(minilm_dir() / "vocab.txt", dir.path() / "vocab.txt");
  fs::copy_file(minilm_dir() / "tokenizer_config.json", dir.path() / "tokenizer_config.json");
  const Tokenizer v = Tokenizer::from_dir(dir.path());
  EXPECT_EQ(v.encode_ids("foo[SEP]bar", 0), ids({101, 29379, 102, 3347, 102}));
  EXPECT_EQ(v.encode_ids("[CLS]hello[MASK]", 0), ids({101, 101, 7592, 103, 102}));
}

TEST(TokenizerEdge, NormalizedAddedTokens) {
  // A non-special added token with normalized: true is matched in the normalized (lowercased) text.
  auto add = [](bool single_word) {
    return [single_word](json& j) {
      j["added_tokens"].push_back({{"id", 30522}, {"content", "yesterday"}, {"single_word", single_word},
                                   {"lstrip", false}, {"rstrip", false}, {"normalized", true}, {"special", false}});
    };
  };
  const Tokenizer t = edited_minilm(add(false));
  EXPECT_EQ(t.vocab_size(), 30523u);
  EXPECT_EQ(t.encode_ids("I read a book Yesterday", 0), ids({101, 1045, 3191, 1037, 2338, 30522, 102}));
  // Not single_word: "yesterdays" -> [yesterday] + "s" (a new word, so "s" = 1055, not "##s").
  EXPECT_EQ(t.encode_ids("Yesterdays", 0), ids({101, 30522, 1055, 102}));
  const Tokenizer sw = edited_minilm(add(true));
  EXPECT_EQ(sw.encode_ids("Yesterdays", 0), ids({101, 7483, 2015, 102}));  // yesterday ##s
  EXPECT_EQ(sw.encode_ids("Yesterday!", 0), ids({101, 30522, 999, 102}));
}

TEST(TokenizerEdge, LowercaseAndAccents) {
  const Tokenizer& t = minilm();
  // İ (U+0130): NFD gives I + U+0307, the mark is stripped, then lowercased: "istanbul" (9960).
  EXPECT_EQ(t.encode_ids("\xC4\xB0stanbul", 0), ids({101, 9960, 102}));
  // Σ lowercases to σ even at the end of a word (Rust char::to_lowercase has no final-sigma rule):
  // "ΟΣ" -> "οσ" -> ο (1169) ##σ (29733), never ##ς.
  EXPECT_EQ(t.encode_ids("\xCE\x9F\xCE\xA3", 0), ids({101, 1169, 29733, 102}));
  // strip_accents false (lowercase stays on): İ -> "i\u0307", which the vocabulary cannot split -> [UNK];
  // "Café" -> "café" -> [UNK].
  const Tokenizer keep = edited_minilm([](json& j) { j["normalizer"]["strip_accents"] = false; });
  EXPECT_EQ(keep.encode_ids("\xC4\xB0stanbul", 0), ids({101, 100, 102}));
  EXPECT_EQ(keep.encode_ids("Caf\xC3\xA9", 0), ids({101, 100, 102}));
  EXPECT_EQ(t.encode_ids("Caf\xC3\xA9", 0), ids({101, 7668, 102}));
  // lowercase false (and strip_accents null -> false): "Hello" is not in the uncased vocabulary -> [UNK].
  const Tokenizer cased = edited_minilm([](json& j) { j["normalizer"]["lowercase"] = false; });
  EXPECT_EQ(cased.encode_ids("Hello hello", 0), ids({101, 100, 7592, 102}));
  // Same through tokenizer_config.json's do_lower_case.
  TempDir dir;
  fs::copy_file(minilm_dir() / "vocab.txt", dir.path() / "vocab.txt");
  std::ofstream(dir.path() / "tokenizer_config.json") << R"({"do_lower_case": false})";
  EXPECT_EQ(Tokenizer::from_dir(dir.path()).encode_ids("Hello hello", 0), ids({101, 100, 7592, 102}));
}

TEST(TokenizerEdge, ChineseCharsOption) {
  // Default: each CJK ideograph is its own word: 北 (1781) 京 (1755).
  const Tokenizer& t = minilm();
  const Encoding split = t.encode("\xE5\x8C\x97\xE4\xBA\xAC", 0);
  EXPECT_EQ(split.ids, ids({101, 1781, 1755, 102}));
  EXPECT_EQ(split.tokens, (std::vector<std::string>{"[CLS]", "\xE5\x8C\x97", "\xE4\xBA\xAC", "[SEP]"}));
  // handle_chinese_chars false: "北京" stays one word; the vocabulary has no "北京", so WordPiece gives
  // 北 (1781) ##京 (30281).
  const Tokenizer joined = edited_minilm([](json& j) { j["normalizer"]["handle_chinese_chars"] = false; });
  EXPECT_EQ(joined.encode_ids("\xE5\x8C\x97\xE4\xBA\xAC", 0), ids({101, 1781, 30281, 102}));
  // CJK compatibility ideograph U+F902 is split like any ideograph and then NFD (strip_accents) maps it to
  // U+8ECA 車 (1954); with accents kept it stays U+F902, which is not in the vocabulary -> [UNK].
  EXPECT_EQ(t.encode_ids("a\xEF\xA4\x82" "b", 0), ids({101, 1037, 1954, 1038, 102}));
  const Tokenizer keep = edited_minilm([](json& j) { j["normalizer"]["strip_accents"] = false; });
  EXPECT_EQ(keep.encode_ids("a\xEF\xA4\x82" "b", 0), ids({101, 1037, 100, 1038, 102}));
}

TEST(TokenizerTruncation, KeepsSepLast) {
  const Tokenizer& t = minilm();
  // "hello world ! hello world" -> 5 word tokens.
  const std::string text = "hello world! hello world";
  EXPECT_EQ(t.encode_ids(text, 0), ids({101, 7592, 2088, 999, 7592, 2088, 102}));
  EXPECT_EQ(t.encode_ids(text, 7), ids({101, 7592, 2088, 999, 7592, 2088, 102}));
  EXPECT_EQ(t.encode_ids(text, 5), ids({101, 7592, 2088, 999, 102}));
  EXPECT_EQ(t.encode_ids(text, 3), ids({101, 7592, 102}));
  EXPECT_EQ(t.encode_ids(text, 2), ids({101, 102}));
  EXPECT_EQ(t.encode(text, 4).tokens, (std::vector<std::string>{"[CLS]", "hello", "world", "[SEP]"}));
  // Truncation inside a word's pieces: "helloworld" = hello ##world.
  EXPECT_EQ(t.encode_ids("helloworld", 3), ids({101, 7592, 102}));
  try {
    t.encode_ids(text, 1);
    FAIL() << "max_length 1 must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
  }
}

TEST(TokenizerSpeed, OneMegabyteText) {
  size_t max_len = 0;
  const auto rows = load_golden("minilm-l6-random", &max_len);
  std::string text;
  while (text.size() < (1u << 20)) {
    for (const auto& r : rows) {
      text += r.text;
      text += ' ';
    }
  }
  const Tokenizer& t = minilm();
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  const std::vector<int32_t> full = t.encode_ids(text, 0);
  const double full_s = std::chrono::duration<double>(clock::now() - t0).count();
  t0 = clock::now();
  const Encoding cut = t.encode(text, 256);
  const double cut_s = std::chrono::duration<double>(clock::now() - t0).count();
  // One run of 1 MB without any whitespace (a single word of > 100 characters -> [UNK]).
  const std::string blob(1u << 20, 'x');
  t0 = clock::now();
  const std::vector<int32_t> blob_ids = t.encode_ids(blob, 256);
  const double blob_s = std::chrono::duration<double>(clock::now() - t0).count();
  std::printf("[speed] %zu bytes: full %.1f ms (%zu ids), truncated to 256: %.2f ms, 1 MB single word: %.1f ms\n",
              text.size(), full_s * 1e3, full.size(), cut_s * 1e3, blob_s * 1e3);

  ASSERT_EQ(cut.ids.size(), 256u);
  EXPECT_EQ(cut.ids.back(), 102);
  EXPECT_EQ(cut.tokens.back(), "[SEP]");
  // Truncation is exactly the prefix of the full encoding.
  std::vector<int32_t> want(full.begin(), full.begin() + 255);
  want.push_back(102);
  EXPECT_EQ(cut.ids, want);
  EXPECT_EQ(blob_ids, ids({101, 100, 102}));
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  EXPECT_LT(full_s, 1.0);
  EXPECT_LT(blob_s, 1.0);
#endif
}

// ---- loading errors ----

namespace {
void expect_error(const std::function<void()>& f, ErrorCode code, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning: " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
  }
}
}  // namespace

TEST(TokenizerErrors, MalformedTokenizerJson) {
  const auto bad = ErrorCode::kModelInvalid;
  expect_error([] { Tokenizer::from_tokenizer_json("{ not json"); }, bad, "tokenizer.json: invalid JSON");
  expect_error([] { Tokenizer::from_tokenizer_json(""); }, bad, "tokenizer.json: invalid JSON");
  expect_error([] { Tokenizer::from_tokenizer_json("[1,2]"); }, bad, "top level must be a JSON object");
  expect_error([] { Tokenizer::from_tokenizer_json("{}", "x/tokenizer.json"); }, bad, "x/tokenizer.json: model missing");
  auto edit = [](auto f) { return [f] { edited_minilm(f); }; };
  expect_error(edit([](json& j) { j["model"].erase("vocab"); }), bad, "tokenizer.json: model.vocab missing");
  expect_error(edit([](json& j) { j["model"]["vocab"] = json::array({"a", "b"}); }), bad, "model.vocab must be an object");
  expect_error(edit([](json& j) { j["model"]["vocab"] = json::object(); }), bad, "model.vocab is empty");
  expect_error(edit([](json& j) { j["model"]["vocab"]["hello"] = "7592"; }), bad, "model.vocab[\"hello\"]");
  expect_error(edit([](json& j) { j["model"]["vocab"]["hello"] = -3; }), bad, "model.vocab[\"hello\"]");
  expect_error(edit([](json& j) { j["model"]["vocab"].erase("[UNK]"); }), bad, "model.unk_token \"[UNK]\" is not in model.vocab");
  expect_error(edit([](json& j) { j["model"]["type"] = "Char"; }), bad, "model.type \"Char\" is not supported");
  expect_error(edit([](json& j) { j["model"] = 3; }), bad, "model must be an object");
  expect_error(edit([](json& j) { j["model"]["max_input_chars_per_word"] = "100"; }), bad,
               "model.max_input_chars_per_word must be a non-negative integer");
  expect_error(edit([](json& j) { j["normalizer"]["lowercase"] = "yes"; }), bad,
               "normalizer.lowercase must be a boolean");
  expect_error(edit([](json& j) { j["normalizer"]["type"] = "NFKX"; }), bad, "normalizer.type \"NFKX\" is not supported");
  expect_error(edit([](json& j) { j["pre_tokenizer"]["type"] = "Spaces"; }), bad,
               "pre_tokenizer.type \"Spaces\" is not supported");
  expect_error(edit([](json& j) { j["post_processor"]["special_tokens"].erase("[SEP]"); }), bad,
               "post_processor.special_tokens[\"[SEP]\"] missing");
  expect_error(edit([](json& j) { j["added_tokens"][0]["id"] = "zero"; }), bad, "added_tokens[0].id");
  expect_error(edit([](json& j) { j["added_tokens"] = 5; }), bad, "added_tokens must be an array");
}

TEST(TokenizerErrors, AcceptsBertProcessingAndTolerantFields) {
  // BertProcessing instead of TemplateProcessing, and no truncation/padding blocks.
  const Tokenizer t = edited_minilm([](json& j) {
    j["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 102}}, {"cls", {"[CLS]", 101}}};
    j.erase("truncation");
    j.erase("padding");
  });
  EXPECT_EQ(t.encode_ids("hello world", 0), ids({101, 7592, 2088, 102}));
}

TEST(TokenizerErrors, MalformedVocabFallback) {
  const auto bad = ErrorCode::kModelInvalid;
  expect_error([] { Tokenizer::from_vocab("", ""); }, bad, "vocab.txt: empty vocabulary");
  expect_error([] { Tokenizer::from_vocab("a\nb\n", ""); }, bad, "unk_token \"[UNK]\" is not in the vocabulary");
  // Special tokens missing from vocab.txt get new ids after the vocabulary, as HF's AddedVocabulary assigns them
  // ([SEP] -> 3, [PAD] -> 4, [MASK] -> 5), so such a vocabulary still loads.
  const Tokenizer no_sep = Tokenizer::from_vocab("[UNK]\n[CLS]\na\n", "");
  EXPECT_EQ(no_sep.encode_ids("a b", 0), ids({1, 2, 0, 3}));
  EXPECT_EQ(no_sep.sep_id(), 3);
  EXPECT_EQ(no_sep.pad_id(), 4);
  EXPECT_EQ(no_sep.vocab_size(), 6u);
  expect_error([] { Tokenizer::from_vocab("[UNK]\n", "{oops", "m/vocab.txt"); }, bad,
               "m/tokenizer_config.json: invalid JSON");
  expect_error([] { Tokenizer::from_vocab("[UNK]\n", R"({"do_lower_case": "no"})"); }, bad,
               "tokenizer_config.json: do_lower_case must be a boolean");
  // A small vocabulary with CRLF line endings (Python's universal newlines).
  const Tokenizer t = Tokenizer::from_vocab("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\n##s\r\n", "");
  EXPECT_EQ(t.encode_ids("Hellos there", 0), ids({2, 4, 5, 1, 3}));
  EXPECT_EQ(t.vocab_size(), 7u);  // [MASK] is not in the file: it gets id 6
  EXPECT_EQ(t.pad_id(), 0);
}

TEST(TokenizerErrors, MissingFolderOrFiles) {
  expect_error([] { Tokenizer::from_dir("/nonexistent/gpuembed/model"); }, ErrorCode::kModelNotFound,
               "/nonexistent/gpuembed/model: tokenizer folder not found");
  TempDir dir;
  expect_error([&] { Tokenizer::from_dir(dir.path()); }, ErrorCode::kModelNotFound,
               "neither tokenizer.json nor vocab.txt found");
  std::ofstream(dir.path() / "tokenizer.json") << "{\"model\": {}}";
  expect_error([&] { Tokenizer::from_dir(dir.path()); }, ErrorCode::kModelInvalid,
               (dir.path() / "tokenizer.json").string() + ": model.vocab missing");
}
