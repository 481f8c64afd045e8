# The WebAssembly build (included by CMakeLists.txt when configured with emcmake; Emscripten 3.1.6 from Debian).
# Outputs in the build folder:
#   gpuembed.mjs + gpuembed.wasm          the module (ES6, MODULARIZE; loads in Node >= 20.16 and browsers)
#   gpuembed_ops.mjs + gpuembed_ops.wasm  the WebGPU kernel test harness (tests/wasm, not shipped)
#   gpuembed_op_harness.cjs + .wasm       the CPU op harness for Node (tests/wasm/cpu_ops.test.mjs, not shipped)
# Driven by scripts/build_wasm.sh.
#
# Also runnable as a script: cmake -DGPUEMBED_EMBED_OUT=x.cpp -DGPUEMBED_EMBED_DIR=src/backend/webgpu/kernels -P wasm.cmake
# writes the WGSL files into a C++ source (kernels/*.wgsl -> gpuembed::webgpu::wgsl_source()).
if(CMAKE_SCRIPT_MODE_FILE AND GPUEMBED_EMBED_OUT)
  set(body "// Generated from src/backend/webgpu/kernels/*.wgsl by cmake/wasm.cmake. Do not edit.\n")
  string(APPEND body "#include \"backend/webgpu/kernel_sources.h\"\n\nnamespace gpuembed::webgpu {\nnamespace {\n")
  string(APPEND body "struct Entry { const char* name; const char* text; };\nconst Entry kEntries[] = {\n")
  file(GLOB _wgsl_files "${GPUEMBED_EMBED_DIR}/*.wgsl")
  list(SORT _wgsl_files)
  foreach(f IN LISTS _wgsl_files)
    get_filename_component(name "${f}" NAME_WE)
    file(READ "${f}" text)
    string(FIND "${text}" ")wgsl\"" bad)
    if(NOT bad EQUAL -1)
      message(FATAL_ERROR "${f} contains the raw-string delimiter )wgsl\"")
    endif()
    # Comments and indentation are for readers of the .wgsl files; the module ships the code only (WGSL has no
    # string literals, so `//` always starts a comment).
    string(REGEX REPLACE "[ \t]*//[^\n]*" "" text "${text}")
    string(REGEX REPLACE "\n[ \t]+" "\n" text "${text}")
    string(REGEX REPLACE "\n\n+" "\n" text "${text}")
    # Spaces next to punctuation, and between an operator and a name or number, carry no meaning (two operator
    # characters keep theirs: `a = -b`, `x - -1`); WGSL finds template lists by characters, not spacing.
    string(REGEX REPLACE "[ ]*([][(){},;:])[ ]*" "\\1" text "${text}")
    string(REGEX REPLACE "([]A-Za-z0-9_)])[ ]+([=+*/%<>!&|^~-])" "\\1\\2" text "${text}")
    string(REGEX REPLACE "([=+*/%<>!&|^~-])[ ]+([A-Za-z0-9_(])" "\\1\\2" text "${text}")
    string(APPEND body "    {\"${name}\", R\"wgsl(${text})wgsl\"},\n")
  endforeach()
  string(APPEND body "};\n}  // namespace\n\nconst char* wgsl_source(std::string_view name) {\n")
  string(APPEND body "  for (const Entry& e : kEntries) if (name == e.name) return e.text;\n  return nullptr;\n}\n\n")
  string(APPEND body "}  // namespace gpuembed::webgpu\n")
  file(WRITE "${GPUEMBED_EMBED_OUT}.tmp" "${body}")
  file(COPY_FILE "${GPUEMBED_EMBED_OUT}.tmp" "${GPUEMBED_EMBED_OUT}" ONLY_IF_DIFFERENT)
  file(REMOVE "${GPUEMBED_EMBED_OUT}.tmp")
  return()
endif()

