/* gpuembed C API: a small C ABI over the C++ Embedder and Index, for bindings in other languages (the Rust crate in
 * rust/ uses it). Every function that can fail returns a gpuembed_status; on failure,
 * gpuembed_last_error_message() holds the message for the calling thread until its next failing call.
 *
 *   gpuembed_embedder* e = NULL;
 *   if (gpuembed_load("models/all-MiniLM-L6-v2", NULL, &e) != GPUEMBED_OK) puts(gpuembed_last_error_message());
 *   const char* texts[] = {"hello"}; size_t lens[] = {5};
 *   float* v = malloc(gpuembed_dimension(e) * sizeof(float));
 *   gpuembed_embed_batch(e, texts, lens, 1, v);
 *   gpuembed_free(e);
 */
#ifndef GPUEMBED_C_H
#define GPUEMBED_C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 0 on success; otherwise the C++ gpuembed::ErrorCode plus one (GPUEMBED_MODEL_NOT_FOUND = kModelNotFound + 1, ...).
 * The Rust crate's ErrorCode is generated from this enum (rust/build.rs), its documentation from these comments. */
typedef enum gpuembed_status {
  GPUEMBED_OK = 0,
  GPUEMBED_MODEL_NOT_FOUND = 1, /* The model folder or a required file in it is missing. */
  GPUEMBED_MODEL_INVALID = 2,   /* A model file exists but is malformed (JSON, safetensors, shapes, dtypes). */
  GPUEMBED_INVALID_INPUT = 3,   /* A bad text or argument. */
  GPUEMBED_BACKEND_UNAVAILABLE = 4,
  GPUEMBED_DEVICE_LOST = 5,
  GPUEMBED_INTERNAL = 6,
  GPUEMBED_OUT_OF_MEMORY = 7,   /* The device or host could not allocate a forward pass of one text. */
} gpuembed_status;

typedef struct gpuembed_options {
  int32_t threads;         /* 0: automatic */
  int32_t precision;       /* 0: fp32, 1: bf16 */
  size_t max_batch;        /* texts per forward pass */
  int32_t normalize;       /* -1: as the model says; 0: never; 1: always */
  size_t max_seq_length;   /* 0: the model's */
} gpuembed_options;

typedef struct gpuembed_embedder gpuembed_embedder;  /* thread-safe: calls on one embedder are serialized */
typedef struct gpuembed_index gpuembed_index;        /* not thread-safe for concurrent add; search is const */

typedef struct gpuembed_hit {
  size_t id;
  float score;
} gpuembed_hit;

gpuembed_options gpuembed_default_options(void);
const char* gpuembed_last_error_message(void);

gpuembed_status gpuembed_load(const char* model_dir, const gpuembed_options* options, gpuembed_embedder** out);
void gpuembed_free(gpuembed_embedder* embedder);
size_t gpuembed_dimension(const gpuembed_embedder* embedder);
/* texts[i] holds lengths[i] bytes of UTF-8 (no terminator needed); out receives count * dimension floats. */
gpuembed_status gpuembed_embed_batch(gpuembed_embedder* embedder, const char* const* texts, const size_t* lengths,
                                     size_t count, float* out);
/* Writes up to capacity token ids; *count receives the full number (call again with a larger buffer if it is more). */
gpuembed_status gpuembed_tokenize(const gpuembed_embedder* embedder, const char* text, size_t length, int32_t* ids,
                                  size_t capacity, size_t* count);

gpuembed_status gpuembed_index_new(size_t dimension, gpuembed_index** out);
void gpuembed_index_free(gpuembed_index* index);
size_t gpuembed_index_size(const gpuembed_index* index);
size_t gpuembed_index_dimension(const gpuembed_index* index);
gpuembed_status gpuembed_index_add(gpuembed_index* index, const float* rows, size_t count);
/* Writes min(k, size) hits, best first; *found receives how many. */
gpuembed_status gpuembed_index_search(const gpuembed_index* index, const float* query, size_t k, gpuembed_hit* hits,
                                      size_t* found);
gpuembed_status gpuembed_index_save(const gpuembed_index* index, const char* path, int32_t float16);
gpuembed_status gpuembed_index_load(const char* path, gpuembed_index** out);

#ifdef __cplusplus
}
#endif

#endif /* GPUEMBED_C_H */
