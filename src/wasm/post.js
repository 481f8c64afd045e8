// --post-js: waiting for the GPU from JS. The C++ side calls gpuembedjs_notify() (webgpu_compat.js) whenever a
// WebGPU callback (device ready, buffer mapped, error scope popped, device lost) changed state; a JS caller polls
// the C++ state and, while it says "pending", awaits Module.gpuembedWait(). Spurious wake-ups are harmless.
Module['gpuembedWait'] = function() {
  if (Module['_gpuembedWoken']) { Module['_gpuembedWoken'] = false; return Promise.resolve(); }
  return new Promise(function(resolve) {
    (Module['_gpuembedWaiters'] = Module['_gpuembedWaiters'] || []).push(resolve);
  });
};
