#pragma once
// The encoder's non-matmul ops on packed token rows (padding never stored: row r of a batch is
// token t of text b, texts back to back), so no work is spent on padding and a text's result cannot
// depend on its batch-mates.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/weights.h"

namespace gpuembed::cpu {

struct PackedRows {
  std::vector<size_t> offsets;  // first row of each text; offsets.back() == total rows
  size_t texts() const { return offsets.size() - 1; }
  size_t rows() const { return offsets.back(); }
  size_t length(size_t b) const { return offsets[b + 1] - offsets[b]; }
};

// The tables of an embedding gather: [vocab, hidden], [positions, hidden], [types, hidden] (type 0 is used; null where
// the family has none), and the LayerNorm after it (gamma null: none, a decoder's plain gather).
struct EmbeddingTables {
  const float *word, *position, *token_type, *gamma, *beta;
  size_t position_offset = 0;  // the position row of a text's first token
  float scale = 1.0f;          // without LayerNorm: the gathered row times this (Gemma's sqrt(hidden))
};
// x[r] = LayerNorm(word[id] + position[t + position_offset] + token_type[0]).
void embed_tokens(const EmbeddingTables& w, const int32_t* ids, const PackedRows& rows, size_t hidden, float eps,
                  float* x);
// x[r] = LayerNorm(x[r]) in place.
void layer_norm(float* x, size_t rows, size_t hidden, const float* gamma, const float* beta, float eps);
// x[r] = LayerNorm(x[r] + delta[r]) in place.
void add_layer_norm(float* x, const float* delta, size_t rows, size_t hidden, const float* gamma, const float* beta,
                    float eps);
// What attention adds to a score by the distance key - query: MPNet's relative position bias
// table[bucket(key - query)][head], and a sliding window that masks keys farther than `window` from the query.
struct DistanceTerms {
  const float* table = nullptr;  // [buckets, heads]; null: no bias
  size_t buckets = 0;
  size_t max_distance = 128;
  size_t window = 0;  // 0: no window
  bool causal = false;  // mask keys after the query
};
// HF's relative_position_bucket (MPNet, T5-style, bidirectional) of key position - query position.
int relative_position_bucket(int relative_position, int num_buckets, int max_distance);
// Multi-head self-attention per text. qkv: [rows, (heads + 2 kv_heads) * head_dim] (Q | K | V; kv_heads 0: as many as
// heads, else query head h reads key/value head h / (heads / kv_heads)); ctx: [rows, heads * head_dim].
// scale: the query scale (0: 1/sqrt(head_dim)).
void attention(const float* qkv, const PackedRows& rows, size_t heads, size_t head_dim, float* ctx,
               const DistanceTerms& bias = {}, size_t kv_heads = 0, float scale = 0);

// Rotary positions (GPT-NeoX halves) in place on the query and key heads of qkv (laid out as attention's); a token's
// position is its index in its text. rotary_and_gating.cpp.
void rotary(float* qkv, const PackedRows& rows, size_t heads, size_t head_dim, size_t rotary_dim, float base,
            size_t kv_heads = 0);
// RMSNorm in place over `groups` runs of `width` channels of each row (row stride `stride`), from channel `first`:
// x = x / sqrt(mean(x²) + eps) · gamma (unit_offset: · (1 + gamma)). rotary_and_gating.cpp.
void rms_norm(float* x, size_t rows, size_t stride, size_t first, size_t width, size_t groups, const float* gamma,
              float eps, bool unit_offset = false);
// A gated feed-forward's middle: out[r] = act(a) · b for in[r] = [a | b], each `width` wide; act is SiLU (SwiGLU) or
// the erf GELU (GeGLU). rotary_and_gating.cpp.
void gated_activation_silu(const float* in, size_t rows, size_t width, float* out);
void gated_activation_gelu(const float* in, size_t rows, size_t width, float* out);
void gated_activation_gelu_tanh(const float* in, size_t rows, size_t width, float* out);
// x[r] += delta[r].
void add_rows(float* x, const float* delta, size_t rows, size_t width);

}  // namespace gpuembed::cpu
