// Loading a Tokenizer from tokenizer.json, or from vocab.txt + tokenizer_config.json (what transformers'
// BertTokenizerFast builds when tokenizer.json is absent).
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gpuembed/error.h"
#include "model/json_text.h"
#include "model/model_invalid.h"
#include "model/model_source.h"
#include "tokenizer/class_rebuild.h"
#include "tokenizer/pipeline_load.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/utf8.h"

namespace gpuembed {

using nlohmann::json;
using tok::AddedToken;

namespace {

constexpr uint64_t kMaxVocabIds = 1u << 24;  // the largest config.json vocab_size accepted (model_spec.cpp)

std::string type_name(const json& v) { return v.type_name(); }

// Typed field access with messages such as `tokenizer.json: normalizer.lowercase must be a boolean (got string)`.
class Fields {
 public:
  Fields(const json& obj, std::string origin, std::string path)
      : obj_(obj), origin_(std::move(origin)), path_(std::move(path)) {}

  const json* find(const char* key) const {
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }
  std::string name(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

  bool get_bool(const char* key, bool def) const {
    const json* v = find(key);
    if (!v || v->is_null()) return def;
    if (!v->is_boolean()) invalid(origin_, name(key) + " must be a boolean (got " + type_name(*v) + ")");
    return v->get<bool>();
  }
  // -1 for null/absent, else 0/1.
  int get_tristate(const char* key) const {
    const json* v = find(key);
    if (!v || v->is_null()) return -1;
    if (!v->is_boolean()) invalid(origin_, name(key) + " must be a boolean or null (got " + type_name(*v) + ")");
    return v->get<bool>() ? 1 : 0;
  }
  std::string get_string(const char* key, const std::string& def, bool required = false) const {
    const json* v = find(key);
    if (!v || v->is_null()) {
      if (required) invalid(origin_, name(key) + " missing");
      return def;
    }
    if (!v->is_string()) invalid(origin_, name(key) + " must be a string (got " + type_name(*v) + ")");
    return v->get<std::string>();
  }
  int64_t get_uint(const char* key, int64_t def, bool required = false, int64_t max = INT32_MAX) const {
    const json* v = find(key);
    if (!v || v->is_null()) {
      if (required) invalid(origin_, name(key) + " missing");
      return def;
    }
    if (!v->is_number_integer() || (v->is_number_integer() && !v->is_number_unsigned() && v->get<int64_t>() < 0) ||
        v->get<uint64_t>() > static_cast<uint64_t>(max)) {
      invalid(origin_, name(key) + " must be a non-negative integer (got " + v->dump() + ")");
    }
    return v->get<int64_t>();
  }

 private:
  const json& obj_;
  std::string origin_;
  std::string path_;
};

std::u32string decode(const std::string& s) {
  std::u32string out;
  tok::decode_utf8_replace(s, out);
  return out;
}

bool has_whitespace(const std::u32string& s) {
  for (char32_t c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x3000 || c == 0xA0 || (c >= 0x2000 && c <= 0x200A))
      return true;
  }
  return false;
}

// Puts an added token into the raw (matched in the input) or normalized (matched after normalization) list.
// Needs impl->options and strip_accents resolved (finalize() is run again at the end).
void add_token(tok::TokenizerData& impl, AddedToken a, const std::string& origin) {
  if (a.text.empty()) return;  // HF ignores empty added tokens
  a.content = decode(a.text);
  if (a.normalized && impl.pipeline) {
    // HF normalizes the content with the whole normalizer and matches it in the normalized pieces.
    std::string n = a.text;
    impl.pipeline->normalize(n);
    if (n.empty()) return;
    a.content = decode(n);
    impl.normalized_added.push_back(std::move(a));
  } else if (a.normalized) {
    impl.strip_accents = impl.options.strip_accents < 0 ? impl.options.lowercase : impl.options.strip_accents != 0;
    std::u32string n = impl.normalize(a.content);
    // HF matches the normalized content in the normalized text. BertNormalizer may pad CJK characters with
    // spaces; those always surround the character in the text too, so trimming them keeps matches identical.
    size_t b = 0, e = n.size();
    while (b < e && n[b] == ' ') ++b;
    while (e > b && n[e - 1] == ' ') --e;
    n = n.substr(b, e - b);
    if (n.empty()) return;
    if (has_whitespace(n)) {
      invalid(origin, "added token \"" + a.text + "\" (normalized: true) contains whitespace after normalization; "
                      "such tokens are not supported");
    }
    a.content = std::move(n);
    impl.normalized_added.push_back(std::move(a));
  } else {
    impl.raw_added.push_back(std::move(a));
  }
}

int32_t lookup(const tok::TokenizerData& impl, const std::string& token) {
  for (const auto* list : {&impl.raw_added, &impl.normalized_added}) {
    for (const auto& a : *list) {
      if (a.text == token) return a.id;
    }
  }
  if (impl.pipeline) {
    for (size_t id = 0; id < impl.model_tokens.size(); ++id) {
      if (impl.model_tokens[id] == token) return static_cast<int32_t>(id);
    }
    return -1;
  }
  auto it = impl.model.vocab().find(std::string_view(token));
  return it == impl.model.vocab().end() ? -1 : it->second;
}

void parse_bert_normalizer(const json& n, tok::TokenizerData& impl, const std::string& origin) {
  TokenizerOptions& o = impl.options;
  if (n.is_null()) {  // no normalizer at all
    o.clean_text = o.handle_chinese_chars = o.lowercase = false;
    o.strip_accents = 0;
    return;
  }
  if (!n.is_object()) invalid(origin, "normalizer must be an object or null (got " + type_name(n) + ")");
  Fields f(n, origin, "normalizer");
  const std::string type = f.get_string("type", "", true);
  if (type != "BertNormalizer") {
    invalid(origin, "normalizer.type \"" + type + "\" is not supported (only BertNormalizer)");
  }
  o.clean_text = true;  // transformers' BertConverter always builds BertNormalizer(clean_text=True)
  o.handle_chinese_chars = f.get_bool("handle_chinese_chars", true);
  o.strip_accents = f.get_tristate("strip_accents");
  o.lowercase = f.get_bool("lowercase", true);
}

tok::SpecialPiece parse_special_token(const json& specials, const std::string& name, const std::string& origin) {
  auto it = specials.find(name);
  if (it == specials.end() || !it->is_object()) {
    invalid(origin, "post_processor.special_tokens[\"" + name + "\"] missing");
  }
  Fields f(*it, origin, "post_processor.special_tokens[\"" + name + "\"]");
  const json* ids = f.find("ids");
  const json* toks = f.find("tokens");
  if (!ids || !ids->is_array() || !toks || !toks->is_array() || ids->size() != toks->size() || ids->empty()) {
    invalid(origin, f.name("ids") + " / tokens must be non-empty arrays of the same length");
  }
  tok::SpecialPiece p;
  for (size_t k = 0; k < ids->size(); ++k) {
    const json& id = (*ids)[k];
    const json& t = (*toks)[k];
    if (!id.is_number_unsigned() || id.get<uint64_t>() > INT32_MAX || !t.is_string()) {
      invalid(origin, f.name("ids") + " must hold non-negative integers and tokens strings");
    }
    p.ids.push_back(static_cast<int32_t>(id.get<uint64_t>()));
    p.tokens.push_back(t.get<std::string>());
  }
  return p;
}

void parse_post_processor(const json& pp, tok::TokenizerData& impl, const std::string& origin, int depth = 0) {
  if (pp.is_null()) return;  // HF adds nothing
  if (depth > 32) invalid(origin, "post_processor: Sequences nested too deeply");
  if (!pp.is_object()) invalid(origin, "post_processor must be an object or null (got " + type_name(pp) + ")");
  Fields f(pp, origin, "post_processor");
  const std::string type = f.get_string("type", "", true);
  if (type == "ByteLevel") return;  // offsets only: the ids are unchanged
  if (type == "Sequence") {
    const json* list = f.find("processors");
    if (!list || !list->is_array()) invalid(origin, "post_processor.processors must be an array");
    for (const json& p : *list) parse_post_processor(p, impl, origin, depth + 1);
    return;
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    auto piece = [&](const char* key) {
      const json* v = f.find(key);
      if (!v || !v->is_array() || v->size() != 2 || !(*v)[0].is_string() || !(*v)[1].is_number_unsigned() ||
          (*v)[1].get<uint64_t>() > INT32_MAX) {
        invalid(origin, f.name(key) + " must be [token, id]");
      }
      tok::SpecialPiece p;
      p.tokens.push_back((*v)[0].get<std::string>());
      p.ids.push_back(static_cast<int32_t>((*v)[1].get<uint64_t>()));
      return p;
    };
    impl.prefix.clear();
    impl.suffix.clear();
    impl.prefix.push_back(piece("cls"));
    impl.suffix.push_back(piece("sep"));
    return;
  }
  if (type != "TemplateProcessing") {
    invalid(origin, "post_processor.type \"" + type + "\" is not supported (TemplateProcessing, BertProcessing, "
                    "RobertaProcessing, ByteLevel, Sequence)");
  }
  const json* single = f.find("single");
  const json* specials = f.find("special_tokens");
  if (!single || !single->is_array()) invalid(origin, "post_processor.single missing or not an array");
  if (!specials || !specials->is_object()) invalid(origin, "post_processor.special_tokens missing or not an object");
  impl.prefix.clear();
  impl.suffix.clear();
  bool seen_sequence = false;
  for (const json& item : *single) {
    if (!item.is_object() || item.size() != 1) invalid(origin, "post_processor.single has a malformed piece");
    if (item.contains("Sequence")) {
      const json& s = item["Sequence"];
      if (!s.is_object() || !s.contains("id") || !s["id"].is_string() || s["id"].get<std::string>() != "A" ||
          seen_sequence) {
        invalid(origin, "post_processor.single must contain the sequence $A exactly once");
      }
      seen_sequence = true;
    } else if (item.contains("SpecialToken")) {
      const json& s = item["SpecialToken"];
      if (!s.is_object() || !s.contains("id") || !s["id"].is_string()) {
        invalid(origin, "post_processor.single has a SpecialToken without an id");
      }
      auto p = parse_special_token(*specials, s["id"].get<std::string>(), origin);
      (seen_sequence ? impl.suffix : impl.prefix).push_back(std::move(p));
    } else {
      invalid(origin, "post_processor.single has a malformed piece");
    }
  }
  if (!seen_sequence) invalid(origin, "post_processor.single must contain the sequence $A exactly once");
}

// cls/sep/pad/unk ids: the template's first and last special token where there is one, else the vocabulary.
void resolve_special_ids(tok::TokenizerData& impl) {
  TokenizerOptions& o = impl.options;
  if (!impl.prefix.empty()) o.cls_token = impl.prefix.front().tokens.front();
  if (!impl.suffix.empty()) o.sep_token = impl.suffix.back().tokens.back();
  impl.cls = impl.prefix.empty() ? lookup(impl, o.cls_token) : impl.prefix.front().ids.front();
  impl.sep = impl.suffix.empty() ? lookup(impl, o.sep_token) : impl.suffix.back().ids.back();
  impl.pad = lookup(impl, o.pad_token);
  if (!impl.pipeline) impl.unk = impl.model.unk_id();
}

// tokenizer.json / vocab.txt / tokenizer_config.json, up to the tokenizer files' limit (model/model_source.h).
std::string read_file(const std::filesystem::path& p) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(p, ec);
  if (!ec) check_text_size(p.string(), size, TextFile::kTokenizer);
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error(ErrorCode::kModelNotFound, p.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(ErrorCode::kModelNotFound, p.string() + ": read error");
  return ss.str();
}

}  // namespace

Tokenizer Tokenizer::from_tokenizer_json(std::string_view text, const std::string& origin,
                                          std::string_view tokenizer_config_json) {
  ModelTables tables;  // model.vocab and model.merges, which the tree holds as empty containers
  json j = parse_tokenizer_json(text, origin, tables);
  if (!j.is_object()) invalid(origin, "top level must be a JSON object (got " + type_name(j) + ")");
  tok::rebuild_as_class(j, tokenizer_config_json);
  auto impl = std::make_unique<Impl>();
  TokenizerOptions& o = impl->options;

  if (!tok::is_bert_shape(j)) {
    tok::load_pipeline(j, tables, *impl, origin);
  } else {
  // model
  auto mit = j.find("model");
  if (mit == j.end() || mit->is_null()) invalid(origin, "model missing");
  if (!mit->is_object()) invalid(origin, "model must be an object (got " + type_name(*mit) + ")");
  Fields m(*mit, origin, "model");
  const std::string type = m.get_string("type", "WordPiece");
  if (type != "WordPiece") invalid(origin, "model.type \"" + type + "\" is not supported (only WordPiece)");
  const json* vocab = m.find("vocab");
  if (!vocab || vocab->is_null()) invalid(origin, "model.vocab missing");
  if (!vocab->is_object()) invalid(origin, "model.vocab must be an object of token -> id (got " + type_name(*vocab) + ")");
  if (tables.vocab_ids.empty()) invalid(origin, "model.vocab is empty");
  tok::VocabMap map;
  map.reserve(tables.vocab_ids.size());
  size_t max_id = 0;
  for (const auto& [key, id] : tables.vocab_ids) {
    if (!id.is_number_unsigned() || id.get<uint64_t>() > INT32_MAX) {
      invalid(origin, "model.vocab[\"" + key + "\"] must be a non-negative integer id (got " + id.dump() + ")");
    }
    // id -> token is a dense table (model_tokens), so an id is also bounded by what a model can hold: config.json's
    // vocab_size is at most 2^24. Without this a 60-byte file with one id of 2^31-1 asked for a 64 GiB table.
    if (id.get<uint64_t>() >= kMaxVocabIds) {
      invalid(origin, "model.vocab[\"" + key + "\"] id " + id.dump() + " is beyond the largest supported vocabulary (" +
                          std::to_string(kMaxVocabIds) + " ids)");
    }
    const auto v = static_cast<int32_t>(id.get<uint64_t>());
    max_id = std::max(max_id, static_cast<size_t>(v));
    map[key] = v;
  }
  o.unk_token = m.get_string("unk_token", "[UNK]");
  o.continuing_subword_prefix = m.get_string("continuing_subword_prefix", "##");
  o.max_input_chars_per_word = static_cast<int>(m.get_uint("max_input_chars_per_word", 100));
  auto unk = map.find(std::string_view(o.unk_token));
  if (unk == map.end()) invalid(origin, "model.unk_token \"" + o.unk_token + "\" is not in model.vocab");
  impl->model_tokens.assign(max_id + 1, std::string());
  for (const auto& [token, id] : map) impl->model_tokens[static_cast<size_t>(id)] = token;
  const int32_t unk_id = unk->second;
  impl->model = tok::WordPiece(std::move(map), unk_id, o.continuing_subword_prefix,
                               static_cast<size_t>(o.max_input_chars_per_word));

  // normalizer, pre_tokenizer
  auto nit = j.find("normalizer");
  parse_bert_normalizer(nit == j.end() ? json(nullptr) : *nit, *impl, origin);
  auto pit = j.find("pre_tokenizer");
  if (pit == j.end() || pit->is_null()) invalid(origin, "pre_tokenizer missing (only BertPreTokenizer is supported)");
  if (!pit->is_object()) invalid(origin, "pre_tokenizer must be an object (got " + type_name(*pit) + ")");
  const std::string pre = Fields(*pit, origin, "pre_tokenizer").get_string("type", "", true);
  if (pre != "BertPreTokenizer") {
    invalid(origin, "pre_tokenizer.type \"" + pre + "\" is not supported (only BertPreTokenizer)");
  }
  }  // BERT shape

  // post_processor
  auto ppit = j.find("post_processor");
  parse_post_processor(ppit == j.end() ? json(nullptr) : *ppit, *impl, origin);

  // added_tokens ("truncation" and "padding" are deliberately ignored)
  auto ait = j.find("added_tokens");
  if (ait != j.end() && !ait->is_null()) {
    if (!ait->is_array()) invalid(origin, "added_tokens must be an array (got " + type_name(*ait) + ")");
    for (size_t k = 0; k < ait->size(); ++k) {
      const json& t = (*ait)[k];
      const std::string path = "added_tokens[" + std::to_string(k) + "]";
      if (!t.is_object()) invalid(origin, path + " must be an object");
      Fields f(t, origin, path);
      AddedToken a;
      a.id = static_cast<int32_t>(f.get_uint("id", 0, true));
      a.text = f.get_string("content", "", true);
      a.special = f.get_bool("special", false);
      a.single_word = f.get_bool("single_word", false);
      a.lstrip = f.get_bool("lstrip", false);
      a.rstrip = f.get_bool("rstrip", false);
      a.normalized = f.get_bool("normalized", !a.special);
      add_token(*impl, std::move(a), origin);
    }
  }
  impl->finalize();
  if (impl->pipeline) {
    // The pad token: tokenizer.json's padding block where there is one, else the usual names.
    o.pad_token = "";
    auto pad = j.find("padding");
    if (pad != j.end() && pad->is_object() && pad->contains("pad_token") && (*pad)["pad_token"].is_string()) {
      o.pad_token = (*pad)["pad_token"].get<std::string>();
    }
    for (const char* name : {"<pad>", "[PAD]", "<|padding|>"}) {
      if (o.pad_token.empty() && lookup(*impl, name) >= 0) o.pad_token = name;
    }
    if (impl->unk >= 0 && static_cast<size_t>(impl->unk) < impl->model_tokens.size()) {
      o.unk_token = impl->model_tokens[static_cast<size_t>(impl->unk)];
    }
  }
  resolve_special_ids(*impl);
  return Tokenizer(std::move(impl));
}

Tokenizer Tokenizer::from_vocab(std::string_view vocab_txt, std::string_view tokenizer_config_json,
                                const std::string& origin) {
  std::string config_origin = "tokenizer_config.json";
  if (origin.size() >= 9 && origin.compare(origin.size() - 9, 9, "vocab.txt") == 0) {
    config_origin = origin.substr(0, origin.size() - 9) + config_origin;
  }
  auto impl = std::make_unique<Impl>();
  TokenizerOptions& o = impl->options;

  // tokenizer_config.json (optional): what transformers' BertTokenizerFast reads.
  json cfg = json::object();
  if (tokenizer_config_json.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    cfg = parse_json(tokenizer_config_json, config_origin);
    if (!cfg.is_object()) invalid(config_origin, "top level must be a JSON object (got " + type_name(cfg) + ")");
  }
  Fields f(cfg, config_origin, "");
  o.lowercase = f.get_bool("do_lower_case", true);
  o.handle_chinese_chars = f.get_bool("tokenize_chinese_chars", true);
  o.strip_accents = f.get_tristate("strip_accents");
  o.clean_text = true;  // transformers' BertConverter always builds BertNormalizer(clean_text=True)
  auto token_field = [&](const char* key, const std::string& def) -> std::string {
    const json* v = f.find(key);
    if (!v || v->is_null()) return def;
    if (v->is_string()) return v->get<std::string>();
    if (v->is_object() && v->contains("content") && (*v)["content"].is_string()) return (*v)["content"].get<std::string>();
    invalid(config_origin, std::string(key) + " must be a string or an AddedToken object");
  };
  o.unk_token = token_field("unk_token", "[UNK]");
  o.sep_token = token_field("sep_token", "[SEP]");
  o.pad_token = token_field("pad_token", "[PAD]");
  o.cls_token = token_field("cls_token", "[CLS]");
  const std::string mask_token = token_field("mask_token", "[MASK]");

  // vocab.txt: one token per line, id = line number. Python reads it in text mode (universal newlines: \n, \r\n
  // and \r all end a line) and strips the newline only, so other whitespace stays part of the token.
  tok::VocabMap map;
  std::vector<std::string>& tokens = impl->model_tokens;
  size_t pos = 0;
  const size_t n = vocab_txt.size();
  while (pos < n) {
    size_t end = pos;
    while (end < n && vocab_txt[end] != '\n' && vocab_txt[end] != '\r') ++end;
    tokens.emplace_back(vocab_txt.substr(pos, end - pos));
    if (end < n && vocab_txt[end] == '\r' && end + 1 < n && vocab_txt[end + 1] == '\n') ++end;
    pos = end + 1;
  }
  if (tokens.empty()) invalid(origin, "empty vocabulary");
  map.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) map[tokens[i]] = static_cast<int32_t>(i);  // a later duplicate wins
  auto unk = map.find(std::string_view(o.unk_token));
  if (unk == map.end()) invalid(origin, "unk_token \"" + o.unk_token + "\" is not in the vocabulary");
  const int32_t unk_id = unk->second;
  const size_t model_size = map.size();
  impl->model = tok::WordPiece(std::move(map), unk_id, o.continuing_subword_prefix,
                               static_cast<size_t>(o.max_input_chars_per_word));

