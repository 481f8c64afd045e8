// --js-library for Emscripten 3.1.6's WebGPU glue (library_webgpu.js, early 2022) against today's WebGPU
// (Chromium, Firefox, Safari, Dawn for Node). The C++ side of the same seam is src/backend/webgpu/wgpu_port.cpp.
mergeInto(LibraryManager.library, {
  // GPUComputePassEncoder.dispatch was renamed dispatchWorkgroups (2022); 3.1.6 still calls the old name.
  wgpuComputePassEncoderDispatch: function(passId, x, y, z) {
    WebGPU.mgrComputePassEncoder.get(passId)["dispatchWorkgroups"](x, y, z);
  },

  // Adapter + device with the adapter's largest storage-buffer limits. 3.1.6's wgpuAdapterGetLimits aborts
  // (unimplemented) and its WGPULimits has no maxBufferSize, so the request is made here.
  // The host may hand in a GPU (Module.gpu, e.g. `create([])` of npm `webgpu`) or a device (Module.gpuembedDevice).
  // cb(status, deviceId, message, limitsPtr, user): status 0 ok, 1 no WebGPU, 2 no adapter, 3 limits too small,
  // 4 device refused. limits = u32 [binding lo, binding hi, buffer lo, buffer hi, workgroup storage,
  // invocations per workgroup, min uniform offset alignment, workgroups per dimension].
  gpuembedjs_request_device__deps: ['$WebGPU', '$callUserCallback',
                                    '$runtimeKeepalivePush', '$runtimeKeepalivePop'],
  gpuembedjs_request_device: function(minBinding, cb, user) {
    var TWO32 = 4294967296;
    function limitsOf(l) {
      var b = Number(l["maxStorageBufferBindingSize"]), s = Number(l["maxBufferSize"]);
      return [b % TWO32, Math.floor(b / TWO32), s % TWO32, Math.floor(s / TWO32),
              l["maxComputeWorkgroupStorageSize"], l["maxComputeInvocationsPerWorkgroup"],
              l["minUniformBufferOffsetAlignment"], l["maxComputeWorkgroupsPerDimension"]];
    }
    runtimeKeepalivePush();
    function done(status, device, msg, limits) {
      runtimeKeepalivePop();
      callUserCallback(function() {
        var msgPtr = allocateUTF8(String(msg || ''));
        var lim = 0;
        if (limits) { lim = _malloc(32); for (var i = 0; i < 8; ++i) HEAPU32[(lim >> 2) + i] = limits[i] >>> 0; }
        var id = 0;
        if (device) id = WebGPU.mgrDevice.create(device, { queueId: WebGPU.mgrQueue.create(device["queue"]) });
        {{{ makeDynCall('viiiii', 'cb') }}}(status, id, msgPtr, lim, user);
        _free(msgPtr);
        if (lim) _free(lim);
      });
    }
    var given = Module["gpuembedDevice"];
    if (given) {
      Promise.resolve().then(function() {
        var l = given["limits"];
        if (Number(l["maxStorageBufferBindingSize"]) < minBinding)
          done(3, null, "the device handed in has maxStorageBufferBindingSize " + l["maxStorageBufferBindingSize"] +
               " < " + minBinding + " bytes that the model needs");
        else done(0, given, "device handed in by the host", limitsOf(l));
      });
      return;
    }
    var gpu = Module["gpu"] || (typeof navigator == "object" && navigator ? navigator["gpu"] : undefined);
    if (!gpu) {
      Promise.resolve().then(function() {
        done(1, null, "WebGPU is not available: navigator.gpu is undefined (a browser without WebGPU, or Node " +
             "without a `gpu` object such as npm webgpu's create([]))");
      });
      return;
    }
    Promise.resolve().then(function() { return gpu["requestAdapter"]({ "powerPreference": "high-performance" }); })
      .then(function(adapter) {
        if (!adapter) { done(2, null, "navigator.gpu.requestAdapter() returned null: no WebGPU adapter here"); return; }
        var al = adapter["limits"];
        // (clamped to 2^53 - 1: an adapter may report 64-bit maxima that WebIDL would not take back)
        var maxBinding = Math.min(Number(al["maxStorageBufferBindingSize"]), 9007199254740991);
        var maxBuffer = Math.min(Number(al["maxBufferSize"]), 9007199254740991);
        if (maxBinding < minBinding || maxBuffer < minBinding) {
          done(3, null, "WebGPU adapter limits too small: maxStorageBufferBindingSize " + maxBinding +
               ", maxBufferSize " + maxBuffer + " < " + minBinding + " bytes (the model's largest tensor)");
          return;
        }
        var info = adapter["info"] || {};
        var desc = [info["vendor"], info["architecture"], info["device"], info["description"]]
                     .filter(function(s) { return !!s; }).join(" / ") || "unknown adapter";
        if (info["isFallbackAdapter"] || adapter["isFallbackAdapter"]) desc += " (fallback adapter)";
        // The adapter's largest buffers (the word-embedding table, batch activations) and workgroup memory
        // (attention keeps 256 * head_dim bytes of K/V tiles: head_dim 128 needs more than the default 16 KiB).
        return adapter["requestDevice"]({ "requiredLimits": {
          "maxStorageBufferBindingSize": maxBinding, "maxBufferSize": maxBuffer,
          "maxComputeWorkgroupStorageSize": al["maxComputeWorkgroupStorageSize"] } })
          .then(function(device) { done(0, device, desc, limitsOf(device["limits"])); },
                function(e) { done(4, null, "requestDevice() failed: " + (e && e.message ? e.message : e)); });
      }, function(e) { done(2, null, "requestAdapter() failed: " + (e && e.message ? e.message : e)); });
  },

  // Wakes whoever awaits Module.gpuembedWait() (src/wasm/post.js) after a GPU callback changed state.
  gpuembedjs_notify: function() {
    var w = Module["_gpuembedWaiters"] || [];
    Module["_gpuembedWaiters"] = [];
    if (w.length === 0) Module["_gpuembedWoken"] = true;
    for (var i = 0; i < w.length; ++i) w[i]();
  },
});
