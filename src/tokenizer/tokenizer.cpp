// Tokenizer::encode: a streaming form of Hugging Face's pipeline
//   added tokens -> BertNormalizer -> BertPreTokenizer -> WordPiece -> TemplateProcessing
// that yields the same ids. The text is normalized one whitespace-delimited run at a time. This is exact: every
// normalization step works per character except NFD's canonical reordering, which never moves a character across
// a starter (combining class 0) such as whitespace, and BertPreTokenizer splits at every whitespace anyway.
// Tokens come out in order, so encoding stops as soon as the truncation limit is reached (same result).

#include <algorithm>
#include <limits>

#include "gpuembed/error.h"
#include "tokenizer/bert_unicode.h"
#include "tokenizer/added_match.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace gpuembed {

using tok::AddedMatch;
using tok::AddedToken;
using tok::match_added;
using tok::single_word_ok;

namespace {

class Encoder {
 public:
  Encoder(const tok::TokenizerData& t, std::vector<int32_t>& ids, std::vector<std::string>* tokens, size_t limit)
      : t_(t), ids_(ids), tokens_(tokens), limit_(limit), full_(limit == 0) {}

  // Pure-ASCII text that cannot hold an added token: the same pipeline on bytes, without decoding to code points.
  // On ASCII, clean_text drops NUL and the controls (0x0B and 0x0C too: HF tests is_control before is_whitespace),
  // handle_chinese_chars and strip_accents change nothing, and lowercase maps A-Z. Returns false (nothing done) when
  // the text does not qualify.
  bool run_ascii(std::string_view text) {
    if (!t_.normalized_added.empty()) return false;
    const bool has_raw = !t_.raw_added.empty();
    for (unsigned char b : text) {
      if (b >= 0x80 || (has_raw && t_.raw_first_ascii[b])) return false;
    }
    const bool clean = t_.options.clean_text, lower = t_.options.lowercase;
    word_.clear();
    for (unsigned char b : text) {
      const uint8_t f = tok::detail::kAscii[b];
      if (clean && (b == 0 || (f & tok::detail::kControl))) continue;
      if (f & tok::detail::kWhite) {
        ascii_word();
      } else if (f & tok::detail::kPunct) {
        ascii_word();
        word_.push_back(static_cast<char>(b));
        ascii_word();
      } else {
        word_.push_back(static_cast<char>(lower && b >= 'A' && b <= 'Z' ? b + 32 : b));
      }
      if (full_) return true;
    }
    ascii_word();
    return true;
  }

  void run(std::u32string_view text) {
    const bool has_raw = !t_.raw_added.empty();
    size_t last_match_end = 0;
    size_t i = 0;
    while (i < text.size() && !full_) {
      const char32_t c = text[i];
      if (has_raw && (c < 0x80 ? t_.raw_first_ascii[c] : t_.raw_first_non_ascii)) {
        AddedMatch m = match_added(t_.raw_added, t_.raw_first, text, i);
        if (m.index >= 0) {
          const AddedToken& tok = t_.raw_added[static_cast<size_t>(m.index)];
          size_t start = i, stop = i + m.length;
          if (!tok.single_word || single_word_ok(text, 0, start, stop)) {
            // lstrip/rstrip take neighbouring whitespace into the token; BertPreTokenizer would drop that
            // whitespace anyway, so only the token string changes.
            if (tok.lstrip) {
              while (start > last_match_end && tok::is_rust_whitespace(text[start - 1])) --start;
            }
            if (tok.rstrip) {
              while (stop < text.size() && tok::is_rust_whitespace(text[stop])) ++stop;
            }
            flush_run();
            if (full_) break;
            emit_added(tok, text.substr(start, stop - start));
            i = stop;
            last_match_end = stop;
            continue;
          }
          // Rejected single_word match: HF's match iterator has consumed it, so it is plain text.
          for (size_t k = i; k < i + m.length; ++k) feed(text[k]);
          i += m.length;
          continue;
        }
      }
      feed(c);
      ++i;
    }
    flush_run();
  }

