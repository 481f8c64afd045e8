#pragma once
// JSON text -> nlohmann::json, the one way the loaders parse. A single input type (a pointer range) also means a
// single instantiation of nlohmann's parser and lexer in the WASM module, not one per string type (json_text.cpp).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace gpuembed {

// Not JSON: kModelInvalid naming `origin` (the file), `what` and nlohmann's reason.
nlohmann::json parse_json(std::string_view text, const std::string& origin, const char* what = "invalid JSON");

// Not JSON: a discarded value (is_discarded()), for optional files whose damage is not an error.
nlohmann::json parse_json_or_discarded(std::string_view text);

}  // namespace gpuembed
