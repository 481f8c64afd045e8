#pragma once
// The one oneDNN CPU engine of the process and each thread's stream on it, shared by the fp32/bf16 and int8 matmuls
// (gemm_onednn.cpp, gemm_int8.cpp). Only where oneDNN is built in (GPUEMBED_HAVE_DNNL).
#if defined(GPUEMBED_HAVE_DNNL)
#include <oneapi/dnnl/dnnl.hpp>

namespace gpuembed::cpu {

dnnl::engine& onednn_engine();
// A stream per thread: primitives executed from several threads at once (one Embedder per thread) do not share one.
dnnl::stream& onednn_thread_stream();

}  // namespace gpuembed::cpu
#endif
