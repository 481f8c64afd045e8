# The CPU op harness (tests/op_harness_test.cpp, tests/op_harness_families_test.cpp) built for WebAssembly, so the
# WASM CPU path (SIMD128 kernels of src/backend/cpu/, compiled as the shipped module compiles them) is checked op by
# op against the same float64 references as the native build. Output: build-wasm/gpuembed_op_harness.cjs + .wasm,
# a Node program (GoogleTest's own output; exit status 0 when every op passes) that tests/wasm/cpu_ops.test.mjs
# runs. Tests only: nothing of it is linked into gpuembed.wasm. GoogleTest comes from Debian's libgtest-dev sources.
set(GPUEMBED_GTEST_SRC /usr/src/googletest/googletest CACHE PATH "GoogleTest sources (libgtest-dev)")
if(NOT EXISTS ${GPUEMBED_GTEST_SRC}/src/gtest-all.cc)
  message(STATUS "gpuembed: no GoogleTest sources in ${GPUEMBED_GTEST_SRC}: the WASM op harness is not built")
  return()
endif()
add_library(gpuembed_wasm_gtest STATIC ${GPUEMBED_GTEST_SRC}/src/gtest-all.cc ${GPUEMBED_GTEST_SRC}/src/gtest_main.cc)
target_include_directories(gpuembed_wasm_gtest SYSTEM PUBLIC ${GPUEMBED_GTEST_SRC}/include PRIVATE ${GPUEMBED_GTEST_SRC})
# GoogleTest is the same code on every run: built for size, as it adds nothing to what is measured.
target_compile_options(gpuembed_wasm_gtest PRIVATE -Oz -fwasm-exceptions)

add_executable(gpuembed_op_harness ${CMAKE_SOURCE_DIR}/tests/op_harness_test.cpp
  ${CMAKE_SOURCE_DIR}/tests/op_harness_families_test.cpp)
target_include_directories(gpuembed_op_harness PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(gpuembed_op_harness PRIVATE gpuembed_core gpuembed_wasm_gtest)
set_target_properties(gpuembed_op_harness PROPERTIES SUFFIX ".cjs")
# Node only; EXIT_RUNTIME makes the process's exit status GoogleTest's. The repository's package.json says
# "type": "module", hence .cjs for this CommonJS script.
target_link_options(gpuembed_op_harness PRIVATE ${GPUEMBED_WASM_COMMON_FLAGS} -sENVIRONMENT=node -sEXIT_RUNTIME=1
  -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4294967296)
