#include "tokenizer/pipeline_load.h"

#include "gpuembed/error.h"
#include "model/model_invalid.h"
#include "tokenizer/utf8.h"

namespace gpuembed::tok {

using nlohmann::json;

namespace {

constexpr uint64_t kMaxVocabIds = 1u << 24;  // as tokenizer_load.cpp: the largest vocabulary a model can hold

const json* field(const json& o, const char* key) {
  auto it = o.find(key);
  return it == o.end() || it->is_null() ? nullptr : &*it;
}
bool get_bool(const json& o, const char* key, bool def, const std::string& origin, const std::string& path) {
  const json* v = field(o, key);
  if (!v) return def;
  if (!v->is_boolean()) invalid(origin, path + "." + key + " must be a boolean");
  return v->get<bool>();
}
std::string get_string(const json& o, const char* key, const std::string& def, const std::string& origin,
                       const std::string& path) {
  const json* v = field(o, key);
  if (!v) return def;
  if (!v->is_string()) invalid(origin, path + "." + key + " must be a string");
  return v->get<std::string>();
}
std::string type_of(const json& o, const std::string& origin, const std::string& path) {
  if (!o.is_object()) invalid(origin, path + " must be an object");
  const json* t = field(o, "type");
  if (!t || !t->is_string()) invalid(origin, path + ".type missing");
  return t->get<std::string>();
}

// A Split / Replace "pattern": {"String": s} or {"Regex": r}.
std::shared_ptr<const Regex> pattern_of(const json& o, const std::string& origin, const std::string& path) {
  const json* p = field(o, "pattern");
  if (!p || !p->is_object() || p->size() != 1) invalid(origin, path + ".pattern must be {\"String\": ...} or {\"Regex\": ...}");
  if (p->contains("String") && (*p)["String"].is_string()) {
    return std::make_shared<Regex>(Regex::escape((*p)["String"].get<std::string>()), origin);
  }
  if (p->contains("Regex") && (*p)["Regex"].is_string()) {
    return std::make_shared<Regex>((*p)["Regex"].get<std::string>(), origin);
  }
  invalid(origin, path + ".pattern must be {\"String\": ...} or {\"Regex\": ...}");
}

std::string base64_decode(const std::string& in, const std::string& origin) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const size_t v = alphabet.find(c);
    if (v == std::string::npos) invalid(origin, "normalizer.precompiled_charsmap is not base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

// Nested Sequences deeper than this are rejected (real files nest one level; the parsers recurse).
constexpr int kMaxNesting = 32;

void parse_normalizer(const json& n, std::vector<NormalizerStep>& out, const std::string& origin, const std::string& path,
                      int depth = 0) {
  if (depth > kMaxNesting) invalid(origin, path + ": Sequences nested too deeply");
  const std::string type = type_of(n, origin, path);
  NormalizerStep st;
  using K = NormalizerStep::Kind;
  if (type == "Sequence") {
    const json* list = field(n, "normalizers");
    if (!list || !list->is_array()) invalid(origin, path + ".normalizers must be an array");
    for (size_t k = 0; k < list->size(); ++k) {
      parse_normalizer((*list)[k], out, origin, path + ".normalizers[" + std::to_string(k) + "]", depth + 1);
    }
    return;
  } else if (type == "BertNormalizer") {
    st.kind = K::kBert;
    st.clean_text = get_bool(n, "clean_text", true, origin, path);
    st.handle_chinese_chars = get_bool(n, "handle_chinese_chars", true, origin, path);
    st.lowercase = get_bool(n, "lowercase", true, origin, path);
    st.strip_accents = get_bool(n, "strip_accents", st.lowercase, origin, path);
  } else if (type == "Precompiled") {
    st.kind = K::kPrecompiled;
    const std::string b64 = get_string(n, "precompiled_charsmap", "", origin, path);
    if (b64.empty()) return;  // HF: an empty charsmap normalizes nothing
    st.charsmap = std::make_shared<PrecompiledCharsmap>(base64_decode(b64, origin), origin);
  } else if (type == "NFC") {
    st.kind = K::kNFC;
  } else if (type == "NFD") {
    st.kind = K::kNFD;
  } else if (type == "NFKC") {
    st.kind = K::kNFKC;
  } else if (type == "NFKD") {
    st.kind = K::kNFKD;
  } else if (type == "Lowercase") {
    st.kind = K::kLowercase;
  } else if (type == "StripAccents") {
    st.kind = K::kStripAccents;
  } else if (type == "Strip") {
    st.kind = K::kStrip;
    st.left = get_bool(n, "strip_left", false, origin, path);
    st.right = get_bool(n, "strip_right", false, origin, path);
  } else if (type == "Replace") {
    st.kind = K::kReplace;
    st.regex = pattern_of(n, origin, path);
    st.content = get_string(n, "content", "", origin, path);
  } else if (type == "Prepend") {
    st.kind = K::kPrepend;
    st.content = get_string(n, "prepend", "", origin, path);
  } else {
    invalid(origin, path + ".type \"" + type + "\" is not supported");
  }
  out.push_back(std::move(st));
}

SplitBehavior behavior_of(const json& o, const std::string& origin, const std::string& path) {
  const std::string b = get_string(o, "behavior", "Isolated", origin, path);
  if (b == "Removed") return SplitBehavior::kRemoved;
  if (b == "Isolated") return SplitBehavior::kIsolated;
  if (b == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (b == "Contiguous") return SplitBehavior::kContiguous;
  invalid(origin, path + ".behavior \"" + b + "\" is not one of Removed, Isolated, MergedWithPrevious, "
                         "MergedWithNext, Contiguous");
}

// GPT-2's pre-tokenization pattern, as HF's ByteLevel compiles it.
constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

void parse_pre_tokenizer(const json& p, std::vector<PreTokenizerStep>& out, const std::string& origin,
                         const std::string& path, int depth = 0) {
  if (depth > kMaxNesting) invalid(origin, path + ": Sequences nested too deeply");
  const std::string type = type_of(p, origin, path);
  PreTokenizerStep st;
  using K = PreTokenizerStep::Kind;
  if (type == "Sequence") {
    const json* list = field(p, "pretokenizers");
    if (!list || !list->is_array()) invalid(origin, path + ".pretokenizers must be an array");
    for (size_t k = 0; k < list->size(); ++k) {
      parse_pre_tokenizer((*list)[k], out, origin, path + ".pretokenizers[" + std::to_string(k) + "]", depth + 1);
    }
    return;
  } else if (type == "BertPreTokenizer") {
    st.kind = K::kBert;
  } else if (type == "WhitespaceSplit") {
    st.kind = K::kWhitespaceSplit;
  } else if (type == "Whitespace") {
    st.kind = K::kWhitespace;
    // HF compiles \w+|[^\w\s]+ with Rust's regex crate, whose \w is Alphabetic | M | Nd | Pc | Join_Control;
    // Oniguruma's \w is wider (it takes No, e.g. U+00BC), so the classes are spelled out.
    st.regex = std::make_shared<Regex>(
        R"([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]+|[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}\p{White_Space}]+)",
        origin);
  } else if (type == "Punctuation") {
    st.kind = K::kPunctuation;
    st.behavior = behavior_of(p, origin, path);
  } else if (type == "Digits") {
    st.kind = K::kDigits;
    st.individual_digits = get_bool(p, "individual_digits", false, origin, path);
  } else if (type == "Metaspace") {
    st.kind = K::kMetaspace;
    st.replacement = get_string(p, "replacement", "\xE2\x96\x81", origin, path);
    std::u32string rep;
    decode_utf8_replace(st.replacement, rep);
    if (rep.size() != 1) invalid(origin, path + ".replacement must be one character");
    st.split = get_bool(p, "split", true, origin, path);
    if (const json* scheme = field(p, "prepend_scheme")) {
      const std::string s = scheme->is_string() ? scheme->get<std::string>() : "";
      if (s == "always") st.prepend = PreTokenizerStep::Prepend::kAlways;
      else if (s == "first") st.prepend = PreTokenizerStep::Prepend::kFirst;
      else if (s == "never") st.prepend = PreTokenizerStep::Prepend::kNever;
      else invalid(origin, path + ".prepend_scheme must be \"always\", \"first\" or \"never\"");
    } else {  // the older files: add_prefix_space (true -> always)
      st.prepend = get_bool(p, "add_prefix_space", true, origin, path) ? PreTokenizerStep::Prepend::kAlways
                                                                         : PreTokenizerStep::Prepend::kNever;
    }
  } else if (type == "ByteLevel") {
    st.kind = K::kByteLevel;
    st.add_prefix_space = get_bool(p, "add_prefix_space", true, origin, path);
    st.use_regex = get_bool(p, "use_regex", true, origin, path);
    if (st.use_regex) st.regex = std::make_shared<Regex>(kGpt2Pattern, origin);
  } else if (type == "Split") {
    st.kind = K::kSplit;
    st.regex = pattern_of(p, origin, path);
    st.behavior = behavior_of(p, origin, path);
    st.invert = get_bool(p, "invert", false, origin, path);
  } else {
    invalid(origin, path + ".type \"" + type + "\" is not supported");
  }
  out.push_back(std::move(st));
}

int32_t checked_id(const json& id, const std::string& origin, const std::string& what) {
  if (!id.is_number_unsigned() || id.get<uint64_t>() >= kMaxVocabIds) {
    invalid(origin, what + " must be a non-negative integer id below " + std::to_string(kMaxVocabIds));
  }
  return static_cast<int32_t>(id.get<uint64_t>());
}

// model.vocab as an object (its entries in `t`): token -> id, and the id -> token table as the JSON tree gave it
// (a repeated key keeps its last id; of two tokens with one id, the one that sorts last).
std::unordered_map<std::string, int32_t> vocab_object(const json& m, const ModelTables& t, const std::string& origin,
                                                      std::vector<std::string>& tokens) {
  const json* vocab = field(m, "vocab");
  if (!vocab) invalid(origin, "model.vocab missing");
  if (!vocab->is_object()) invalid(origin, "model.vocab must be an object of token -> id");
  if (t.vocab_ids.empty()) invalid(origin, "model.vocab is empty");
  std::unordered_map<std::string, int32_t> map;
  map.reserve(t.vocab_ids.size());
  for (const auto& [key, value] : t.vocab_ids) map[key] = checked_id(value, origin, "model.vocab[\"" + key + "\"]");
  for (const auto& [key, id] : map) {
    if (tokens.size() <= static_cast<size_t>(id)) tokens.resize(static_cast<size_t>(id) + 1);
    std::string& slot = tokens[static_cast<size_t>(id)];
    if (slot.empty() || key > slot) slot = key;
  }
  return map;
}

void parse_model(const json& m, ModelTables& t, TokenizerData& impl, Pipeline& p, const std::string& origin) {
  if (!m.is_object()) invalid(origin, "model must be an object");
  std::string type = get_string(m, "type", "", origin, "model");
  if (type.empty()) {  // HF's untagged form: guess from the fields as HF does
    type = m.contains("merges") ? "BPE" : m.contains("continuing_subword_prefix") ? "WordPiece"
           : (m.contains("vocab") && m["vocab"].is_array()) ? "Unigram" : "WordLevel";
  }
  impl.model_type = type;
  std::vector<std::string>& tokens = impl.model_tokens;
  if (type == "Unigram") {
    p.model = Pipeline::Model::kUnigram;
    const json* vocab = field(m, "vocab");
    if (!vocab || !vocab->is_array() || t.vocab_entries == 0) {
      invalid(origin, "model.vocab must be a non-empty array of [piece, score]");
    }
    if (t.vocab_entries >= kMaxVocabIds) invalid(origin, "model.vocab has too many pieces");
    if (t.bad_piece != ModelTables::kNone) {
      invalid(origin, "model.vocab[" + std::to_string(t.bad_piece) + "] must be [piece, score]");
    }
    std::vector<std::pair<std::string, double>> pieces = std::move(t.pieces);
    tokens.reserve(pieces.size());
    for (const auto& piece : pieces) tokens.push_back(piece.first);
    int32_t unk = -1;
    if (const json* u = field(m, "unk_id")) {
      unk = checked_id(*u, origin, "model.unk_id");
      if (static_cast<size_t>(unk) >= pieces.size()) invalid(origin, "model.unk_id is outside model.vocab");
    }
    p.unigram = Unigram(std::move(pieces), unk, get_bool(m, "byte_fallback", false, origin, "model"));
    impl.unk = unk;
  } else if (type == "BPE") {
    p.model = Pipeline::Model::kBpe;
    auto vocab = vocab_object(m, t, origin, tokens);
    const json* merges = field(m, "merges");
    if (!merges || !merges->is_array()) invalid(origin, "model.merges must be an array");
    const auto bad_merge = [&](size_t k) {
      invalid(origin, "model.merges[" + std::to_string(k) + "] must be \"a b\" or [a, b]");
    };
    std::vector<std::pair<std::string, std::string>> pairs;
    pairs.reserve(t.merges.size());
    for (size_t k = 0; k < t.merges.size(); ++k) {  // entries before the first malformed one keep their index
      if (k == t.bad_merge) bad_merge(k);
      ModelTables::Merge& e = t.merges[k];
      if (e.joined) {
        const size_t sp = e.a.find(' ');
        if (sp == std::string::npos || e.a.find(' ', sp + 1) != std::string::npos) {
          invalid(origin, "model.merges[" + std::to_string(k) + "] must be \"a b\"");
        }
        pairs.emplace_back(e.a.substr(0, sp), e.a.substr(sp + 1));
      } else {
        pairs.emplace_back(std::move(e.a), std::move(e.b));
      }
    }
    if (t.bad_merge != ModelTables::kNone) bad_merge(t.bad_merge);
    BpeOptions o;
    o.unk_token = get_string(m, "unk_token", "", origin, "model");
    o.continuing_subword_prefix = get_string(m, "continuing_subword_prefix", "", origin, "model");
    o.end_of_word_suffix = get_string(m, "end_of_word_suffix", "", origin, "model");
    o.fuse_unk = get_bool(m, "fuse_unk", false, origin, "model");
    o.byte_fallback = get_bool(m, "byte_fallback", false, origin, "model");
    o.ignore_merges = get_bool(m, "ignore_merges", false, origin, "model");
    p.bpe = Bpe(std::move(vocab), pairs, std::move(o), origin);
    impl.unk = p.bpe.unk_id();
  } else if (type == "WordLevel") {
    p.model = Pipeline::Model::kWordLevel;
    p.word_level = vocab_object(m, t, origin, tokens);
    auto it = p.word_level.find(get_string(m, "unk_token", "<unk>", origin, "model"));
    p.word_level_unk = it == p.word_level.end() ? -1 : it->second;
    impl.unk = p.word_level_unk;
  } else if (type == "WordPiece") {
    p.model = Pipeline::Model::kWordPiece;
    auto map = vocab_object(m, t, origin, tokens);
    VocabMap vm(map.begin(), map.end());
    const std::string unk = get_string(m, "unk_token", "[UNK]", origin, "model");
    auto it = vm.find(std::string_view(unk));
    if (it == vm.end()) invalid(origin, "model.unk_token \"" + unk + "\" is not in model.vocab");
    const json* mx = field(m, "max_input_chars_per_word");
    const size_t max_chars = mx && mx->is_number_unsigned() ? mx->get<size_t>() : 100;
    impl.unk = it->second;
    impl.model = WordPiece(std::move(vm), it->second, get_string(m, "continuing_subword_prefix", "##", origin, "model"),
                           max_chars);
  } else {
    invalid(origin, "model.type \"" + type + "\" is not supported (WordPiece, Unigram, BPE, WordLevel)");
  }
}

}  // namespace

bool is_bert_shape(const json& j) {
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    if (it == j.end() || !it->is_object()) return "";
    auto t = it->find("type");
    return t != it->end() && t->is_string() ? t->get<std::string>() : "";
  };
  auto mit = j.find("model");
  const bool wordpiece = mit != j.end() && mit->is_object() &&
                         (!mit->contains("type") || ((*mit)["type"].is_string() && (*mit)["type"] == "WordPiece"));
  auto nit = j.find("normalizer");
  const bool bert_norm = nit == j.end() || nit->is_null() || str("normalizer") == "BertNormalizer";
  return wordpiece && bert_norm && str("pre_tokenizer") == "BertPreTokenizer";
}

void load_pipeline(const json& j, ModelTables& tables, TokenizerData& impl, const std::string& origin) {
  auto p = std::make_shared<Pipeline>();
  auto mit = j.find("model");
  if (mit == j.end() || mit->is_null()) invalid(origin, "model missing");
  parse_model(*mit, tables, impl, *p, origin);
  if (const json* n = field(j, "normalizer")) parse_normalizer(*n, p->normalizers, origin, "normalizer");
  if (const json* pt = field(j, "pre_tokenizer")) parse_pre_tokenizer(*pt, p->pre_tokenizers, origin, "pre_tokenizer");
  if (p->model == Pipeline::Model::kWordPiece) p->wordpiece = &impl.model;
  impl.pipeline = std::move(p);
}

}  // namespace gpuembed::tok
