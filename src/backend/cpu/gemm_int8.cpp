#include "backend/cpu/gemm_int8.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/gemm_int8_portable.h"
#include "backend/cpu/gemm_onednn.h"
#include "backend/cpu/gemm_packed.h"
#include "backend/cpu/onednn_context.h"
#include "backend/cpu/parallel.h"
#include "gpuembed/error.h"

#if defined(GPUEMBED_HAVE_DNNL)
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace gpuembed::cpu {

#if defined(__EMSCRIPTEN__)
__attribute__((minsize))  // once per load
#endif
QuantizedWeights quantize_per_channel(const float* w, size_t n, size_t k) {
  QuantizedWeights out;
  out.q.resize(n * k);
  out.scale.resize(n);
  for (size_t r = 0; r < n; ++r) {
    float amax = 0.0f;
    for (size_t c = 0; c < k; ++c) amax = std::max(amax, std::fabs(w[r * k + c]));
    const float scale = amax > 0.0f ? amax / 127.0f : 1.0f;
    out.scale[r] = scale;
    for (size_t c = 0; c < k; ++c) {
      const float v = std::nearbyint(w[r * k + c] / scale);
      out.q[r * k + c] = static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f));
    }
  }
  return out;
}

namespace {
// Row quantization (asymmetric, u8 with a zero point: post-GELU rows are mostly positive) runs once per matmul over m*k floats: scalar code (std::nearbyint is a libm call) cost more than
// the AMX matmul itself. 16-lane vectors, rounding by the 1.5*2^23 trick (round half to even, like nearbyint).
#pragma GCC diagnostic ignored "-Wpsabi"  // the 64-byte vectors never cross a call
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

__attribute__((always_inline)) inline void quantize_row_body(const float* row, size_t k, uint8_t* q, float* scale,
                                                             int32_t* zero) {
  const size_t k16 = k & ~size_t{15};
  v16f vmax{}, vmin{};  // zero included: 0 is then exactly representable (padding, ReLU-like zeros)
  for (size_t c = 0; c < k16; c += 16) {
    v16f v;
    std::memcpy(&v, row + c, sizeof(v));
    vmax = v > vmax ? v : vmax;
    vmin = v < vmin ? v : vmin;
  }
  float hi = 0.0f, lo = 0.0f;
  for (int l = 0; l < 16; ++l) hi = std::max(hi, vmax[l]), lo = std::min(lo, vmin[l]);
  for (size_t c = k16; c < k; ++c) hi = std::max(hi, row[c]), lo = std::min(lo, row[c]);
  const float s = hi > lo ? (hi - lo) / 255.0f : 1.0f;
  const float inv = 1.0f / s;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
  const float z = std::clamp((-lo * inv + kRound) - kRound, 0.0f, 255.0f);
  *scale = s;
  *zero = static_cast<int32_t>(z);
  for (size_t c = 0; c < k16; c += 16) {
    v16f v;
    std::memcpy(&v, row + c, sizeof(v));
    v16f r = ((v * inv + kRound) - kRound) + z;
    r = r < 0.0f ? v16f{} : r;
    r = r > 255.0f ? v16f{} + 255.0f : r;
    const v16i ri = __builtin_convertvector(r, v16i);
    for (int l = 0; l < 16; ++l) q[c + l] = static_cast<uint8_t>(ri[l]);
  }
  for (size_t c = k16; c < k; ++c)
    q[c] = static_cast<uint8_t>(std::clamp(((row[c] * inv + kRound) - kRound) + z, 0.0f, 255.0f));
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))) void quantize_row_avx512(
    const float* row, size_t k, uint8_t* q, float* scale, int32_t* zero) {
  quantize_row_body(row, k, q, scale, zero);
}
__attribute__((target("avx2,fma"))) void quantize_row_avx2(const float* row, size_t k, uint8_t* q, float* scale,
                                                           int32_t* zero) {
  quantize_row_body(row, k, q, scale, zero);
}
#endif
#if defined(__EMSCRIPTEN__)
// The WebAssembly module has a download budget: the row quantization (m·k work per matmul, next to m·n·k) for size.
__attribute__((minsize, noinline))
#endif
void quantize_row_base(const float* row, size_t k, uint8_t* q, float* scale, int32_t* zero) {
  quantize_row_body(row, k, q, scale, zero);
}

void quantize_row(const float* row, size_t k, uint8_t* q, float* scale, int32_t* zero) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  switch (active_simd_level()) {
    case SimdLevel::kAvx512: return quantize_row_avx512(row, k, q, scale, zero);
    case SimdLevel::kAvx2: return quantize_row_avx2(row, k, q, scale, zero);
    case SimdLevel::kBaseline: break;
  }
#endif
  quantize_row_base(row, k, q, scale, zero);
}
}  // namespace