 private:
  // BertNormalizer's per-character steps (clean_text, handle_chinese_chars), then run splitting at whitespace.
  void feed(char32_t c) {
    const TokenizerOptions& o = t_.options;
    if (o.clean_text) {
      if (c == 0 || c == tok::kReplacementChar || tok::is_bert_control(c)) return;
      if (tok::is_bert_whitespace(c)) c = ' ';
    }
    if (o.handle_chinese_chars && tok::is_chinese_char(c)) {  // " c ": a run of its own
      flush_run();
      run_ascii_ = false;
      run_.push_back(c);
      flush_run();
      return;
    }
    if (tok::is_rust_whitespace(c)) {
      flush_run();
      return;
    }
    run_ascii_ = run_ascii_ && c < 0x80;
    run_.push_back(c);
  }

  // The rest of BertNormalizer (strip accents, lowercase) on one run, then the normalized added tokens, then
  // BertPreTokenizer and WordPiece.
  void flush_run() {
    if (run_.empty() || full_) {
      clear_run();
      return;
    }
    const std::u32string* cur = &run_;
    if (run_ascii_) {  // ASCII has no decompositions and no marks; lowercase in place
      if (t_.options.lowercase) {
        for (char32_t& c : run_) c = (c >= 'A' && c <= 'Z') ? c + 32 : c;
      }
    } else if (t_.strip_accents) {
      nfd_.clear();
      tok::append_nfd(run_, nfd_);
      nfd_.erase(std::remove_if(nfd_.begin(), nfd_.end(), tok::is_mark_nonspacing), nfd_.end());
      cur = &nfd_;
    }
    if (t_.options.lowercase && !run_ascii_) {
      lower_.clear();
      for (char32_t c : *cur) tok::append_lowercase(c, lower_);
      cur = &lower_;
    }
    std::u32string_view seq(*cur);
    if (t_.normalized_added.empty()) {
      pre_tokenize(seq);
    } else {
      size_t piece = 0, i = 0;
      while (i < seq.size() && !full_) {
        AddedMatch m = match_added(t_.normalized_added, t_.normalized_first, seq, i);
        if (m.index >= 0) {
          const AddedToken& tok = t_.normalized_added[static_cast<size_t>(m.index)];
          if (!tok.single_word || single_word_ok(seq, 0, i, i + m.length)) {
            pre_tokenize(seq.substr(piece, i - piece));
            if (full_) break;
            emit_added(tok, seq.substr(i, m.length));
            i += m.length;
            piece = i;
            continue;
          }
          i += m.length;
          continue;
        }
        ++i;
      }
      if (!full_) pre_tokenize(seq.substr(piece));
    }
    clear_run();
  }

  void clear_run() {
    run_.clear();
    run_ascii_ = true;
  }

  // BertPreTokenizer: split on whitespace (removed) and punctuation (isolated).
  void pre_tokenize(std::u32string_view seq) {
    size_t word_start = 0;
    for (size_t i = 0; i < seq.size() && !full_; ++i) {
      const char32_t c = seq[i];
      if (tok::is_rust_whitespace(c)) {
        word(seq.substr(word_start, i - word_start));
        word_start = i + 1;
      } else if (tok::is_bert_punctuation(c)) {
        word(seq.substr(word_start, i - word_start));
        word(seq.substr(i, 1));
        word_start = i + 1;
      }
    }
    if (!full_) word(seq.substr(word_start));
  }

  void word(std::u32string_view w) {
    if (w.empty() || full_) return;
    pieces_.clear();
    if (w.size() > static_cast<size_t>(t_.options.max_input_chars_per_word)) {
      pieces_.push_back(t_.model.unk_id());  // WordPiece's first check, without building the string
      emit_pieces();
      return;
    }
    word_.clear();
    starts_.clear();
    for (char32_t c : w) {
      starts_.push_back(static_cast<uint32_t>(word_.size()));
      tok::append_utf8(word_, c);
    }
    t_.model.tokenize(word_, starts_.data(), starts_.size(), pieces_);
    emit_pieces();
  }

