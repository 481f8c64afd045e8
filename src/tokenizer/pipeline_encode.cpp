// The general pipeline's encode (pipeline.h): added tokens split the text into pieces as HF's AddedVocabulary does
// (raw tokens in the input, then normalized tokens in each normalized piece), and each other piece runs through the
// normalizers, pre-tokenizers and model.
#include <algorithm>

#include "tokenizer/added_match.h"
#include "tokenizer/bert_unicode.h"
#include "tokenizer/utf8.h"

namespace gpuembed::tok {

namespace {

class PipelineEncoder {
 public:
  PipelineEncoder(const TokenizerData& t, std::vector<int32_t>& ids, std::vector<std::string>* tokens,
                  size_t limit)
      : t_(t), p_(*t.pipeline), ids_(ids), tokens_(tokens), limit_(limit) {}

  void run(std::u32string_view text) {
    split_added(text, t_.raw_added, t_.raw_first, !t_.raw_added.empty(), [&](std::u32string_view piece, size_t at) {
      std::string s = to_utf8(piece);
      p_.normalize(s);
      // The normalized bytes HF aligns to the input's offset 0: what the input's first characters normalize to, up
      // to the first one that leaves something (characters a normalizer deletes at the start join the next one's
      // alignment). Each prefix is normalized with a letter after it, so that end-of-text rules (Strip) do not
      // apply to it where they do not in the whole text.
      size_t origin = 0;
      if (at == 0) {
        std::string sentinel = "a";
        p_.normalize(sentinel);
        for (size_t k = 1; k <= std::min<size_t>(piece.size(), 16) && origin == 0; ++k) {
          std::string first = to_utf8(piece.substr(0, k)) + "a";
          p_.normalize(first);
          origin = std::min(first.size() > sentinel.size() ? first.size() - sentinel.size() : 0, s.size());
        }
      }
      if (t_.normalized_added.empty()) {
        model(s, origin);
        return;
      }
      std::u32string n;
      decode_utf8_replace(s, n);
      split_added(n, t_.normalized_added, t_.normalized_first, true, [&](std::u32string_view sub, size_t sub_at) {
        model(to_utf8(sub), sub_at == 0 ? origin : 0);
      });
    });
  }

 private:
  // Calls piece(text, offset) for every stretch between added tokens and emits the tokens.
  template <class F>
  void split_added(std::u32string_view text, const std::vector<AddedToken>& list,
                   const std::unordered_map<char32_t, std::vector<uint32_t>>& first, bool any, F&& piece) {
    size_t piece_start = 0, last_match_end = 0, i = 0;
    while (any && i < text.size() && !full()) {
      AddedMatch m = match_added(list, first, text, i);
      if (m.index < 0) {
        ++i;
        continue;
      }
      const AddedToken& tok = list[static_cast<size_t>(m.index)];
      size_t start = i, stop = i + m.length;
      if (tok.single_word && !single_word_ok(text, 0, start, stop)) {
        i = stop;  // HF's match iterator has consumed it: plain text
        continue;
      }
      if (tok.lstrip) {
        while (start > last_match_end && is_rust_whitespace(text[start - 1])) --start;
      }
      if (tok.rstrip) {
        while (stop < text.size() && is_rust_whitespace(text[stop])) ++stop;
      }
      if (piece_start < start) piece(text.substr(piece_start, start - piece_start), piece_start);
      if (full()) return;
      emit(tok.id, to_utf8(text.substr(start, stop - start)));
      i = piece_start = last_match_end = stop;
    }
    if (piece_start < text.size() && !full()) piece(text.substr(piece_start), piece_start);
  }

  void model(std::string normalized, size_t origin_len) {
    if (normalized.empty() || full()) return;
    splits_.clear();
    const size_t origin = std::min(origin_len, normalized.size());
    p_.pre_tokenize(Piece{std::move(normalized), origin}, splits_);
    for (const Piece& split : splits_) {
      pieces_.clear();
      p_.tokenize(split.text, pieces_);
      for (int32_t id : pieces_) {
        if (full()) return;
        emit(id, static_cast<size_t>(id) < t_.model_tokens.size() ? t_.model_tokens[static_cast<size_t>(id)]
                                                                  : std::string());
      }
    }
  }

  bool full() const { return count_ >= limit_; }
  void emit(int32_t id, std::string token) {
    if (full()) return;
    ids_.push_back(id);
    if (tokens_) tokens_->push_back(std::move(token));
    ++count_;
  }

  const TokenizerData& t_;
  const Pipeline& p_;
  std::vector<int32_t>& ids_;
  std::vector<std::string>* tokens_;
  size_t limit_;
  size_t count_ = 0;
  std::vector<Piece> splits_;
  std::vector<int32_t> pieces_;
};

}  // namespace

void encode_with_pipeline(const TokenizerData& t, std::u32string_view text, size_t limit, std::vector<int32_t>& ids,
                          std::vector<std::string>* tokens) {
  PipelineEncoder(t, ids, tokens, limit).run(text);
}

}  // namespace gpuembed::tok
