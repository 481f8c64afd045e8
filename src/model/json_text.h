#pragma once
// JSON text -> nlohmann::json, the one way the loaders parse: one SAX handler (json_text.cpp) builds every tree, so
// the WASM module holds a single instantiation of nlohmann's parser and lexer.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gpuembed {

// Not JSON: kModelInvalid naming `origin` (the file), `what` and nlohmann's reason.
nlohmann::json parse_json(std::string_view text, const std::string& origin, const char* what = "invalid JSON");

// Not JSON: a discarded value (is_discarded()), for optional files whose damage is not an error.
nlohmann::json parse_json_or_discarded(std::string_view text);

// tokenizer.json's two large members, model.vocab and model.merges, read straight into flat tables instead of into
// the tree: a multilingual vocabulary has a quarter of a million entries, and building (then walking) a tree node,
// string and number per entry was most of a model load in the WebAssembly module (bench/RESULTS.md, "Model load time
// in WASM"). The tree keeps an empty container of the same kind at those two places, so what reads the rest of the
// file (type guesses, shapes, error messages) sees them as before; their contents come from here.
struct ModelTables {
  static constexpr size_t kNone = static_cast<size_t>(-1);
  enum class Kind { kAbsent, kObject, kArray };  // what model.vocab / model.merges were (a scalar stays in the tree)

  Kind vocab_kind = Kind::kAbsent;
  // model.vocab as an object (WordPiece, BPE, WordLevel): key -> its value as written (ids are validated by the
  // model's reader); a nested container is kept as null. In file order, a repeated key more than once.
  std::vector<std::pair<std::string, nlohmann::json>> vocab_ids;
  // model.vocab as an array (Unigram): the [piece, score] entries; `vocab_entries` counts every entry and
  // `bad_piece` is the index of the first one of another shape.
  std::vector<std::pair<std::string, double>> pieces;
  size_t vocab_entries = 0, bad_piece = kNone;

  Kind merges_kind = Kind::kAbsent;
  struct Merge {
    std::string a, b;
    bool joined = false;  // written as one string "a b" (in `a`, split by the reader, which checks its spaces)
  };
  std::vector<Merge> merges;
  size_t bad_merge = kNone;  // index of the first entry that is neither a string nor [a, b]
};

// parse_json() of a tokenizer.json, with model.vocab and model.merges in `tables`.
nlohmann::json parse_tokenizer_json(std::string_view text, const std::string& origin, ModelTables& tables);

}  // namespace gpuembed
