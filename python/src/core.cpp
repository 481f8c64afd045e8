// gpuembed._core: the nanobind module under the gpuembed Python package. Thin: every embedding comes from the C++
// Embedder; this file converts arguments, releases the GIL around inference and maps gpuembed::Error to the Python
// exception classes of gpuembed._errors (one per ErrorCode).
#include <optional>
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "gpuembed/gpuembed.h"
#include "gpuembed/index.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace gpuembed {
namespace {

using FloatMatrix = nb::ndarray<nb::numpy, float, nb::ndim<2>, nb::c_contig>;
using FloatInput = nb::ndarray<const float, nb::c_contig, nb::device::cpu>;

// A NumPy float32 [rows, cols] array that owns `data`.
FloatMatrix to_numpy(std::vector<float>&& data, size_t rows, size_t cols) {
  auto* owned = new std::vector<float>(std::move(data));
  nb::capsule deleter(owned, [](void* p) noexcept { delete static_cast<std::vector<float>*>(p); });
  return FloatMatrix(owned->data(), {rows, cols}, deleter);
}

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::kFloat32;
  if (name == "bf16") return Precision::kBFloat16;
  if (name == "int8") return Precision::kInt8;
  throw Error(ErrorCode::kInvalidInput, "precision '" + name + "' is not one of 'fp32', 'bf16', 'int8'");
}

// sentence-transformers' normalize_embeddings=True: x / max(||x||, 1e-12) per row (torch.nn.functional.normalize).
void l2_normalize_rows(std::vector<float>& m, size_t dim) {
  for (size_t r = 0; r * dim < m.size(); ++r) {
    float* row = m.data() + r * dim;
    double sq = 0;
    for (size_t k = 0; k < dim; ++k) sq += static_cast<double>(row[k]) * row[k];
    const float scale = static_cast<float>(1.0 / std::max(std::sqrt(sq), 1e-12));
    for (size_t k = 0; k < dim; ++k) row[k] *= scale;
  }
}

class PyEmbedder {
 public:
  PyEmbedder(const std::string& path, int threads, const std::string& precision, size_t max_seq_length,
             size_t truncate_dim) {
    Options o;
    o.truncate_dim = truncate_dim;
    o.threads = threads;
    o.precision = parse_precision(precision);
    o.max_seq_length = max_seq_length;
    // encode() hands the engine batch_size texts per call, so one call is one forward pass.
    o.max_batch = kMaxBatchPerPass;
    nb::gil_scoped_release release;
    embedder_ = std::make_unique<Embedder>(Embedder::load(path, o));
  }

  // Texts in sentence-transformers' order (longest by characters first), batch_size per forward pass, rows returned
  // in input order. progress(done, total) is called with the GIL held after each batch.
  FloatMatrix encode(const std::vector<std::string>& texts, const std::vector<size_t>& char_lengths,
                     size_t batch_size, bool normalize, nb::object progress, std::optional<std::string> prompt_name,
                     std::optional<std::string> prompt, size_t truncate_dim) {
    if (batch_size == 0 || batch_size > kMaxBatchPerPass) {
      throw Error(ErrorCode::kInvalidInput,
                  "batch_size must be between 1 and " + std::to_string(kMaxBatchPerPass) + ", got " + std::to_string(batch_size));
    }
    if (char_lengths.size() != texts.size()) throw Error(ErrorCode::kInternal, "encode: lengths do not match texts");
    const size_t dim = embedder_->dimension();
    std::vector<size_t> order(texts.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return char_lengths[a] > char_lengths[b]; });

    EmbedOptions options;
    options.prompt_name = std::move(prompt_name);
    options.prompt = std::move(prompt);
    std::vector<float> out(texts.size() * dim);
    std::vector<std::string> chunk;
    for (size_t start = 0; start < order.size(); start += batch_size) {
      const size_t n = std::min(batch_size, order.size() - start);
      chunk.clear();
      for (size_t j = 0; j < n; ++j) chunk.push_back(texts[order[start + j]]);
      std::vector<float> rows;
      {
        nb::gil_scoped_release release;
        rows = embedder_->embed_batch(chunk, options);
      }
      for (size_t j = 0; j < n; ++j) std::memcpy(&out[order[start + j] * dim], &rows[j * dim], dim * sizeof(float));
      if (!progress.is_none()) progress(start + n, order.size());
    }
    // As sentence-transformers: cut to the first truncate_dim values, then normalize what is left.
    size_t width = dim;
    if (truncate_dim != 0 && truncate_dim < dim) {
      width = truncate_dim;
      for (size_t r = 0; r < texts.size(); ++r) std::memmove(&out[r * width], &out[r * dim], width * sizeof(float));
      out.resize(texts.size() * width);
    }
    if (normalize) l2_normalize_rows(out, width);
    return to_numpy(std::move(out), texts.size(), width);
  }

  nb::dict tokenize(const std::string& text) const {
    TokenizedText t = embedder_->tokenize(text);
    nb::dict d;
    d["ids"] = nb::cast(t.ids);
    d["tokens"] = nb::cast(t.tokens);
    return d;
  }

  FloatMatrix token_embeddings(const std::string& text) {
    std::vector<float> v;
    {
      nb::gil_scoped_release release;
      v = embedder_->token_embeddings(text);
    }
    const size_t hidden = static_cast<size_t>(embedder_->info().hidden_size);
    const size_t rows = v.size() / hidden;
    return to_numpy(std::move(v), rows, hidden);
  }

  size_t dimension() const { return embedder_->dimension(); }

  nb::dict info() const {
    const ModelInfo& i = embedder_->info();
    nb::dict d;
    d["path"] = i.path;
    d["hidden_size"] = i.hidden_size;
    d["num_layers"] = i.num_layers;
    d["num_heads"] = i.num_heads;
    d["intermediate_size"] = i.intermediate_size;
    d["vocab_size"] = i.vocab_size;
    d["max_seq_length"] = i.max_seq_length;
    d["dimension"] = i.dimension;
    d["pooling"] = i.pooling;
    d["normalize"] = i.normalize;
    d["backend"] = i.backend;
    d["precision"] = i.precision;
    return d;
  }

  static constexpr size_t kMaxBatchPerPass = 65536;

 private:
  std::unique_ptr<Embedder> embedder_;
};

