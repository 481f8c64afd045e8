// --js-library of the threaded module, after webgpu_compat.js. Its heap is a SharedArrayBuffer, and Dawn's Node
// binding (npm webgpu) crashes the process on a writeBuffer from a SharedArrayBuffer view (3.1.6's glue passes the
// whole HEAPU8); a copy of the bytes in a plain ArrayBuffer is what every implementation takes.
mergeInto(LibraryManager.library, {
  wgpuQueueWriteBuffer: function(queueId, bufferId, {{{ defineI64Param('bufferOffset') }}}, data, size) {
    {{{ receiveI64ParamAsI32s('bufferOffset') }}}
    var queue = WebGPU.mgrQueue.get(queueId);
    var buffer = WebGPU.mgrBuffer.get(bufferId);
    var bufferOffset = bufferOffset_high * 4294967296 + (bufferOffset_low >>> 0);
    queue["writeBuffer"](buffer, bufferOffset, HEAPU8.slice(data, data + size), 0, size);
  },
});
