#pragma once
// Reads texts for the CLI in chunks so that any number of inputs runs in bounded memory:
// one text per line, or JSON Lines ({"text": "..."} per line) so texts may hold newlines.
#include <istream>
#include <string>
#include <vector>

namespace gpuembed::cli {

enum class InputFormat { kAuto, kLines, kJsonl };

class TextReader {
 public:
  TextReader(std::istream& in, InputFormat format, std::string origin);
  // Appends up to `max` texts; returns false when the input is exhausted and nothing was read.
  bool next_chunk(size_t max, std::vector<std::string>& out);
  size_t line_number() const { return line_; }

 private:
  std::istream& in_;
  InputFormat format_;
  std::string origin_;
  size_t line_ = 0;
};

InputFormat parse_input_format(const std::string& name);

}  // namespace gpuembed::cli
