// --post-js of the threaded module, after post.js.
//
// Heap views: when a pool worker grows the memory (a malloc inside a parallel loop), only that worker's JS views
// are remade; the main thread's Module.HEAPU8 & co. still view the old, shorter buffer, where writes past its end
// are silently dropped. core.mjs reads the views from Module at every use, so each read checks the buffer first.
(function() {
  function fresh() {
    if (wasmMemory && buffer !== wasmMemory.buffer) updateGlobalBufferAndViews(wasmMemory.buffer);
  }
  var views = {
    'HEAP8': function() { return HEAP8; }, 'HEAP16': function() { return HEAP16; },
    'HEAP32': function() { return HEAP32; }, 'HEAPU8': function() { return HEAPU8; },
    'HEAPU16': function() { return HEAPU16; }, 'HEAPU32': function() { return HEAPU32; },
    'HEAPF32': function() { return HEAPF32; }, 'HEAPF64': function() { return HEAPF64; },
  };
  Object.keys(views).forEach(function(name) {
    // (the setter takes updateGlobalBufferAndViews' own assignment; the local variable it also sets is the truth)
    Object.defineProperty(Module, name, { configurable: true, get: function() { fresh(); return views[name](); },
                                          set: function() {} });
  });
})();

// Node: the pool's workers must not keep the process alive once the caller is done (a browser page simply closes).
// Only after they loaded: until then the module's ready promise is all that waits for them.
if (GPUEMBED_NODE && !ENVIRONMENT_IS_PTHREAD) {
  Module['ready'].then(function() {
    PThread.unusedWorkers.concat(PThread.runningWorkers).forEach(function(w) { if (w.unref) w.unref(); });
  }, function() {});
}

// Ends the pool's workers, which hold this instance's memory alive (js/gpuembed.mjs calls it once its embedder is
// garbage: nothing can call into the instance after that).
Module['gpuembedTerminate'] = function() { PThread.terminateAllThreads(); };
