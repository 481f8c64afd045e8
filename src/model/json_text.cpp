#include "model/json_text.h"

#include "model/model_invalid.h"

namespace gpuembed {

nlohmann::json parse_json(std::string_view text, const std::string& origin, const char* what) {
  try {
    return nlohmann::json::parse(text.data(), text.data() + text.size());
  } catch (const nlohmann::json::exception& e) {
    invalid(origin, std::string(what) + ": " + e.what());
  }
}

nlohmann::json parse_json_or_discarded(std::string_view text) {
  return nlohmann::json::parse(text.data(), text.data() + text.size(), nullptr, false);
}

}  // namespace gpuembed