  // word() for the ASCII path: `word_` already holds the bytes, one per character.
  void ascii_word() {
    if (word_.empty() || full_) {
      word_.clear();
      return;
    }
    pieces_.clear();
    if (word_.size() > static_cast<size_t>(t_.options.max_input_chars_per_word)) {
      pieces_.push_back(t_.model.unk_id());
    } else {
      while (ascii_starts_.size() < word_.size()) ascii_starts_.push_back(static_cast<uint32_t>(ascii_starts_.size()));
      t_.model.tokenize(word_, ascii_starts_.data(), word_.size(), pieces_);
    }
    emit_pieces();
    word_.clear();
  }

  void emit_pieces() {
    for (int32_t id : pieces_) {
      ids_.push_back(id);
      if (tokens_) tokens_->push_back(t_.model_tokens[static_cast<size_t>(id)]);
      if (++count_ >= limit_) {
        full_ = true;
        return;
      }
    }
  }

  void emit_added(const AddedToken& tok, std::u32string_view matched) {
    ids_.push_back(tok.id);
    if (tokens_) tokens_->push_back(tok::to_utf8(matched));
    if (++count_ >= limit_) full_ = true;
  }

  const tok::TokenizerData& t_;
  std::vector<int32_t>& ids_;
  std::vector<std::string>* tokens_;
  size_t limit_;
  size_t count_ = 0;
  bool full_;
  std::u32string run_, nfd_, lower_;
  bool run_ascii_ = true;
  std::string word_;
  std::vector<uint32_t> starts_;
  std::vector<uint32_t> ascii_starts_;  // 0, 1, 2, ...: byte offsets of ASCII characters
  std::vector<int32_t> pieces_;
};

void encode_impl(const tok::TokenizerData& t, std::string_view text, size_t max_length, std::vector<int32_t>& ids,
                 std::vector<std::string>* tokens) {
  size_t limit = std::numeric_limits<size_t>::max();
  if (max_length != 0) {
    if (max_length < t.n_special_ids) {
      throw Error(ErrorCode::kInvalidInput, "tokenizer: max_length " + std::to_string(max_length) +
                                                " is smaller than the " + std::to_string(t.n_special_ids) +
                                                " special tokens the template adds");
    }
    limit = max_length - t.n_special_ids;
  }
  for (const auto& p : t.prefix) {
    ids.insert(ids.end(), p.ids.begin(), p.ids.end());
    if (tokens) tokens->insert(tokens->end(), p.tokens.begin(), p.tokens.end());
  }
  if (t.pipeline) {
    std::u32string cps;
    tok::decode_utf8_replace(text, cps);
    tok::encode_with_pipeline(t, cps, limit, ids, tokens);
  } else if (Encoder encoder(t, ids, tokens, limit); !encoder.run_ascii(text)) {
    std::u32string cps;
    cps.reserve(text.size());
    tok::decode_utf8_replace(text, cps);
    encoder.run(cps);
  }
  for (const auto& p : t.suffix) {
    ids.insert(ids.end(), p.ids.begin(), p.ids.end());
    if (tokens) tokens->insert(tokens->end(), p.tokens.begin(), p.tokens.end());
  }
}

}  // namespace

std::u32string tok::TokenizerData::normalize(std::u32string_view text) const {
  std::u32string a;
  for (char32_t c : text) {
    if (options.clean_text) {
      if (c == 0 || c == tok::kReplacementChar || tok::is_bert_control(c)) continue;
      if (tok::is_bert_whitespace(c)) c = ' ';
    }
    if (options.handle_chinese_chars && tok::is_chinese_char(c)) {
      a.push_back(' ');
      a.push_back(c);
      a.push_back(' ');
    } else {
      a.push_back(c);
    }
  }
  if (strip_accents) {
    std::u32string b;
    tok::append_nfd(a, b);
    b.erase(std::remove_if(b.begin(), b.end(), tok::is_mark_nonspacing), b.end());
    a.swap(b);
  }
  if (options.lowercase) {
    std::u32string b;
    for (char32_t c : a) tok::append_lowercase(c, b);
    a.swap(b);
  }
  return a;
}