# nlohmann/json is header-only: expose only its folder, never the host's /usr/include, to emcc.
get_target_property(_nlohmann_inc nlohmann_json::nlohmann_json INTERFACE_INCLUDE_DIRECTORIES)
set(GPUEMBED_JSON_INC "${CMAKE_BINARY_DIR}/json_include")
foreach(d IN LISTS _nlohmann_inc)
  if(EXISTS "${d}/nlohmann/json.hpp" AND NOT EXISTS "${GPUEMBED_JSON_INC}/nlohmann")
    file(MAKE_DIRECTORY "${GPUEMBED_JSON_INC}")
    file(CREATE_LINK "${d}/nlohmann" "${GPUEMBED_JSON_INC}/nlohmann" SYMBOLIC)
  endif()
endforeach()
if(NOT EXISTS "${GPUEMBED_JSON_INC}/nlohmann/json.hpp")
  message(FATAL_ERROR "nlohmann/json.hpp not found (apt-get install nlohmann-json3-dev)")
endif()

set(GPUEMBED_WASM_OPT "-O3" CACHE STRING "optimisation flag of the WASM build")
# WebAssembly's own exception handling instead of Emscripten's JS-based one (-fexceptions): every call that may throw
# then needs no JS round trip, which makes the module smaller and faster. Runs in Node >= 17 and in every browser
# with WebGPU.
set(GPUEMBED_WASM_COMMON_FLAGS ${GPUEMBED_WASM_OPT} -msimd128 -fwasm-exceptions)

