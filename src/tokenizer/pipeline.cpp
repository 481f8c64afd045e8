// The stages of the general pipeline (pipeline.h), each as HF tokenizers 0.23 defines it.
#include "tokenizer/pipeline.h"

#include <algorithm>
#include <array>

#include "gpuembed/error.h"
#include "tokenizer/bert_unicode.h"
#include "tokenizer/hf_unicode.h"
#include "tokenizer/utf8.h"

namespace gpuembed::tok {

namespace {

using Match = std::pair<std::pair<size_t, size_t>, bool>;  // ([begin, end), is a match)

size_t char_len(unsigned char lead) { return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }

// Decodes one code point of valid UTF-8 at `i` (the pipeline's strings are valid: invalid input became U+FFFD).
char32_t decode_at(std::string_view s, size_t i, size_t& n) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  n = std::min(char_len(b0), s.size() - i);
  if (n == 1) return b0;
  char32_t c = b0 & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return c;
}

// HF's Pattern::find_matches for a character predicate: every matching character is a match of its own.
template <class Pred>
void char_matches(std::string_view s, Pred pred, std::vector<Match>& m) {
  m.clear();
  size_t last = 0;
  for (size_t i = 0; i < s.size();) {
    size_t n = 0;
    const char32_t c = decode_at(s, i, n);
    if (pred(c)) {
      if (last < i) m.push_back({{last, i}, false});
      m.push_back({{i, i + n}, true});
      last = i + n;
    }
    i += n;
  }
  if (last < s.size()) m.push_back({{last, s.size()}, false});
}

void regex_matches(const Regex& re, std::string_view s, std::vector<Match>& m) {
  m.clear();
  thread_local std::vector<std::pair<size_t, size_t>> found;
  re.find_all(s, found);
  size_t prev = 0;
  for (auto [b, e] : found) {
    if (prev != b) m.push_back({{prev, b}, false});
    m.push_back({{b, e}, true});
    prev = e;
  }
  if (prev != s.size()) m.push_back({{prev, s.size()}, false});
}

// NormalizedString::split: applies the behavior to the matches and appends the non-empty splits of `piece`.
void split_by(const Piece& piece, std::vector<Match>& m, SplitBehavior behavior, std::vector<Piece>& out) {
  std::vector<std::pair<std::pair<size_t, size_t>, bool>> kept;  // (range, remove)
  switch (behavior) {
    case SplitBehavior::kRemoved:
      kept = m;
      break;
    case SplitBehavior::kIsolated:
      for (auto& x : m) kept.push_back({x.first, false});
      break;
    case SplitBehavior::kMergedWithPrevious: {
      bool prev = false;
      for (auto& [r, is] : m) {
        if (is && !prev && !kept.empty()) kept.back().first.second = r.second;
        else kept.push_back({r, false});
        prev = is;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      bool prev = false;
      for (auto it = m.rbegin(); it != m.rend(); ++it) {
        if (it->second && !prev && !kept.empty()) kept.back().first.first = it->first.first;
        else kept.push_back({it->first, false});
        prev = it->second;
      }
      std::reverse(kept.begin(), kept.end());
      break;
    }
    case SplitBehavior::kContiguous: {
      bool prev = false;
      for (auto& [r, is] : m) {
        if (is == prev && !kept.empty()) kept.back().first.second = r.second;
        else kept.push_back({r, false});
        prev = is;
      }
      break;
    }
  }
  for (auto& [r, remove] : kept) {
    if (remove || r.first == r.second) continue;
    const size_t origin = piece.origin_len > r.first ? std::min(piece.origin_len, r.second) - r.first : 0;
    out.push_back(Piece{piece.text.substr(r.first, r.second - r.first), origin});
  }
}

// GPT-2's byte -> printable character table (bytes_to_unicode).
const std::array<std::string, 256>& byte_level_alphabet() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool keep = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      append_utf8(t[b], keep ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++));
    }
    return t;
  }();
  return table;
}

// NFC / NFD / NFKC / NFKD with HF's own tables (hf_unicode.h).
void normalize_form(std::string& s, bool compat, bool compose) {
  std::u32string a, b;
  decode_utf8_replace(s, a);
  if (compat) hf::append_nfkd(a, b);
  else hf::append_nfd(a, b);
  if (compose) hf::compose(b);
  s = to_utf8(b);
}

