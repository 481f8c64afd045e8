# The relaxed-SIMD twins of the modules (included by cmake/wasm.cmake after the threaded one):
#   gpuembed-relaxed.mjs + .wasm                               twin of gpuembed.mjs
#   gpuembed-mt-relaxed.mjs + .wasm + .worker.js (+ .worker.cjs)  twin of gpuembed-mt.mjs
# Only the fp32 GEMM differs: its multiply-add is f32x4.relaxed_madd (FMA where the CPU has it) instead of
# f32x4.mul + f32x4.add. Engines without relaxed SIMD reject such a module, so these are extra downloads that
# js/gpuembed.mjs picks only after WebAssembly.validate() accepts a relaxed_madd; the plain modules stay the fallback
# and are built exactly as before.
#
# gemm_packed.cpp is compiled once more with GPUEMBED_WASM_FMA, as an object that the link sees before the libraries:
# it defines every symbol of the library's gemm_packed.o, so the linker never pulls that member in (and would stop
# on duplicate symbols if it ever did). Everything else is the plain build's libraries as they are: no second
# compile of the core.
option(GPUEMBED_WASM_RELAXED "also build the relaxed-SIMD modules gpuembed-relaxed.mjs / gpuembed-mt-relaxed.mjs" ON)
if(NOT GPUEMBED_WASM_RELAXED)
  return()
endif()

# Clang 14 emits the draft opcode of the FMA; scripts/wasm_relaxed_madd.mjs rewrites it to the standard one after
# the link, decoding with llvm-objdump-14 (Emscripten's own LLVM) and checking with wabt (scripts/build_wasm.sh
# installs it).
find_program(GPUEMBED_LLVM_OBJDUMP llvm-objdump-14 REQUIRED NO_CMAKE_FIND_ROOT_PATH)
find_program(GPUEMBED_WASM_OBJDUMP wasm-objdump REQUIRED NO_CMAKE_FIND_ROOT_PATH)
find_program(GPUEMBED_WASM_VALIDATE wasm-validate REQUIRED NO_CMAKE_FIND_ROOT_PATH)
find_program(GPUEMBED_NODE node REQUIRED NO_CMAKE_FIND_ROOT_PATH)
set(GPUEMBED_RELAXED_REWRITE ${CMAKE_SOURCE_DIR}/scripts/wasm_relaxed_madd.mjs)

# gemm_packed.cpp with FMA, with the usage requirements (includes, -msimd128 and the rest) of library `core`.
function(gpuembed_relaxed_gemm name core)
  add_library(${name} OBJECT ${CMAKE_SOURCE_DIR}/src/backend/cpu/gemm_packed.cpp)
  target_link_libraries(${name} PRIVATE ${core})
  target_compile_options(${name} PRIVATE -mrelaxed-simd ${ARGN})
  target_compile_definitions(${name} PRIVATE GPUEMBED_WASM_FMA)
endfunction()

# After the link: the draft opcode -> relaxed_madd in place; if that fails the module is removed, so that the next
# build links it again instead of keeping a module that no engine loads.
function(gpuembed_relaxed_rewrite target base)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND sh -c "'${GPUEMBED_NODE}' '${GPUEMBED_RELAXED_REWRITE}' ${base}.wasm ${base}.wasm || { rm -f ${base}.mjs ${base}.wasm; exit 1; }"
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR} VERBATIM)
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${GPUEMBED_RELAXED_REWRITE})
endfunction()

# --- single-threaded: linked as gpuembed_wasm (emmalloc, Closure), since it is downloaded instead of gpuembed.wasm --
gpuembed_relaxed_gemm(gpuembed_gemm_relaxed gpuembed_core)
add_executable(gpuembed_wasm_relaxed ${GPUEMBED_WASM_SOURCES} $<TARGET_OBJECTS:gpuembed_gemm_relaxed>)
target_link_libraries(gpuembed_wasm_relaxed PRIVATE gpuembed_webgpu gpuembed_core)
set_target_properties(gpuembed_wasm_relaxed PROPERTIES OUTPUT_NAME gpuembed-relaxed SUFFIX ".mjs"
                      LINK_DEPENDS "${GPUEMBED_WASM_LINK_DEPS}")
