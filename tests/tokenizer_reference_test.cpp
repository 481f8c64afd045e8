// Differential test: the streaming Tokenizer against a direct, whole-string transcription of HF's pipeline
// (added-token split -> BertNormalizer on the whole piece with utf8proc_NFD -> BertPreTokenizer -> WordPiece with
// "##" + piece lookups), on random strings built from the characters that exercise every rule.
#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "test_paths.h"
#include "test_util.h"
#include "tokenizer/bert_unicode.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

using gpuembed::tok::append_utf8;

struct Reference {
  std::unordered_map<std::string, int32_t> vocab;
  std::vector<std::pair<std::u32string, int32_t>> added;  // raw (non-normalized) added tokens

  explicit Reference(const std::string& vocab_txt) {
    std::istringstream in(vocab_txt);
    std::string line;
    int32_t id = 0;
    while (std::getline(in, line)) vocab[line] = id++;
    for (const char* s : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
      std::u32string u;
      for (const char* p = s; *p; ++p) u.push_back(static_cast<char32_t>(*p));
      added.emplace_back(u, vocab.at(s));
    }
  }

  std::u32string normalize(const std::u32string& in) const {
    using namespace gpuembed::tok;
    std::string utf8;
    for (char32_t c : in) {  // clean_text, then handle_chinese_chars
      if (c == 0 || c == 0xFFFD || is_bert_control(c)) continue;
      if (is_bert_whitespace(c)) c = ' ';
      if (is_chinese_char(c)) {
        utf8 += ' ';
        append_utf8(utf8, c);
        utf8 += ' ';
      } else {
        append_utf8(utf8, c);
      }
    }
    // NFD of the whole string through utf8proc's own normalizer.
    utf8proc_uint8_t* nfd = utf8proc_NFD(reinterpret_cast<const utf8proc_uint8_t*>(utf8.c_str()));
    std::u32string decomposed;
    decode_utf8_replace(reinterpret_cast<const char*>(nfd), decomposed);
    std::free(nfd);
    std::u32string out;
    for (char32_t c : decomposed) {
      if (utf8proc_category(static_cast<utf8proc_int32_t>(c)) == UTF8PROC_CATEGORY_MN) continue;
      append_lowercase(c, out);
    }
    return out;
  }

  void wordpiece(const std::u32string& w, std::vector<int32_t>& out) const {
    if (w.size() > 100) {
      out.push_back(vocab.at("[UNK]"));
      return;
    }
    std::vector<int32_t> sub;
    size_t start = 0;
    while (start < w.size()) {
      size_t end = w.size();
      bool found = false;
      while (start < end) {
        std::string s = start > 0 ? "##" : "";
        for (size_t k = start; k < end; ++k) append_utf8(s, w[k]);
        auto it = vocab.find(s);
        if (it != vocab.end()) {
          sub.push_back(it->second);
          found = true;
          break;
        }
        --end;
      }
      if (!found) {
        out.push_back(vocab.at("[UNK]"));
        return;
      }
      start = end;
    }
    out.insert(out.end(), sub.begin(), sub.end());
  }

  void piece(const std::u32string& text, std::vector<int32_t>& out) const {
    using namespace gpuembed::tok;
    const std::u32string n = normalize(text);
    std::u32string w;
    for (char32_t c : n) {
      if (is_rust_whitespace(c)) {
        if (!w.empty()) wordpiece(w, out);
        w.clear();
      } else if (is_bert_punctuation(c)) {
        if (!w.empty()) wordpiece(w, out);
        w.clear();
        wordpiece(std::u32string(1, c), out);
      } else {
        w.push_back(c);
      }
    }
    if (!w.empty()) wordpiece(w, out);
  }

  std::vector<int32_t> encode(const std::string& bytes, size_t max_length) const {
    std::u32string text;
    gpuembed::tok::decode_utf8_replace(bytes, text);
    std::vector<int32_t> content;
    size_t piece_start = 0, i = 0;
    while (i < text.size()) {
      size_t best = 0;
      int32_t best_id = -1;
      for (const auto& [a, id] : added) {
        if (a.size() > best && text.compare(i, a.size(), a) == 0) {
          best = a.size();
          best_id = id;
        }
      }
      if (best > 0) {
        piece(text.substr(piece_start, i - piece_start), content);
        content.push_back(best_id);
        i += best;
        piece_start = i;
      } else {
        ++i;
      }
    }
    piece(text.substr(piece_start), content);
    if (max_length != 0 && content.size() > max_length - 2) content.resize(max_length - 2);
    std::vector<int32_t> ids = {vocab.at("[CLS]")};
    ids.insert(ids.end(), content.begin(), content.end());
    ids.push_back(vocab.at("[SEP]"));
    return ids;
  }
};

using gpuembed::test::read_text;

}  // namespace

