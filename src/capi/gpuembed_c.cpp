// The C ABI of include/gpuembed/gpuembed_c.h: no exception crosses it; each is turned into a status and a
// thread-local message.
#include "gpuembed/gpuembed_c.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "gpuembed/gpuembed.h"
#include "gpuembed/index.h"

struct gpuembed_embedder {
  gpuembed::Embedder embedder;
};
struct gpuembed_index {
  gpuembed::Index index;
};

namespace {

static_assert(GPUEMBED_MODEL_NOT_FOUND == static_cast<int>(gpuembed::ErrorCode::kModelNotFound) + 1 &&
                  GPUEMBED_INTERNAL == static_cast<int>(gpuembed::ErrorCode::kInternal) + 1 &&
                  GPUEMBED_OUT_OF_MEMORY == static_cast<int>(gpuembed::ErrorCode::kOutOfMemory) + 1,
              "gpuembed_status must stay ErrorCode + 1 (the Rust crate's ErrorCode relies on it)");

thread_local std::string last_error;

gpuembed_status fail(gpuembed_status status, std::string message) {
  last_error = std::move(message);
  return status;
}

template <typename F>
gpuembed_status guarded(F&& body) {
  try {
    body();
    return GPUEMBED_OK;
  } catch (const gpuembed::Error& e) {
    return fail(static_cast<gpuembed_status>(static_cast<int>(e.code()) + 1), e.what());
  } catch (const std::bad_alloc&) {
    return fail(GPUEMBED_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(GPUEMBED_INTERNAL, e.what());
  } catch (...) {
    return fail(GPUEMBED_INTERNAL, "unknown C++ exception");
  }
}

bool null_argument(const void* p, const char* name, gpuembed_status* status) {
  if (p) return false;
  *status = fail(GPUEMBED_INVALID_INPUT, std::string(name) + " is NULL");
  return true;
}

}  // namespace

extern "C" {

gpuembed_options gpuembed_default_options(void) {
  const gpuembed::Options o;
  return gpuembed_options{o.threads, 0, o.max_batch, o.normalize, o.max_seq_length};
}

const char* gpuembed_last_error_message(void) { return last_error.c_str(); }

gpuembed_status gpuembed_load(const char* model_dir, const gpuembed_options* options, gpuembed_embedder** out) {
  gpuembed_status s;
  if (null_argument(model_dir, "model_dir", &s) || null_argument(out, "out", &s)) return s;
  *out = nullptr;
  return guarded([&] {
    const gpuembed_options c = options ? *options : gpuembed_default_options();
    if (c.precision != 0 && c.precision != 1) {
      throw gpuembed::Error(gpuembed::ErrorCode::kInvalidInput, "precision must be 0 (fp32) or 1 (bf16)");
    }
    gpuembed::Options o;
    o.threads = c.threads;
    o.precision = c.precision == 1 ? gpuembed::Precision::kBFloat16 : gpuembed::Precision::kFloat32;
    o.max_batch = c.max_batch;
    o.normalize = c.normalize;
    o.max_seq_length = c.max_seq_length;
    *out = new gpuembed_embedder{gpuembed::Embedder::load(model_dir, o)};
  });
}

void gpuembed_free(gpuembed_embedder* embedder) { delete embedder; }

size_t gpuembed_dimension(const gpuembed_embedder* embedder) { return embedder ? embedder->embedder.dimension() : 0; }

gpuembed_status gpuembed_embed_batch(gpuembed_embedder* embedder, const char* const* texts, const size_t* lengths,
                                     size_t count, float* out) {
  gpuembed_status s;
  if (null_argument(embedder, "embedder", &s)) return s;
  if (count == 0) return GPUEMBED_OK;
  if (null_argument(texts, "texts", &s) || null_argument(lengths, "lengths", &s) || null_argument(out, "out", &s)) return s;
  return guarded([&] {
    std::vector<std::string> batch;
    batch.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (!texts[i] && lengths[i]) throw gpuembed::Error(gpuembed::ErrorCode::kInvalidInput, "texts[" + std::to_string(i) + "] is NULL");
      batch.emplace_back(texts[i] ? texts[i] : "", lengths[i]);
    }
    const std::vector<float> v = embedder->embedder.embed_batch(batch);
    std::memcpy(out, v.data(), v.size() * sizeof(float));
  });
}

gpuembed_status gpuembed_tokenize(const gpuembed_embedder* embedder, const char* text, size_t length, int32_t* ids,
                                  size_t capacity, size_t* count) {
  gpuembed_status s;
  if (null_argument(embedder, "embedder", &s) || null_argument(count, "count", &s)) return s;
  if (length && null_argument(text, "text", &s)) return s;
  if (capacity && null_argument(ids, "ids", &s)) return s;
  return guarded([&] {
    const gpuembed::TokenizedText t = embedder->embedder.tokenize(std::string_view(text ? text : "", length));
    *count = t.ids.size();
    std::copy_n(t.ids.begin(), std::min(capacity, t.ids.size()), ids);
  });
}

gpuembed_status gpuembed_index_new(size_t dimension, gpuembed_index** out) {
  gpuembed_status s;
  if (null_argument(out, "out", &s)) return s;
  *out = nullptr;
  return guarded([&] { *out = new gpuembed_index{gpuembed::Index(dimension)}; });
}

void gpuembed_index_free(gpuembed_index* index) { delete index; }

size_t gpuembed_index_size(const gpuembed_index* index) { return index ? index->index.size() : 0; }

size_t gpuembed_index_dimension(const gpuembed_index* index) { return index ? index->index.dimension() : 0; }

gpuembed_status gpuembed_index_add(gpuembed_index* index, const float* rows, size_t count) {
  gpuembed_status s;
  if (null_argument(index, "index", &s)) return s;
  if (count && null_argument(rows, "rows", &s)) return s;
  return guarded([&] { index->index.add(rows, count); });
}

gpuembed_status gpuembed_index_search(const gpuembed_index* index, const float* query, size_t k, gpuembed_hit* hits,
                                      size_t* found) {
  gpuembed_status s;
  if (null_argument(index, "index", &s) || null_argument(query, "query", &s) || null_argument(found, "found", &s)) return s;
  if (k && null_argument(hits, "hits", &s)) return s;
  return guarded([&] {
    const std::vector<gpuembed::SearchHit> h = index->index.search(query, k);
    *found = std::min(k, h.size());
    for (size_t i = 0; i < *found; ++i) hits[i] = gpuembed_hit{h[i].id, h[i].score};
  });
}

gpuembed_status gpuembed_index_save(const gpuembed_index* index, const char* path, int32_t float16) {
  gpuembed_status s;
  if (null_argument(index, "index", &s) || null_argument(path, "path", &s)) return s;
  return guarded([&] {
    index->index.save(path, float16 ? gpuembed::IndexStorage::kFloat16 : gpuembed::IndexStorage::kFloat32);
  });
}

gpuembed_status gpuembed_index_load(const char* path, gpuembed_index** out) {
  gpuembed_status s;
  if (null_argument(path, "path", &s) || null_argument(out, "out", &s)) return s;
  *out = nullptr;
  return guarded([&] { *out = new gpuembed_index{gpuembed::Index::load(path)}; });
}

}  // extern "C"
