# The CPU matrix-multiply engine (src/backend/cpu/linear.cpp, gemm_*.cpp, parallel.cpp, cpu_features.cpp).
# Chosen by measurement (bench/gemm_bench.cpp, numbers in bench/RESULTS.md):
#  - fp32: oneDNN's matmul primitive (blocked weights, fused bias/GELU; cpuid dispatch AVX2/AVX-512); without oneDNN
#    the hand-written packed AVX-512 kernel (cpuid at run time; compiled with a function-level target, so the binary
#    stays baseline x86-64), else the portable kernel (also the WebAssembly engine).
#  - bf16 (opt-in): oneDNN with AVX512_BF16 / AMX; on CPUs without bf16 hardware it runs the fp32 engine.
# OpenMP is the one thread pool: oneDNN (Debian's libdnnl is built with OpenMP) and parallel_for share libgomp.
option(GPUEMBED_WITH_DNNL "Use oneDNN (libdnnl) for bf16 and non-AVX-512 CPUs when found" ON)
option(GPUEMBED_WITH_OPENMP "Run parallel_for on OpenMP (else serially)" ON)

if(GPUEMBED_WITH_DNNL)
  find_library(DNNL_LIBRARY dnnl)
  find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
  if(DNNL_LIBRARY AND DNNL_INCLUDE_DIR)
    target_link_libraries(gpuembed PRIVATE ${DNNL_LIBRARY})
    target_include_directories(gpuembed PRIVATE ${DNNL_INCLUDE_DIR})
    target_compile_definitions(gpuembed PRIVATE GPUEMBED_HAVE_DNNL=1)
    message(STATUS "gpuembed: oneDNN ${DNNL_LIBRARY}")
  else()
    message(STATUS "gpuembed: oneDNN not found; fp32 runs the packed AVX-512 / portable kernels, bf16 runs fp32")
  endif()
endif()

if(GPUEMBED_WITH_OPENMP)
  find_package(OpenMP COMPONENTS CXX)
  if(OpenMP_CXX_FOUND)
    target_link_libraries(gpuembed PRIVATE OpenMP::OpenMP_CXX)
  else()
    message(STATUS "gpuembed: no OpenMP; parallel_for runs serially")
  endif()
endif()

# bench/gemm_bench.cpp: the engines shape by shape (not part of `all`: `cmake --build build --target gemm_bench`).
add_executable(gemm_bench EXCLUDE_FROM_ALL ${CMAKE_CURRENT_LIST_DIR}/../bench/gemm_bench.cpp)
target_include_directories(gemm_bench PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../src)
target_link_libraries(gemm_bench PRIVATE gpuembed)
