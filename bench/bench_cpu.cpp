// Our side of the CPU benchmark: the public API end to end (text in, pooled + normalized vectors out) on
// the texts of bench/inputs.json, the same the peers get. Prints one JSON object; bench/run_cpu.sh
// puts it next to the peers' numbers measured in the same run.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gpuembed/gpuembed.h"
#include "split_list.h"

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  std::string model = ".cache/models/minilm-l6-random", inputs_path = "bench/inputs.json", cases = "short,b32x128";
  std::string precision = "fp32", golden_path;
  int threads = 2, repeats = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model = v;
    else if (k == "--inputs") inputs_path = v;
    else if (k == "--cases") cases = v;
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--repeats") repeats = std::stoi(v);
    else if (k == "--precision") precision = v;
    else if (k == "--golden") golden_path = v;
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  std::ifstream in(inputs_path);
  if (!in) { std::fprintf(stderr, "cannot open %s\n", inputs_path.c_str()); return 2; }
  const nlohmann::json inputs = nlohmann::json::parse(in);

  gpuembed::Options o;
  o.threads = threads;
  o.precision = precision == "bf16"   ? gpuembed::Precision::kBFloat16
                : precision == "int8" ? gpuembed::Precision::kInt8
                                      : gpuembed::Precision::kFloat32;
  o.max_seq_length = 512;  // the s512 cases run 512 tokens, as the peers do; shorter inputs are unaffected
  o.max_batch = 256;       // one forward pass per case, as the peers run them

  nlohmann::json result;
  auto t0 = Clock::now();
  gpuembed::Embedder e = gpuembed::Embedder::load(model, o);
  const double load_ms = ms_since(t0);
  t0 = Clock::now();
  e.embed("The quick brown fox jumps over the lazy dog.");
  result["cold_ms"] = {{"load", load_ms}, {"first_embed", ms_since(t0)}};
  result["backend"] = e.info().backend;
  result["threads"] = threads;
  result["precision"] = e.info().precision;

  for (const std::string& name : split_list(cases)) {
    const auto& c = inputs.at("cases").at(name);
    const auto texts = c.at("texts").get<std::vector<std::string>>();
    size_t tokens = 0;
    for (const auto& t : texts) tokens += e.tokenize(t).ids.size();
    const int reps = repeats > 0 ? repeats : (tokens < 1000 ? 50 : tokens < 20000 ? 7 : 3);
    e.embed_batch(texts);  // warm-up
    std::vector<double> times;
    for (int r = 0; r < reps; ++r) {
      t0 = Clock::now();
      e.embed_batch(texts);
      times.push_back(ms_since(t0));
    }
    std::sort(times.begin(), times.end());
    result["cases"][name] = {{"median_ms", times[times.size() / 2]}, {"min_ms", times.front()},
                             {"repeats", reps}, {"texts", texts.size()}, {"tokens", tokens}};
  }

  if (!golden_path.empty()) {  // accuracy of this precision against sentence-transformers
    std::ifstream gin(golden_path);
    const nlohmann::json g = nlohmann::json::parse(gin);
    std::vector<std::string> texts;
    for (const auto& s : g["sentences"]) texts.push_back(s["text"]);
    gpuembed::Options go = o;
    go.max_seq_length = 0;
    gpuembed::Embedder ge = gpuembed::Embedder::load(model, go);
    const auto v = ge.embed_batch(texts);
    const size_t d = ge.dimension();
    double max_abs = 0, min_cos = 1;
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto ref = g["sentences"][i]["embedding"].get<std::vector<float>>();
      for (size_t k = 0; k < d; ++k) max_abs = std::max(max_abs, std::abs(double(v[i * d + k]) - ref[k]));
      min_cos = std::min(min_cos, double(gpuembed::cosine_similarity(&v[i * d], ref.data(), d)));
    }
    result["golden"] = {{"sentences", texts.size()}, {"max_abs_error", max_abs}, {"min_cosine", min_cos}};
  }
  std::printf("%s\n", result.dump(1).c_str());
  return 0;
}