void quantize_rows(const float* x, size_t m, size_t k, uint8_t* q, float* scale, int32_t* zero) {
  parallel_for(m, 8, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) quantize_row(x + r * k, k, q + r * k, scale + r, zero + r);
  });
}

#if defined(GPUEMBED_HAVE_DNNL)

namespace {
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// oneDNN's u8 x s8 kernels are exact only where the CPU multiplies and adds bytes into int32 itself (VNNI's
// vpdpbusd, AMX). On AVX2 and plain AVX-512 they use vpmaddubsw, whose int16 pair sums saturate (255·127·2 >
// 32767): on an AMD EPYC (AVX2) its int8 results were off by a fifth of the output range (tests/int8_test.cpp). Those
// CPUs run the portable engine, whose integer arithmetic is exact.
bool onednn_int8_exact() {
  static const bool exact = [] {
    const std::string isa = onednn_isa_name();
    return isa.find("vnni") != std::string::npos || isa == "avx512_core_bf16" || isa == "avx512_core_amx";
  }();
  return exact;
}

}  // namespace

bool int8_matmul_available() { return true; }
bool int8_uses_onednn() { return onednn_int8_exact(); }
std::string int8_matmul_name() {
  return int8_uses_onednn() ? "onednn-int8-" + onednn_isa_name() : PortableInt8Matmul::name();
}

struct Int8Matmul::Impl {
  size_t n = 0, k = 0;
  std::vector<float> wscale, bias;
  std::vector<float> zero_term;  // sw[n] * sum_c wq[n, c]: what a row's zero point adds to its accumulator, per output
  std::vector<int8_t> wq_t;  // the quantized weights transposed, [k][n]: outlier input channels are done in float
  dnnl::memory::desc weights_md;
  dnnl::memory weights;
  // Per (rows, threads): the u8 x s8 matmul with the weight scales as per-column output scales (f32 out), and the
  // GELU as an in-place eltwise primitive. The per-row activation scale and the bias are one pass in between:
  // oneDNN 2.6's fast kernels take no per-row binary post-op (it falls back to the reference kernel).
  struct Entry {
    dnnl::matmul matmul;
    dnnl::eltwise_forward gelu;
  };
  mutable std::mutex mutex;
  mutable std::map<std::pair<size_t, int>, std::shared_ptr<const Entry>> cache;
  std::unique_ptr<PortableInt8Matmul> portable;  // where oneDNN's int8 is not exact (onednn_int8_exact())

  dnnl::matmul::primitive_desc make_pd(size_t m, const dnnl::memory::desc& wmd) const {
    const auto M = static_cast<dnnl::memory::dim>(m), N = static_cast<dnnl::memory::dim>(n),
               K = static_cast<dnnl::memory::dim>(k);
    dnnl::memory::desc src({M, K}, dt::u8, tag::ab), dst({M, N}, dt::f32, tag::ab);
    dnnl::primitive_attr attr;
    attr.set_output_scales(1 << 1, wscale);
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wmd, dst), attr, onednn_engine());
  }

  std::shared_ptr<const Entry> entry(size_t m) const {
    const auto key = std::make_pair(m, parallel_threads());
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    if (cache.size() > 256) cache.clear();
    const auto M = static_cast<dnnl::memory::dim>(m), N = static_cast<dnnl::memory::dim>(n);
    const dnnl::memory::desc y({M, N}, dt::f32, tag::ab);
    auto e = std::make_shared<Entry>(Entry{
        dnnl::matmul(make_pd(m, weights_md)),
        dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(
            dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_gelu_erf, y),
            onednn_engine()))});
    cache.emplace(key, e);
    return e;
  }

  void init(const int8_t* q, const float* scale, const float* b) {
    if (!onednn_int8_exact()) {
      portable = std::make_unique<PortableInt8Matmul>(q, scale, b, n, k);
      return;
    }
    wscale.assign(scale, scale + n);
    wq_t.resize(n * k);
    zero_term.assign(n, 0.0f);
    for (size_t j = 0; j < n; ++j) {
      int64_t sum = 0;
      for (size_t c = 0; c < k; ++c) wq_t[c * n + j] = q[j * k + c], sum += q[j * k + c];
      zero_term[j] = scale[j] * static_cast<float>(sum);
    }
    bias.assign(n, 0.0f);
    if (b != nullptr) std::copy(b, b + n, bias.begin());
    sync_openmp_threads();
    const auto N = static_cast<dnnl::memory::dim>(n), K = static_cast<dnnl::memory::dim>(k);
    weights_md = make_pd(4096, dnnl::memory::desc({K, N}, dt::s8, tag::any)).weights_desc();
    dnnl::memory user({{K, N}, dt::s8, tag::ba}, onednn_engine(), const_cast<int8_t*>(q));
    weights = dnnl::memory(weights_md, onednn_engine());
    dnnl::reorder(user, weights).execute(onednn_thread_stream(), user, weights);
    onednn_thread_stream().wait();
  }
};

