#pragma once
// The evaluation set of tests/eval (sentence pairs with graded similarity, queries over passages), the
// sentence-transformers reference scores stored beside it, and the figures reported for it (Spearman, recall@k).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_paths.h"

namespace gpuembed::test {

inline std::filesystem::path eval_dir() { return std::filesystem::path(GPUEMBED_SOURCE_DIR) / "tests" / "eval"; }

// Rows of a tab-separated file, '#' lines skipped; every row must have `columns` fields.
inline std::vector<std::vector<std::string>> read_tsv(const std::string& name, size_t columns) {
  std::ifstream in(eval_dir() / name);
  if (!in) throw std::runtime_error("cannot open " + (eval_dir() / name).string());
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, '\t');) f.push_back(x);
    if (f.size() != columns) throw std::runtime_error(name + ": a row without " + std::to_string(columns) + " fields: " + line);
    rows.push_back(std::move(f));
  }
  return rows;
}

struct EvalSet {
  std::vector<int> grades;
  std::vector<std::string> a, b;              // pair texts
  std::vector<std::string> passage_ids, passages;
  std::vector<std::string> query_targets, queries;
  nlohmann::json reference;
};

inline EvalSet eval_set(const std::string& model) {
  EvalSet e;
  for (const auto& r : read_tsv("pairs.tsv", 3)) {
    e.grades.push_back(std::stoi(r[0]));
    e.a.push_back(r[1]);
    e.b.push_back(r[2]);
  }
  for (const auto& r : read_tsv("passages.tsv", 3)) {
    e.passage_ids.push_back(r[0]);
    e.passages.push_back(r[2]);
  }
  for (const auto& r : read_tsv("queries.tsv", 2)) {
    e.query_targets.push_back(r[0]);
    e.queries.push_back(r[1]);
  }
  std::ifstream in(eval_dir() / (model + ".reference.json"));
  if (!in) throw std::runtime_error("cannot open the reference scores of " + model);
  e.reference = nlohmann::json::parse(in);
  return e;
}

inline double dot(const float* x, const float* y, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double(x[i]) * y[i];
  return s;
}
inline double cosine(const float* x, const float* y, size_t n) {
  return dot(x, y, n) / std::max(std::sqrt(dot(x, x, n) * dot(y, y, n)), 1e-30);
}

// Average ranks for ties, as Spearman's rho defines them.
inline std::vector<double> ranks(const std::vector<double>& x) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return x[i] < x[j]; });
  std::vector<double> r(x.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[order[k]] = (i + j) / 2.0;
    i = j + 1;
  }
  return r;
}
inline double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / x.size();
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / y.size();
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}
inline double spearman(const std::vector<double>& x, const std::vector<double>& y) { return pearson(ranks(x), ranks(y)); }

// 0-based rank of `target` among `scores` (higher first; an equal score ranks ahead of the target).
inline size_t rank_of(const std::vector<double>& scores, size_t target) {
  size_t r = 0;
  for (size_t i = 0; i < scores.size(); ++i) r += (i != target && scores[i] >= scores[target]);
  return r;
}

// Pairs (i, j) that the reference orders with a margin above `tie` must keep that order; returns the count of
// pairs that do not.
inline size_t order_violations(const std::vector<double>& ours, const std::vector<double>& ref, double tie) {
  size_t bad = 0;
  for (size_t i = 0; i < ref.size(); ++i)
    for (size_t j = 0; j < ref.size(); ++j) bad += (ref[i] > ref[j] + tie && !(ours[i] > ours[j]));
  return bad;
}

}  // namespace gpuembed::test
