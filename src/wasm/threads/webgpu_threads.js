// --js-library of the threaded module, after webgpu_compat.js (whose header says how addresses of 2 GiB and more
// are unsigned here).
mergeInto(LibraryManager.library, {
  // Its heap is a SharedArrayBuffer, and Dawn's Node binding (npm webgpu) crashes the process on a writeBuffer from
  // a SharedArrayBuffer view (3.1.6's glue passes the whole HEAPU8); a copy of the bytes in a plain ArrayBuffer is
  // what every implementation takes.
  wgpuQueueWriteBuffer: function(queueId, bufferId, {{{ defineI64Param('bufferOffset') }}}, data, size) {
    {{{ receiveI64ParamAsI32s('bufferOffset') }}}
    var queue = WebGPU.mgrQueue.get(queueId);
    var buffer = WebGPU.mgrBuffer.get(bufferId);
    var bufferOffset = bufferOffset_high * 4294967296 + (bufferOffset_low >>> 0);
    data >>>= 0;
    size >>>= 0;
    queue["writeBuffer"](buffer, bufferOffset, HEAPU8.slice(data, data + size), 0, size);
  },

  // Calls a pool thread proxies to the main thread (fd_write, environ_get, exit) pass their arguments in a buffer on
  // the thread's stack, which is malloc'ed: above 2 GiB once the heap is. 3.1.6 indexes it by
  // ((args >> 3) + i) >>> 0 on both sides; these are its functions (without WASM_BIGINT) with `args >>> 3`.
  // (Checked with a C program whose pthread, its stack above 2 GiB, printf()s: with 3.1.6's it hangs, with these it
  // prints. No export of this module prints from a pool thread, so tests/wasm cannot reach them.)
  emscripten_proxy_to_main_thread_js__deps: ['$withStackSave', 'emscripten_run_in_main_runtime_thread_js'],
  emscripten_proxy_to_main_thread_js: function(index, sync) {
    var numCallArgs = arguments.length - 2;
    var outerArgs = arguments;
    return withStackSave(function() {
      var args = stackAlloc(numCallArgs * 8);
      var b = args >>> 3;
      for (var i = 0; i < numCallArgs; i++) HEAPF64[b + i] = outerArgs[2 + i];
      return _emscripten_run_in_main_runtime_thread_js(index, numCallArgs, args, sync);
    });
  },
  emscripten_receive_on_main_thread_js: function(index, numCallArgs, args) {
    _emscripten_receive_on_main_thread_js_callArgs.length = numCallArgs;
    var b = args >>> 3;
    for (var i = 0; i < numCallArgs; i++) _emscripten_receive_on_main_thread_js_callArgs[i] = HEAPF64[b + i];
    // (proxied JS library functions have indexes >= 0, EM_ASMs < 0)
    var func = index >= 0 ? proxiedFunctionTable[index] : ASM_CONSTS[-index - 1];
    return func.apply(null, _emscripten_receive_on_main_thread_js_callArgs);
  },
});