Int8Matmul::Int8Matmul(const float* weight, const float* bias, size_t n, size_t k) : impl_(std::make_unique<Impl>()) {
  impl_->n = n;
  impl_->k = k;
  const QuantizedWeights qw = quantize_per_channel(weight, n, k);
  impl_->init(qw.q.data(), qw.scale.data(), bias);
}

Int8Matmul::Int8Matmul(const int8_t* q, const float* scale, const float* bias, size_t n, size_t k)
    : impl_(std::make_unique<Impl>()) {
  impl_->n = n;
  impl_->k = k;
  impl_->init(q, scale, bias);
}

Int8Matmul::~Int8Matmul() = default;

void Int8Matmul::forward(const float* x, size_t m, float* y, bool gelu) const {
  if (m == 0) return;
  const Impl& s = *impl_;
  if (s.portable) return s.portable->forward(x, m, y, gelu);
  sync_openmp_threads();
  thread_local std::vector<uint8_t> xq;
  thread_local std::vector<float> xs;
  thread_local std::vector<int32_t> xz;
  xq.resize(m * s.k);
  xs.resize(m);
  xz.resize(m);
  // Outlier input channels (LLM.int8()'s mixed-precision decomposition): a few hidden dimensions of trained
  // transformers carry values far larger than the rest; quantized with their row they would take its whole 8-bit
  // range. They are left out of the int8 product and added in float32 below.
  thread_local std::vector<size_t> outliers;
  thread_local std::vector<float> xc;
  int8_outlier_columns(x, m, s.k, outliers);
  const float* xin = x;
  if (!outliers.empty()) {
    xc.assign(x, x + m * s.k);
    for (size_t r = 0; r < m; ++r)
      for (size_t c : outliers) xc[r * s.k + c] = 0.0f;
    xin = xc.data();
  }
  quantize_rows(xin, m, s.k, xq.data(), xs.data(), xz.data());
  const auto M = static_cast<dnnl::memory::dim>(m), N = static_cast<dnnl::memory::dim>(s.n),
             K = static_cast<dnnl::memory::dim>(s.k);
  const auto e = s.entry(m);
  dnnl::memory src({{M, K}, dt::u8, tag::ab}, onednn_engine(), xq.data());
  dnnl::memory dst({{M, N}, dt::f32, tag::ab}, onednn_engine(), y);
  e->matmul.execute(onednn_thread_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, s.weights}, {DNNL_ARG_DST, dst}});
  onednn_thread_stream().wait();
  // The buffers are thread_local: the workers below must use the caller's, through this pointer.
  const float* row_scale = xs.data();
  const int32_t* row_zero = xz.data();
  const float* zero_term = s.zero_term.data();
  const float* bias = s.bias.data();
  const size_t n = s.n;
  const std::vector<size_t>& outlier_list = outliers;
  parallel_for(m, 8, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      float* out = y + r * n;
      const float sx = row_scale[r], z = static_cast<float>(row_zero[r]);
      for (size_t j = 0; j < n; ++j) out[j] = (out[j] - z * zero_term[j]) * sx + bias[j];
      for (size_t c : outlier_list) {
        const float xv = x[r * s.k + c];
        const int8_t* w = s.wq_t.data() + c * n;
        for (size_t j = 0; j < n; ++j) out[j] += xv * (static_cast<float>(w[j]) * s.wscale[j]);
      }
    }
  });
  if (gelu) {
    e->gelu.execute(onednn_thread_stream(), {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
    onednn_thread_stream().wait();
  }
}

#else  // !GPUEMBED_HAVE_DNNL

// Without oneDNN (the WebAssembly build): the portable engine, same quantization (gemm_int8_portable.h).
bool int8_matmul_available() { return true; }
bool int8_uses_onednn() { return false; }
std::string int8_matmul_name() { return PortableInt8Matmul::name(); }
struct Int8Matmul::Impl {
  std::unique_ptr<PortableInt8Matmul> engine;
};
Int8Matmul::Int8Matmul(const float* weight, const float* bias, size_t n, size_t k) : impl_(std::make_unique<Impl>()) {
  const QuantizedWeights qw = quantize_per_channel(weight, n, k);
  impl_->engine = std::make_unique<PortableInt8Matmul>(qw.q.data(), qw.scale.data(), bias, n, k);
}
Int8Matmul::Int8Matmul(const int8_t* q, const float* scale, const float* bias, size_t n, size_t k)
    : impl_(std::make_unique<Impl>()) {
  impl_->engine = std::make_unique<PortableInt8Matmul>(q, scale, bias, n, k);
}
Int8Matmul::~Int8Matmul() = default;
void Int8Matmul::forward(const float* x, size_t m, float* y, bool gelu) const { impl_->engine->forward(x, m, y, gelu); }

#endif

}  // namespace gpuembed::cpu
