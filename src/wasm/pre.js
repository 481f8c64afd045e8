// --pre-js: makes the MODULARIZE + EXPORT_ES6 output of Emscripten 3.1.6 load in Node (>= 20.16) as well as in
// browsers. 3.1.6 uses require()/__dirname on Node, which ES modules lack, and fetch()es the .wasm whenever fetch
// exists (Node >= 18 has it, but cannot fetch file paths). (_scriptDir is Emscripten's own import.meta.url capture;
// 3.1.6's terser cannot parse import.meta in a pre-js.) Closure (cmake/wasm.cmake) knows require, __dirname and
// fetch as globals and takes these shadowing declarations only with @suppress {duplicate}; its Node externs predate
// getBuiltinModule, which is therefore quoted.
var GPUEMBED_NODE = typeof process == 'object' && typeof process.versions == 'object' && !!process.versions.node;
/** @suppress {duplicate} */
var require = GPUEMBED_NODE ? process['getBuiltinModule'] : undefined;
/** @suppress {duplicate} */
var __dirname = GPUEMBED_NODE ? decodeURIComponent(new URL('.', _scriptDir).pathname) : '';
/** @suppress {duplicate} */
var fetch = GPUEMBED_NODE ? undefined : globalThis.fetch;
if (GPUEMBED_NODE && !Module['locateFile']) {
  Module['locateFile'] = function(p) { return decodeURIComponent(new URL(p, _scriptDir).pathname); };
}
