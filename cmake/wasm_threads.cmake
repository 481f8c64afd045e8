# The threaded WebAssembly module (included by cmake/wasm.cmake after the single-threaded one):
#   gpuembed-mt.mjs + gpuembed-mt.wasm + gpuembed-mt.worker.js (+ a .worker.cjs copy for Node)
# Emscripten pthreads on a SharedArrayBuffer; the CPU backend's parallel_for runs on the std::thread pool of
# src/backend/cpu/parallel.cpp. Objects linked into a shared-memory module must themselves be built with atomics, so
# every library of the single-threaded module is built a second time with -pthread (same sources, same per-file
# flags). The single-threaded module is left byte for byte as it is: it stays the download for pages that are not
# cross-origin isolated, within its size budget.
option(GPUEMBED_WASM_THREADS "also build the threaded module gpuembed-mt.mjs" ON)
if(NOT GPUEMBED_WASM_THREADS)
  return()
endif()

# A copy of library `src` named `dst`, compiled with `flags` too, linking the copies of its gpuembed_* dependencies.
function(gpuembed_threaded_copy src dst)
  get_target_property(sources ${src} SOURCES)
  add_library(${dst} STATIC ${sources})
  foreach(prop INCLUDE_DIRECTORIES INTERFACE_INCLUDE_DIRECTORIES COMPILE_DEFINITIONS INTERFACE_COMPILE_DEFINITIONS
               COMPILE_OPTIONS INTERFACE_COMPILE_OPTIONS C_VISIBILITY_PRESET)
    get_target_property(value ${src} ${prop})
    if(value)
      set_target_properties(${dst} PROPERTIES ${prop} "${value}")
    endif()
  endforeach()
  get_target_property(deps ${src} LINK_LIBRARIES)
  if(deps)
    list(TRANSFORM deps REPLACE "^(gpuembed_.*)$" "\\1_mt")
    target_link_libraries(${dst} PUBLIC ${deps})
  endif()
  target_compile_options(${dst} PRIVATE -pthread)
endfunction()

foreach(lib gpuembed_onig gpuembed_core gpuembed_webgpu)
  gpuembed_threaded_copy(${lib} ${lib}_mt)
endforeach()

# The worker pool is made when the module starts, before any C++ runs: a pthread_create on the browser's main thread
# cannot wait for a new Worker to load, so parallel_for may only use workers that exist. src/wasm/core.mjs sets
# Module.gpuembedWorkers (threads - 1: the calling thread runs a share too); PTHREAD_POOL_SIZE_STRICT=2 makes a
# thread beyond the pool fail (EAGAIN) instead of hanging.
set(GPUEMBED_WASM_MT_DIR ${CMAKE_SOURCE_DIR}/src/wasm)
add_executable(gpuembed_wasm_mt ${GPUEMBED_WASM_SOURCES} ${GPUEMBED_WASM_MT_DIR}/threads/thread_exports.cpp)
target_link_libraries(gpuembed_wasm_mt PRIVATE gpuembed_webgpu_mt gpuembed_core_mt)
target_compile_options(gpuembed_wasm_mt PRIVATE -pthread)
set_target_properties(gpuembed_wasm_mt PROPERTIES OUTPUT_NAME gpuembed-mt SUFFIX ".mjs" LINK_DEPENDS
  "${GPUEMBED_WASM_LINK_DEPS};${GPUEMBED_WASM_MT_DIR}/threads/pre_threads.js;${GPUEMBED_WASM_MT_DIR}/threads/post_threads.js;${GPUEMBED_WASM_MT_DIR}/threads/webgpu_threads.js")
target_link_options(gpuembed_wasm_mt PRIVATE ${GPUEMBED_WASM_LINK_FLAGS} -sEXPORT_NAME=createGpuEmbedModule
  -pthread -sPTHREAD_POOL_SIZE=Module.gpuembedWorkers -sPTHREAD_POOL_SIZE_STRICT=2
  # (SHELL: keeps CMake from folding these into the --js-library / --pre-js / --post-js already in the list)
  "SHELL:--js-library ${GPUEMBED_WASM_MT_DIR}/threads/webgpu_threads.js"
  "SHELL:--pre-js ${GPUEMBED_WASM_MT_DIR}/threads/pre_threads.js"
  "SHELL:--post-js ${GPUEMBED_WASM_MT_DIR}/threads/post_threads.js")
# The repository's package.json says "type": "module", so Node would read the worker script (CommonJS) as an ES
# module; pre_threads.js points Node at this .cjs copy. Browsers load the .worker.js.
add_custom_command(TARGET gpuembed_wasm_mt POST_BUILD
  COMMAND ${CMAKE_COMMAND} -E copy gpuembed-mt.worker.js gpuembed-mt.worker.cjs
  COMMAND sh -c "js=$(gzip -9c gpuembed-mt.mjs | wc -c); w=$(gzip -9c gpuembed-mt.wasm | wc -c); k=$(gzip -9c gpuembed-mt.worker.js | wc -c); echo \"gpuembed threaded WASM size: gpuembed-mt.mjs ($js B gz) + gpuembed-mt.wasm $(wc -c < gpuembed-mt.wasm) B ($w B gz) + gpuembed-mt.worker.js ($k B gz) = $((js + w + k)) B gzipped\""
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR} VERBATIM)
