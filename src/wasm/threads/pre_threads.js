// --pre-js of the threaded module, after pre.js. The repository's package.json says "type": "module", which would
// make Node read Emscripten's worker script (CommonJS) as an ES module: Node gets the .worker.cjs copy the build
// writes next to it (cmake/wasm_threads.cmake). Browsers keep the .worker.js.
if (GPUEMBED_NODE) {
  var gpuembedLocateFile = Module['locateFile'];
  Module['locateFile'] = function(p, prefix) {
    return gpuembedLocateFile(/\.worker\.js$/.test(p) ? p.replace(/\.js$/, '.cjs') : p, prefix);
  };
}
