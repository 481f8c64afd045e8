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

// The tables of an embedding gather: [vocab, hidden], [positions, hidden], [types, hidden] (type 0 is used), and the
// LayerNorm after it. A family lacks positions (rotary) or token types (MPNet): null, never both.
struct EmbeddingTables {
  const float *word, *position, *token_type, *gamma, *beta;
  size_t position_offset = 0;  // the position row of a text's first token
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
struct RelativePositionBias {
  const float* table = nullptr;  // [buckets, heads]; null: no bias
  size_t buckets = 0;
  size_t max_distance = 128;
  size_t window = 0;  // 0: no window
};
// HF's relative_position_bucket (MPNet, T5-style, bidirectional) of key position - query position.
int relative_position_bucket(int relative_position, int num_buckets, int max_distance);
// Multi-head self-attention per text. qkv: [rows, 3*hidden] (Q | K | V); ctx: [rows, hidden].
void attention(const float* qkv, const PackedRows& rows, size_t heads, size_t head_dim, float* ctx,
               const RelativePositionBias& bias = {});

// Rotary positions (GPT-NeoX halves) in place on the query and key heads of qkv [rows, 3*hidden]; a token's position
// is its index in its text. rotary_and_gating.cpp.
void rotary(float* qkv, const PackedRows& rows, size_t heads, size_t head_dim, size_t rotary_dim, float base);
// A gated feed-forward's middle: out[r] = act(a) · b for in[r] = [a | b], each `width` wide; act is SiLU (SwiGLU) or
// the erf GELU (GeGLU). rotary_and_gating.cpp.
void gated_activation_silu(const float* in, size_t rows, size_t width, float* out);
void gated_activation_gelu(const float* in, size_t rows, size_t width, float* out);
// x[r] += delta[r].
void add_rows(float* x, const float* delta, size_t rows, size_t width);

}  // namespace gpuembed::cpu