  // Added tokens: added_tokens_decoder when the config has one, else the special tokens (never normalized).
  const json* decoder = f.find("added_tokens_decoder");
  if (decoder && decoder->is_object()) {
    for (auto it = decoder->begin(); it != decoder->end(); ++it) {
      const std::string path = "added_tokens_decoder[\"" + it.key() + "\"]";
      if (!it.value().is_object()) invalid(config_origin, path + " must be an object");
      Fields t(it.value(), config_origin, path);
      AddedToken a;
      try {
        size_t used = 0;
        const long id = std::stol(it.key(), &used);
        if (used != it.key().size() || id < 0 || id > INT32_MAX) throw std::invalid_argument("id");
        a.id = static_cast<int32_t>(id);
      } catch (const std::exception&) {
        invalid(config_origin, path + ": the key must be a token id");
      }
      a.text = t.get_string("content", "", true);
      a.special = t.get_bool("special", false);
      a.single_word = t.get_bool("single_word", false);
      a.lstrip = t.get_bool("lstrip", false);
      a.rstrip = t.get_bool("rstrip", false);
      a.normalized = t.get_bool("normalized", !a.special);
      add_token(*impl, std::move(a), config_origin);
    }
  } else {
    std::vector<std::string> specials = {o.unk_token, o.sep_token, o.pad_token, o.cls_token, mask_token};
    if (const json* extra = f.find("additional_special_tokens"); extra && extra->is_array()) {
      for (const json& e : *extra) {
        if (e.is_string()) specials.push_back(e.get<std::string>());
        else if (e.is_object() && e.contains("content") && e["content"].is_string())
          specials.push_back(e["content"].get<std::string>());
      }
    }
    int32_t next_id = static_cast<int32_t>(model_size);  // HF gives tokens missing from the vocabulary new ids
    for (const std::string& s : specials) {
      if (s.empty()) continue;
      bool dup = false;
      for (const auto& a : impl->raw_added) dup = dup || a.text == s;
      if (dup) continue;
      AddedToken a;
      a.text = s;
      a.special = true;
      a.normalized = false;
      auto v = impl->model.vocab().find(std::string_view(s));
      if (v != impl->model.vocab().end()) {
        a.id = v->second;
      } else {
        a.id = next_id++;
      }
      add_token(*impl, std::move(a), config_origin);
    }
  }
  impl->finalize();

