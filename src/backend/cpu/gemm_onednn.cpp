#include "backend/cpu/gemm_onednn.h"

#if defined(GPUEMBED_HAVE_DNNL)

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "backend/cpu/gemm_packed.h"
#include "backend/cpu/onednn_context.h"
#include "backend/cpu/parallel.h"
#include "model/half.h"
#include "gpuembed/error.h"

namespace gpuembed::cpu {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

struct ByteBuffer {
  std::vector<uint8_t> data;
  void* get(size_t n) {
    if (data.size() < n + 64) data.resize(n + 64);
    auto addr = reinterpret_cast<uintptr_t>(data.data());
    return data.data() + (64 - addr % 64) % 64;
  }
};

}  // namespace

dnnl::engine& onednn_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& onednn_thread_stream() {
  thread_local dnnl::stream stream(onednn_engine());
  return stream;
}

bool onednn_available() { return true; }

std::string onednn_isa_name() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "generic";
  }
}

bool onednn_native_bf16() {
  const auto isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

struct OneDnnMatmul::Impl {
  size_t n = 0, k = 0;
  bool bf16 = false;
  dnnl::memory::desc weights_md;
  dnnl::memory weights, bias;
  struct Entry {
    dnnl::matmul primitive;
    dnnl::matmul::primitive_desc pd;
    size_t scratchpad_bytes = 0;
  };
  mutable std::mutex mutex;
  mutable std::map<std::tuple<size_t, bool, int>, std::shared_ptr<const Entry>> cache;

  dt act_type() const { return bf16 ? dt::bf16 : dt::f32; }

  dnnl::matmul::primitive_desc make_pd(size_t m, bool gelu, const dnnl::memory::desc& wmd) const {
    const auto M = static_cast<dnnl::memory::dim>(m), N = static_cast<dnnl::memory::dim>(n),
               K = static_cast<dnnl::memory::dim>(k);
    dnnl::memory::desc src({M, K}, act_type(), tag::ab), dst({M, N}, dt::f32, tag::ab), b({1, N}, dt::f32, tag::ab);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (gelu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wmd, b, dst), attr, onednn_engine());
  }

  std::shared_ptr<const Entry> entry(size_t m, bool gelu) const {
    const auto key = std::make_tuple(m, gelu, parallel_threads());
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    if (cache.size() > 256) cache.clear();  // row counts are bounded in practice; keep memory bounded anyway
    auto e = std::make_shared<Entry>();
    e->pd = make_pd(m, gelu, weights_md);
    e->primitive = dnnl::matmul(e->pd);
    e->scratchpad_bytes = e->pd.scratchpad_desc().get_size();
    cache.emplace(key, e);
    return e;
  }
};

OneDnnMatmul::OneDnnMatmul(const float* weight, const float* bias, size_t n, size_t k, bool bf16,
                           size_t layout_rows)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.n = n;
  s.k = k;
  s.bf16 = bf16;
  sync_openmp_threads();
  const auto N = static_cast<dnnl::memory::dim>(n), K = static_cast<dnnl::memory::dim>(k);
  dnnl::memory::desc any({K, N}, s.act_type(), tag::any);
  s.weights_md = s.make_pd(layout_rows, false, any).weights_desc();
  // W [n, k] row-major is the (k, n) matrix in "ba" order; reorder (and convert) once into the chosen layout.
  dnnl::memory user({{K, N}, dt::f32, tag::ba}, onednn_engine(), const_cast<float*>(weight));
  s.weights = dnnl::memory(s.weights_md, onednn_engine());
  dnnl::stream& stream = onednn_thread_stream();
  dnnl::reorder(user, s.weights).execute(stream, user, s.weights);
  stream.wait();
  s.bias = dnnl::memory({{1, N}, dt::f32, tag::ab}, onednn_engine());
  auto* b = static_cast<float*>(s.bias.get_data_handle());
  for (size_t j = 0; j < n; ++j) b[j] = bias != nullptr ? bias[j] : 0.0f;
}

