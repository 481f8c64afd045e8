#pragma once
// Reads tests/golden/<model>.shared.json (sentence-transformers CPU float32 references).
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_paths.h"

namespace gpuembed::test {

struct GoldenSentence {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
  std::vector<float> embedding;
};

struct Golden {
  nlohmann::json raw;
  std::vector<GoldenSentence> sentences;
};

inline const Golden& golden(const std::string& model) {
  static std::map<std::string, Golden> cache;
  auto it = cache.find(model);
  if (it != cache.end()) return it->second;
  Golden g;
  std::ifstream in(golden_file(model));
  if (!in) throw std::runtime_error("cannot open " + golden_file(model).string());
  g.raw = nlohmann::json::parse(in);
  for (const auto& s : g.raw["sentences"]) {
    GoldenSentence gs;
    gs.text = s["text"].get<std::string>();
    gs.ids = s["input_ids"].get<std::vector<int32_t>>();
    gs.tokens = s["tokens"].get<std::vector<std::string>>();
    gs.embedding = s["embedding"].get<std::vector<float>>();
    g.sentences.push_back(std::move(gs));
  }
  return cache.emplace(model, std::move(g)).first->second;
}

}  // namespace gpuembed::test
