#pragma once
// One head of one text of cpu::attention() on the WebAssembly SIMD128 path (attention_wasm.cpp); ops.cpp calls it per
// (text, head) work item. qkv points at the text's first row (row stride `stride`), Q / K / V of this head start at
// q_col / k_col / v_col; rel: the distance bias of distance 0 (null: none); ctx: the head's first output column.
#include <cstddef>

namespace gpuembed::cpu {

#if defined(__wasm_simd128__)
void attention_head_wasm(const float* qkv, size_t stride, size_t len, size_t hd, size_t q_col, size_t k_col,
                         size_t v_col, float scale, const float* rel, float* ctx, size_t ctx_stride);
#endif

}  // namespace gpuembed::cpu
