# The CPU matrix-multiply engine, chosen by measurement (bench/RESULTS.md): oneDNN dispatches on cpuid
# at run time (AVX2 / AVX-512 / AMX), so one binary is fast on every x86-64 CPU.
find_library(DNNL_LIBRARY dnnl REQUIRED)
target_link_libraries(gpuembed PRIVATE ${DNNL_LIBRARY})
target_compile_definitions(gpuembed PRIVATE GPUEMBED_HAVE_DNNL=1)
