#include "cli/text_input.h"

#include <nlohmann/json.hpp>

#include "api/pipeline.h"
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

namespace {

// std::getline with a bound: a line longer than `max` bytes is an error as soon as the bound is passed, so that an
// endless line (e.g. `gpuembed embed < /dev/zero`) cannot take all memory. Same results as getline otherwise.
bool getline_bounded(std::istream& in, std::string& line, size_t max, const std::string& origin, size_t line_no) {
  line.clear();
  std::istream::sentry guard(in, true);
  if (!guard) return false;
  std::streambuf* sb = in.rdbuf();
  for (;;) {
    const int c = sb->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(line.empty() ? (std::ios::eofbit | std::ios::failbit) : std::ios::eofbit);
      return !line.empty();
    }
    if (c == '\n') return true;
    if (line.size() >= max) {
      throw Error(ErrorCode::kInvalidInput, origin + ":" + std::to_string(line_no) + ": line longer than " +
                                                std::to_string(max) + " bytes (the text limit is " +
                                                std::to_string(kMaxTextBytes) + " bytes)");
    }
    line.push_back(static_cast<char>(c));
  }
}

}  // namespace

bool TextReader::next_chunk(size_t max, std::vector<std::string>& out) {
  std::string line;
  size_t got = 0;
  if (format_ == InputFormat::kAuto) {
    // The first line decides: a JSON object means JSON Lines for the whole input. Its first byte is enough, and
    // deciding before reading lets the line bound below be the right one.
    format_ = in_.peek() == '{' ? InputFormat::kJsonl : InputFormat::kLines;
  }
  // A text may hold kMaxTextBytes; a line may add a '\r', and a JSON line its escapes (at most 6 bytes per byte).
  const size_t max_line = format_ == InputFormat::kLines ? kMaxTextBytes + 1 : 6 * kMaxTextBytes + 4096;
  while (got < max && getline_bounded(in_, line, max_line, origin_, line_ + 1)) {
    ++line_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
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