# --- WGSL kernels embedded as C++ -------------------------------------------------------------------------------
file(GLOB GPUEMBED_WGSL CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/backend/webgpu/kernels/*.wgsl)
set(GPUEMBED_WGSL_CPP ${CMAKE_BINARY_DIR}/generated/wgsl_sources.cpp)
add_custom_command(
  OUTPUT ${GPUEMBED_WGSL_CPP}
  COMMAND ${CMAKE_COMMAND} -DGPUEMBED_EMBED_OUT=${GPUEMBED_WGSL_CPP} -DGPUEMBED_EMBED_DIR=${CMAKE_SOURCE_DIR}/src/backend/webgpu/kernels
          -P ${CMAKE_SOURCE_DIR}/cmake/wasm.cmake
  DEPENDS ${GPUEMBED_WGSL} ${CMAKE_SOURCE_DIR}/cmake/wasm.cmake
  COMMENT "Embedding WGSL kernels")
set_source_files_properties(${GPUEMBED_WGSL_CPP} PROPERTIES COMPILE_OPTIONS "-Oz")

# --- Oniguruma (C, from the Debian source package; cmake/onig.cmake) ---------------------------------------------
include(${CMAKE_SOURCE_DIR}/cmake/onig.cmake)
# Only the Unicode properties tokenizer.json patterns use (tools/trim_onig_properties.py): Oniguruma's property
# tables are the module's largest data block. A pattern naming another property is refused when its tokenizer loads.
find_program(GPUEMBED_PYTHON3 python3 REQUIRED NO_CMAKE_FIND_ROOT_PATH)
set(GPUEMBED_ONIG_TRIM_DIR ${CMAKE_BINARY_DIR}/onig-wasm)
execute_process(COMMAND ${GPUEMBED_PYTHON3} ${CMAKE_SOURCE_DIR}/tools/trim_onig_properties.py ${GPUEMBED_ONIG_SRC}
                        ${GPUEMBED_ONIG_TRIM_DIR} RESULT_VARIABLE _trim_rc OUTPUT_VARIABLE _trim_out)
if(NOT _trim_rc EQUAL 0)
  message(FATAL_ERROR "tools/trim_onig_properties.py failed")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tools/trim_onig_properties.py)
get_target_property(_onig_srcs gpuembed_onig SOURCES)
list(TRANSFORM _onig_srcs REPLACE ".*/src/unicode\\.c$" "${GPUEMBED_ONIG_TRIM_DIR}/unicode.c")
set_property(TARGET gpuembed_onig PROPERTY SOURCES ${_onig_srcs})
# Size over speed: the tokenizers' patterns are short and the module has a size budget.
target_compile_options(gpuembed_onig PRIVATE -Oz)

# --- the C++ core: model, tokenizer, pooling, pipeline, CPU backend (portable SIMD128 matmul), WebGPU backend -----
file(GLOB GPUEMBED_CORE_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/src/model/*.cpp ${CMAKE_SOURCE_DIR}/src/model/families/*.cpp ${CMAKE_SOURCE_DIR}/src/tokenizer/*.cpp ${CMAKE_SOURCE_DIR}/src/pooling/*.cpp
  ${CMAKE_SOURCE_DIR}/src/api/*.cpp ${CMAKE_SOURCE_DIR}/src/backend/cpu/*.cpp)
# Vector search is the native Index (js/index.mjs wraps it); its files on disk (index_file.cpp) are native only.
list(APPEND GPUEMBED_CORE_SOURCES ${CMAKE_SOURCE_DIR}/src/index/index.cpp)
set_source_files_properties(${CMAKE_SOURCE_DIR}/src/index/index.cpp PROPERTIES COMPILE_OPTIONS -ffp-contract=off)
# The Embedder class is not part of the WASM build: src/wasm/ loads through the same loader (api/model_loader.h) but
# keeps a Pipeline per session of its own, whose CPU backend is built on first use and whose jobs also run on WebGPU.
list(FILTER GPUEMBED_CORE_SOURCES EXCLUDE REGEX "src/api/embedder\\.cpp$")
list(FILTER GPUEMBED_CORE_SOURCES EXCLUDE REGEX "src/model/model_folder_source\\.cpp$")
add_library(gpuembed_core STATIC ${GPUEMBED_CORE_SOURCES})
# Size over speed where it costs little (the module has a size budget): the tokenizer.json loaders run once per
# model, the regex wrapper, added-token matching and the pipeline driver are thin, the Unicode tables are data plus
# a binary search.
set_source_files_properties(${CMAKE_SOURCE_DIR}/src/tokenizer/tokenizer_load.cpp
  ${CMAKE_SOURCE_DIR}/src/tokenizer/pipeline_load.cpp ${CMAKE_SOURCE_DIR}/src/tokenizer/regex.cpp
  ${CMAKE_SOURCE_DIR}/src/tokenizer/added_match.cpp ${CMAKE_SOURCE_DIR}/src/tokenizer/hf_unicode.cpp
  ${CMAKE_SOURCE_DIR}/src/tokenizer/pipeline_encode.cpp
  PROPERTIES COMPILE_OPTIONS "-Oz")
# Load-time parsing of the sentence-transformers modules (configs, Dense weights, pytorch_model.bin, shards) is not on
# any hot path: optimised for size, so it costs the module's download budget little.
# The same for everything else that runs once per model or per pass rather than per token: configs, weight binding,
# the graph and its family builders, the job driver, the CPU backend's op dispatch (its loops are in ops.cpp and the
# GEMM files), WebGPU set-up, and the JS <-> C++ conversions in src/wasm/.
file(GLOB GPUEMBED_WASM_COLD_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/model/*.cpp
  ${CMAKE_SOURCE_DIR}/src/model/families/*.cpp ${CMAKE_SOURCE_DIR}/src/api/*.cpp ${CMAKE_SOURCE_DIR}/src/wasm/*.cpp
  ${CMAKE_SOURCE_DIR}/src/backend/webgpu/*.cpp ${CMAKE_SOURCE_DIR}/src/backend/cpu/cpu_backend.cpp
  ${CMAKE_SOURCE_DIR}/src/pooling/pooling.cpp)
# The recorder (kernels.cpp) and the per-pass bookkeeping (webgpu_passes.cpp) run on every request: -O3, as the graph
# walk; a launch-bound short request is host work (bench/RESULTS.md, session 10).
list(FILTER GPUEMBED_WASM_COLD_SOURCES EXCLUDE REGEX "webgpu/(webgpu_graph|webgpu_passes|kernels|wgpu_port|pass_readback)\\.cpp$")
set_source_files_properties(${GPUEMBED_WASM_COLD_SOURCES} PROPERTIES COMPILE_OPTIONS "-Oz")
# The per-token tokenizer code (branchy, scalar) at -O2: -O3's unrolling and inlining buy it little and cost bytes.
file(GLOB GPUEMBED_WASM_O2_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/tokenizer/*.cpp)
foreach(_f ${GPUEMBED_WASM_O2_SOURCES})
  get_source_file_property(_opts ${_f} COMPILE_OPTIONS)
  if(NOT _opts)
    set_source_files_properties(${_f} PROPERTIES COMPILE_OPTIONS "-O2")
  endif()
endforeach()
target_include_directories(gpuembed_core PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src ${GPUEMBED_JSON_INC})
target_link_libraries(gpuembed_core PUBLIC gpuembed_onig)
target_compile_options(gpuembed_core PUBLIC ${GPUEMBED_WASM_COMMON_FLAGS})

file(GLOB GPUEMBED_WEBGPU_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/backend/webgpu/*.cpp)
add_library(gpuembed_webgpu STATIC ${GPUEMBED_WEBGPU_SOURCES} ${GPUEMBED_WGSL_CPP})
target_include_directories(gpuembed_webgpu PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src)
target_compile_options(gpuembed_webgpu PUBLIC ${GPUEMBED_WASM_COMMON_FLAGS})

# --- the modules ------------------------------------------------------------------------------------------------
set(GPUEMBED_WASM_DIR ${CMAKE_SOURCE_DIR}/src/wasm)
# Link-time -Oz: binaryen's whole-module pass then favours size; the per-token loops were already optimised by
# clang at -O3 per file above (same-run WASM CPU timings before and after showed no slowdown beyond noise).
set(GPUEMBED_WASM_LINK_FLAGS
  ${GPUEMBED_WASM_COMMON_FLAGS} -Oz
  -sUSE_WEBGPU=1 -sMODULARIZE=1 -sEXPORT_ES6=1 -sENVIRONMENT=web,worker,node
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=33554432 -sMAXIMUM_MEMORY=4294967296 -sFILESYSTEM=0
  -sEXPORTED_RUNTIME_METHODS=['UTF8ToString']
  --js-library ${GPUEMBED_WASM_DIR}/webgpu_compat.js --pre-js ${GPUEMBED_WASM_DIR}/pre.js
  --post-js ${GPUEMBED_WASM_DIR}/post.js)
set(GPUEMBED_WASM_LINK_DEPS ${GPUEMBED_WASM_DIR}/webgpu_compat.js ${GPUEMBED_WASM_DIR}/pre.js
    ${GPUEMBED_WASM_DIR}/post.js)

# src/wasm/*.cpp but the kernel harness: C ABI + error channel, session registry, model and CPU exports, WebGPU
# device callbacks, WebGPU jobs, vector-index exports, sentence-transformers file staging (st_exports).
file(GLOB GPUEMBED_WASM_SOURCES CONFIGURE_DEPENDS ${GPUEMBED_WASM_DIR}/*.cpp)
list(FILTER GPUEMBED_WASM_SOURCES EXCLUDE REGEX "ops_exports\\.cpp$")
add_executable(gpuembed_wasm ${GPUEMBED_WASM_SOURCES})
target_link_libraries(gpuembed_wasm PRIVATE gpuembed_webgpu gpuembed_core)
set_target_properties(gpuembed_wasm PROPERTIES OUTPUT_NAME gpuembed SUFFIX ".mjs" LINK_DEPENDS "${GPUEMBED_WASM_LINK_DEPS}")
# emmalloc instead of dlmalloc: 4 KB less to download (gzipped), the module's budget; same-run check in
# bench/RESULTS.md ("WASM module size"). The threaded module, which has no such budget, keeps dlmalloc.
target_link_options(gpuembed_wasm PRIVATE ${GPUEMBED_WASM_LINK_FLAGS} -sMALLOC=emmalloc -sEXPORT_NAME=createGpuEmbedModule)
# Closure (ADVANCED) on the shipped module's JS glue, a third of gpuembed.mjs gzipped: it renames everything that is not
# quoted, so src/wasm/*.js reach what lives outside the glue (Module's options and members, WebGPU, Node) by quoted
# names, and core.mjs only uses what the glue sets by quoted name (exports, HEAP*, UTF8ToString, gpuembedWait).
# scripts/build_wasm.sh installs the pinned compiler.jar; Emscripten finds it through EM_CLOSURE_COMPILER, which must
# name a single executable. The threaded module and the kernel harness have no size budget and are linked as before.
set(GPUEMBED_WASM_CLOSURE_JAR "" CACHE FILEPATH "Closure compiler jar for gpuembed.mjs (scripts/build_wasm.sh sets it)")
if(GPUEMBED_WASM_CLOSURE_JAR)
  find_program(GPUEMBED_JAVA java REQUIRED NO_CMAKE_FIND_ROOT_PATH)
  set(_closure ${CMAKE_BINARY_DIR}/closure-compiler)
  # (C1 only: the JIT's second tier does not pay off within one short run)
  file(WRITE ${_closure} "#!/bin/sh\nexec '${GPUEMBED_JAVA}' -XX:TieredStopAtLevel=1 -jar '${GPUEMBED_WASM_CLOSURE_JAR}' \"$@\"\n")
  file(CHMOD ${_closure} PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
       WORLD_EXECUTE)
  target_link_options(gpuembed_wasm PRIVATE --closure 1)
  set_target_properties(gpuembed_wasm PROPERTIES CXX_LINKER_LAUNCHER "${CMAKE_COMMAND};-E;env;EM_CLOSURE_COMPILER=${_closure}")
  # 3.1.6 leaves heap indices signed when Closure runs (tools/unsign_closure_heap.mjs says how); fixed after the link.
  find_program(GPUEMBED_NODE node REQUIRED NO_CMAKE_FIND_ROOT_PATH)
  add_custom_command(TARGET gpuembed_wasm POST_BUILD
    COMMAND ${GPUEMBED_NODE} ${CMAKE_SOURCE_DIR}/tools/unsign_closure_heap.mjs gpuembed.mjs
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR} VERBATIM)
  set_property(TARGET gpuembed_wasm APPEND PROPERTY LINK_DEPENDS ${CMAKE_SOURCE_DIR}/tools/unsign_closure_heap.mjs)
else()
  message(WARNING "GPUEMBED_WASM_CLOSURE_JAR is not set: gpuembed.mjs is linked without Closure and is larger than "
                  "the module's size budget allows (scripts/build_wasm.sh installs and sets it)")
endif()

add_executable(gpuembed_ops ${GPUEMBED_WASM_DIR}/ops_exports.cpp)
target_link_libraries(gpuembed_ops PRIVATE gpuembed_webgpu gpuembed_core)
set_target_properties(gpuembed_ops PROPERTIES SUFFIX ".mjs" LINK_DEPENDS "${GPUEMBED_WASM_LINK_DEPS}")
target_link_options(gpuembed_ops PRIVATE ${GPUEMBED_WASM_LINK_FLAGS} -sEXPORT_NAME=createGpuEmbedOps)

# Size report (the budget is 400 KB gzipped for .mjs + .wasm together, the tokenizers' regex engine included).
add_custom_command(TARGET gpuembed_wasm POST_BUILD
  COMMAND sh -c "js=$(gzip -9c gpuembed.mjs | wc -c); w=$(gzip -9c gpuembed.wasm | wc -c); echo \"gpuembed WASM size: gpuembed.mjs $(wc -c < gpuembed.mjs) B ($js B gz) + gpuembed.wasm $(wc -c < gpuembed.wasm) B ($w B gz) = $((js + w)) B gzipped (budget 409600)\""
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR} VERBATIM)

# The CPU op harness for Node (tests only): cmake/wasm_op_harness.cmake.
include(${CMAKE_SOURCE_DIR}/cmake/wasm_op_harness.cmake)

# The threaded module (gpuembed-mt.*): cmake/wasm_threads.cmake.
include(${CMAKE_SOURCE_DIR}/cmake/wasm_threads.cmake)

# The relaxed-SIMD (FMA) twins of both modules (gpuembed-relaxed.*, gpuembed-mt-relaxed.*): cmake/wasm_relaxed.cmake.
include(${CMAKE_SOURCE_DIR}/cmake/wasm_relaxed.cmake)