bool is_numeric(char32_t c) { return c < 0x80 ? (c >= '0' && c <= '9') : (hf::flags(c) & hf::kNumeric) != 0; }
bool is_mark(char32_t c) { return c >= 0x300 && (hf::flags(c) & hf::kMark) != 0; }

void bert_normalize(const NormalizerStep& st, std::string& s) {
  std::u32string a;
  decode_utf8_replace(s, a);
  std::u32string b;
  for (char32_t c : a) {
    if (st.clean_text) {
      if (c == 0 || c == kReplacementChar || is_bert_control(c)) continue;
      if (is_bert_whitespace(c)) c = ' ';
    }
    if (st.handle_chinese_chars && is_chinese_char(c)) {
      b.push_back(' ');
      b.push_back(c);
      b.push_back(' ');
    } else {
      b.push_back(c);
    }
  }
  if (st.strip_accents) {
    a.clear();
    append_nfd(b, a);
    b.clear();
    for (char32_t c : a) {
      if (!is_mark_nonspacing(c)) b.push_back(c);
    }
  }
  if (st.lowercase) {
    a.clear();
    for (char32_t c : b) append_lowercase(c, a);
    b.swap(a);
  }
  s = to_utf8(b);
}

}  // namespace

void Pipeline::normalize(std::string& s) const {
  std::string t;
  for (const NormalizerStep& st : normalizers) {
    switch (st.kind) {
      case NormalizerStep::Kind::kBert:
        bert_normalize(st, s);
        break;
      case NormalizerStep::Kind::kPrecompiled:
        t.clear();
        st.charsmap->normalize(s, t);
        s.swap(t);
        break;
      case NormalizerStep::Kind::kNFC:
        normalize_form(s, false, true);
        break;
      case NormalizerStep::Kind::kNFD:
        normalize_form(s, false, false);
        break;
      case NormalizerStep::Kind::kNFKC:
        normalize_form(s, true, true);
        break;
      case NormalizerStep::Kind::kNFKD:
        normalize_form(s, true, false);
        break;
      case NormalizerStep::Kind::kLowercase: {
        std::u32string a, b;
        decode_utf8_replace(s, a);
        for (char32_t c : a) hf::append_lowercase(c, b);
        s = to_utf8(b);
        break;
      }
      case NormalizerStep::Kind::kStripAccents: {
        std::u32string a, b;
        decode_utf8_replace(s, a);
        for (char32_t c : a) {
          if (!is_mark(c)) b.push_back(c);
        }
        s = to_utf8(b);
        break;
      }
      case NormalizerStep::Kind::kStrip: {
        std::u32string a;
        decode_utf8_replace(s, a);
        size_t b = 0, e = a.size();
        if (st.left) {
          while (b < e && is_rust_whitespace(a[b])) ++b;
        }
        if (st.right) {
          while (e > b && is_rust_whitespace(a[e - 1])) --e;
        }
        s = to_utf8(std::u32string_view(a).substr(b, e - b));
        break;
      }
      case NormalizerStep::Kind::kReplace: {
        thread_local std::vector<std::pair<size_t, size_t>> found;
        st.regex->find_all(s, found);
        if (found.empty()) break;
        t.clear();
        size_t prev = 0;
        for (auto [b, e] : found) {
          t.append(s, prev, b - prev);
          t += st.content;
          prev = e;
        }
        t.append(s, prev, std::string::npos);
        s.swap(t);
        break;
      }
      case NormalizerStep::Kind::kPrepend:
        if (!s.empty()) s.insert(0, st.content);
        break;
    }
  }
}