OneDnnMatmul::~OneDnnMatmul() = default;

std::string OneDnnMatmul::impl_name(size_t m, bool gelu) const { return impl_->entry(m, gelu)->pd.impl_info_str(); }

void OneDnnMatmul::forward(const float* x, size_t m, float* y, bool gelu) const {
  if (m == 0) return;
  const Impl& s = *impl_;
  sync_openmp_threads();
  auto e = s.entry(m, gelu);
  const auto M = static_cast<dnnl::memory::dim>(m), N = static_cast<dnnl::memory::dim>(s.n),
             K = static_cast<dnnl::memory::dim>(s.k);
  thread_local ByteBuffer scratch_buffer, src_buffer;
  void* src_data = const_cast<float*>(x);
  if (s.bf16) {
    auto* xb = static_cast<uint16_t*>(src_buffer.get(m * s.k * sizeof(uint16_t)));
    parallel_for(m * s.k, 4096, [&](size_t b, size_t end) {
      for (size_t i = b; i < end; ++i) xb[i] = float_to_bf16(x[i]);
    });
    src_data = xb;
  }
  dnnl::memory src({{M, K}, s.act_type(), tag::ab}, onednn_engine(), src_data);
  dnnl::memory dst({{M, N}, dt::f32, tag::ab}, onednn_engine(), y);
  dnnl::memory scratch(e->pd.scratchpad_desc(), onednn_engine(), scratch_buffer.get(e->scratchpad_bytes));
  dnnl::stream& stream = onednn_thread_stream();
  e->primitive.execute(stream, {{DNNL_ARG_SRC, src},
                                {DNNL_ARG_WEIGHTS, s.weights},
                                {DNNL_ARG_BIAS, s.bias},
                                {DNNL_ARG_DST, dst},
                                {DNNL_ARG_SCRATCHPAD, scratch}});
  stream.wait();
}

void onednn_sgemm_linear(const float* x, size_t m, const float* weight, const float* bias, size_t n, size_t k,
                         float* y, bool gelu) {
  sync_openmp_threads();
  const auto M = static_cast<dnnl_dim_t>(m), N = static_cast<dnnl_dim_t>(n), K = static_cast<dnnl_dim_t>(k);
  const dnnl_status_t status = dnnl_sgemm('N', 'T', M, N, K, 1.0f, x, K, weight, K, 0.0f, y, N);
  if (status != dnnl_success) throw Error(ErrorCode::kInternal, "dnnl_sgemm failed with status " + std::to_string(status));
  parallel_for(m, 16, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i)
      for (size_t j = 0; j < n; ++j) {
        float v = y[i * n + j] + (bias != nullptr ? bias[j] : 0.0f);
        y[i * n + j] = gelu ? gelu_erf(v) : v;
      }
  });
}

}  // namespace gpuembed::cpu

#else  // !GPUEMBED_HAVE_DNNL

#include "gpuembed/error.h"

namespace gpuembed::cpu {

bool onednn_available() { return false; }
std::string onednn_isa_name() { return ""; }
bool onednn_native_bf16() { return false; }

struct OneDnnMatmul::Impl {};
OneDnnMatmul::OneDnnMatmul(const float*, const float*, size_t, size_t, bool, size_t) {
  throw Error(ErrorCode::kBackendUnavailable, "this build of gpuembed has no oneDNN");
}
OneDnnMatmul::~OneDnnMatmul() = default;
void OneDnnMatmul::forward(const float*, size_t, float*, bool) const {}
std::string OneDnnMatmul::impl_name(size_t, bool) const { return ""; }
void onednn_sgemm_linear(const float*, size_t, const float*, const float*, size_t, size_t, float*, bool) {
  throw Error(ErrorCode::kBackendUnavailable, "this build of gpuembed has no oneDNN");
}

}  // namespace gpuembed::cpu

#endif
