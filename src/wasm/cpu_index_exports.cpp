// The C exports of vector search on the CPU: gpuembed::Index (include/gpuembed/index.h) itself, so js/index.mjs's
// VectorIndex keeps no rows, scores or file format of its own and answers as the native Index does, bit for bit.
// Conventions and error channel as the model exports' (c_abi.h: ge_last_error_code / ge_last_error_message).
#include <emscripten.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "gpuembed/error.h"
#include "gpuembed/index.h"
#include "pooling/pooling.h"
#include "wasm/c_abi.h"

using namespace gpuembed;
using gpuembed::wasm::model_errors;

namespace {

std::map<int, std::unique_ptr<Index>> g_indexes;
int g_next_index = 1;
std::string g_saved;  // the bytes of the last ge_index_save

Index& index_of(int id) {
  auto it = g_indexes.find(id);
  if (it == g_indexes.end()) throw Error(ErrorCode::kInvalidInput, "no index under handle " + std::to_string(id));
  return *it->second;
}

int keep(Index index) {
  const int id = g_next_index++;
  g_indexes[id] = std::make_unique<Index>(std::move(index));
  return id;
}

}  // namespace

extern "C" {

// An empty index of `dim`-dimensional rows: a handle > 0, or 0.
EMSCRIPTEN_KEEPALIVE int ge_index_create(int dim) {
  return model_errors().guarded(
      [&]() -> int {
        if (dim <= 0 || dim > (1 << 20)) throw Error(ErrorCode::kInvalidInput, "index dimension out of range");
        return keep(Index(static_cast<size_t>(dim)));
      },
      0);
}

// An index read from a "GPEMBIDX" file's bytes: a handle > 0, or 0 (MODEL_INVALID naming what is wrong).
EMSCRIPTEN_KEEPALIVE int ge_index_load(const uint8_t* bytes, size_t len) {
  return model_errors().guarded([&]() -> int { return keep(Index::from_bytes(bytes, len)); }, 0);
}

EMSCRIPTEN_KEEPALIVE void ge_index_free(int id) { g_indexes.erase(id); }

EMSCRIPTEN_KEEPALIVE int ge_index_size(int id) {
  return model_errors().guarded([&]() -> int { return static_cast<int>(index_of(id).size()); }, -1);
}

EMSCRIPTEN_KEEPALIVE int ge_index_dimension(int id) {
  return model_errors().guarded([&]() -> int { return static_cast<int>(index_of(id).dimension()); }, -1);
}

// Appends n rows [n, dim]; they are stored L2-normalized.
EMSCRIPTEN_KEEPALIVE int ge_index_add(int id, const float* rows, int n) {
  return model_errors().guarded(
      [&]() -> int {
        if (n < 0 || (n > 0 && !rows)) throw Error(ErrorCode::kInvalidInput, "bad rows");
        index_of(id).add(rows, static_cast<size_t>(n));
        return 0;
      },
      -1);
}

// The stored (normalized) rows from `first` on, [size - first, dim] in the module's memory; valid until the next add.
EMSCRIPTEN_KEEPALIVE const float* ge_index_rows(int id, int first) {
  return model_errors().guarded(
      [&]() -> const float* {
        Index& index = index_of(id);
        if (first < 0 || static_cast<size_t>(first) > index.size()) throw Error(ErrorCode::kInvalidInput, "no such row");
        return index.row(static_cast<size_t>(first));
      },
      nullptr);
}

// nq queries [nq, dim] (raw: normalized here, as Index::search does), the best min(k, size) of each into
// scores / ids [nq, min(k, size)], best first (higher score, then lower id). Returns min(k, size).
EMSCRIPTEN_KEEPALIVE int ge_index_search(int id, const float* queries, int nq, int k, float* scores, uint32_t* ids) {
  return model_errors().guarded(
      [&]() -> int {
        const Index& index = index_of(id);
        if (nq < 0 || k < 0 || (nq > 0 && !queries)) throw Error(ErrorCode::kInvalidInput, "bad queries");
        const size_t kk = std::min(static_cast<size_t>(k), index.size());
        for (size_t i = 0; i < static_cast<size_t>(nq); ++i) {
          const auto hits = index.search(queries + i * index.dimension(), kk);
          for (size_t j = 0; j < kk; ++j) {
            scores[i * kk + j] = hits[j].score;
            ids[i * kk + j] = static_cast<uint32_t>(hits[j].id);
          }
        }
        return static_cast<int>(kk);
      },
      -1);
}

// The index as a "GPEMBIDX" file (dtype 0 float32, 1 float16): returns its size; ge_index_saved() points at it
// until the next save.
EMSCRIPTEN_KEEPALIVE int ge_index_save(int id, int dtype) {
  return model_errors().guarded(
      [&]() -> int {
        if (dtype != 0 && dtype != 1) throw Error(ErrorCode::kInvalidInput, "index dtype must be 0 (f32) or 1 (f16)");
        g_saved = index_of(id).to_bytes(dtype == 1 ? IndexStorage::kFloat16 : IndexStorage::kFloat32);
        return static_cast<int>(g_saved.size());
      },
      -1);
}

EMSCRIPTEN_KEEPALIVE const uint8_t* ge_index_saved() { return reinterpret_cast<const uint8_t*>(g_saved.data()); }

// L2-normalizes n rows [n, dim] in place as Index does (the GPU search takes normalized queries).
EMSCRIPTEN_KEEPALIVE void ge_index_normalize_rows(float* rows, int n, int dim) {
  for (int i = 0; i < n; ++i) l2_normalize(rows + static_cast<size_t>(i) * dim, static_cast<size_t>(dim));
}

}  // extern "C"