void Pipeline::pre_tokenize(Piece piece, std::vector<Piece>& out) const {
  std::vector<Piece> cur, next;
  cur.push_back(std::move(piece));
  std::vector<Match> m;
  for (const PreTokenizerStep& st : pre_tokenizers) {
    next.clear();
    for (Piece& p : cur) {
      switch (st.kind) {
        case PreTokenizerStep::Kind::kBert: {
          std::vector<Piece> words;
          char_matches(p.text, is_rust_whitespace, m);
          split_by(p, m, SplitBehavior::kRemoved, words);
          for (Piece& w : words) {
            char_matches(w.text, is_bert_punctuation, m);
            split_by(w, m, SplitBehavior::kIsolated, next);
          }
          break;
        }
        case PreTokenizerStep::Kind::kWhitespaceSplit:
          char_matches(p.text, is_rust_whitespace, m);
          split_by(p, m, SplitBehavior::kRemoved, next);
          break;
        case PreTokenizerStep::Kind::kWhitespace:  // keep the matches of \w+|[^\w\s]+
          regex_matches(*st.regex, p.text, m);
          for (auto& x : m) x.second = !x.second;
          split_by(p, m, SplitBehavior::kRemoved, next);
          break;
        case PreTokenizerStep::Kind::kPunctuation:
          char_matches(p.text, is_bert_punctuation, m);
          split_by(p, m, st.behavior, next);
          break;
        case PreTokenizerStep::Kind::kDigits:
          char_matches(p.text, is_numeric, m);
          split_by(p, m, st.individual_digits ? SplitBehavior::kIsolated : SplitBehavior::kContiguous, next);
          break;
        case PreTokenizerStep::Kind::kSplit:
          regex_matches(*st.regex, p.text, m);
          if (st.invert) {
            for (auto& x : m) x.second = !x.second;
          }
          split_by(p, m, st.behavior, next);
          break;
        case PreTokenizerStep::Kind::kMetaspace: {
          std::string t;
          size_t origin = 0;
          for (size_t i = 0; i < p.text.size(); ++i) {
            if (p.text[i] == ' ') t += st.replacement;
            else t.push_back(p.text[i]);
            if (i < p.origin_len) origin = t.size();
          }
          const bool starts = t.compare(0, st.replacement.size(), st.replacement) == 0;
          if (!starts && (st.prepend == PreTokenizerStep::Prepend::kAlways ||
                          (st.prepend == PreTokenizerStep::Prepend::kFirst && p.at_origin()))) {
            t.insert(0, st.replacement);
            if (origin > 0) origin += st.replacement.size();
          }
          Piece q{std::move(t), origin};
          if (st.split) {
            size_t n = 0;
            const char32_t rep = decode_at(st.replacement, 0, n);
            char_matches(q.text, [rep](char32_t c) { return c == rep; }, m);
            split_by(q, m, SplitBehavior::kMergedWithNext, next);
          } else if (!q.text.empty()) {
            next.push_back(std::move(q));
          }
          break;
        }
        case PreTokenizerStep::Kind::kByteLevel: {
          if (st.add_prefix_space && (p.text.empty() || p.text[0] != ' ')) {
            p.text.insert(0, " ");
            if (p.origin_len > 0) ++p.origin_len;
          }
          std::vector<Piece> parts;
          if (st.use_regex) {
            regex_matches(*st.regex, p.text, m);
            split_by(p, m, SplitBehavior::kIsolated, parts);
          } else if (!p.text.empty()) {
            parts.push_back(p);
          }
          const auto& alphabet = byte_level_alphabet();
          for (Piece& q : parts) {
            std::string t;
            size_t origin = 0;
            for (size_t i = 0; i < q.text.size(); ++i) {
              t += alphabet[static_cast<unsigned char>(q.text[i])];
              if (i < q.origin_len) origin = t.size();
            }
            next.push_back(Piece{std::move(t), origin});
          }
          break;
        }
      }
    }
    cur.swap(next);
  }
  for (Piece& p : cur) {
    if (!p.text.empty()) out.push_back(std::move(p));
  }
}

void Pipeline::tokenize(std::string_view split, std::vector<int32_t>& ids) const {
  switch (model) {
    case Model::kUnigram:
      unigram.tokenize(split, ids);
      break;
    case Model::kBpe:
      bpe.tokenize(split, ids);
      break;
    case Model::kWordLevel: {
      auto it = word_level.find(std::string(split));
      if (it != word_level.end()) {
        ids.push_back(it->second);
      } else {
        if (word_level_unk < 0) throw Error(ErrorCode::kInvalidInput, "tokenizer: WordLevel unk_token is not in the vocabulary");
        ids.push_back(word_level_unk);
      }
      break;
    }
    case Model::kWordPiece: {
      std::vector<uint32_t> starts;
      for (size_t i = 0; i < split.size();) {
        starts.push_back(static_cast<uint32_t>(i));
        i += char_len(static_cast<unsigned char>(split[i]));
      }
      if (starts.size() > wordpiece->max_input_chars_per_word()) ids.push_back(wordpiece->unk_id());
      else wordpiece->tokenize(split, starts.data(), starts.size(), ids);
      break;
    }
  }
}

}  // namespace gpuembed::tok