TEST(TokenizerReference, RandomStringsMatchWholeStringPipeline) {
  const auto dir = gpuembed::test::model_dir("minilm-l6-random");
  const Reference ref(read_text(dir / "vocab.txt"));
  const gpuembed::Tokenizer tok = gpuembed::Tokenizer::from_dir(dir);

  // Fragments (UTF-8 or raw bytes) covering each rule of the pipeline.
  const std::vector<std::string> frags = {
      "a", "b", "e", "th", "ing", "hello", "world", "X", "Z", "1", "7", " ", " ", "  ", "\t", "\n", "\r\n",
      ".", ",", "!", "'", "-", "$", "^", "`", "~", "(", ")",
      "\xCC\x81",          // U+0301 combining acute (ccc 230)
      "\xCC\xA7",          // U+0327 combining cedilla (ccc 202)
      "\xCC\x96",          // U+0316 combining grave below (ccc 220)
      "\xCD\x85",          // U+0345 ypogegrammeni (ccc 240)
      "\xC3\xA9", "\xC3\x85", "\xC3\x9F", "\xC3\xB1",  // é Å ß ñ
      "\xC4\xB0",          // İ
      "\xCE\xA3", "\xCE\x9F", "\xCE\x86",  // Σ Ο Ά
      "\xE1\xBE\x88",      // U+1F88 (decomposes into 3, has titlecase/lowercase mappings)
      "\xE5\x8C\x97", "\xE4\xBA\xAC", "\xEF\xA4\x82",  // 北 京 U+F902
      "\xEA\xB0\x80", "\xED\x95\x9C",  // Hangul syllables 가 한
      "\xE3\x81\xAF",      // は
      "\xC2\xA0", "\xE2\x80\x80", "\xE2\x80\xA8", "\xE3\x80\x80",  // NBSP, EN QUAD, LS, ideographic space
      "\xE2\x80\x8B", "\xC2\xAD", "\xEF\xBB\xBF", "\x07", "\x1B", "\x0B", "\xC2\x85",
      std::string("\0", 1), "\xEF\xBF\xBD", "\xFF", "\x80", "\xE2\x82", "\xED\xA0\x80", "\xC0\xAF",
      "\xF0\x9F\x8D\x95",  // 🍕
      "\xE2\x80\x94", "\xE2\x80\x9C", "\xC2\xBF", "\xE2\x88\x91",  // — “ ¿ ∑
      "\xCD\xB8",          // unassigned U+0378
      "[SEP]", "[CLS]", "[sep]", "[MASK]", "[", "]", "SEP", "##", "#",
  };
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> pick(0, frags.size() - 1);
  std::uniform_int_distribution<int> len(0, 40);
  size_t checked = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    std::string s;
    const int n = len(rng);
    for (int k = 0; k < n; ++k) s += frags[pick(rng)];
    for (size_t max_length : {size_t{0}, size_t{2}, size_t{9}, size_t{256}}) {
      ASSERT_EQ(tok.encode_ids(s, max_length), ref.encode(s, max_length))
          << "iteration " << iter << ", max_length " << max_length << ", bytes: " << testing::PrintToString(s);
      ++checked;
    }
  }
  std::printf("[reference] %zu random encodings identical\n", checked);
}

// Pure-ASCII texts take a byte-level fast path in the tokenizer (no added-token candidates such as '['): the same
// differential check on strings drawn from every ASCII byte (controls, NUL, DEL and punctuation included) and words.
TEST(TokenizerReference, RandomAsciiStringsMatchWholeStringPipeline) {
  const auto dir = gpuembed::test::model_dir("minilm-l6-random");
  const Reference ref(read_text(dir / "vocab.txt"));
  const gpuembed::Tokenizer tok = gpuembed::Tokenizer::from_dir(dir);
  std::vector<std::string> frags = {"the", "The", "HELLO", "world", "unbelievably", "xqzj", "running", "a1b2",
                                    std::string(150, 'a'), std::string(100, 'b'), std::string(101, 'c')};
  for (int b = 0; b < 128; ++b) frags.push_back(std::string(1, static_cast<char>(b)));
  std::mt19937 rng(777);
  std::uniform_int_distribution<size_t> pick(0, frags.size() - 1);
  std::uniform_int_distribution<int> len(0, 60);
  size_t checked = 0, fast = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    std::string s;
    const int n = len(rng);
    for (int k = 0; k < n; ++k) s += frags[pick(rng)];
    if (s.find('[') == std::string::npos) ++fast;
    for (size_t max_length : {size_t{0}, size_t{2}, size_t{9}, size_t{256}}) {
      ASSERT_EQ(tok.encode_ids(s, max_length), ref.encode(s, max_length))
          << "iteration " << iter << ", max_length " << max_length << ", bytes: " << testing::PrintToString(s);
      ++checked;
    }
  }
  EXPECT_GT(fast, 1000u);  // most strings must exercise the ASCII path
  std::printf("[reference] %zu random ASCII encodings identical (%zu strings without '[')\n", checked, fast);
}
