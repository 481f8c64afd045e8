// Attention on the WebAssembly SIMD128 path (the browser's CPU fallback): both matmuls of a head on the packed GEMM
// micro-kernel, computed transposed so that nothing is gathered one float at a time:
//   Sᵀ = K·Qᵀ   A = K in blocks of MR keys, B = a panel of NR scaled queries: one column of scores per query;
//   softmax down each column, NR queries in the lanes (no horizontal max or sum, no transposition of P);
//   ctxᵀ = Vᵀ·Pᵀ A = V in blocks of MR channels (a plain copy of each row's slice), B = the probabilities as stored.
// The packings and the write-back into ctx's rows are 4 × 4 block transpositions. Every score and every context
// value is the same sum as in attention_head() of ops.cpp (and this path's earlier Q·Kᵀ, P·V form): the same
// products (a·b = b·a, fused or not), summed in order from 0 over the head channels resp. the keys; the softmax does
// per lane the operations of the row form, its sum in four partial sums over keys j mod 4 joined as
// (0 + 1) + (2 + 3), then the keys past the last multiple of 4. So the output is bit for bit what it was.
#include "backend/cpu/attention_wasm.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include <algorithm>
#include <vector>

#include "backend/cpu/gemm_packed.h"

namespace gpuembed::cpu {
namespace {

// exp(x) for x <= 0 on 4 lanes: exp_nonpositive() of ops.cpp, the same operations in the same order, its rounding
// trick included: t = x·log2(e) + 1.5·2^23 holds round(x·log2(e)) = n as an integer in its low mantissa bits, which
// give 2^n's exponent field by integer adds and a shift (i32x4.trunc_sat_f32x4_s, the conversion this replaced, is a
// long sequence of x86 instructions in V8, and f32x4.nearest one more).
inline v128_t exp_nonpositive_f32x4(v128_t x) {
  x = wasm_f32x4_pmax(x, wasm_f32x4_splat(-87.0f));  // == std::max(x, -87)
  const v128_t round = wasm_f32x4_splat(12582912.0f);  // 1.5 * 2^23
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), round);
  const v128_t n = wasm_f32x4_sub(t, round);
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693145751953125f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(1.428606765330187045e-06f)));
  v128_t p = wasm_f32x4_splat(1.0f / 720.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  // t's bits are 0x4B400000 + n; 0x4B400000 is 0 in the 9 bits that survive the shift: (n + 127) << 23.
  const v128_t bits = wasm_i32x4_shl(wasm_i32x4_add(t, wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, bits);
}

// dst[x·ds + r] = src[r·ss + x] (· scale when kScale) for r < rows, x < cols, both at most 4: one block of a
// transposition, in registers when it is a whole 4 × 4.
template <bool kScale>
inline void transpose_block(const float* src, size_t ss, float* dst, size_t ds, size_t rows, size_t cols,
                            float scale) {
  if (rows == 4 && cols == 4) {
    v128_t r0 = wasm_v128_load(src), r1 = wasm_v128_load(src + ss), r2 = wasm_v128_load(src + 2 * ss),
           r3 = wasm_v128_load(src + 3 * ss);
    if (kScale) {
      const v128_t s = wasm_f32x4_splat(scale);
      r0 = wasm_f32x4_mul(r0, s), r1 = wasm_f32x4_mul(r1, s), r2 = wasm_f32x4_mul(r2, s), r3 = wasm_f32x4_mul(r3, s);
    }
    const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
    const v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
    wasm_v128_store(dst, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
    wasm_v128_store(dst + ds, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
    wasm_v128_store(dst + 2 * ds, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
    wasm_v128_store(dst + 3 * ds, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
    return;
  }
  for (size_t r = 0; r < rows; ++r)
    for (size_t x = 0; x < cols; ++x) dst[x * ds + r] = kScale ? src[r * ss + x] * scale : src[r * ss + x];
}

// Softmax of every column of s ([len][width], width a multiple of 4) in place, 4 columns per vector.
void softmax_columns(float* s, size_t len, size_t width) {
  const size_t len4 = len & ~size_t{3};
  for (size_t g = 0; g < width; g += 4) {
    float* col = s + g;
    // The maximum is exact whatever the order: two chains instead of one. pmax (a < b ? b : a, one x86 maxps; f32x4.max
    // is eight instructions in V8 for its NaN and -0 rules) gives the same maximum: scores are never -0 (the kernel
    // adds a +0 bias), and a NaN score makes its query's every weight NaN either way.
    v128_t m0 = wasm_v128_load(col), m1 = m0;
    size_t j = 1;
    for (; j + 1 < len; j += 2) {
      m0 = wasm_f32x4_pmax(m0, wasm_v128_load(col + j * width));
      m1 = wasm_f32x4_pmax(m1, wasm_v128_load(col + (j + 1) * width));
    }
    if (j < len) m0 = wasm_f32x4_pmax(m0, wasm_v128_load(col + j * width));
    const v128_t mx = wasm_f32x4_pmax(m0, m1);
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
    auto exp_at = [&](size_t k) {
      const v128_t e = exp_nonpositive_f32x4(wasm_f32x4_sub(wasm_v128_load(col + k * width), mx));
      wasm_v128_store(col + k * width, e);
      return e;
    };
    for (j = 0; j < len4; j += 4) {
      a0 = wasm_f32x4_add(a0, exp_at(j));
      a1 = wasm_f32x4_add(a1, exp_at(j + 1));
      a2 = wasm_f32x4_add(a2, exp_at(j + 2));
      a3 = wasm_f32x4_add(a3, exp_at(j + 3));
    }
    v128_t sum = wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3));
    for (; j < len; ++j) sum = wasm_f32x4_add(sum, exp_at(j));
    const v128_t inv = wasm_f32x4_div(wasm_f32x4_splat(1.0f), sum);
    for (j = 0; j < len; ++j) wasm_v128_store(col + j * width, wasm_f32x4_mul(wasm_v128_load(col + j * width), inv));
  }
}

struct Scratch {
  std::vector<float> ka, va, qb, st, ct, zeros;
};

}  // namespace

void attention_head_wasm(const float* qkv, size_t stride, size_t len, size_t hd, size_t q_col, size_t k_col,
                         size_t v_col, float scale, const float* rel, float* ctx, size_t ctx_stride) {
  thread_local Scratch w;
  const GemmKernel& K = portable_gemm_kernel();
  const size_t MR = K.mr, NR = K.nr;  // NR is a multiple of 4 (NV vectors)
  const size_t kblocks = (len + MR - 1) / MR, cblocks = (hd + MR - 1) / MR;
  w.ka.resize(kblocks * MR * hd);
  w.va.resize(cblocks * MR * len);
  w.qb.resize(hd * NR);
  w.st.resize(kblocks * MR * NR);
  w.ct.resize(cblocks * MR * NR);
  if (w.zeros.size() < NR) w.zeros.assign(NR, 0.0f);
  // ka[b][c][r] = K[b·MR + r][c] (keys past the text: zero).
  for (size_t b = 0; b < kblocks; ++b) {
    float* dst = w.ka.data() + b * hd * MR;
    const size_t j0 = b * MR, nk = std::min(MR, len - j0);
    if (nk < MR) std::fill(dst, dst + hd * MR, 0.0f);
    for (size_t r0 = 0; r0 < nk; r0 += 4)
      for (size_t c = 0; c < hd; c += 4)
        transpose_block<false>(qkv + (j0 + r0) * stride + k_col + c, stride, dst + c * MR + r0, MR,
                               std::min<size_t>(4, nk - r0), std::min<size_t>(4, hd - c), 1.0f);
  }
  // va[b][j][r] = V[j][b·MR + r] (channels past the head: zero).
  for (size_t b = 0; b < cblocks; ++b) {
    float* dst = w.va.data() + b * len * MR;
    const size_t c0 = b * MR, nc = std::min(MR, hd - c0);
    const float* src = qkv + v_col + c0;
    if (MR == 4 && nc == 4) {
      for (size_t j = 0; j < len; ++j) wasm_v128_store(dst + j * 4, wasm_v128_load(src + j * stride));
    } else {
      for (size_t j = 0; j < len; ++j)
        for (size_t r = 0; r < MR; ++r) dst[j * MR + r] = r < nc ? src[j * stride + r] : 0.0f;
    }
  }
  float *qb = w.qb.data(), *st = w.st.data(), *ct = w.ct.data();
  for (size_t i0 = 0; i0 < len; i0 += NR) {
    const size_t nq = std::min(NR, len - i0);
    // qb[c][i] = Q[i0 + i][c] · scale (queries past the text: zero; their columns are never written back).
    if (nq < NR) std::fill(qb, qb + hd * NR, 0.0f);
    for (size_t r0 = 0; r0 < nq; r0 += 4)
      for (size_t c = 0; c < hd; c += 4)
        transpose_block<true>(qkv + (i0 + r0) * stride + q_col + c, stride, qb + c * NR + r0, NR,
                              std::min<size_t>(4, nq - r0), std::min<size_t>(4, hd - c), scale);
    for (size_t b = 0; b < kblocks; ++b)
      K.fn(hd, w.ka.data() + b * hd * MR, qb, st + b * MR * NR, NR, std::min(MR, len - b * MR), NR,
           w.zeros.data(), false, false);
    if (rel) {
      for (size_t j = 0; j < len; ++j)
        for (size_t i = 0; i < nq; ++i)
          st[j * NR + i] += rel[static_cast<ptrdiff_t>(j) - static_cast<ptrdiff_t>(i0 + i)];
    }
    softmax_columns(st, len, NR);
    for (size_t b = 0; b < cblocks; ++b)
      K.fn(len, w.va.data() + b * len * MR, st, ct + b * MR * NR, NR, std::min(MR, hd - b * MR), NR,
           w.zeros.data(), false, false);
    // ct[c][i] -> ctx[i0 + i][c].
    for (size_t i = 0; i < nq; i += 4)
      for (size_t c = 0; c < hd; c += 4)
        transpose_block<false>(ct + c * NR + i, NR, ctx + (i0 + i) * ctx_stride + c, ctx_stride,
                               std::min<size_t>(4, hd - c), std::min<size_t>(4, nq - i), 1.0f);
  }
}

}  // namespace gpuembed::cpu
#endif  // __wasm_simd128__