void tok::TokenizerData::finalize() {
  strip_accents = options.strip_accents < 0 ? options.lowercase : options.strip_accents != 0;
  auto index = [](const std::vector<AddedToken>& list, std::unordered_map<char32_t, std::vector<uint32_t>>& first) {
    first.clear();
    for (uint32_t i = 0; i < list.size(); ++i) {
      if (!list[i].content.empty()) first[list[i].content[0]].push_back(i);
    }
    for (auto& [c, v] : first) {
      std::stable_sort(v.begin(), v.end(),
                       [&](uint32_t a, uint32_t b) { return list[a].content.size() > list[b].content.size(); });
    }
  };
  index(raw_added, raw_first);
  raw_first_ascii.fill(false);
  raw_first_non_ascii = false;
  for (const auto& [c, v] : raw_first) {
    if (c < 0x80) raw_first_ascii[c] = true;
    else raw_first_non_ascii = true;
  }
  index(normalized_added, normalized_first);
  vocab_size = model_tokens.size();
  added_id_to_token.clear();
  for (const auto* list : {&raw_added, &normalized_added}) {
    for (const auto& a : *list) {
      added_id_to_token[a.id] = a.text;
      vocab_size = std::max(vocab_size, static_cast<size_t>(a.id) + 1);
    }
  }
  n_special_ids = 0;
  for (const auto* list : {&prefix, &suffix}) {
    for (const auto& p : *list) {
      n_special_ids += p.ids.size();
      // The template's ids are emitted in every encoding, so they count in vocab_size (the check against config.json
      // vocab_size then rejects an id the embedding table lacks) and map back to their tokens even when neither the
      // vocabulary nor the added tokens hold them.
      for (size_t k = 0; k < p.ids.size(); ++k) {
        vocab_size = std::max(vocab_size, static_cast<size_t>(p.ids[k]) + 1);
        const bool in_model = static_cast<size_t>(p.ids[k]) < model_tokens.size() && !model_tokens[p.ids[k]].empty();
        if (!in_model) added_id_to_token.emplace(p.ids[k], p.tokens[k]);
      }
    }
  }
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Encoding Tokenizer::encode(std::string_view text, size_t max_length) const {
  Encoding e;
  encode_impl(*impl_, text, max_length, e.ids, &e.tokens);
  return e;
}

std::vector<int32_t> Tokenizer::encode_ids(std::string_view text, size_t max_length) const {
  std::vector<int32_t> ids;
  encode_impl(*impl_, text, max_length, ids, nullptr);
  return ids;
}

size_t Tokenizer::vocab_size() const { return impl_->vocab_size; }
int32_t Tokenizer::pad_id() const { return impl_->pad; }
int32_t Tokenizer::cls_id() const { return impl_->cls; }
int32_t Tokenizer::sep_id() const { return impl_->sep; }
int32_t Tokenizer::unk_id() const { return impl_->unk; }
size_t Tokenizer::num_special_tokens() const { return impl_->n_special_ids; }
const std::string& Tokenizer::model_type() const { return impl_->model_type; }
const TokenizerOptions& Tokenizer::options() const { return impl_->options; }

const std::string& Tokenizer::id_to_token(int32_t id) const {
  auto it = impl_->added_id_to_token.find(id);
  if (it != impl_->added_id_to_token.end()) return it->second;
  if (id >= 0 && static_cast<size_t>(id) < impl_->model_tokens.size() && !impl_->model_tokens[id].empty()) {
    return impl_->model_tokens[static_cast<size_t>(id)];
  }
  throw Error(ErrorCode::kInvalidInput, "tokenizer: token id " + std::to_string(id) + " is not in the vocabulary");
}

}  // namespace gpuembed
