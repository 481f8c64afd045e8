// --js-library for Emscripten 3.1.6's WebGPU glue (library_webgpu.js, early 2022) against today's WebGPU
// (Chromium, Firefox, Safari, Dawn for Node). The C++ side of the same seam is src/backend/webgpu/wgpu_port.cpp.
//
// Addresses: the heap may grow to 4 GiB (-sMAXIMUM_MEMORY), and an address of 2 GiB or more reaches JS as a negative
// i32. Emscripten unsigns HEAP*[p >> 2], HEAP*.set(a, p) and HEAP*.subarray(p, q) in the linked JS (its
// unsignPointers pass: `p >> 2` becomes `p >>> 2`, any other index gets `>>> 0`), which is right only where the
// whole index is the shift or the address: `(p >> 2) + i` becomes `((p >> 2) + i) >>> 0`, wrong for p >= 2 GiB, and
// an address passed on as an argument (writeBuffer's dataOffset) or to slice() is left signed. So the code here
// unsigns every address itself (`p >>> 2`, `p >>> 0`), as do the 3.1.6 functions below that did not.
// tests/wasm/heap_above_2g.test.mjs runs the modules with every heap block above 2 GiB (the main thread's C stack
// stays below: wgpuQueueSubmit's list and buffer_stats' `out` are on it today, so only writeBuffer and the limits
// block were wrong in practice; GPU buffers of 2 GiB, for copyBufferToBuffer, are not tested).
mergeInto(LibraryManager.library, {
  // GPUComputePassEncoder.dispatch was renamed dispatchWorkgroups (2022); 3.1.6 still calls the old name.
  wgpuComputePassEncoderDispatch: function(passId, x, y, z) {
    WebGPU.mgrComputePassEncoder.get(passId)["dispatchWorkgroups"](x, y, z);
  },

  // 3.1.6 passes `data` signed as writeBuffer's dataOffset ("Values are out of the range of that integer" above
  // 2 GiB). (The threaded module replaces this again: threads/webgpu_threads.js.)
  wgpuQueueWriteBuffer: function(queueId, bufferId, {{{ defineI64Param('bufferOffset') }}}, data, size) {
    {{{ receiveI64ParamAsI32s('bufferOffset') }}}
    WebGPU.mgrQueue.get(queueId)["writeBuffer"](WebGPU.mgrBuffer.get(bufferId),
      bufferOffset_high * 4294967296 + (bufferOffset_low >>> 0), HEAPU8, data >>> 0, size >>> 0);
  },
  // 3.1.6 adds the signed low words of the 64-bit offsets and size (2 GiB or more: gpu_index.cpp's row copy).
  wgpuCommandEncoderCopyBufferToBuffer: function(encoderId, srcId, {{{ defineI64Param('srcOffset') }}}, dstId,
                                                 {{{ defineI64Param('dstOffset') }}}, {{{ defineI64Param('size') }}}) {
    {{{ receiveI64ParamAsI32s('srcOffset') }}}
    {{{ receiveI64ParamAsI32s('dstOffset') }}}
    {{{ receiveI64ParamAsI32s('size') }}}
    var B = WebGPU.mgrBuffer;
    WebGPU.mgrCommandEncoder.get(encoderId)["copyBufferToBuffer"](
      B.get(srcId), srcOffset_high * 4294967296 + (srcOffset_low >>> 0),
      B.get(dstId), dstOffset_high * 4294967296 + (dstOffset_low >>> 0), size_high * 4294967296 + (size_low >>> 0));
  },
  // 3.1.6 ends the command list at ((commands >> 2) + count) >>> 0.
  wgpuQueueSubmit: function(queueId, commandCount, commands) {
    var at = commands >>> 2;
    WebGPU.mgrQueue.get(queueId)["submit"](Array.from(HEAP32.subarray(at, at + commandCount),
      function(id) { return WebGPU.mgrCommandBuffer.get(id); }));
  },

  // Adapter + device with the adapter's largest storage-buffer limits. 3.1.6's wgpuAdapterGetLimits aborts
  // (unimplemented) and its WGPULimits has no maxBufferSize, so the request is made here.
  // The host may hand in a GPU (Module.gpu, e.g. `create([])` of npm `webgpu`) or a device (Module.gpuembedDevice).
  // want bit 0: also ask for 'shader-f16' (the fp16 kernels) when the adapter offers it; bit 1: 'timestamp-query'
  // (benchmarks), where offered. 3.1.6's webgpu.h has no
  // WGPUFeatureName_ShaderF16 (and its wgpuAdapterHasFeature aborts), so the feature is checked and requested here;
  // lacking it is never a failure: the device comes without it and f16Note says why.
  // cb(status, deviceId, message, limitsPtr, f16NotePtr, user): status 0 ok, 1 no WebGPU, 2 no adapter, 3 limits
  // too small, 4 device refused. limits = u32 [binding lo, binding hi, buffer lo, buffer hi, workgroup storage,
  // invocations per workgroup, min uniform offset alignment, workgroups per dimension, features (bit 0: shader-f16,
  // bit 1: subgroup matrix, bit 2: timestamp-query), the subgroup-matrix configuration's M, N, K, the adapter's
  // subgroup max size, the attention kernel the host forces (Module.gpuembedAttention 'simple' 1, 'tiled' 2, else 0),
  // Module.gpuembedAttentionLanes (0: the engine's choice)].
  // With shader-f16 and Module.gpuembedSubgroupMatrix === true (opt-in: the kernel has not run on such hardware yet),
  // the subgroup-matrix feature is asked for too (matmul_sgmat.wgsl) when the adapter has an f16 x f16 -> f32
  // configuration; without it the device is the f16 one.
  gpuembedjs_request_device__deps: ['$WebGPU', '$callUserCallback',
                                    '$runtimeKeepalivePush', '$runtimeKeepalivePop'],
  gpuembedjs_request_device: function(minBinding, want, cb, user) {
    var TWO32 = 4294967296;
    var wantF16 = want & 1, wantTs = want & 2;
    var SGM = "chromium-experimental-subgroup-matrix";
    function has(o, name) { var f = o && o["features"]; return !!(f && f["has"] && f["has"](name)); }
    function hasF16(o) { return has(o, "shader-f16"); }
    // The f16 x f16 -> f32 configuration (16 x 16 x 16 where offered: the tile the kernel was written around) and
    // the subgroup max size, or null.
    function sgmConfig(o, info) {
      if (!wantF16 || Module["gpuembedSubgroupMatrix"] !== true || !hasF16(o) || !has(o, "subgroups") || !has(o, SGM)) return null;
      var list = (info && info["subgroupMatrixConfigs"]) || [], best = null;
      for (var i = 0; i < list.length; ++i) {
        var c = list[i];
        if (c["componentType"] !== "f16" || c["resultComponentType"] !== "f32") continue;
        var m = Number(c["M"]), n = Number(c["N"]), k = Number(c["K"]);
        if (!best || (m === 16 && n === 16 && k === 16)) best = [m, n, k];
      }
      var sg = Number((info && info["subgroupMaxSize"]) || (o["limits"] && o["limits"]["maxSubgroupSize"]) || 0);
      return best && sg ? best.concat([sg]) : null;
    }
    var chosen = null;
    function limitsOf(device) {
      var l = device["limits"];
      var b = Number(l["maxStorageBufferBindingSize"]), s = Number(l["maxBufferSize"]);
      var sgm = has(device, SGM) && chosen ? chosen : [0, 0, 0, 0];
      return [b % TWO32, Math.floor(b / TWO32), s % TWO32, Math.floor(s / TWO32),
              l["maxComputeWorkgroupStorageSize"], l["maxComputeInvocationsPerWorkgroup"],
              l["minUniformBufferOffsetAlignment"], l["maxComputeWorkgroupsPerDimension"],
              (hasF16(device) ? 1 : 0) | (sgm[0] ? 2 : 0) | (has(device, "timestamp-query") ? 4 : 0)].concat(sgm,
              [["simple", "tiled"].indexOf(Module["gpuembedAttention"]) + 1, Module["gpuembedAttentionLanes"] | 0]);
    }
    runtimeKeepalivePush();
    function done(status, device, msg, limits, f16Note) {
      runtimeKeepalivePop();
      callUserCallback(function() {
        var msgPtr = allocateUTF8(String(msg || ''));
        var notePtr = allocateUTF8(String(f16Note || ''));
        var lim = 0;
        if (limits) { lim = _malloc(60); for (var i = 0; i < 15; ++i) HEAPU32[(lim >>> 2) + i] = limits[i] >>> 0; }
        var id = 0;
        if (device) id = WebGPU.mgrDevice.create(device, { queueId: WebGPU.mgrQueue.create(device["queue"]) });
        {{{ makeDynCall('viiiiii', 'cb') }}}(status, id, msgPtr, lim, notePtr, user);
        _free(msgPtr);
        _free(notePtr);
        if (lim) _free(lim);
      });
    }
    var given = Module["gpuembedDevice"];
    if (given) {
      Promise.resolve().then(function() {
        var l = given["limits"];
        chosen = sgmConfig(given, given["adapterInfo"]);
        if (Number(l["maxStorageBufferBindingSize"]) < minBinding)
          done(3, null, "the device handed in has maxStorageBufferBindingSize " + l["maxStorageBufferBindingSize"] +
               " < " + minBinding + " bytes that the model needs");
        else done(0, given, "device handed in by the host", limitsOf(given),
                  wantF16 && !hasF16(given) ? "the GPUDevice handed in was not created with the 'shader-f16' feature" : "");
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
        // (attention's K/V tiles take 32 keys where the memory allows, fewer for wide heads: kernels.cpp).
        var limits = { "maxStorageBufferBindingSize": maxBinding, "maxBufferSize": maxBuffer,
                       "maxComputeWorkgroupStorageSize": al["maxComputeWorkgroupStorageSize"] };
        var note = wantF16 && !hasF16(adapter)
          ? "the WebGPU adapter (" + desc + ") does not offer the 'shader-f16' feature" : "";
        function refused(e) { done(4, null, "requestDevice() failed: " + (e && e.message ? e.message : e)); }
        // Without extra features the descriptor is the one the fp32 path always used (no requiredFeatures key);
        // timestamps only where asked for (benchmarks) and offered.
        var extra = wantTs && has(adapter, "timestamp-query") ? ["timestamp-query"] : [];
        function ask(features) {
          var d = { "requiredLimits": limits };
          if (features.length) d["requiredFeatures"] = features;
          return adapter["requestDevice"](d);
        }
        if (!wantF16 || note) {
          return ask(extra).then(function(device) { done(0, device, desc, limitsOf(device), note); }, refused);
        }
        function withF16() {
          chosen = null;
          return ask(["shader-f16"].concat(extra));
        }
        chosen = sgmConfig(adapter, info);
        // (an adapter may list the features and still refuse them, by a rejection or a throw: then f16 alone)
        var first = chosen
          ? Promise.resolve().then(function() { return ask(["shader-f16", "subgroups", SGM].concat(extra)); })
              .then(null, withF16)
          : withF16();
        return first
          .then(function(device) { done(0, device, desc, limitsOf(device), ""); }, function(e) {
            // An adapter may list the feature and still refuse it: the fp32 device is still worth having.
            var why = "requestDevice() with 'shader-f16' failed (" + (e && e.message ? e.message : e) + ")";
            return ask(extra).then(function(device) { done(0, device, desc, limitsOf(device), why); }, refused);
          });
      }, function(e) { done(2, null, "requestAdapter() failed: " + (e && e.message ? e.message : e)); });
  },

  // out[0] = WebGPU buffers the module holds (3.1.6's manager drops an entry on its last wgpuBufferRelease),
  // out[1] = their bytes. Read by wgpu_port.cpp's buffer_stats().
  gpuembedjs_buffer_stats__deps: ['$WebGPU'],
  gpuembedjs_buffer_stats: function(out) {
    var n = 0, bytes = 0, objs = WebGPU.mgrBuffer.objects;
    for (var id in objs) { ++n; bytes += Number(objs[id].object["size"]) || 0; }
    HEAPF64[out >>> 3] = n;
    HEAPF64[(out >>> 3) + 1] = bytes;
  },

  // wgpu_port.cpp's create_timestamp_set / begin_timed_pass (3.1.6's descriptors have no timestampWrites).
  gpuembedjs_timestamp_set__deps: ['$WebGPU'],
  gpuembedjs_timestamp_set: function(deviceId, count) {
    return WebGPU.mgrQuerySet.create(WebGPU.mgrDevice.get(deviceId)["createQuerySet"]({ "type": "timestamp", "count": count }));
  },
  gpuembedjs_begin_timed_pass__deps: ['$WebGPU'],
  gpuembedjs_begin_timed_pass: function(encoderId, setId, first) {
    var w = { "querySet": WebGPU.mgrQuerySet.get(setId), "beginningOfPassWriteIndex": first, "endOfPassWriteIndex": first + 1 };
    return WebGPU.mgrComputePassEncoder.create(WebGPU.mgrCommandEncoder.get(encoderId)["beginComputePass"]({ "timestampWrites": w }));
  },

  // Wakes whoever awaits Module.gpuembedWait() (src/wasm/post.js) after a GPU callback changed state.
  gpuembedjs_notify: function() {
    var w = Module["_gpuembedWaiters"] || [];
    Module["_gpuembedWaiters"] = [];
    if (w.length === 0) Module["_gpuembedWoken"] = true;
    for (var i = 0; i < w.length; ++i) w[i]();
  },
});
