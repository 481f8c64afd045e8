// gpuembed command-line tool: embed, tokenize, similarity, info.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/quantize.h"
#include "cli/text_input.h"
#include "cli/vector_output.h"
#include "gpuembed/gpuembed.h"
#include "gpuembed/index.h"

namespace {

using namespace gpuembed;

struct Common {
  std::string model;
  int threads = 0;
  size_t batch = 32;
  std::string precision = "fp32";
  bool normalize = false, no_normalize = false;
  std::string input = "-";
  std::string input_format = "auto";
  size_t truncate_dim = 0;
  std::optional<std::string> prompt_name, prompt_text;

  void add_model(CLI::App* app) {
    app->add_option("-m,--model", model, "Hugging Face model folder (default: $GPUEMBED_MODEL)");
    app->add_option("-t,--threads", threads, "CPU threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  }
  // Options of sentence-transformers models: prompts (config_sentence_transformers.json) and Matryoshka truncation.
  void add_prompt(CLI::App* app) {
    auto* name = app->add_option("--prompt", prompt_name, "name of a prompt of the model (default: its default_prompt_name)");
    app->add_option("--prompt-text", prompt_text, "literal prompt text to prepend instead ('' for none)")->excludes(name);
  }
  void add_truncate(CLI::App* app) {
    app->add_option("--truncate-dim", truncate_dim, "keep the first N dimensions (Matryoshka; with --normalize: unit "
                                                    "length after the cut)")->check(CLI::PositiveNumber);
  }
  EmbedOptions embed_options() const { return EmbedOptions{prompt_name, prompt_text}; }
  void add_inputs(CLI::App* app) {
    app->add_option("-i,--input", input, "input file, '-' for stdin");
    app->add_option("--input-format", input_format, "lines | jsonl ({\"text\": ...} per line) | auto");
  }
  Embedder load() const {
    std::string dir = model;
    if (dir.empty()) {
      const char* env = std::getenv("GPUEMBED_MODEL");
      if (!env) throw Error(ErrorCode::kModelNotFound, "no model given: pass --model DIR or set GPUEMBED_MODEL");
      dir = env;
    }
    Options o;
    o.threads = threads;
    o.max_batch = batch;
    if (precision == "bf16") o.precision = Precision::kBFloat16;
    else if (precision == "int8") o.precision = Precision::kInt8;
    else if (precision != "fp32")
      throw Error(ErrorCode::kInvalidInput, "unknown precision '" + precision + "' (fp32, bf16, int8)");
    if (normalize) o.normalize = 1;
    if (no_normalize) o.normalize = 0;
    o.truncate_dim = truncate_dim;
    return Embedder::load(dir, o);
  }
};

std::istream& open_input(const std::string& path, std::ifstream& file) {
  if (path == "-") return std::cin;
  file.open(path, std::ios::binary);
  if (!file) throw Error(ErrorCode::kInvalidInput, path + ": cannot open input file");
  return file;
}

// A one-line progress bar on stderr, only when a person is watching it.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}
  void update(size_t done) {
    if (!enabled_) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\rembedded %zu texts (%.0f texts/s)", done, s > 0 ? done / s : 0.0);
  }
  void finish(size_t done) {
    if (!enabled_) return;
    update(done);
    std::fputc('\n', stderr);
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

int run_embed(const Common& c, const std::string& output, std::string format, bool progress) {
  Embedder e = c.load();
  std::ifstream file;
  cli::TextReader reader(open_input(c.input, file), cli::parse_input_format(c.input_format), c.input);
  if (format.empty()) format = output.size() > 4 && output.ends_with(".npy") ? "npy" : "jsonl";
  std::FILE* out = stdout;
  if (!output.empty() && output != "-") {
    out = std::fopen(output.c_str(), "wb");
    if (!out) throw Error(ErrorCode::kInvalidInput, output + ": cannot create output file");
  }
  std::unique_ptr<cli::VectorWriter> writer;
  if (format == "npy") {
    if (out == stdout) throw Error(ErrorCode::kInvalidInput, "--format npy needs --output FILE");
    writer = cli::make_npy_writer(out, output);
  } else if (format == "jsonl") {
    writer = cli::make_jsonl_writer(out);
  } else {
    throw Error(ErrorCode::kInvalidInput, "unknown output format '" + format + "' (jsonl, npy)");
  }
  // Texts are read and embedded a chunk at a time, so memory stays flat for any input size.
  const size_t chunk = std::max<size_t>(c.batch * 32, 1024);
  ProgressBar bar(progress);
  std::vector<std::string> texts;
  size_t done = 0;
  while (texts.clear(), reader.next_chunk(chunk, texts)) {
    const std::vector<float> v =
        e.embed_batch(texts, c.embed_options(), [&](size_t d, size_t) { bar.update(done + d); });
    writer->write(v.data(), texts.size(), e.dimension());
    done += texts.size();
  }
  writer->finish();
  bar.finish(done);
  if (out != stdout) std::fclose(out);
  return 0;
}

int run_tokenize(const Common& c) {
  Embedder e = c.load();
  std::ifstream file;
  cli::TextReader reader(open_input(c.input, file), cli::parse_input_format(c.input_format), c.input);
  std::vector<std::string> texts;
  while (texts.clear(), reader.next_chunk(1024, texts)) {
    for (const auto& t : texts) {
      const TokenizedText tt = e.tokenize(t);
      nlohmann::json j{{"ids", tt.ids}, {"tokens", tt.tokens}};
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
  }
  return 0;
}

int run_info(const Common& c) {
  Embedder e = c.load();
  const ModelInfo& i = e.info();
  nlohmann::json j{{"path", i.path},           {"hidden_size", i.hidden_size}, {"num_layers", i.num_layers},
                   {"num_heads", i.num_heads}, {"intermediate_size", i.intermediate_size},
                   {"vocab_size", i.vocab_size}, {"max_seq_length", i.max_seq_length}, {"dimension", i.dimension},
                   {"pooling", i.pooling},     {"normalize", i.normalize},   {"backend", i.backend},
                   {"precision", i.precision}, {"prompts", i.prompts}, {"dense", i.dense},
                   {"default_prompt_name", i.default_prompt_name.empty() ? nlohmann::json() : nlohmann::json(i.default_prompt_name)}};
  std::cout << j.dump(2) << '\n';
  return 0;
}

const std::vector<std::string> kSampleSentences = {
    "The quick brown fox jumps over the lazy dog.", "A man is eating food.", "A man is eating a piece of bread.",
    "A man is riding a horse.", "What is the capital of France?", "Paris is the capital and most populous city of France."};

int run_similarity(const Common& c, std::vector<std::string> texts) {
  Embedder e = c.load();
  if (texts.empty()) texts = kSampleSentences;
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<float> v = e.embed_batch(texts, c.embed_options());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const size_t d = e.dimension();
  std::printf("model %s: %s pooling, %s, dimension %zu, backend %s\n", e.info().path.c_str(), e.info().pooling.c_str(),
              e.info().normalize ? "normalized" : "not normalized", d, e.info().backend.c_str());
  for (size_t i = 0; i < texts.size(); ++i) {
    std::printf("[%zu] %s\n    [", i, texts[i].c_str());
    for (size_t k = 0; k < std::min<size_t>(d, 6); ++k) std::printf("%s%.5f", k ? ", " : "", v[i * d + k]);
    std::printf(", ...]\n");
  }
  std::printf("cosine similarity:\n     ");
  for (size_t j = 0; j < texts.size(); ++j) std::printf("  [%zu] ", j);
  std::printf("\n");
  for (size_t i = 0; i < texts.size(); ++i) {
    std::printf("[%zu] ", i);
    for (size_t j = 0; j < texts.size(); ++j) std::printf(" %6.3f", cosine_similarity(&v[i * d], &v[j * d], d));
    std::printf("\n");
  }
  std::printf("embedded %zu texts in %.1f ms\n", texts.size(), ms);
  return 0;
}

struct SearchArgs {
  std::string corpus, index_in, index_out, storage = "f32";
  std::vector<std::string> queries;
  size_t k = 5;
};

// Embeds the corpus (or loads a saved index), then prints one JSON line per query with its top-k passages.
int run_search(const Common& c, const SearchArgs& a) {
  if (a.queries.empty()) throw Error(ErrorCode::kInvalidInput, "search needs at least one --query");
  if (a.corpus.empty() && a.index_in.empty()) throw Error(ErrorCode::kInvalidInput, "search needs --corpus FILE or --index FILE");
  Embedder e = c.load();
  std::vector<std::string> texts;
  if (!a.corpus.empty()) {
    std::ifstream file;
    cli::TextReader reader(open_input(a.corpus, file), cli::parse_input_format(c.input_format), a.corpus);
    while (reader.next_chunk(1u << 16, texts)) {
    }
  }
  Index index(e.dimension());
  if (!a.index_in.empty()) {
    index = Index::load(a.index_in);
    if (index.dimension() != e.dimension()) {
      throw Error(ErrorCode::kInvalidInput, a.index_in + ": index dimension " + std::to_string(index.dimension()) +
                                                " does not match the model's " + std::to_string(e.dimension()));
    }
    if (!texts.empty() && texts.size() != index.size()) {
      throw Error(ErrorCode::kInvalidInput, a.index_in + ": index holds " + std::to_string(index.size()) +
                                                " vectors but the corpus has " + std::to_string(texts.size()) + " texts");
    }
  } else {
    ProgressBar bar(texts.size() >= 256);
    // As sentence-transformers' encode_document / encode_query: the "document" and "query" prompts.
    index.add(e.embed_batch(texts, {.prompt_name = "document"}, [&](size_t d, size_t) { bar.update(d); }));
    bar.finish(texts.size());
  }
  if (!a.index_out.empty()) {
    if (a.storage != "f32" && a.storage != "f16") throw Error(ErrorCode::kInvalidInput, "--storage must be f32 or f16");
    index.save(a.index_out, a.storage == "f16" ? IndexStorage::kFloat16 : IndexStorage::kFloat32);
  }
  for (const std::string& q : a.queries) {
    nlohmann::json hits = nlohmann::json::array();
    for (const SearchHit& h : index.search(e.embed(q, {.prompt_name = "query"}), a.k)) {
      nlohmann::json hit{{"id", h.id}, {"score", h.score}};
      if (h.id < texts.size()) hit["text"] = texts[h.id];
      hits.push_back(hit);
    }
    nlohmann::json line{{"query", q}, {"hits", hits}};
    std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gpuembed: sentence embeddings from sentence-transformers models (BERT, XLM-R, MPNet, NomicBERT, ModernBERT, Qwen3, Gemma3)"};
  app.require_subcommand(1);
  Common c;
  std::string output, format, precision;
  bool progress = true;
  std::vector<std::string> texts;

  auto* embed = app.add_subcommand("embed", "embed texts (one per line, or JSONL) and write JSONL or .npy");
  c.add_model(embed);
  c.add_inputs(embed);
  embed->add_option("-o,--output", output, "output file (default stdout); .npy → NumPy float32");
  embed->add_option("-f,--format", format, "jsonl | npy (default: from --output's extension)");
  embed->add_option("-b,--batch", c.batch, "texts per forward pass")->check(CLI::PositiveNumber);
  embed->add_option("--precision", c.precision, "fp32 | bf16 (bf16 matmuls where the CPU supports them) | int8 (dynamic int8 matmuls)");
  auto* norm = embed->add_flag("--normalize", c.normalize, "always L2-normalize");
  embed->add_flag("--no-normalize", c.no_normalize, "never L2-normalize")->excludes(norm);
  embed->add_flag("!--no-progress", progress, "no progress bar on stderr");
  c.add_prompt(embed);
  c.add_truncate(embed);

  auto* tokenize = app.add_subcommand("tokenize", "print token ids and tokens as JSONL");
  c.add_model(tokenize);
  c.add_inputs(tokenize);

  auto* info = app.add_subcommand("info", "print a model summary as JSON");
  c.add_model(info);

  auto* sim = app.add_subcommand("similarity", "embed texts (default: sample sentences) and print their cosine matrix");
  c.add_model(sim);
  sim->add_option("texts", texts, "texts to compare");
  c.add_prompt(sim);
  c.add_truncate(sim);

  SearchArgs search_args;
  auto* search = app.add_subcommand("search", "semantic search: top-k passages of a corpus for each query (cosine)");
  c.add_model(search);
  search->add_option("--corpus", search_args.corpus, "passages, one per line or JSONL");
  search->add_option("--input-format", c.input_format, "corpus format: lines | jsonl | auto");
  search->add_option("-q,--query", search_args.queries, "query text (repeatable)");
  search->add_option("-k", search_args.k, "results per query")->check(CLI::PositiveNumber);
  search->add_option("--index", search_args.index_in, "load a saved index instead of embedding the corpus");
  search->add_option("--save-index", search_args.index_out, "write the index to this file");
  search->add_option("--storage", search_args.storage, "index file storage: f32 | f16");
  c.add_truncate(search);

  std::string quantize_in, quantize_out;
  auto* quantize = app.add_subcommand("quantize", "write a copy of a model folder with int8 encoder weights");
  quantize->add_option("model", quantize_in, "model folder")->required();
  quantize->add_option("output", quantize_out, "new folder (must not exist or be empty)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*embed) return run_embed(c, output, format, progress);
    if (*tokenize) return run_tokenize(c);
    if (*info) return run_info(c);
    if (*sim) return run_similarity(c, texts);
    if (*search) return run_search(c, search_args);
    if (*quantize) {
      gpuembed::cli::quantize_model(quantize_in, quantize_out);
      return 0;
    }
  } catch (const gpuembed::Error& e) {
    std::fprintf(stderr, "gpuembed: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpuembed: error: %s\n", e.what());
    return 2;
  }
  return 1;
}
