#include "cli/text_input.h"

#include <nlohmann/json.hpp>

#include "gpuembed/error.h"

namespace gpuembed::cli {

InputFormat parse_input_format(const std::string& name) {
  if (name == "auto") return InputFormat::kAuto;
  if (name == "lines") return InputFormat::kLines;
  if (name == "jsonl") return InputFormat::kJsonl;
  throw Error(ErrorCode::kInvalidInput, "unknown input format '" + name + "' (auto, lines, jsonl)");
}

TextReader::TextReader(std::istream& in, InputFormat format, std::string origin)
    : in_(in), format_(format), origin_(std::move(origin)) {}

bool TextReader::next_chunk(size_t max, std::vector<std::string>& out) {
  std::string line;
  size_t got = 0;
  while (got < max && std::getline(in_, line)) {
    ++line_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (format_ == InputFormat::kAuto) {
      // The first line decides: a JSON object means JSON Lines for the whole input.
      format_ = (!line.empty() && line.front() == '{') ? InputFormat::kJsonl : InputFormat::kLines;
    }
    if (format_ == InputFormat::kLines) {
      out.push_back(std::move(line));
    } else {
      if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines separate nothing
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorCode::kInvalidInput, origin_ + ":" + std::to_string(line_) + ": invalid JSON (" + e.what() + ")");
      }
      if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) {
        throw Error(ErrorCode::kInvalidInput, origin_ + ":" + std::to_string(line_) + ": expected {\"text\": \"...\"}");
      }
      out.push_back(j["text"].get<std::string>());
    }
    ++got;
  }
  return got > 0;
}

}  // namespace gpuembed::cli
