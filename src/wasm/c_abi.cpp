#include "wasm/c_abi.h"

#include <emscripten.h>

#include <new>

#include "backend/cpu/gemm_packed.h"

namespace gpuembed::wasm {

void ErrorChannel::record_current_exception() {
  try {
    throw;
  } catch (const Error& e) {
    set(e.code(), e.what());
  } catch (const std::bad_alloc&) {
    set(ErrorCode::kInternal, "out of memory (WebAssembly heap)");
  } catch (const std::exception& e) {
    set(ErrorCode::kInternal, e.what());
  } catch (...) {
    set(ErrorCode::kInternal, "unknown error");
  }
}

ErrorChannel& model_errors() {
  static ErrorChannel channel;
  return channel;
}

std::vector<std::string_view> split_texts(const char* blob, const uint32_t* offsets, int n) {
  if (n < 0 || (n > 0 && (!blob || !offsets))) throw Error(ErrorCode::kInvalidInput, "bad text list");
  std::vector<std::string_view> texts;
  texts.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (offsets[i + 1] < offsets[i]) throw Error(ErrorCode::kInvalidInput, "bad text offsets");
    texts.emplace_back(blob + offsets[i], offsets[i + 1] - offsets[i]);
  }
  return texts;
}

}  // namespace gpuembed::wasm

extern "C" {

EMSCRIPTEN_KEEPALIVE int ge_last_error_code() { return gpuembed::wasm::model_errors().code(); }
EMSCRIPTEN_KEEPALIVE const char* ge_last_error_message() { return gpuembed::wasm::model_errors().message().c_str(); }

// The name of an error code of any channel ("OK" for 0, "MODEL_INVALID" for 2, ...; "" past the last): core.mjs
// builds its table from this, so the codes are listed once, in gpuembed/error.h.
EMSCRIPTEN_KEEPALIVE const char* ge_error_code_name(int code) {
  if (code == 0) return "OK";
  if (code < 1 || code > static_cast<int>(gpuembed::ErrorCode::kOutOfMemory) + 1) return "";
  return gpuembed::error_code_name(static_cast<gpuembed::ErrorCode>(code - 1));
}

// The CPU path's fp32 matmul kernel: "portable-simd128" (gpuembed.wasm, gpuembed-mt.wasm) or
// "portable-relaxed-simd" (the relaxed-SIMD builds of both); core.mjs reports it as `simd`.
EMSCRIPTEN_KEEPALIVE const char* ge_cpu_kernel() { return gpuembed::cpu::portable_gemm_kernel().name; }

}  // extern "C"
