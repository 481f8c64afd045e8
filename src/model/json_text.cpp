#include "model/json_text.h"

#include "model/model_invalid.h"

namespace gpuembed {

using nlohmann::json;

namespace {

// nlohmann's tree builder for everything else; model.vocab / model.merges go to the tables. `depth_` counts the
// containers open in the tree; inside a captured member `cap_` counts those open below it (1 = the member itself).
class TablesSax {
 public:
  using Dom = nlohmann::detail::json_sax_dom_parser<json>;
  // tables null: no member is captured; allow_exceptions false: a parse error makes sax_parse() return false
  TablesSax(json& root, ModelTables* t, bool allow_exceptions) : dom_(root, allow_exceptions), t_(t) {}

  bool null() { return cap_ ? scalar(json(nullptr)) : dom_.null(); }
  bool boolean(bool v) { return cap_ ? scalar(json(v)) : dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return cap_ ? scalar(json(v), double(v)) : dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) {
    return cap_ ? scalar(json(v), double(v)) : dom_.number_unsigned(v);
  }
  bool number_float(json::number_float_t v, const std::string& s) {
    return cap_ ? scalar(json(v), v) : dom_.number_float(v, s);
  }
  bool binary(json::binary_t& v) { return cap_ ? scalar(json(nullptr)) : dom_.binary(v); }
  bool string(std::string& v) {
    if (!cap_) return dom_.string(v);
    if (cap_ == 2 && what_ != What::kVocabObject) {  // inside an entry [piece, score] or [a, b]
      if (fields_ == 0) first_ = std::move(v);
      else if (fields_ == 1 && what_ == What::kMerges) second_ = std::move(v);
      else bad_ = true;
      ++fields_;
      return true;
    }
    if (cap_ == 1 && what_ == What::kMerges) {
      t_->merges.push_back({std::move(v), {}, true});
      ++entry_;
      return true;
    }
    return scalar(json(std::move(v)));
  }
  bool key(std::string& k) {
    if (cap_) {
      if (cap_ == 1) key_ = std::move(k);
      return true;
    }
    if (depth_ == 1) root_key_ = k;
    if (depth_ == 2 && in_model_) model_key_ = k;
    return dom_.key(k);
  }
  bool start_object(std::size_t n) { return start(ModelTables::Kind::kObject, n); }
  bool start_array(std::size_t n) { return start(ModelTables::Kind::kArray, n); }
  bool end_object() { return cap_ ? end() : close(dom_.end_object()); }
  bool end_array() { return cap_ ? end() : close(dom_.end_array()); }
  template <class Exception>
  bool parse_error(std::size_t pos, const std::string& tok, const Exception& e) {
    return dom_.parse_error(pos, tok, e);
  }

 private:
  enum class What { kVocabObject, kVocabArray, kMerges };

  bool start(ModelTables::Kind kind, std::size_t n) {
    const bool object = kind == ModelTables::Kind::kObject;
    if (cap_) {
      if (cap_ == 1) {  // an entry of the captured member
        if (what_ == What::kVocabObject) {
          t_->vocab_ids.emplace_back(std::move(key_), json(nullptr));  // not an id: the reader says so
        } else if (!object) {
          fields_ = 0, bad_ = false;
        } else {
          bad_ = true, fields_ = 0;
        }
      } else if (cap_ == 2 && what_ != What::kVocabObject) {
        bad_ = true, ++fields_;
      }
      ++cap_;
      return true;
    }
    const bool member = t_ && depth_ == 2 && in_model_ && (model_key_ == "vocab" || model_key_ == "merges");
    if (member && (model_key_ == "vocab" || !object)) {
      // the tree gets an empty container of the same kind; the entries go to the tables
      const bool ok = object ? dom_.start_object(0) && dom_.end_object() : dom_.start_array(0) && dom_.end_array();
      if (model_key_ == "vocab") {
        t_->vocab_kind = kind;
        t_->vocab_ids.clear(), t_->pieces.clear(), t_->vocab_entries = 0, t_->bad_piece = ModelTables::kNone;
        what_ = object ? What::kVocabObject : What::kVocabArray;
      } else {
        t_->merges_kind = kind;
        t_->merges.clear(), t_->bad_merge = ModelTables::kNone;
        what_ = What::kMerges;
      }
      entry_ = 0, cap_ = 1;
      return ok;
    }
    in_model_ = depth_ == 1 && root_key_ == "model" && object ? true : (depth_ == 1 ? false : in_model_);
    ++depth_;
    return object ? dom_.start_object(n) : dom_.start_array(n);
  }

  bool close(bool ok) {
    if (--depth_ == 1) in_model_ = false;
    return ok;
  }

  // A scalar inside the captured member; `number` is its value where it is a number.
  bool scalar(json v, double number = 0.0) {
    const bool is_number = v.is_number();
    if (cap_ == 1) {
      if (what_ == What::kVocabObject) {
        t_->vocab_ids.emplace_back(std::move(key_), std::move(v));
      } else {  // an entry that is not an array
        note_bad();
        ++entry_;
      }
    } else if (cap_ == 2) {
      if (what_ == What::kVocabArray && fields_ == 1 && is_number) score_ = number;
      else bad_ = true;
      ++fields_;
    }
    return true;
  }

  bool end() {
    if (--cap_ == 1 && what_ != What::kVocabObject) {  // an entry closed
      if (bad_ || fields_ != 2) {
        note_bad();
      } else if (what_ == What::kVocabArray) {
        t_->pieces.emplace_back(std::move(first_), score_);
      } else {
        t_->merges.push_back({std::move(first_), std::move(second_), false});
      }
      bad_ = false, fields_ = 0, ++entry_;
    }
    if (cap_ == 0 && what_ == What::kVocabArray) t_->vocab_entries = entry_;
    return true;
  }

  void note_bad() {
    size_t& first_bad = what_ == What::kMerges ? t_->bad_merge : t_->bad_piece;
    if (first_bad == ModelTables::kNone) first_bad = entry_;
  }

  Dom dom_;
  ModelTables* t_;
  int depth_ = 0;
  bool in_model_ = false;
  std::string root_key_, model_key_;
  int cap_ = 0;
  What what_ = What::kVocabObject;
  size_t entry_ = 0;
  std::string key_, first_, second_;
  size_t fields_ = 0;
  bool bad_ = false;
  double score_ = 0.0;
};

}  // namespace

namespace {

// The parser itself rather than json::parse / json::sax_parse: those instantiate it for other handlers too (the
// callback filter, the binary formats' readers), which the module would carry for nothing.
bool run(std::string_view text, TablesSax& sax) {
  return nlohmann::detail::parser<json, nlohmann::detail::iterator_input_adapter<const char*>>(
             nlohmann::detail::input_adapter(text.data(), text.data() + text.size()))
      .sax_parse(&sax, true);
}

json parse_checked(std::string_view text, const std::string& origin, const char* what, ModelTables* tables) {
  json root;
  TablesSax sax(root, tables, true);
  try {
    run(text, sax);
  } catch (const json::exception& e) {
    invalid(origin, std::string(what) + ": " + e.what());
  }
  return root;
}

}  // namespace

json parse_json(std::string_view text, const std::string& origin, const char* what) {
  return parse_checked(text, origin, what, nullptr);
}

json parse_json_or_discarded(std::string_view text) {
  json root;
  TablesSax sax(root, nullptr, false);
  if (!run(text, sax)) root = json(json::value_t::discarded);
  return root;
}

json parse_tokenizer_json(std::string_view text, const std::string& origin, ModelTables& tables) {
  return parse_checked(text, origin, "invalid JSON", &tables);
}

}  // namespace gpuembed
