#pragma once
// JSON text -> nlohmann::json, the one way the loaders parse. A single input type (a pointer range) also means a
// single instantiation of nlohmann's parser and lexer in the WASM module, not one per string type.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "model/model_invalid.h"

namespace gpuembed {

// Not JSON: kModelInvalid naming `origin` (the file), `what` and nlohmann's reason.
inline nlohmann::json parse_json(std::string_view text, const std::string& origin, const char* what = "invalid JSON") {
  try {
    return nlohmann::json::parse(text.data(), text.data() + text.size());
  } catch (const nlohmann::json::exception& e) {
    invalid(origin, std::string(what) + ": " + e.what());
  }
}

// Not JSON: a discarded value (is_discarded()), for optional files whose damage is not an error.
inline nlohmann::json parse_json_or_discarded(std::string_view text) {
  return nlohmann::json::parse(text.data(), text.data() + text.size(), nullptr, false);
}

}  // namespace gpuembed