target_link_options(gpuembed_wasm_relaxed PRIVATE ${GPUEMBED_WASM_LINK_FLAGS} -mrelaxed-simd -sMALLOC=emmalloc
                    -sEXPORT_NAME=createGpuEmbedModule)
if(GPUEMBED_WASM_CLOSURE_JAR)
  target_link_options(gpuembed_wasm_relaxed PRIVATE --closure 1)
  set_target_properties(gpuembed_wasm_relaxed PROPERTIES CXX_LINKER_LAUNCHER
                        "${CMAKE_COMMAND};-E;env;EM_CLOSURE_COMPILER=${CMAKE_BINARY_DIR}/closure-compiler")
  add_custom_command(TARGET gpuembed_wasm_relaxed POST_BUILD
    COMMAND ${GPUEMBED_NODE} ${CMAKE_SOURCE_DIR}/tools/unsign_closure_heap.mjs gpuembed-relaxed.mjs
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR} VERBATIM)
endif()
gpuembed_relaxed_rewrite(gpuembed_wasm_relaxed gpuembed-relaxed)
add_custom_command(TARGET gpuembed_wasm_relaxed POST_BUILD
  COMMAND sh -c "js=$(gzip -9c gpuembed-relaxed.mjs | wc -c); w=$(gzip -9c gpuembed-relaxed.wasm | wc -c); echo \"gpuembed relaxed-SIMD WASM size: gpuembed-relaxed.mjs ($js B gz) + gpuembed-relaxed.wasm $(wc -c < gpuembed-relaxed.wasm) B ($w B gz) = $((js + w)) B gzipped\""
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR} VERBATIM)

# --- threaded: linked as gpuembed_wasm_mt (cmake/wasm_threads.cmake) -------------------------------------------------
if(NOT TARGET gpuembed_wasm_mt)
  return()
endif()
gpuembed_relaxed_gemm(gpuembed_gemm_relaxed_mt gpuembed_core_mt -pthread)
add_executable(gpuembed_wasm_mt_relaxed ${GPUEMBED_WASM_SOURCES} ${GPUEMBED_WASM_MT_DIR}/threads/thread_exports.cpp
               $<TARGET_OBJECTS:gpuembed_gemm_relaxed_mt>)
target_link_libraries(gpuembed_wasm_mt_relaxed PRIVATE gpuembed_webgpu_mt gpuembed_core_mt)
target_compile_options(gpuembed_wasm_mt_relaxed PRIVATE -pthread)
get_target_property(_mt_link_deps gpuembed_wasm_mt LINK_DEPENDS)
get_target_property(_mt_link_options gpuembed_wasm_mt LINK_OPTIONS)
set_target_properties(gpuembed_wasm_mt_relaxed PROPERTIES OUTPUT_NAME gpuembed-mt-relaxed SUFFIX ".mjs"
                      LINK_DEPENDS "${_mt_link_deps}")
target_link_options(gpuembed_wasm_mt_relaxed PRIVATE ${_mt_link_options} -mrelaxed-simd)
gpuembed_relaxed_rewrite(gpuembed_wasm_mt_relaxed gpuembed-mt-relaxed)
add_custom_command(TARGET gpuembed_wasm_mt_relaxed POST_BUILD
  COMMAND ${CMAKE_COMMAND} -E copy gpuembed-mt-relaxed.worker.js gpuembed-mt-relaxed.worker.cjs
  COMMAND sh -c "js=$(gzip -9c gpuembed-mt-relaxed.mjs | wc -c); w=$(gzip -9c gpuembed-mt-relaxed.wasm | wc -c); echo \"gpuembed threaded relaxed-SIMD WASM size: gpuembed-mt-relaxed.mjs ($js B gz) + gpuembed-mt-relaxed.wasm $(wc -c < gpuembed-mt-relaxed.wasm) B ($w B gz)\""
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR} VERBATIM)
