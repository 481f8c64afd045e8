#include "backend/cpu/linear.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/gemm_int8.h"
#include "backend/cpu/gemm_onednn.h"
#include "backend/cpu/gemm_packed.h"
#include "backend/cpu/parallel.h"

namespace gpuembed::cpu {
namespace {

// The engine kAuto resolves to, per precision. Chosen by measurement (bench/gemm_bench.cpp, bench/RESULTS.md):
//  fp32: oneDNN's matmul primitive on AVX-512 CPUs where oneDNN is linked (its brgemm kernels); it matched or beat
//        the hand-written AVX-512 kernel on whole-model totals (6 layers × 4 Linear, 2 threads: 264 vs 287 ms at
//        4096 rows, 1.19 vs 1.39 ms at 12 rows on a quiet Sapphire Rapids). On CPUs without AVX-512 oneDNN 2.6 runs
//        its AVX2 sgemm, whose sums depend on the number of rows and threads (a text's embedding changed with its
//        batch: tests/cli_test.cpp on an AMD EPYC), so there the packed AVX2 kernel runs. Without oneDNN: the packed
//        AVX-512 / AVX2 kernel by cpuid, else the portable kernel (also the WebAssembly engine).
//  bf16: oneDNN bf16 where the CPU has AVX512_BF16 or AMX (3-4x faster than fp32 there); elsewhere exactly the fp32
//        engine: oneDNN's bf16 without bf16 hardware measured 4-8x slower than fp32 on AVX-512 (Skylake-SP), and bf16
//        weights with fp32 math (PackedLinear's bf16_weights) measured slower than fp32 too.
// GPUEMBED_MATMUL_ENGINE=onednn|avx512|portable overrides the fp32 choice (for benchmarks and bug hunts).
MatmulEngine env_override() {
  const char* env = std::getenv("GPUEMBED_MATMUL_ENGINE");
  if (env == nullptr) return MatmulEngine::kAuto;
  if (std::strcmp(env, "onednn") == 0 && onednn_available()) return MatmulEngine::kOneDnn;
  if (std::strcmp(env, "avx512") == 0 && avx512_gemm_kernel() != nullptr) return MatmulEngine::kAvx512;
  if (std::strcmp(env, "avx2") == 0 && avx2_gemm_kernel() != nullptr) return MatmulEngine::kAvx2;
  if (std::strcmp(env, "portable") == 0) return MatmulEngine::kPortable;
  return MatmulEngine::kAuto;
}

MatmulEngine resolve(MatmulEngine requested, Precision precision) {
  if (requested == MatmulEngine::kOneDnn && !onednn_available()) requested = MatmulEngine::kAuto;
  if (requested == MatmulEngine::kAvx512 && avx512_gemm_kernel() == nullptr) requested = MatmulEngine::kAuto;
  if (requested == MatmulEngine::kAvx2 && avx2_gemm_kernel() == nullptr) requested = MatmulEngine::kAuto;
  if (requested != MatmulEngine::kAuto) return requested;
  if (precision == Precision::kBFloat16 && onednn_available() && onednn_native_bf16()) return MatmulEngine::kOneDnn;
  static const MatmulEngine forced = env_override();
  if (forced != MatmulEngine::kAuto) return forced;
  if (onednn_available() && avx512_gemm_kernel() != nullptr) return MatmulEngine::kOneDnn;
  if (avx512_gemm_kernel() != nullptr) return MatmulEngine::kAvx512;
  if (avx2_gemm_kernel() != nullptr) return MatmulEngine::kAvx2;
  return MatmulEngine::kPortable;
}

bool uses_bf16(MatmulEngine engine, Precision precision) {
  return engine == MatmulEngine::kOneDnn && precision == Precision::kBFloat16 && onednn_native_bf16();
}

std::string engine_label(MatmulEngine engine, Precision precision) {
  if (precision == Precision::kInt8 && int8_matmul_available()) return int8_matmul_name();
  switch (engine) {
    case MatmulEngine::kOneDnn:
      return std::string("onednn-") + (uses_bf16(engine, precision) ? "bf16-" : "") + onednn_isa_name();
    case MatmulEngine::kAvx512: return "packed-avx512";
    case MatmulEngine::kAvx2: return "packed-avx2";
    // (the kernel's name tells the WebAssembly modules apart: SIMD128 mul + add, or relaxed SIMD's FMA)
    case MatmulEngine::kPortable: return std::string("packed-") + portable_gemm_kernel().name;
    case MatmulEngine::kAuto: break;
  }
  return "unknown";
}

}  // namespace

struct Linear::Impl {
  size_t in = 0, out = 0;
  MatmulEngine engine = MatmulEngine::kAuto;
  Precision precision = Precision::kFloat32;
  bool low_precision = false;
  std::unique_ptr<OneDnnMatmul> onednn;
  std::unique_ptr<PackedLinear> packed;
  std::unique_ptr<Int8Matmul> int8;
};

Linear::Linear(const TensorView& weight, const TensorView& bias, Precision precision)
    : Linear(weight, bias, precision, MatmulEngine::kAuto) {}

Linear::Linear(const TensorView& weight, const TensorView& bias, Precision precision, MatmulEngine engine)
    : impl_(std::make_unique<Impl>()) {
  if (weight.data == nullptr || weight.shape.size() != 2 || weight.shape[0] <= 0 || weight.shape[1] <= 0)
    throw Error(ErrorCode::kModelInvalid, "Linear: weight must be a non-empty [out, in] matrix");
  const auto out = static_cast<size_t>(weight.shape[0]), in = static_cast<size_t>(weight.shape[1]);
  if (bias.data != nullptr && bias.numel() != out)
    throw Error(ErrorCode::kModelInvalid, "Linear: bias has " + std::to_string(bias.numel()) + " values for " +
                                              std::to_string(out) + " outputs");
  Impl& s = *impl_;
  s.in = in;
  s.out = out;
  s.precision = precision;
  s.engine = resolve(engine, precision);
  if (precision == Precision::kInt8) {
    s.int8 = std::make_unique<Int8Matmul>(weight.data, bias.data, out, in);  // oneDNN, else the portable engine
    // the rule is about oneDNN's kernels, not the portable one
    s.low_precision = int8_uses_onednn();
    return;
  }
  switch (s.engine) {
    case MatmulEngine::kOneDnn:
      s.onednn = std::make_unique<OneDnnMatmul>(weight.data, bias.data, out, in, uses_bf16(s.engine, precision));
      s.low_precision = uses_bf16(s.engine, precision);
      break;
    case MatmulEngine::kAvx512:
      s.packed = std::make_unique<PackedLinear>(*avx512_gemm_kernel(), weight.data, bias.data, out, in);
      break;
    case MatmulEngine::kAvx2:
      s.packed = std::make_unique<PackedLinear>(*avx2_gemm_kernel(), weight.data, bias.data, out, in);
      break;
    default:
      s.packed = std::make_unique<PackedLinear>(portable_gemm_kernel(), weight.data, bias.data, out, in);
      break;
  }
}

Linear::~Linear() = default;
Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;

void Linear::forward(const float* x, size_t m, float* y, Epilogue epilogue) const {
  const bool gelu = epilogue == Epilogue::kGelu;
  if (impl_->int8)
    impl_->int8->forward(x, m, y, gelu);
  else if (impl_->onednn)
    impl_->onednn->forward(x, m, y, gelu);
  else
    impl_->packed->forward(x, m, y, gelu);
}

size_t Linear::in_features() const { return impl_->in; }
size_t Linear::out_features() const { return impl_->out; }
bool Linear::low_precision() const { return impl_->low_precision; }
std::string Linear::engine_name() const { return engine_label(impl_->engine, impl_->precision); }

std::string matmul_engine_name(Precision precision) {
  return engine_label(resolve(MatmulEngine::kAuto, precision), precision);
}

}  // namespace gpuembed::cpu
