// Tokenizes JSON-string lines from stdin with a tokenizer.json and prints one line of space-separated ids per input
// (the gpuembed side of tools/tokenizer_diff.py, the differential test against HF tokenizers).
//   tokenize_lines TOKENIZER_JSON [MAX_LENGTH [ROUNDS]] < texts.jsonl
// With ROUNDS, encodes all texts that many times on one thread and prints only the seconds taken (bench).
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "gpuembed/error.h"
#include "tokenizer/tokenizer.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: tokenize_lines TOKENIZER_JSON [MAX_LENGTH] < texts.jsonl\n";
    return 2;
  }
  try {
    std::ifstream in(argv[1], std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const auto t = gpuembed::Tokenizer::from_tokenizer_json(ss.str(), argv[1]);
    const size_t max_length = argc > 2 ? std::stoul(argv[2]) : 0;
    std::string line, out;
    if (argc > 3) {
      std::vector<std::string> texts;
      while (std::getline(std::cin, line)) texts.push_back(nlohmann::json::parse(line).get<std::string>());
      const int rounds = std::stoi(argv[3]);
      size_t n = 0;
      const auto start = std::chrono::steady_clock::now();
      for (int r = 0; r < rounds; ++r) {
        for (const auto& text : texts) n += t.encode_ids(text, max_length).size();
      }
      const std::chrono::duration<double> s = std::chrono::steady_clock::now() - start;
      std::cout << s.count() << " " << n << "\n";
      return 0;
    }
    while (std::getline(std::cin, line)) {
      const auto text = nlohmann::json::parse(line).get<std::string>();
      out.clear();
      for (int32_t id : t.encode_ids(text, max_length)) {
        if (!out.empty()) out.push_back(' ');
        out += std::to_string(id);
      }
      std::cout << out << '\n';
    }
  } catch (const std::exception& e) {
    std::cerr << "tokenize_lines: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
