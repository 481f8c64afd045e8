#include "backend/cpu/gemm_int8.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>

#include "backend/cpu/gemm_packed.h"
#include "backend/cpu/parallel.h"
#include "gpuembed/error.h"

#if defined(GPUEMBED_HAVE_DNNL)
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace gpuembed::cpu {

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

void quantize_rows(const float* x, size_t m, size_t k, int8_t* q, float* scale) {
  parallel_for(m, 4, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const float* row = x + r * k;
      float amax = 0.0f;
      for (size_t c = 0; c < k; ++c) amax = std::max(amax, std::fabs(row[c]));
      const float s = amax > 0.0f ? amax / 127.0f : 1.0f;
      const float inv = 1.0f / s;
      scale[r] = s;
      for (size_t c = 0; c < k; ++c) q[r * k + c] = static_cast<int8_t>(std::nearbyint(row[c] * inv));
    }
  });
}

#if defined(GPUEMBED_HAVE_DNNL)

namespace {
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}
}  // namespace

bool int8_matmul_available() { return true; }

struct Int8Matmul::Impl {
  size_t n = 0, k = 0;
  std::vector<float> wscale, bias;
  dnnl::memory::desc weights_md;
  dnnl::memory weights;
  mutable std::mutex mutex;
  mutable std::map<std::pair<size_t, int>, std::shared_ptr<const dnnl::matmul>> cache;

  dnnl::matmul::primitive_desc make_pd(size_t m, const dnnl::memory::desc& wmd) const {
    const auto M = static_cast<dnnl::memory::dim>(m), N = static_cast<dnnl::memory::dim>(n),
               K = static_cast<dnnl::memory::dim>(k);
    dnnl::memory::desc src({M, K}, dt::s8, tag::ab), dst({M, N}, dt::s32, tag::ab);
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wmd, dst), engine());
  }

  std::shared_ptr<const dnnl::matmul> primitive(size_t m) const {
    const auto key = std::make_pair(m, parallel_threads());
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    if (cache.size() > 256) cache.clear();
    auto p = std::make_shared<const dnnl::matmul>(make_pd(m, weights_md));
    cache.emplace(key, p);
    return p;
  }

  void init(const int8_t* q, const float* scale, const float* b) {
    wscale.assign(scale, scale + n);
    bias.assign(n, 0.0f);
    if (b != nullptr) std::copy(b, b + n, bias.begin());
    sync_openmp_threads();
    const auto N = static_cast<dnnl::memory::dim>(n), K = static_cast<dnnl::memory::dim>(k);
    weights_md = make_pd(4096, dnnl::memory::desc({K, N}, dt::s8, tag::any)).weights_desc();
    dnnl::memory user({{K, N}, dt::s8, tag::ba}, engine(), const_cast<int8_t*>(q));
    weights = dnnl::memory(weights_md, engine());
    dnnl::reorder(user, weights).execute(stream(), user, weights);
    stream().wait();
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
  sync_openmp_threads();
  thread_local std::vector<int8_t> xq;
  thread_local std::vector<float> xs;
  thread_local std::vector<int32_t> acc;
  xq.resize(m * s.k);
  xs.resize(m);
  acc.resize(m * s.n);
  quantize_rows(x, m, s.k, xq.data(), xs.data());
  const auto M = static_cast<dnnl::memory::dim>(m), N = static_cast<dnnl::memory::dim>(s.n),
             K = static_cast<dnnl::memory::dim>(s.k);
  dnnl::memory src({{M, K}, dt::s8, tag::ab}, engine(), xq.data());
  dnnl::memory dst({{M, N}, dt::s32, tag::ab}, engine(), acc.data());
  s.primitive(m)->execute(stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, s.weights}, {DNNL_ARG_DST, dst}});
  stream().wait();
  // The buffers are thread_local: the workers below must use the caller's, through these pointers.
  const int32_t* acc_data = acc.data();
  const float* row_scale = xs.data();
  parallel_for(m, 4, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const int32_t* a = acc_data + r * s.n;
      float* out = y + r * s.n;
      const float sx = row_scale[r];
      for (size_t j = 0; j < s.n; ++j) {
        const float v = static_cast<float>(a[j]) * (sx * s.wscale[j]) + s.bias[j];
        out[j] = gelu ? gelu_erf(v) : v;
      }
    }
  });
}

#else  // !GPUEMBED_HAVE_DNNL

bool int8_matmul_available() { return false; }
struct Int8Matmul::Impl {};
Int8Matmul::Int8Matmul(const float*, const float*, size_t, size_t) {
  throw Error(ErrorCode::kBackendUnavailable, "int8 precision needs oneDNN, which this build does not have");
}
Int8Matmul::Int8Matmul(const int8_t*, const float*, const float*, size_t, size_t) {
  throw Error(ErrorCode::kBackendUnavailable, "int8 precision needs oneDNN, which this build does not have");
}
Int8Matmul::~Int8Matmul() = default;
void Int8Matmul::forward(const float*, size_t, float*, bool) const {}

#endif

}  // namespace gpuembed::cpu