  // Post-processor: BertProcessing [CLS] $A [SEP] with ids from the vocabulary.
  for (const auto& [name, token] : {std::pair<const char*, std::string>{"cls_token", o.cls_token},
                                    std::pair<const char*, std::string>{"sep_token", o.sep_token}}) {
    const int32_t id = lookup(*impl, token);
    if (id < 0) invalid(origin, std::string(name) + " \"" + token + "\" is not in the vocabulary");
    tok::SpecialPiece p;
    p.ids.push_back(id);
    p.tokens.push_back(token);
    (std::string(name) == "cls_token" ? impl->prefix : impl->suffix).push_back(std::move(p));
  }
  impl->finalize();
  resolve_special_ids(*impl);
  return Tokenizer(std::move(impl));
}

Tokenizer Tokenizer::from_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw Error(ErrorCode::kModelNotFound, dir.string() + ": tokenizer folder not found");
  }
  const auto tj = dir / "tokenizer.json";
  const auto cfg = dir / "tokenizer_config.json";
  const std::string config = std::filesystem::is_regular_file(cfg, ec) ? read_file(cfg) : std::string();
  if (std::filesystem::is_regular_file(tj, ec)) return from_tokenizer_json(read_file(tj), tj.string(), config);
  const auto vt = dir / "vocab.txt";
  if (std::filesystem::is_regular_file(vt, ec)) {
    return from_vocab(read_file(vt), config, vt.string());
  }
  throw Error(ErrorCode::kModelNotFound, dir.string() + ": neither tokenizer.json nor vocab.txt found");
}

}  // namespace gpuembed