// The Index takes NumPy float32 rows ([n, dim] or one [dim] vector).
void index_add(Index& index, const FloatInput& rows) {
  const size_t dim = index.dimension();
  if (rows.ndim() == 1 && rows.shape(0) == dim) return index.add(rows.data(), 1);
  if (rows.ndim() == 2 && rows.shape(1) == dim) return index.add(rows.data(), rows.shape(0));
  std::string shape;
  for (size_t i = 0; i < rows.ndim(); ++i) shape += (i ? ", " : "") + std::to_string(rows.shape(i));
  throw Error(ErrorCode::kInvalidInput,
              "Index.add: expected rows of shape [n, " + std::to_string(dim) + "] or [" + std::to_string(dim) + "], got [" + shape + "]");
}

std::vector<std::pair<size_t, float>> index_search(const Index& index, const FloatInput& query, size_t k) {
  if (query.ndim() != 1 || query.shape(0) != index.dimension()) {
    throw Error(ErrorCode::kInvalidInput, "Index.search: the query must be a 1-D vector of " +
                                              std::to_string(index.dimension()) + " values");
  }
  // The GIL stays held: it is what keeps a search from running while another thread's add() grows the rows.
  const std::vector<SearchHit> hits = index.search(query.data(), k);
  std::vector<std::pair<size_t, float>> out;
  out.reserve(hits.size());
  for (const SearchHit& h : hits) out.emplace_back(h.id, h.score);
  return out;
}

}  // namespace
}  // namespace gpuembed

NB_MODULE(_core, m) {
  using namespace gpuembed;
  m.doc() = "gpuembed native core (use the gpuembed package, not this module)";

  nb::enum_<ErrorCode>(m, "ErrorCode", nb::is_arithmetic())
      .value("MODEL_NOT_FOUND", ErrorCode::kModelNotFound)
      .value("MODEL_INVALID", ErrorCode::kModelInvalid)
      .value("INVALID_INPUT", ErrorCode::kInvalidInput)
      .value("BACKEND_UNAVAILABLE", ErrorCode::kBackendUnavailable)
      .value("DEVICE_LOST", ErrorCode::kDeviceLost)
      .value("INTERNAL", ErrorCode::kInternal)
      .value("OUT_OF_MEMORY", ErrorCode::kOutOfMemory);

  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const Error& e) {
      nb::object cls = nb::module_::import_("gpuembed._errors").attr("error_class")(e.code());
      nb::object instance = cls(e.what(), e.code());
      PyErr_SetObject(cls.ptr(), instance.ptr());
    }
  });

  nb::class_<PyEmbedder>(m, "Embedder")
      .def(nb::init<const std::string&, int, const std::string&, size_t, size_t>(), "path"_a, "threads"_a,
           "precision"_a, "max_seq_length"_a, "truncate_dim"_a)
      .def("encode", &PyEmbedder::encode, "texts"_a, "char_lengths"_a, "batch_size"_a, "normalize"_a,
           "progress"_a.none(), "prompt_name"_a.none(), "prompt"_a.none(), "truncate_dim"_a)
      .def("tokenize", &PyEmbedder::tokenize, "text"_a)
      .def("token_embeddings", &PyEmbedder::token_embeddings, "text"_a)
      .def_prop_ro("dimension", &PyEmbedder::dimension)
      .def("info", &PyEmbedder::info);

  nb::class_<Index>(m, "Index")
      .def(nb::init<size_t>(), "dimension"_a)
      .def("add", &index_add, "rows"_a)
      .def("search", &index_search, "query"_a, "k"_a)
      .def("__len__", &Index::size)
      .def_prop_ro("dimension", &Index::dimension)
      .def(
          "save",
          [](const Index& index, const std::string& path, const std::string& dtype) {
            if (dtype != "float32" && dtype != "float16") {
              throw Error(ErrorCode::kInvalidInput, "Index.save: dtype must be 'float32' or 'float16', got '" + dtype + "'");
            }
            index.save(path, dtype == "float16" ? IndexStorage::kFloat16 : IndexStorage::kFloat32);
          },
          "path"_a, "dtype"_a = "float32")
      .def_static("load", [](const std::string& path) { return Index::load(path); }, "path"_a)
      .def(
          "vectors",
          [](const Index& index) {
            std::vector<float> v(index.size() * index.dimension());
            if (!v.empty()) std::memcpy(v.data(), index.row(0), v.size() * sizeof(float));
            return to_numpy(std::move(v), index.size(), index.dimension());
          },
          "the stored (L2-normalized) rows as a float32 [len, dimension] copy");
}
